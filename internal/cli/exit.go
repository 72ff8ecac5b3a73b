package cli

import (
	"errors"
	"strings"

	"github.com/karpgate/karpgate/internal/engine"
	"github.com/karpgate/karpgate/internal/plan"
)

// Exit codes, documented in the README and in --help.
const (
	ExitPass   = 0 // no finding at or above --fail-on
	ExitPolicy = 1 // the gate failed: a finding at or above --fail-on remains
	ExitUsage  = 2 // usage or configuration error
	ExitInput  = 3 // input error: unreadable or invalid plan
	ExitBundle = 4 // policy or bundle error: compile error, bad metadata, bad signature, timeout
)

const exitCodesHelp = `Exit codes:
  0  pass: no finding at or above --fail-on
  1  policy failure: a finding at or above --fail-on remains
  2  usage or configuration error
  3  input error: unreadable or invalid plan
  4  policy or bundle error: a user policy does not compile, bad metadata, bad signature, timeout`

// exitError carries an exit code with its message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error { return &exitError{code: ExitUsage, err: err} }

// codeOf maps an error to its exit code.
func codeOf(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return ExitPass
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, plan.ErrInput):
		return ExitInput
	case errors.Is(err, engine.ErrPolicy):
		return ExitBundle
	}
	return ExitUsage
}

// message is the first line of err for people, with the flag that sets what a lower layer's
// typed error is about: the layers below know their settings as options, not as flags.
func message(err error) string {
	msg := firstLine(strings.TrimSpace(err.Error()))
	var se *plan.SizeError
	var pe *engine.PolicyError
	switch {
	case errors.As(err, &se):
		msg += " (--max-plan-size)"
	case errors.As(err, &pe):
		msg += policyHint(pe.Hint)
	}
	return msg
}

// policyHint words an engine.Hint.
func policyHint(h engine.Hint) string {
	switch h {
	case engine.HintTimeout:
		return " (--timeout)"
	case engine.HintAllowNet:
		return " (--allow-net enables them)"
	case engine.HintRegoV0:
		return " (a Rego v0 policy? load it with --rego-version v0, as conftest does)"
	case engine.HintVerificationKey:
		return " (--verification-key)"
	}
	return ""
}
