# METADATA
# title: IAM request evaluator
# description: |
#   Decides one request {action, resource, context} against a list of normalized policy statements
#   (docs/input.md "policy (normalized)") the way AWS evaluates identity-based policies
#   (RULES.md section 4). Everything here takes arguments and never reads input.
package karpgate.lib.iam

# decide returns {"decision": D, "statements": [S...]} where D is one of allowed, denied,
# implicit-deny or indeterminate, and S describes each statement:
#
#   {"index", "sid", "effect", "applies": "yes"|"no"|"unknown", "reasons": [string],
#    "action_matches": bool, "resource_matches": "yes"|"no"|"unknown"|"other-region"|"",
#    ...every extra field of the statement (policy, attribute, ...) passed through}
#
# reasons say why a statement does not apply ("no") or why that is open ("unknown"); they are
# empty when it applies. A statement's "version" field (as written in its document; "" when
# absent) switches policy variables on ("2012-10-17") or off (anything else: ${...} is literal);
# a statement without the field is read as 2012-10-17.
decide(statements, request) := {"decision": _decision(pairs), "statements": results} if {
	action := lower(request.action)
	ctx := _request_context(request, action)
	results := [_statement_result(s, i, action, request.resource, ctx) | some i, s in statements]
	pairs := {concat(":", [lower(r.effect), r.applies]) | some r in results}
}

# allows is true when decide would answer allowed.
allows(statements, request) if decide(statements, request).decision == "allowed"

# effective_statements flattens role.policies entries (docs/input.md "policy entry") into one
# statement list, the union AWS evaluates. Each statement gains "policy" (the entry's address),
# "attribute", "kind", "version" and "partial" (true when it comes from a partly known document),
# and is compiled (see compile). Entries with status unknown or
# external hold no statements; open_parts reports them.
effective_statements(policies) := [compile(object.union(s, {
	"policy": p.address,
	"attribute": object.get(p, "attribute", ""),
	"kind": object.get(p, "kind", ""),
	"version": object.get(doc, "version", ""),
	"partial": p.status == "partial",
})) |
	some p in policies
	object.get(p, "status", "known") in {"known", "partial", "invalid"}
	doc := object.get(p, "document", null)
	is_object(doc)
	some s in object.get(doc, "statements", [])
]

# compile adds to a statement the glob patterns decide would otherwise build for every request
# (its Action, NotAction and, when they hold no policy variable, Resource lists as one glob each).
# Callers that decide many requests against the same statements compile them once; decide
# accepts compiled and plain statements alike and never returns the "compiled" field.
compile(s) := object.union(s, {"compiled": {
	"head": _make_head(s, null),
	"no_action": object.union(_make_head(s, null), _no_action_verdict),
	"action_glob": _action_glob(s),
	"condition_values": [_static_values(s, c) | some c in object.get(s, "conditions", [])],
	"action_negated": _action_negated(s),
	"actions": _alternatives(object.get(s, "actions", []), true),
	"not_actions": _alternatives(object.get(s, "not_actions", []), true),
	"resources": _resource_alternatives(s, object.get(s, "resources", [])),
	"not_resources": _resource_alternatives(s, object.get(s, "not_resources", [])),
}})

# An empty glob matches no action name.
_action_glob(s) := _alternatives(s.actions, true) if {
	count(object.get(s, "actions", [])) > 0
} else := _alternatives(s.not_actions, true) if {
	count(object.get(s, "not_actions", [])) > 0
} else := ""

_action_negated(s) if {
	count(object.get(s, "actions", [])) == 0
	count(object.get(s, "not_actions", [])) > 0
} else := false

_alternatives(patterns, _) := null if count(patterns) == 0

_alternatives(patterns, fold) := concat("", ["{", concat(",", [_alternative(p, fold) | some p in patterns]), "}"]) if count(patterns) > 0

_alternative(p, true) := replace(_glob_escape(lower(p)), ",", "\\,")

_alternative(p, false) := replace(_glob_escape(p), ",", "\\,")

_resource_alternatives(s, patterns) := _alternatives(patterns, false) if {
	not _any_variables(s, patterns)
} else := null

_any_variables(s, patterns) if {
	_variables_enabled(s)
	some p in patterns
	contains(p, "${")
}

# open_parts lists the parts of an effective policy the plan does not show: unknown, external,
# deferred and outside (the remainder of a role outside the plan) entries and the unknown remainder of partial ones, as {address, attribute, status, via,
# arn, what} where what names each unknown value (address + attribute; for a deferred change the
# reason Terraform gives).
open_parts(policies) := [{
	"address": p.address,
	"attribute": object.get(p, "attribute", ""),
	"status": p.status,
	"via": object.get(p, "via", ""),
	"arn": object.get(p, "arn", null),
	"what": _what_unknown(p),
} |
	some p in policies
	p.status in {"unknown", "external", "partial", "deferred", "outside"}
]

_what_unknown(p) := p.unknown if {
	is_array(object.get(p, "unknown", null))
	count(p.unknown) > 0
} else := [object.get(p, "arn", "")] if {
	p.status == "external"
	is_string(object.get(p, "arn", null))
} else := [concat(".", [p.address, object.get(p, "attribute", "policy")])]

# context lower-cases the request's context keys (they compare case-insensitively) and makes every
# value a list; keys that differ only in case are merged. A request whose context_normalized is
# true (lib/requests builds them so) is taken as it is.
context(request) := request.context if {
	request.context_normalized == true
} else := {lower(k): _as_list(v) | some k, v in raw} if {
	raw := object.get(request, "context", {})
	count({lower(k) | some k, _ in raw}) == count(raw)
} else := {lower(k): _merged(raw, lower(k)) | some k, _ in raw} if {
	raw := object.get(request, "context", {})
}

_merged(raw, lk) := [v |
	some k, vs in raw
	lower(k) == lk
	some v in _as_list(vs)
]

_as_list(x) := x if is_array(x)

_as_list(x) := [x] if not is_array(x)

# ---------------------------------------------------------------------------------------------
# decision

# _decision works on the set of "<effect>:<applies>" pairs of the statement results.
_decision(pairs) := "denied" if {
	"deny:yes" in pairs
} else := "indeterminate" if {
	"deny:unknown" in pairs
	_could_allow(pairs)
} else := "allowed" if {
	"allow:yes" in pairs
} else := "indeterminate" if {
	"allow:unknown" in pairs
} else := "implicit-deny"

_could_allow(pairs) if "allow:yes" in pairs

_could_allow(pairs) if "allow:unknown" in pairs

# ---------------------------------------------------------------------------------------------
# one statement

_normalized_fields := ["actions", "not_actions", "resources", "not_resources", "principals", "not_principals", "conditions", "version", "compiled"]

_statement_result(s, i, action, resource, ctx) := _result(s, i, _matches_action(s, action), resource, ctx)

_result(s, i, false, _, _) := _no_action(s, i)

_result(s, i, true, resource, ctx) := object.union(_head(s, i), _verdict(s, resource, ctx))

# A compiled statement carries one glob for its Action (or NotAction) list.
_matches_action(s, action) := action_matches(s, action)

# _head is what a statement result repeats of the statement: index, sid, effect and every field
# that is not part of the normalized statement (policy, attribute, ...). compile precomputes it.
_head(s, i) := s.compiled.head if {
	s.compiled.head.index != null
} else := object.union(s.compiled.head, {"index": i}) if {
	s.compiled
} else := _make_head(s, i)

_make_head(s, i) := object.union(object.remove(s, _normalized_fields), {
	"index": object.get(s, "index", i),
	"sid": object.get(s, "sid", ""),
	"effect": object.get(s, "effect", ""),
})

_no_action_verdict := {
	"applies": "no",
	"reasons": ["action does not match"],
	"action_matches": false,
	"resource_matches": "",
}

_no_action(s, _) := s.compiled.no_action if s.compiled.head.index != null

_no_action(s, i) := object.union(_head(s, i), _no_action_verdict) if not s.compiled.head.index

_verdict(s, resource, ctx) := v if {
	vars := _variables_enabled(s)
	res := _resource_verdict(s, resource, ctx, vars)
	conds := [_condition(c, _condition_values(s, j, c, ctx, vars), ctx) | some j, c in object.get(s, "conditions", [])]
	v := _combine(res, conds)
}

_combine(res, conds) := {
	"applies": "no",
	"reasons": array.concat(
		[r | res.state in {"no", "other-region"}; some r in res.reasons],
		[c.reason | some c in conds; c.state == "false"],
	),
	"action_matches": true,
	"resource_matches": res.state,
} if {
	_any_false(res, conds)
}

_combine(res, conds) := {
	"applies": "unknown",
	"reasons": array.concat(
		[r | res.state == "unknown"; some r in res.reasons],
		[c.reason | some c in conds; c.state == "unknown"],
	),
	"action_matches": true,
	"resource_matches": res.state,
} if {
	not _any_false(res, conds)
	_any_unknown(res, conds)
}

_combine(res, conds) := {
	"applies": "yes",
	"reasons": [],
	"action_matches": true,
	"resource_matches": "yes",
} if {
	not _any_false(res, conds)
	not _any_unknown(res, conds)
}

_any_false(res, _) if res.state in {"no", "other-region"}

_any_false(_, conds) if {
	some c in conds
	c.state == "false"
}

_any_unknown(res, _) if res.state == "unknown"

_any_unknown(_, conds) if {
	some c in conds
	c.state == "unknown"
}

# Policy variables work only in 2012-10-17 documents; 2008-10-17 (also the default when Version is
# absent) treats ${...} as literal text.
# A value, not a condition: the evaluator passes it on as vars, false included.
# regal ignore:boolean-assignment
_variables_enabled(s) := object.get(s, "version", "2012-10-17") == "2012-10-17"

# ---------------------------------------------------------------------------------------------
# Action and NotAction: case-insensitive glob, * any run, ? one character.

# action_matches is true when the statement's Action (or NotAction) covers the lower-cased action,
# false otherwise. A compiled statement carries one glob for its Action (or NotAction) list.
# A value, not a condition: false is an answer (_matches_action returns it).
# regal ignore:boolean-assignment
action_matches(s, action) := glob.match(s.compiled.action_glob, null, action) != s.compiled.action_negated if {
	s.compiled
} else := _uncompiled_action_match(s, action)

_uncompiled_action_match(s, action) if {
	pattern := _compiled(s, "actions", true)
	pattern != null
	glob.match(pattern, null, action)
} else if {
	_compiled(s, "actions", true) == null
	pattern := _compiled(s, "not_actions", true)
	pattern != null
	not glob.match(pattern, null, action)
} else := false

_compiled(s, field, _) := s.compiled[field]

_compiled(s, field, fold) := _alternatives(object.get(s, field, []), fold) if not s.compiled

_is_glob(p) if contains(p, "*")

_is_glob(p) if contains(p, "?")

# ---------------------------------------------------------------------------------------------
# Resource and NotResource: case-sensitive glob over the whole ARN (* crosses : and /).

# The forms are exclusive; they are one else chain so that OPA stops at the first that holds
# (separate definitions of a function are all evaluated on every call).
_resource_verdict(s, resource, ctx, vars) := {"state": "yes", "reasons": []} if {
	_compiled_match(s, "resources", resource)
} else := r if {
	patterns := object.get(s, "resources", [])
	count(patterns) > 0
	states := {_pattern_state(p, resource, ctx, vars) | some p in patterns}
	r := _positive_resource(states, patterns, resource)
} else := {"state": "no", "reasons": ["resource is excluded by NotResource"]} if {
	count(object.get(s, "resources", [])) == 0
	_compiled_match(s, "not_resources", resource)
} else := r if {
	count(object.get(s, "resources", [])) == 0
	patterns := object.get(s, "not_resources", [])
	count(patterns) > 0
	states := {_pattern_state(p, resource, ctx, vars) | some p in patterns}
	r := _negative_resource(states)
} else := {"state": "no", "reasons": ["statement has neither Resource nor NotResource"]} if {
	not s.partial
} else := {"state": "unknown", "reasons": ["its Resource is unknown until apply"]}

_compiled_match(s, field, resource) if {
	pattern := s.compiled[field]
	pattern != null
	glob.match(pattern, null, resource)
}

# In a partly known document a statement without resources has them unknown until apply (the last
# form above).

_positive_resource(states, patterns, resource) := {"state": "yes", "reasons": []} if {
	"yes" in states
} else := {"state": "unknown", "reasons": [sprintf(
	"resource uses a policy variable the request does not define (%s)",
	[concat(", ", _variables_in(patterns))],
)]} if {
	"unknown" in states
} else := {"state": "other-region", "reasons": [sprintf("region %s only", [concat(", ", regions)])]} if {
	regions := sort(_other_regions(patterns, resource))
	count(regions) > 0
} else := {"state": "no", "reasons": ["resource does not match"]}

_negative_resource(states) := {"state": "no", "reasons": ["resource is excluded by NotResource"]} if {
	"yes" in states
} else := {"state": "unknown", "reasons": ["NotResource uses a policy variable the request does not define"]} if {
	"unknown" in states
} else := {"state": "yes", "reasons": []}

_pattern_state(p, resource, ctx, vars) := _substituted_state(_resource_substitute(p, ctx, vars), resource)

# A variable whose key the request models as absent matches nothing (AWS: "the value is null").
_substituted_state(sub, resource) := "unknown" if {
	sub.state == "unknown"
} else := "yes" if {
	sub.state == "ok"
	glob.match(sub.glob, null, resource)
} else := "no" if {
	sub.state in {"ok", "absent"}
}

# Policy variables in a Resource are replaced "only in the resource portion of the ARN ... after
# the fifth colon": the service, region and account segments keep ${...} as literal text.
_resource_substitute(p, ctx, vars) := out if {
	vars == true
	parts := split(p, ":")
	count(parts) > 5
	head := concat("", [concat(":", array.slice(parts, 0, 5)), ":"])
	tail := _substitute(concat(":", array.slice(parts, 5, count(parts))), ctx, vars)
	out := _prefixed(head, tail)
} else := {"state": "ok", "literal": p, "glob": _glob_escape(p)}

_prefixed(head, tail) := object.union(tail, {
	"literal": concat("", [head, tail.literal]),
	"glob": concat("", [_glob_escape(head), tail.glob]),
}) if {
	tail.state == "ok"
} else := tail

# _other_regions: the concrete region segments of patterns that would match if only the region
# were different, e.g. arn:aws:ec2:eu-west-1:*:instance/* for a request in us-east-1.
_other_regions(patterns, resource) := {parts[3] |
	some p in patterns
	parts := split(p, ":")
	count(parts) >= 6
	parts[3] != ""
	not _is_glob(parts[3])
	not contains(parts[3], "${")
	any_region := concat(":", array.concat(array.concat(array.slice(parts, 0, 3), ["*"]), array.slice(parts, 4, count(parts))))
	glob.match(_glob_escape(any_region), null, resource)
}

_variables_in(texts) := sort({v | some t in texts; some v in regex.find_n(`\$\{[^}]*\}`, t, -1)})

# ---------------------------------------------------------------------------------------------
# Policy variables: ${key} takes the request's single value of key; ${key, 'default'} falls back
# to default; ${*}, ${?} and ${$} are a literal *, ? and $. _substitute returns
#   {"state": "ok", "literal": text with values filled in, "glob": the same as a glob pattern in
#    which substituted text and escapes are literal}
#   {"state": "absent", ...}  a key the request models is absent and there is no default
#   {"state": "unknown", "variables": [...]}  a key the request does not model
# The glob escapes the characters gobwas/glob treats specially besides * and ?.

_substitute(text, _, vars) := {"state": "ok", "literal": text, "glob": _glob_escape(text)} if {
	not _has_variables(text, vars)
}

_substitute(text, ctx, vars) := out if {
	_has_variables(text, vars)
	tokens := regex.find_n(`\$\{[^}]*\}`, text, -1)
	parts := regex.split(`\$\{[^}]*\}`, text)
	values := [_variable_value(t, ctx) | some t in tokens]
	out := _assemble(parts, tokens, values)
}

_has_variables(text, vars) if {
	vars == true
	contains(text, "${")
}

_assemble(_, tokens, values) := {"state": "unknown", "variables": [tokens[j] | some j, v in values; v.state == "unknown"]} if {
	some v in values
	v.state == "unknown"
}

_assemble(_, _, values) := {"state": "absent"} if {
	not _some_state(values, "unknown")
	_some_state(values, "absent")
}

_assemble(parts, _, values) := {
	"state": "ok",
	"literal": concat("", [x | some j, p in parts; x := concat("", [p, _value_at(values, j, "literal")])]),
	"glob": concat("", [x | some j, p in parts; x := concat("", [_glob_escape(p), _value_at(values, j, "glob")])]),
} if {
	not _some_state(values, "unknown")
	not _some_state(values, "absent")
}

_some_state(values, state) if {
	some v in values
	v.state == state
}

_value_at(values, j, form) := values[j][form] if j < count(values)

_value_at(values, j, _) := "" if j >= count(values)

_literal_escapes := {"*": "*", "?": "?", "$": "$"}

_variable_value(token, _) := {"state": "ok", "literal": ch, "glob": _glob_literal(ch)} if {
	ch := _literal_escapes[substring(token, 2, count(token) - 3)]
}

_variable_value(token, ctx) := _resolve(lower(key), fallback, ctx) if {
	inner := substring(token, 2, count(token) - 3)
	not _literal_escapes[inner]
	[key, fallback] := _key_and_default(inner)
}

# ${key} or ${key, 'default'}: a comma, exactly one space, the default in single quotes ('' is
# an empty default). Any other spelling (${key,'x'}, ${ key }) names a key no request has.
_key_and_default(inner) := [m[1], m[2]] if {
	[m] := regex.find_all_string_submatch_n(`^([^,\s']+), '([^']*)'$`, inner, 1)
} else := [inner, null] if {
	regex.match(`^[^,\s']+$`, inner)
} else := ["", null]

# The spelling names no key: the variable has no value.
_resolve("", _, _) := {"state": "absent"}

_resolve(key, _, ctx) := {"state": "ok", "literal": v, "glob": _glob_literal(v)} if {
	key != ""
	[v] := _lookup(ctx, key)
}

# A default stands in for a key the request models that is absent or has several values.
_resolve(key, fallback, ctx) := {"state": "ok", "literal": fallback, "glob": _glob_literal(fallback)} if {
	key != ""
	is_string(fallback)
	not _single(ctx, key)
	_modelled(ctx, key)
}

_resolve(key, null, ctx) := {"state": "absent"} if {
	key != ""
	not _single(ctx, key)
	_modelled(ctx, key)
}

_resolve(key, _, ctx) := {"state": "unknown"} if {
	key != ""
	not _modelled(ctx, key)
}

_single(ctx, key) if count(_lookup(ctx, key)) == 1

_glob_special := {"\\": "\\\\", "[": "\\[", "]": "\\]", "{": "\\{", "}": "\\}"}

_glob_escape(text) := strings.replace_n(_glob_special, text)

_glob_literal(text) := strings.replace_n(object.union(_glob_special, {"*": "\\*", "?": "\\?"}), text)

# ---------------------------------------------------------------------------------------------
# Context keys (RULES.md 4.4, 4.5). A key is modelled when the request knows its value or knows it
# is absent: every key the request sets; the per-request families (tags, ec2:CreateAction, ...)
# and the keys no Karpenter request has (aws:SourceArn, aws:username, ...), absent unless set; a
# key of another service than the request's, or of a web identity provider, absent unless set; and
# with request.closed every key (config requests, KARP005). A key in request.present is there
# with a value karpgate does not know (aws:userid). Any other key is open.
#
# decide adds what it needs of the request to the context under keys no condition key has (they
# start with "#"): the action's service, whether ec2:ResourceTag stands for aws:ResourceTag, and
# request.closed, .present and .modelled (extra families, lower-cased prefixes).

_modelled_keys := {
	"aws:requestedregion", "aws:tagkeys", "ec2:createaction", "iam:passedtoservice",
	"kms:viaservice", "arc-zonal-shift:resourceidentifier",
	"aws:calledvia", "aws:calledviafirst", "aws:calledvialast", "aws:sourcearn", "aws:sourceaccount",
	"aws:multifactorauthage", "aws:username", "aws:sourceidentity",
}

_modelled_prefixes := ["aws:requesttag/", "aws:resourcetag/", "ec2:resourcetag/"]

_modelled(ctx, key) if _lookup(ctx, key)

_modelled(ctx, key) if {
	not _lookup(ctx, key)
	not _present_open(ctx, key)
	_known_absent(ctx, key)
}

_known_absent(_, key) if key in _modelled_keys

_known_absent(_, key) if {
	some prefix in _modelled_prefixes
	startswith(key, prefix)
}

# A closed request (a config request) has no key it does not list, except the keys of 4.5 every
# request has with a value karpgate may not know.
_known_absent(ctx, key) if {
	ctx["#closed"]
	not key in _open_keys
	not _open_prefixed(key)
}

_known_absent(ctx, key) if {
	some prefix in ctx["#modelled"]
	startswith(key, prefix)
}

# 4.4: "A key prefixed by another service than the request's is absent."
_known_absent(ctx, key) if {
	service := _key_service(key)
	service != "aws"
	not service in ctx["#service"]
}

# Keys of a web identity provider (accounts.google.com:aud, oidc.eks.<region>.amazonaws.com/id/<id>:sub)
# exist only in the AssumeRoleWithWebIdentity request that names them.
_known_absent(_, key) if _provider_key(key)

_open_keys := {
	"aws:sourceip", "aws:vpcsourceip", "aws:sourcevpc", "aws:sourcevpce",
	"aws:principalorgid", "aws:principalorgpaths", "aws:resourceaccount",
	"aws:currenttime", "aws:epochtime", "aws:principalarn", "aws:principalaccount",
}

_open_prefixed(key) if startswith(key, "aws:principaltag/")

_key_service(key) := prefix if {
	prefix := split(key, ":")[0]
	count(split(key, ":")) > 1
	regex.match(`^[a-z0-9-]+$`, prefix)
}

_provider_key(key) if {
	parts := split(key, ":")
	count(parts) > 1
	regex.match(`[./]`, parts[0])
}

_present_open(ctx, key) if key in ctx["#present"]

_lookup(ctx, key) := v if {
	v := ctx[key]
} else := ctx[concat("", ["aws:resourcetag/", substring(key, 16, -1)])] if {
	startswith(key, "ec2:resourcetag/")
	ctx["#ec2res"]
} else := ctx[concat("", ["ec2:resourcetag/", substring(key, 16, -1)])] if {
	startswith(key, "aws:resourcetag/")
	ctx["#ec2res"]
}

# _request_context is context(request) plus the "#" entries described above.
_request_context(request, action) := object.union(context(request), {k: v |
	some k, v in {
		"#service": [split(action, ":")[0]],
		"#ec2res": _flag(_ec2_on_ec2(action, object.get(request, "resource", ""))),
		"#closed": _flag(object.get(request, "closed", false) == true),
		"#present": {lower(k) | some k in object.get(request, "present", [])},
		"#modelled": [lower(k) | some k in object.get(request, "modelled", [])],
	}
	v != []
	v != set()
})

_flag(true) := [true]

_flag(false) := []

# "ec2:ResourceTag/k equals aws:ResourceTag/k only for EC2 actions on EC2 resource types."
_ec2_on_ec2(action, resource) if {
	startswith(action, "ec2:")
	split(resource, ":")[2] == "ec2"
} else := false

# ---------------------------------------------------------------------------------------------
# Conditions. _condition returns {"state": "true"|"false"|"unknown", "reason": string}.

_negated := {
	"stringnotequals": "stringequals",
	"stringnotequalsignorecase": "stringequalsignorecase",
	"stringnotlike": "stringlike",
	"arnnotequals": "arnequals",
	"arnnotlike": "arnlike",
	"numericnotequals": "numericequals",
	"datenotequals": "dateequals",
	"notipaddress": "ipaddress",
}

_positive := {
	"stringequals", "stringequalsignorecase", "stringlike",
	"arnequals", "arnlike", "bool",
	"numericequals", "numericlessthan", "numericlessthanequals", "numericgreaterthan", "numericgreaterthanequals",
	"dateequals", "datelessthan", "datelessthanequals", "dategreaterthan", "dategreaterthanequals",
	"ipaddress",
}

_supported(base) if base in _positive

_supported(base) if _negated[base]

_supported("null")

# subs are the condition's values with policy variables substituted (_substitute results). One else
# chain: the order of the checks is the decision.
# regal ignore:rule-length
_condition(c, subs, ctx) := {"state": "unknown", "reason": sprintf("unsupported condition operator %s", [_operator(c)])} if {
	not _supported(_base(c))
} else := _present_open_condition(c, subs) if {
	_present_open(ctx, lower(c.key))
	not _lookup(ctx, lower(c.key))
} else := {"state": "unknown", "reason": sprintf("condition key %s is not modelled by the request", [key_name(c.key)])} if {
	not _modelled(ctx, lower(c.key))
} else := {"state": "unknown", "reason": sprintf(
	"%s %s uses a policy variable the request does not define (%s)",
	[_operator(c), key_name(c.key), concat(", ", _variables_in(c.values))],
)} if {
	_some_state(subs, "unknown")
} else := {"state": "unknown", "reason": sprintf(
	"%s %s uses a policy variable that has no value here (%s): with a negated operator the verdict is open",
	[_operator(c), key_name(c.key), concat(", ", _variables_in(c.values))],
)} if {
	# 4.3: a value whose variable is absent matches nothing; under a negated operator that is open.
	_negated[_base(c)]
	_some_state(subs, "absent")
} else := {"state": "unknown", "reason": sprintf(
	"%s %s has a value it cannot read (%s)",
	[_operator(c), key_name(c.key), concat(", ", _unreadable(c, subs))],
)} if {
	# A policy value the operator cannot read (a number out of range, a date that does not exist,
	# a malformed address) makes the condition unknown rather than false: false would silently
	# drop a Deny (failing open), and AWS itself refuses such a policy.
	count(_unreadable(c, subs)) > 0
} else := {"state": "unknown", "reason": sprintf(
	"%s on the multivalued key %s is undefined in AWS: add ForAllValues: (or ForAnyValue:)",
	[_operator(c), key_name(c.key)],
)} if {
	# 4.2: a bare negated operator on a multivalued key is open.
	_bare_multivalued(c, ctx)
	_negated[_base(c)]
} else := {"state": "false", "reason": sprintf(
	"%s on the multivalued key %s never matches: add ForAllValues: (or ForAnyValue:)",
	[_operator(c), key_name(c.key)],
)} if {
	# 4.2: a bare positive operator on a multivalued key does not match, whatever the values.
	_bare_multivalued(c, ctx)
	_base(c) != "null"
} else := {"state": state, "reason": _reason(c, ctx, pvs, state)} if {
	pvs := [s | some s in subs; s.state == "ok"]
	state := _holds_state(c, ctx, pvs)
}

# A key the request holds with a value karpgate does not know: only Null is decided.
_present_open_condition(c, subs) := {"state": state, "reason": _present_reason(c, state)} if {
	_base(c) == "null"
	state := _null_present_state(subs)
} else := {"state": "unknown", "reason": sprintf("condition key %s has a value karpgate does not know", [key_name(c.key)])}

_null_present_state(subs) := "true" if {
	some s in subs
	lower(s.literal) == "false"
} else := "false"

_present_reason(_, "true") := ""

_present_reason(c, "false") := sprintf("Null %s does not hold (the request has %s)", [key_name(c.key), key_name(c.key)])

_multivalued_keys contains lower(k) if {
	some k in data.karpgate.iam.multivalued_keys
}

_bare_multivalued(c, ctx) if {
	object.get(c, "set", "") == ""
	_multivalued_keys[lower(c.key)]
	_lookup(ctx, lower(c.key))
}

_unreadable(c, subs) := [s.literal |
	some s in subs
	s.state == "ok"
	not _readable(_base(c), s.literal)
]

_readable(base, lit) if {
	startswith(base, "numeric")
	_number(lit)
}

_readable(base, lit) if {
	startswith(base, "date")
	_date(lit)
}

_readable(base, lit) if {
	base in {"ipaddress", "notipaddress"}
	net.cidr_is_valid(_cidr(trim_space(lit)))
}

_readable(base, _) if {
	not startswith(base, "numeric")
	not startswith(base, "date")
	not base in {"ipaddress", "notipaddress"}
}

# Condition values without policy variables are substituted once, by compile.
# 4.3: policy variables in condition values only under String and Arn operators.
_condition_values(s, j, c, ctx, vars) := s.compiled.condition_values[j] if {
	s.compiled.condition_values[j] != null
} else := [_substitute(v, ctx, vars) | some v in c.values] if {
	_variable_operator(c)
} else := [{"state": "ok", "literal": v, "glob": _glob_escape(v)} | some v in c.values]

_variable_operator(c) if startswith(_base(c), "string")

_variable_operator(c) if startswith(_base(c), "arn")

_static_values_at(s, j) if s.compiled.condition_values[j] != null

_static_values(s, c) := [{"state": "ok", "literal": v, "glob": _glob_escape(v)} | some v in c.values] if {
	not _any_variables(s, c.values)
} else := [{"state": "ok", "literal": v, "glob": _glob_escape(v)} | some v in c.values] if {
	not _variable_operator(c)
} else := null

_base(c) := lower(object.get(c, "base", ""))

_operator(c) := object.get(c, "operator", _base(c))

_holds_state(c, ctx, pvs) := "true" if _holds(c, ctx, pvs)

_holds_state(c, ctx, pvs) := "false" if not _holds(c, ctx, pvs)

# Null tests presence: "true" matches an absent key, "false" a present one.
_holds(c, ctx, pvs) if {
	_base(c) == "null"
	some pv in pvs
	_null_matches(lower(pv.literal), ctx, lower(c.key))
}

# Key absent: ...IfExists and ForAllValues are true, ForAnyValue false, negated operators true,
# every other operator false.
_holds(c, ctx, _) if {
	_base(c) != "null"
	not _lookup(ctx, lower(c.key))
	_absent_holds(c)
}

# Key present.
_holds(c, ctx, pvs) if {
	_base(c) != "null"
	values := _lookup(ctx, lower(c.key))
	_set_holds(object.get(c, "set", ""), _base(c), pvs, values)
}

_null_matches("true", ctx, key) if not _lookup(ctx, key)

_null_matches("false", ctx, key) if _lookup(ctx, key)

_absent_holds(c) if object.get(c, "if_exists", false) == true

_absent_holds(c) if object.get(c, "set", "") == "forallvalues"

_absent_holds(c) if {
	object.get(c, "set", "") != "foranyvalue"
	_negated[_base(c)]
}

_set_holds("forallvalues", base, pvs, values) if {
	every v in values {
		_value_holds(base, pvs, v)
	}
}

_set_holds("foranyvalue", base, pvs, values) if {
	some v in values
	_value_holds(base, pvs, v)
}

# Without a set operator a positive operator holds when a context value matches one of the policy
# values (OR); a negated one when no context value matches any of them (NOR).
_set_holds("", base, pvs, values) if {
	not _negated[base]
	some v in values
	_value_holds(base, pvs, v)
}

_set_holds("", base, pvs, values) if {
	_negated[base]
	every v in values {
		_value_holds(base, pvs, v)
	}
}

_value_holds(base, pvs, v) if {
	not _negated[base]
	some pv in pvs
	_compare(base, pv, v)
}

_value_holds(base, pvs, v) if {
	positive := _negated[base]
	not _any_compare(positive, pvs, v)
}

_any_compare(base, pvs, v) if {
	some pv in pvs
	_compare(base, pv, v)
}

_compare("stringequals", pv, v) if pv.literal == v

_compare("stringequalsignorecase", pv, v) if lower(pv.literal) == lower(v)

_compare("stringlike", pv, v) if glob.match(pv.glob, null, v)

_compare("bool", pv, v) if lower(pv.literal) == lower(v)

# ArnEquals and ArnLike both match each of the six colon-separated parts with * and ?.
_compare("arnequals", pv, v) if _arn_like(pv.glob, v)

_compare("arnlike", pv, v) if _arn_like(pv.glob, v)

_compare("numericequals", pv, v) if _number(pv.literal) == _number(v)

_compare("numericlessthan", pv, v) if _number(v) < _number(pv.literal)

_compare("numericlessthanequals", pv, v) if _number(v) <= _number(pv.literal)

_compare("numericgreaterthan", pv, v) if _number(v) > _number(pv.literal)

_compare("numericgreaterthanequals", pv, v) if _number(v) >= _number(pv.literal)

_compare("dateequals", pv, v) if _date(pv.literal) == _date(v)

_compare("datelessthan", pv, v) if _date(v) < _date(pv.literal)

_compare("datelessthanequals", pv, v) if _date(v) <= _date(pv.literal)

_compare("dategreaterthan", pv, v) if _date(v) > _date(pv.literal)

_compare("dategreaterthanequals", pv, v) if _date(v) >= _date(pv.literal)

_compare("ipaddress", pv, v) if _ip_in(pv.literal, v)

_arn_like(pattern, arn) if {
	pp := _arn_parts(pattern)
	ap := _arn_parts(arn)
	every j in numbers.range(0, 5) {
		glob.match(pp[j], null, ap[j])
	}
}

_arn_parts(s) := array.concat(array.slice(parts, 0, 5), [concat(":", array.slice(parts, 5, count(parts)))]) if {
	parts := split(s, ":")
	count(parts) >= 6
}

# Numbers are read only when a float64 surely holds them (to_number fails on 1e999); anything
# else is unreadable (see _unreadable).
_number(s) := to_number(trim_space(s)) if regex.match(`^\s*[-+]?([0-9]{1,100}\.?[0-9]{0,100}|\.[0-9]{1,100})([eE][-+]?[0-9]{1,2})?\s*$`, s)

# Dates (4.6): every W3C ISO 8601 form (YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mmTZD,
# ...:ssTZD, ...:ss.sTZD; missing parts are the earliest; date-only forms are UTC) or epoch
# seconds. Only dates that exist reach the time builtins (they fail on month 13 or February 30).
_date(s) := to_number(trim_space(s)) * 1000000000 if {
	regex.match(`^\s*[0-9]{1,12}\s*$`, s)
	count(trim_space(s)) != 4
}

_date(s) := time.parse_rfc3339_ns(_rfc3339(t)) if {
	t := trim_space(s)
	regex.match(`^[0-9]{4}(-[0-9]{2}(-[0-9]{2}([Tt]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?([Zz]|[-+]([01][0-9]|2[0-3]):[0-5][0-9]))?)?)?$`, t)
	_real_day(substring(_rfc3339(t), 0, 10))
}

# _rfc3339 completes a W3C date to YYYY-MM-DDThh:mm:ss[.s]TZD.
_rfc3339(t) := concat("", [t, "-01-01T00:00:00Z"]) if count(t) == 4

_rfc3339(t) := concat("", [t, "-01T00:00:00Z"]) if count(t) == 7

_rfc3339(t) := concat("", [t, "T00:00:00Z"]) if count(t) == 10

# hh:mm without seconds: insert ":00" before the zone designator.
_rfc3339(t) := concat("", [substring(t, 0, 16), ":00", substring(t, 16, -1)]) if {
	count(t) > 10
	not regex.match(`^.{16}:`, t)
}

_rfc3339(t) := t if {
	count(t) > 10
	regex.match(`^.{16}:`, t)
}

_real_day(ymd) if {
	y := to_number(substring(ymd, 0, 4))
	m := to_number(substring(ymd, 5, 2))
	m >= 1
	m <= 12
	d := to_number(substring(ymd, 8, 2))
	d >= 1
	d <= _days_in_month(y, m)
}

_days_in_month(_, m) := 31 if m in {1, 3, 5, 7, 8, 10, 12}

_days_in_month(_, m) := 30 if m in {4, 6, 9, 11}

_days_in_month(y, 2) := 29 if {
	y % 4 == 0
	not _century_not_leap(y)
}

_days_in_month(y, 2) := 28 if {
	not y % 4 == 0
} else := 28 if _century_not_leap(y)

_century_not_leap(y) if {
	y % 100 == 0
	not y % 400 == 0
}

_ip_in(cidr, ip) if {
	block := _cidr(trim_space(cidr))
	net.cidr_is_valid(block)
	net.cidr_is_valid(_cidr(trim_space(ip)))
	net.cidr_contains(block, trim_space(ip))
}

_cidr(s) := s if contains(s, "/")

_cidr(s) := concat("", [s, "/128"]) if {
	not contains(s, "/")
	contains(s, ":")
}

_cidr(s) := concat("", [s, "/32"]) if {
	not contains(s, "/")
	not contains(s, ":")
}

# ---------------------------------------------------------------------------------------------
# Reasons, in words a user can act on.

# key_name restores the usual spelling of a lower-cased condition key (the tag-key part stays as
# the policy wrote it after lower-casing).
key_name(key) := _key_spelling[lower(key)]

key_name(key) := concat("", [_prefix_spelling[prefix], substring(key, count(prefix), -1)]) if {
	not _key_spelling[lower(key)]
	some prefix in _modelled_prefixes
	startswith(lower(key), prefix)
}

key_name(key) := key if {
	not _key_spelling[lower(key)]
	not _has_modelled_prefix(lower(key))
}

_has_modelled_prefix(key) if {
	some prefix in _modelled_prefixes
	startswith(key, prefix)
}

_key_spelling := {
	"aws:requestedregion": "aws:RequestedRegion",
	"aws:tagkeys": "aws:TagKeys",
	"ec2:createaction": "ec2:CreateAction",
	"iam:passedtoservice": "iam:PassedToService",
	"aws:sourceip": "aws:SourceIp",
	"aws:sourcevpc": "aws:SourceVpc",
	"aws:sourcevpce": "aws:SourceVpce",
	"aws:sourcearn": "aws:SourceArn",
	"aws:sourceaccount": "aws:SourceAccount",
	"aws:securetransport": "aws:SecureTransport",
	"aws:multifactorauthpresent": "aws:MultiFactorAuthPresent",
	"aws:currenttime": "aws:CurrentTime",
	"aws:principalarn": "aws:PrincipalArn",
	"aws:principalaccount": "aws:PrincipalAccount",
	"aws:principalorgid": "aws:PrincipalOrgID",
	"aws:calledvia": "aws:CalledVia",
	"aws:viaawsservice": "aws:ViaAWSService",
}

_prefix_spelling := {
	"aws:requesttag/": "aws:RequestTag/",
	"aws:resourcetag/": "aws:ResourceTag/",
	"ec2:resourcetag/": "ec2:ResourceTag/",
}

_list(values) := concat("", ["[", concat(", ", values), "]"])

_reason(_, _, _, "true") := ""

_reason(c, ctx, pvs, "false") := sprintf("%s limited to %s by %s (the request also has %s)", [
	key_name(c.key), _list(c.values), _operator(c),
	concat(", ", _extra_values(c, ctx, pvs)),
]) if {
	_special_reason(c, ctx, pvs) == "set"
}

_reason(c, ctx, pvs, "false") := sprintf("ec2:CreateAction limits it to creation (%s)", [concat(", ", c.values)]) if {
	_special_reason(c, ctx, pvs) == "creation"
}

_reason(c, ctx, pvs, "false") := sprintf("region %s only (%s aws:RequestedRegion)", [concat(", ", c.values), _operator(c)]) if {
	_special_reason(c, ctx, pvs) == "region"
}

_reason(c, ctx, pvs, "false") := sprintf("%s %s %s does not hold (the request has %s = %s)", [
	_operator(c), key_name(c.key), _list(c.values),
	key_name(c.key), _list(values),
]) if {
	not _special_reason(c, ctx, pvs)
	values := _lookup(ctx, lower(c.key))
}

_reason(c, ctx, pvs, "false") := sprintf("%s %s %s does not hold (the request has no %s)", [
	_operator(c), key_name(c.key), _list(c.values), key_name(c.key),
]) if {
	not _special_reason(c, ctx, pvs)
	not _lookup(ctx, lower(c.key))
}

# _special_reason names the reasons that get their own wording; the order matters only for
# messages (a ForAllValues failure first, then creation-only, then a region).
_special_reason(c, ctx, pvs) := "set" if {
	object.get(c, "set", "") == "forallvalues"
	count(_extra_values(c, ctx, pvs)) > 0
} else := "creation" if {
	lower(c.key) == "ec2:createaction"
	not _lookup(ctx, "ec2:createaction")
} else := "region" if {
	lower(c.key) == "aws:requestedregion"
	not _negated[_base(c)]
	_lookup(ctx, "aws:requestedregion")
}

_extra_values(c, ctx, pvs) := [v |
	some v in _lookup(ctx, lower(c.key))
	not _value_holds(_base(c), pvs, v)
]
