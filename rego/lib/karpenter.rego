# METADATA
# title: Karpenter role helpers
# description: |
#   What the request-based rules (KARP001, KARP002, KARP004, KARP011, KARP012, KARP014, KARP020)
#   share: a role's effective statements and open parts, statement references and labels, the
#   error AWS would return, and fix statements rendered as HCL and JSON. Functions take the role
#   (an element of input.iam.roles) as an argument and never read input; roles, the one rule that
#   does, selects the Karpenter roles every rule iterates over.
package karpgate.lib.karpenter

import data.karpgate.lib.iam
import data.karpgate.lib.layers
import data.karpgate.lib.requests

# roles are the Karpenter controller roles of input.iam.roles, by address. Rules iterate over
# them, not over input.iam.roles: a large plan has thousands of roles, and this walks them once per
# evaluation (OPA keeps a rule's value for the query) instead of once per rule body.
roles[role.address] := role if {
	some role in input.iam.roles
	is_karpenter_role(role)
}

# is_karpenter_role is true for roles detected as Karpenter controller roles (RULES.md section 2).
is_karpenter_role(role) if object.get(role, ["karpenter", "detected"], false) == true

# statements is the role's effective policy: the union of every known, partial or invalid policy.
statements(role) := iam.effective_statements(object.get(role, "policies", []))

# open_parts lists the unknown, external and partial policies of the role.
open_parts(role) := iam.open_parts(object.get(role, "policies", []))

# role_context is the request parameters of the role (docs/input.md "context").
role_context(role) := object.get(role, "context", {})

# evaluate decides a check (lib/requests) against the role's effective policy and every other
# policy layer that applies (lib/layers): the verdict's layer names the deciding one. A check with
# one request per candidate of an unknown parameter is decided through every layer for each
# candidate: the same verdict for all decides, else it is open (RULES.md 4.7).
evaluate(role, check) := evaluate_all(role, [check])[0]

# evaluate_all is evaluate for several checks, matching each distinct action once and deciding
# each distinct request once.
evaluate_all(role, checks) := [layers.combine(role, v) | some v in requests.evaluate_all(statements(role), open_parts(role), checks)] if {
	every c in checks {
		count(c.requests) == 1
	}
} else := merged if {
	singles := [{"action": r.action, "requests": [r]} | some r in {r | some c in checks; some r in c.requests}]
	evals := [layers.combine(role, v) | some v in requests.evaluate_all(statements(role), open_parts(role), singles)]
	by_request := {singles[i].requests[0]: evals[i] | some i, _ in singles}
	merged := [_merge(c, [by_request[r] | some r in c.requests]) | some c in checks]
}

_merge(c, es) := object.union(es[0], {"check": c}) if {
	count({_verdict_class(e) | some e in es}) == 1
} else := object.union(base, {
	"check": c,
	"decision": "indeterminate",
	"open": true,
	"causes": array.concat(object.get(base, "causes", []), requests.param_causes(c, [_verdict_class(e) | some e in es])),
}) if {
	base := [e | some e in es; _verdict_class(e) == "refused"][0]
} else := object.union(es[0], {
	"check": c,
	"decision": "indeterminate",
	"open": true,
	"causes": array.concat(object.get(es[0], "causes", []), requests.param_causes(c, [_verdict_class(e) | some e in es])),
})

_verdict_class(e) := "open" if e.open

_verdict_class(e) := "allowed" if {
	not e.open
	e.decision == "allowed"
}

_verdict_class(e) := "refused" if {
	not e.open
	e.decision != "allowed"
}

# refused is the error AWS returns for a refused verdict of evaluate, naming the deciding layer
# in AWS's words ("because no permissions boundary allows the ec2:CreateTags action").
refused(role, v) := sprintf("%s: %sUser: %s is not authorized to perform: %s on resource: %s %s", [
	code,
	prefix,
	principal(role),
	v.request.action,
	v.request.resource,
	layers.because(v.request.action, v),
]) if {
	service := lower(split(v.request.action, ":")[0])
	code := _error_code(service)
	prefix := _error_prefix(service)
}

# display_params are the parameters messages and fixes show: an unknown one is a placeholder
# naming its config key ("<account: set karpenter.account>"), never a default value.
display_params(role) := requests.display_params(role_context(role))

# main_policy is the address that should carry a fix no statement points at: the known policy with
# the most statements (the first by address on a tie), else the role.
main_policy(role) := ranked[0][1] if {
	ranked := sort([[0 - count(p.document.statements), p.address] |
		some p in object.get(role, "policies", [])
		p.status in {"known", "partial", "invalid"}
		is_object(p.document)
	])
	count(ranked) > 0
} else := role.address

# removed_note names the policies the plan attaches to the role that do not reach it after apply,
# each with the resource that removes it (RULES.md section 3.1: the role's own managed_policy_arns
# or inline_policy, an exclusive resource, an aws_iam_policy_attachment of the same policy): a
# refusal the attachment was meant to fix then says why it is not counted. "" when there is none.
removed_note(role) := sprintf(" Not counted: %s.", [concat("; ", [_removed_line(x) | some x in role.removed])]) if {
	count(object.get(role, "removed", [])) > 0
} else := ""

_removed_line(x) := sprintf("%s attached by %s (removed by %s)", [_removed_name(x), x.address, x.by])

_removed_name(x) := sprintf("policy %s", [x.arn]) if is_string(x.arn)

_removed_name(x) := sprintf("inline policy %q of %s", [x.name, x.policy]) if {
	not is_string(x.arn)
	is_string(x.name)
}

_removed_name(x) := sprintf("policy %s", [x.policy]) if {
	not is_string(x.arn)
	not is_string(x.name)
	object.get(x, "policy", "") != ""
}

_removed_name(x) := "a policy" if {
	not is_string(x.arn)
	not is_string(x.name)
	object.get(x, "policy", "") == ""
}

# finding drops the null fields of a finding object (statement, fix and related are optional).
finding(f) := {k: v | some k, v in f; v != null}

# statement_ref is a finding's "statement" object for an evaluated or effective statement.
statement_ref(s) := {
	"policy": object.get(s, "policy", ""),
	"attribute": object.get(s, "attribute", ""),
	"sid": object.get(s, "sid", ""),
	"index": object.get(s, "index", 0),
}

# statement_label names a statement for messages: "AllowScopedResourceTagging" (statement 4 of X).
statement_label(s) := sprintf("%q (statement %d of %s)", [s.sid, s.index, object.get(s, "policy", "the policy")]) if {
	object.get(s, "sid", "") != ""
} else := sprintf("statement %d of %s (no Sid)", [object.get(s, "index", 0), object.get(s, "policy", "the policy")])

# granting lists the Allow statements of a decide result that apply.
granting(result) := [s |
	some s in result.statements
	lower(s.effect) == "allow"
	s.applies == "yes"
]

# denying lists the Deny statements of a decide result that apply.
denying(result) := [s |
	some s in result.statements
	lower(s.effect) == "deny"
	s.applies == "yes"
]

# candidates lists the Allow statements of a decide result that grant the request's action on a
# resource like the request's (in any region): those that could have allowed it.
candidates(result) := [s |
	some s in result.statements
	lower(s.effect) == "allow"
	s.action_matches
	s.resource_matches in {"yes", "other-region", "unknown"}
]

# closest is the Allow statement that came closest to allowing the request: among those whose
# action matches, matching resource first, then another region, then any other resource; then
# the fewest failing conditions; then statement order. Undefined when there is none.
closest(result) := cs[ranked[0][2]] if {
	cs := [s |
		some s in result.statements
		lower(s.effect) == "allow"
		s.action_matches
	]
	ranked := sort([[_rank(s), count(s.reasons), i] | some i, s in cs])
	count(ranked) > 0
}

_rank(s) := 0 if s.resource_matches == "yes"

_rank(s) := 1 if s.resource_matches in {"other-region", "unknown"}

_rank(s) := 2 if not s.resource_matches in {"yes", "other-region", "unknown"}

# key_reasons keeps the reasons that explain the most (a tag-key limit, creation-only, a region)
# when a statement has one, else all of them.
key_reasons(reasons) := key if {
	key := [r |
		some r in reasons
		_is_key_reason(r)
	]
	count(key) > 0
} else := reasons

_is_key_reason(r) if contains(r, " limited to ")

_is_key_reason(r) if startswith(r, "ec2:CreateAction limits it to creation")

_is_key_reason(r) if startswith(r, "region ")

# access_denied is the error AWS returns when request is refused with decision (implicit-deny or
# denied): EC2 answers UnauthorizedOperation, IAM and SQS AccessDenied, the other services
# AccessDeniedException.
access_denied(role, request, decision) := sprintf("%s: %sUser: %s is not authorized to perform: %s on resource: %s %s", [
	code,
	prefix,
	principal(role),
	request.action,
	request.resource,
	_because(request.action, decision),
]) if {
	service := lower(split(request.action, ":")[0])
	code := _error_code(service)
	prefix := _error_prefix(service)
}

_error_code("ec2") := "UnauthorizedOperation"

_error_code(service) := "AccessDenied" if service in {"iam", "sqs", "sts", "s3"}

_error_code(service) := "AccessDeniedException" if not service in {"ec2", "iam", "sqs", "sts", "s3"}

_error_prefix("ec2") := "You are not authorized to perform this operation. "

_error_prefix(service) := "" if service != "ec2"

_because(_, "denied") := "with an explicit deny in an identity-based policy"

_because(action, decision) := sprintf("because no identity-based policy allows the %s action", [action]) if decision != "denied"

# principal is the assumed-role ARN AWS names in the error.
principal(role) := sprintf("arn:%s:sts::%s:assumed-role/%s/<session>", [p.P, p.A, _role_name(role)]) if {
	p := display_params(role)
}

_role_name(role) := role.name if {
	is_string(object.get(role, "name", null))
} else := concat("", [role.name_prefix, "..."]) if {
	is_string(object.get(role, "name_prefix", null))
} else := "<role name>"

# ---------------------------------------------------------------------------------------------
# Fixes: raw IAM statements of data.karpgate.karpenter.fixes, placeholders filled, as HCL for
# data "aws_iam_policy_document" and as JSON.

# fix_statement fills a fix template (data.karpgate.karpenter.fixes[name]) for the role.
fix_statement(role, name, extra) := requests.fill(data.karpgate.karpenter.fixes[name], object.union(display_params(role), extra))

# render shows a raw IAM statement both ways.
render(statement) := concat("\n", [
	"HCL, in data \"aws_iam_policy_document\":",
	hcl_statement(statement),
	"",
	"JSON, in the policy's Statement list:",
	json.marshal_with_options(statement, {"pretty": true, "indent": "  "}),
])

# hcl_statement renders a raw IAM statement as a statement block.
hcl_statement(statement) := concat("\n", array.concat(
	array.concat(["statement {"], _hcl_head(statement)),
	array.concat(hcl_conditions(object.get(statement, "Condition", {}), "  "), ["}"]),
))

_hcl_head(statement) := [line |
	some field in [["Sid", "sid      "], ["Effect", "effect   "], ["Action", "actions  "], ["Resource", "resources"]]
	value := object.get(statement, field[0], null)
	value != null
	line := sprintf("  %s = %s", [field[1], _hcl_value(field[0], value)])
]

_hcl_value(field, value) := _hcl_string(value) if field in {"Sid", "Effect"}

_hcl_value(field, value) := _hcl_list(value) if not field in {"Sid", "Effect"}

# hcl_conditions renders a raw Condition object as condition blocks, each line indented.
hcl_conditions(condition, indent) := [line |
	some op in sort(object.keys(condition))
	some key in sort(object.keys(condition[op]))
	some line in [
		"",
		concat("", [indent, "condition {"]),
		sprintf("%s  test     = %s", [indent, _hcl_string(op)]),
		sprintf("%s  variable = %s", [indent, _hcl_string(key)]),
		sprintf("%s  values   = %s", [indent, _hcl_list(condition[op][key])]),
		concat("", [indent, "}"]),
	]
]

# hcl_string and hcl_list quote a string, and a string or list, as HCL (lib/fix renders module
# inputs with them).
hcl_string(s) := _hcl_string(s)

hcl_list(v) := _hcl_list(v)

# HCL quoting: backslash and double quote escaped, ${ written $${ so Terraform keeps it literal.
_hcl_string(s) := concat("", ["\"", replace(replace(replace(s, "\\", "\\\\"), "\"", "\\\""), "${", "$${"), "\""])

_hcl_list(v) := concat("", ["[", concat(", ", [_hcl_string(x) | some x in v]), "]"]) if is_array(v)

_hcl_list(v) := concat("", ["[", _hcl_string(v), "]"]) if not is_array(v)
