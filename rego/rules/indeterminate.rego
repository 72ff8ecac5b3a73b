package karpgate.rules.indeterminate

# METADATA
# title: A rule's verdict is open until apply
# description: |
#   Part of a Karpenter role's effective policy is unknown until apply (a policy built from
#   resources not yet created), external (an AWS managed policy or another stack's policy), only
#   partly known (a deferred aws_iam_policy_document), or uses a condition the simulated requests do
#   not model (an unsupported operator, a key such as aws:SourceIp, an undefined policy variable),
#   and that part could change a rule's verdict. karpgate then neither passes nor blocks on that
#   rule: it reports this warning, naming the open rules and what is unknown. Unknown parts are
#   assumed to hold no Deny, so a request the known statements allow stays allowed. It blocks the
#   gate only when --unknown (or unknown in .karpgate.yaml) says so.
# related_resources:
#   - https://developer.hashicorp.com/terraform/internals/json-format
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
# custom:
#   id: KARP020
#   severity: warning
#   remediation: |
#     Let karpgate see the policy: run it on a plan made after the resources the policy depends on
#     exist (a second plan after the first apply), or write the policy with literal values or
#     known data sources. For a policy outside the plan (an AWS managed or another stack's policy,
#     a permissions boundary, a KMS key policy), give karpgate its JSON in .karpgate.yaml:
#
#       policies:
#         - {arn: "arn:aws:iam::111122223333:policy/OrgDeveloperBoundary", file: iam/boundary.json}
#
#     For service and resource control policies, list them under organization.policies (type,
#     name, file, targets) with the account's path under organization.accounts. For a role
#     outside the plan, set complete: true on its karpenter.roles entry when the plan shows
#     everything that reaches it. When the open part is a condition karpgate does not model,
#     check the named statement by hand and record an exception for this finding.
deny contains finding if {
	some [role, key] in {[o.role, _key(c)] | some o in _opens; some c in o.causes}
	cause := [c | some o in _opens; o.role == role; some c in o.causes; _key(c) == key][0]
	rules := sort({sprintf("%s (%s)", [o.rule, o.check]) |
		some o in _opens
		o.role == role
		some c in o.causes
		_key(c) == key
	})

	finding := object.union(
		{
			"rule": rego.metadata.rule().custom.id,
			"address": _address(cause, role),
			"role": role,
			"message": sprintf(
				concat("", [
					"%s: the verdicts of %s are open because %s. karpgate neither passes nor blocks on them; --unknown decides whether this blocks the gate.",
				]),
				[
					role, concat("; ", rules), _describe(cause),
				],
			),
			"related": [role],
		},
		_statement(cause),
	)
}

# _opens collects, by convention, the open verdicts every rule package reports in its set
# "open" ({role, rule, check, causes}): a new rule that reports there is covered without a change
# here, and no rule imports another.
_opens contains o if {
	some name
	o := data.karpgate.rules[name].open[_]
}

_key(c) := [c.address, c.attribute, object.get(c, "statement", null)]

_address(c, _) := c.address if c.address != ""

_address(c, role) := role if c.address == ""

_statement(c) := {"statement": c.statement} if c.statement

_statement(c) := {} if not c.statement

_describe(c) := sprintf("the text of %s is unknown until apply (%s)", [c.address, concat(", ", c.what)]) if c.status == "unknown"

_describe(c) := sprintf("only some statements of %s are known until apply (%s)", [c.address, concat(", ", c.what)]) if c.status == "partial"

_describe(c) := sprintf("the policy %s, attached by %s, is outside the plan", [_arn(c), c.via]) if {
	c.status == "external"
	object.get(c, "layer", "") == ""
}

_describe(c) := sprintf("the %s %s, named by %s, is outside the plan and could refuse what the role's policies allow", [c.layer, _arn(c), c.address]) if {
	c.status == "external"
	object.get(c, "layer", "") != ""
}

_describe(c) := concat(", ", c.what) if c.status == "layers"

_describe(c) := sprintf(
	"the role is outside the plan: %s (set complete: true on its karpenter.roles entry when the plan shows everything that reaches it)",
	[concat(", ", c.what)],
) if c.status == "outside"

_describe(c) := sprintf(
	"terraform deferred the change of %s to a later plan (reason: %s), so it may or may not apply in this run",
	[c.address, concat(", ", c.what)],
) if c.status == "deferred"

_describe(c) := sprintf("%s depends on what karpgate does not model: %s", [
	_label(c.statement),
	concat("; ", c.what),
]) if c.status == "statement"

_describe(c) := concat("; ", c.what) if c.status == "input"

_arn(c) := c.arn if is_string(c.arn)

_arn(c) := c.address if not is_string(c.arn)

_label(ref) := sprintf("statement %q (index %d) of %s", [ref.sid, ref.index, ref.policy]) if ref.sid != ""

_label(ref) := sprintf("statement %d of %s (no Sid)", [ref.index, ref.policy]) if ref.sid == ""
