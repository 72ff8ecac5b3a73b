# METADATA
# title: Karpenter as deployed
# description: |
#   Which requests the deployed Karpenter makes (RULES.md section 5): the versioned request data
#   (data.karpgate.karpenter.requests) filtered by the role's version V, the version it upgrades
#   from (V0) and its features, each request evaluated once per role whatever the number of
#   versions judged. rules KARP001, KARP003, KARP004 and KARP006 and the compatibility line read
#   assessed[role address]; nothing here reads input except through karpenter.roles.
package karpgate.lib.deployment

import data.karpgate.lib.karpenter
import data.karpgate.lib.layers
import data.karpgate.lib.requests

_data := data.karpgate.karpenter.requests

# versions lists the minor versions in data, oldest first ("0.32" ... "1.14").
versions := _data.versions

latest := versions[count(versions) - 1]

_v1 := 1000

# num orders minor versions: "1.12" is 1012, "0.37" is 37.
num(minor) := (to_number(p[0]) * 1000) + to_number(p[1]) if {
	p := split(minor, ".")
	count(p) >= 2
}

# in_range tells whether a minor version is in a range of the data: "*", "1.3+", "0.33-1.3", "1.0".
in_range("*", _)

in_range(r, m) if {
	endswith(r, "+")
	num(m) >= num(trim_suffix(r, "+"))
}

in_range(r, m) if {
	contains(r, "-")
	[lo, hi] := split(r, "-")
	num(m) >= num(lo)
	num(m) <= num(hi)
}

in_range(r, m) if {
	r != "*"
	not endswith(r, "+")
	not contains(r, "-")
	num(r) == num(m)
}

# impact is what fails when AWS refuses the request in version m (precomputed in "minors" for the
# embedded requests; user requests say it once for every version).
impact(t, m) := t.minors[m] if {
	t.minors
} else := [x.impact | some x in object.get(t, "impact_in", []); in_range(x.versions, m)][0] if {
	some x in object.get(t, "impact_in", [])
	in_range(x.versions, m)
} else := object.get(t, "impact", "degraded")

# requested_in tells whether template t is requested in version m, whatever its features.
requested_in(t, m) if t.minors[m]

requested_in(t, m) if {
	not t.minors
	in_range(object.get(t, "versions", "*"), m)
}

_severity := {"degraded": 0, "tagging": 1, "termination": 2, "launch": 3, "start": 4}

# templates are the versioned requests plus the user's (data.karpgate.user.requests.calls, which
# apply to every version and are degraded unless they say otherwise).
templates := array.concat(requests.call_templates_versioned, requests.tagging_templates)

# ---------------------------------------------------------------------------------------------
# The deployment of a role, as internal/facts reports it (docs/input.md "deployment").

_deployment_of(role) := d if {
	d := object.get(role, "deployment", null)
	is_object(d)
} else := {}

_fact(role, name) := f if {
	f := object.get(_deployment_of(role), name, null)
	is_object(f)
} else := {"state": "unknown", "source": ""}

# version is V: {"state": "known"|"unknown", "version", "minor", "source"}; a version outside the
# data is judged as the nearest version in data.
version(role) := object.union(f, {"minor": _clamp(f.minor)}) if {
	f := _fact(role, "version")
	f.state == "known"
	num(f.minor)
} else := {"state": "unknown", "version": "", "minor": "", "source": _fact(role, "version").source}

# upgrade_from is V0: state "known", "none" (created in this plan, or upgrade_from: none) or
# "unknown".
upgrade_from(role) := object.union(f, {"minor": _clamp(f.minor)}) if {
	f := _fact(role, "upgrade_from")
	f.state == "known"
	num(f.minor)
} else := f if {
	f := _fact(role, "upgrade_from")
	f.state == "none"
} else := {"state": "unknown", "version": "", "minor": "", "source": _fact(role, "upgrade_from").source}

_clamp(m) := versions[0] if {
	num(m) < num(versions[0])
} else := latest if {
	num(m) > num(latest)
} else := m

# describe_version names a version and its source for messages: "Karpenter 1.12.0 (chart version
# of helm_release.karpenter)".
describe_version(v) := sprintf("Karpenter %s (%s)", [v.version, v.source]) if {
	v.state == "known"
	v.source != ""
} else := sprintf("Karpenter %s", [v.version]) if {
	v.state == "known"
} else := sprintf("any Karpenter version v1.0-v%s (the version is unknown: set karpenter.version or --karpenter-version)", [latest])

# ---------------------------------------------------------------------------------------------
# Features: on, off or unknown for version m with pre-v1 instances (pre) or not.

_feature(role, name) := f if {
	f := object.get(object.get(_deployment_of(role), "features", {}), name, null)
	is_object(f)
} else := {"state": "unknown", "source": ""}

_chart_default(name, m) := [d.state | some d in object.get(_data.features[name], "defaults", []); in_range(d.versions, m)][0] if {
	some d in object.get(_data.features[name], "defaults", [])
	in_range(d.versions, m)
} else := "off"

_state(_, "pre_v1_instances", _, true) := "on"

_state(_, "pre_v1_instances", _, false) := "off"

_state(role, name, m, _) := s if {
	name != "pre_v1_instances"
	f := _feature(role, name)
	s := _known_state(f.state, name, m)
}

_known_state("default", name, m) := _chart_default(name, m)

_known_state(s, _, _) := s if s in {"on", "off", "unknown"}

_common(role, name, m) := _chart_default(name, m) if {
	_data.features[name].common == "default"
} else := "on" if {
	_data.features[name].common == "queue"
	count(object.get(karpenter.role_context(role), "queue_arns", [])) > 0
} else := "off" if {
	_data.features[name].common == "queue"
} else := _data.features[name].common

# states holds, for version m, each feature's state and common form.
states(role, m, pre) := {name: {"state": _state(role, name, m, pre), "common": _common(role, name, m)} |
	some name, _ in _data.features
}

# _term is "yes", "no" or "assumed" (the feature is unknown and its common form matches).
_term(st, term) := r if {
	neg := startswith(term, "!")
	s := st[trim_prefix(term, "!")]
	r := _term_state(s, neg)
}

_term(st, term) := "assumed" if {
	not st[trim_prefix(term, "!")]
}

_term_state(s, neg) := "yes" if {
	s.state in {"on", "off"}
	s.state == "on" != neg
} else := "no" if {
	s.state in {"on", "off"}
} else := "assumed" if {
	s.common == "on" != neg
} else := "no"

# applies says whether template t is requested by version m with feature states st.
applies(t, m, st) := "no" if {
	not requested_in(t, m)
} else := _feature_applies(t, st)

_feature_applies(t, st) := "yes" if {
	count(object.get(t, "features", [])) == 0
} else := _worst({_term(st, term) | some term in t.features})

_worst(rs) := "no" if {
	"no" in rs
} else := "assumed" if {
	"assumed" in rs
} else := "yes"

# pre_v1 tells whether instances launched before v1.0 may run when version m is judged: V0 before
# v1.0, or unknown; and, when m is later than the deployed V, V before v1.0 (the upgrade from V).
pre_v1(role, m) if {
	_pre_v1(version(role), upgrade_from(role), m)
} else := false

_pre_v1(_, v0, _) if {
	v0.state == "known"
	num(v0.minor) < _v1
}

_pre_v1(_, v0, _) if v0.state == "unknown"

_pre_v1(v, _, m) if {
	v.state == "known"
	num(m) > num(v.minor)
	num(v.minor) < _v1
}

# requested lists the templates version m requests: {t, applies, impact}.
requested(role, m, pre) := [{"t": t, "applies": a, "impact": impact(t, m)} |
	st := states(role, m, pre)
	some t in templates_in[m]
	a := _feature_applies(t, st)
	a != "no"
]

# templates_in lists, by minor version, the templates that version requests whatever their
# features: the embedded ones from their precomputed minors, the user's from their range.
templates_in[m] := array.concat(
	[t | some i in indexes; t := _data.list[i]; _embedded_kept(t)],
	[t | some t in requests.user_templates; requested_in(t, m)],
) if {
	_data.by_minor
	some m in versions
	indexes := _data.by_minor[m]
}

templates_in[m] := [t | some t in templates; requested_in(t, m)] if {
	not _data.by_minor
	some m in versions
}

# With data.karpgate.user.requests.replace_calls the embedded calls give way to the user's; the
# tagging variants stay (KARP001).
_embedded_kept(t) if t.variant

_embedded_kept(t) if {
	not t.variant
	not requests.replace_calls
}

# requested_unknown is the request set when V is unknown: what each version from v1.0 to the latest
# requests, each at its least severe impact; a request that only some of them make, or makes only
# with an unknown feature, is assumed.
requested_unknown(role) := [{"t": t, "applies": a, "impact": imp} |
	by_id := _keyed_by_id[role.address]
	keys := _v1_keys(role)
	some t in templates
	rows := [r | some k in keys; r := by_id[k][t.id]]
	count(rows) > 0
	a := _unknown_applies(rows, count(keys))
	imp := _least([r.impact | some r in rows])
]

_v1_versions := [m | some m in versions; num(m) >= _v1]

# _v1_keys are the request sets of v1.0 to the latest: the distinct (era, pre-v1) keys of _keyed
# (every version of a key requests the same, so each is looked at once).
_v1_keys(role) := {[_era_of[m], pre_v1(role, m)] | some m in _v1_versions}

_keyed_by_id[address] := {k: {r.t.id: r | some r in rows} | some k, rows in keyed} if {
	some address, keyed in _keyed
}

# per_version holds, by role address, what each version in data requests (requested).
# Versions of one era (data "eras": same requests, impacts and chart defaults) that agree on
# pre-v1 instances request the same: each such group is computed once.
per_version[role.address] := {m: by_key[[_era_of[m], pre_v1(role, m)]] | some m in versions} if {
	some role in karpenter.roles
	by_key := _keyed[role.address]
}

# _keyed holds, by role address, the request sets of each era and pre-v1 state.
_keyed[role.address] := {k: requested(role, k[0], k[1]) | some k in keys} if {
	some role in karpenter.roles
	keys := {[_era_of[m], pre_v1(role, m)] | some m in versions}
}

_era_of[m] := era[0] if {
	some era in _eras
	some m in era
}

_eras := object.get(_data, "eras", [[m] | some m in versions])

_unknown_applies(rows, n) := "yes" if {
	count(rows) == n
	every r in rows {
		r.applies == "yes"
	}
} else := "assumed"

_least(impacts) := [i | some i in impacts; _severity[i] == m][0] if {
	m := min([_severity[i] | some i in impacts])
}

# ---------------------------------------------------------------------------------------------
# Evaluation: every template any version requests, once per role.

# assessed holds, by role address: the version judged, each template's verdict and the current
# request set (V's, or the unknown-version set).
assessed[role.address] := {
	"version": v,
	"upgrade_from": upgrade_from(role),
	"current": array.concat(current, _layer_rows(role)),
	"verdicts": verdicts,
} if {
	some role in karpenter.roles
	v := version(role)
	current := _current(role, v)

	# Other versions matter only through breaking (the compatibility line, KARP006): their requests
	# made for certain (no unknown feature) whose refusal is not merely degrading.
	ids := {r.t.id | some rows in _keyed[role.address]; some r in rows; r.applies == "yes"; r.impact != "degraded"} | {r.t.id | some r in current}
	ctx := karpenter.role_context(role)
	checks := requests.bulk_checks([t | some t in templates; t.id in ids], ctx)
	layer_checks := layers.calls(role)

	# Templates often expand to the same request (one call in several versions or for several
	# features): each distinct request is evaluated once.
	distinct := [c | some c in {object.remove(c, ["id", "note"]) | some cs in checks; some c in cs}]
	evals := karpenter.evaluate_all(role, array.concat(distinct, layer_checks))
	by_request := {c.requests: evals[i] | some i, c in array.concat(distinct, layer_checks)}
	verdicts := {id: {"state": _agg(es), "evals": es} |
		some id, cs in object.union(checks, {c.id: [c] | some c in layer_checks})
		es := [object.union(by_request[c.requests], {"check": c}) | some c in cs]
	}
}

# _layer_rows are the requests the role's resource layers add (lib/layers calls: kms:Decrypt of the
# interruption queue's key), degraded in every version.
_layer_rows(role) := [{"t": {"id": c.id, "action": c.action, "lost": "interruption handling is lost"}, "applies": "yes", "impact": "degraded"} |
	some c in layers.calls(role)
]

_current(role, v) := per_version[role.address][v.minor] if v.state == "known"

_current(role, v) := requested_unknown(role) if v.state != "known"

# A template's verdict: refused when one of its checks (one per {EACH} value) is refused and
# decided, open when one is open, allowed when every one is allowed; none without a check (no
# queue known).
_agg(evals) := "none" if {
	count(evals) == 0
} else := "refused" if {
	some e in evals
	e.decision != "allowed"
	not e.open
} else := "open" if {
	some e in evals
	e.open
} else := "allowed"

# failing lists the refused requests of a request set (rows of requested), with their verdicts.
failing(a, rows) := [object.union(r, {"verdict": a.verdicts[r.t.id]}) |
	some r in rows
	a.verdicts[r.t.id].state == "refused"
]

# opened lists the open requests of a request set.
opened(a, rows) := [object.union(r, {"verdict": a.verdicts[r.t.id]}) |
	some r in rows
	a.verdicts[r.t.id].state == "open"
]

# breaks is true when version m, judged for the role, refuses a request it makes with known
# features whose impact is not degraded (KARP001 or KARP003 would fire).
breaking(role, a, m) := [r |
	some r in failing(a, per_version[role.address][m])
	r.applies == "yes"
	r.impact != "degraded"
]

# ---------------------------------------------------------------------------------------------
# The compatibility line (RULES.md section 7): versions in data grouped by identical request sets,
# each group judged once.

compatibility[address] := {
	"role": address,
	"version": a.version.version,
	"version_source": a.version.source,
	"works": _ranges([m | some m in versions; not broken[m]]),
	"breaks": [b |
		some m in versions
		broken[m]
		b := {"version": m, "why": broken[m]}
	],
	"line": _line([m | some m in versions; not broken[m]], broken),
} if {
	some address, a in assessed
	role := karpenter.roles[address]
	sigs := {m: _signature(per_version[address][m]) | some m in versions}
	groups := {sig: ms |
		some m in versions
		sig := sigs[m]
		ms := [m2 | some m2 in versions; sigs[m2] == sig]
	}
	judged := {sig: _break_why(breaking(role, a, ms[0])) | some sig, ms in groups}
	broken := {m: why |
		some sig, ms in groups
		why := judged[sig]
		why != ""
		some m in ms
	}
}

_signature(rows) := sort([[r.t.id, r.applies, r.impact] | some r in rows])

_break_why(rows) := "" if {
	count(rows) == 0
} else := concat(" and ", sort({_impact_word(r.impact) | some r in rows}))

_impact_word("tagging") := "tagging"

_impact_word("launch") := "launch"

_impact_word("start") := "start-up"

_impact_word("termination") := "termination"

# _ranges turns a sorted list of minor versions into ranges of consecutive versions in data.
_ranges(ms) := [_range(run) | some run in _runs(ms)]

_runs(ms) := [[ms[i], ms[j]] |
	some i, _ in ms
	_run_start(ms, i)
	j := _run_end(ms, i)
]

_run_start(_, 0)

_run_start(ms, i) if {
	i > 0
	not _adjacent(ms[i - 1], ms[i])
}

_run_end(ms, i) := max([j |
	some j, _ in ms
	j >= i
	count([k | some k in numbers.range(i, j - 1); not _adjacent(ms[k], ms[k + 1])]) == 0
])

_adjacent(a, b) if {
	some i, m in versions
	m == a
	versions[i + 1] == b
}

_range([a, b]) := sprintf("v%s", [a]) if a == b

_range([a, b]) := sprintf("v%s+", [a]) if {
	a != b
	b == latest
}

_range([a, b]) := sprintf("v%s-v%s", [a, b]) if {
	a != b
	b != latest
}

_line(works, broken) := sprintf("works with %s%s", [concat(", ", _ranges(works)), _first_break(works, broken)]) if {
	count(works) > 0
} else := sprintf("works with no Karpenter version in v%s-v%s%s", [versions[0], latest, _first_break(works, broken)])

_first_break(works, broken) := "" if {
	count(broken) == 0
} else := msg if {
	m := [x | some x in versions; broken[x]; _after_works(x, works)][0]
	msg := sprintf("; v%s%s breaks %s", [m, _plus(m, works), broken[m]])
} else := _older_break(m, broken) if {
	m := [x | some x in versions; broken[x]][0]
}

# _older_break describes the oldest versions that break when no version after a working one
# does: the run of consecutive versions from m that break for the same reason.
_older_break(m, broken) := sprintf("; v%s breaks %s", [m, broken[m]]) if {
	ms := _same_break_run(m, broken)
	count(ms) == 1
} else := sprintf("; v%s-v%s break %s", [m, ms[count(ms) - 1], broken[m]]) if {
	ms := _same_break_run(m, broken)
}

_same_break_run(m, broken) := [versions[k] | some k in numbers.range(i, j)] if {
	some i, x in versions
	x == m
	j := max([j |
		some j, _ in versions
		j >= i
		every k in numbers.range(i, j) {
			broken[versions[k]] == broken[m]
		}
	])
}

_after_works(_, works) if count(works) == 0

_after_works(x, works) if {
	some w in works
	num(w) < num(x)
}

_plus(m, works) := "+" if {
	every w in works {
		num(w) < num(m)
	}
} else := ""

# ---------------------------------------------------------------------------------------------
# Findings' shared parts.

# refused_eval is the first decided refusal among a row's evaluations.
refused_eval(row) := [e | some e in row.verdict.evals; e.decision != "allowed"; not e.open][0]

# call_line is one refused call as Karpenter would log it, with the deciding statement.
call_line(role, row) := sprintf("- %s%s%s", [
	karpenter.refused(role, e),
	_why(e),
	_condition(row),
]) if {
	e := refused_eval(row)
}

_why(e) := sprintf(" (%s)", [layers.explain(e)]) if {
	layers.explain(e) != ""
} else := sprintf(" (denied by %s)", [concat(", ", [karpenter.statement_label(s) | some s in karpenter.denying(e.result)])]) if {
	e.decision == "denied"
} else := sprintf(" (closest: %s: %s)", [karpenter.statement_label(s), concat("; ", karpenter.key_reasons(s.reasons))]) if {
	s := karpenter.closest(e.result)
} else := " (no statement grants it)"

# _condition says what the request needs when it depends on an unknown feature or version.
_condition(row) := sprintf("; only if %s", [concat(" and ", _conditions(row.t))]) if {
	row.applies == "assumed"
} else := sprintf("; %s", [row.t.lost]) if {
	row.impact == "degraded"
	row.t.lost
} else := ""

_conditions(t) := array.concat(
	[_feature_words(term) | some term in object.get(t, "features", [])],
	[sprintf("Karpenter is v%s", [object.get(t, "versions", "*")]) | object.get(t, "versions", "*") != "*"],
)

_feature_words(term) := sprintf("not (%s)", [_data.features[trim_prefix(term, "!")].describe]) if {
	startswith(term, "!")
} else := _data.features[term].describe

# impact_words says what fails: "the controller exits", "no node launches".
impact_words(impact) := _data.impacts[impact]

# open lists, per role and rule, the open requests of the deployed version: KARP001 for tagging
# variants, KARP003 for start, launch and termination requests with known features, KARP004 for
# the others (indeterminate reports them as KARP020).
open contains {
	"rule": rule,
	"role": address,
	"check": sprintf("%d Karpenter requests of %s, such as %s", [
		count(rows), describe_version(a.version),
		concat(", ", [sprintf("%s on %s", [r.verdict.evals[0].request.action, r.verdict.evals[0].request.resource]) | some r in array.slice(rows, 0, 3)]),
	]),
	"causes": [c | some c in {c | some r in rows; some e in r.verdict.evals; some c in e.causes}],
} if {
	some address, a in assessed
	some rule in ["KARP001", "KARP003", "KARP004"]
	rows := [r | some r in opened(a, a.current); rule_of(r) == rule]
	count(rows) > 0
}

# rule_of says which rule reports a refusal of row.
rule_of(row) := "KARP001" if {
	row.t.variant
	row.applies == "yes"
} else := "KARP003" if {
	row.applies == "yes"
	row.impact in {"start", "launch", "termination"}
} else := "KARP004"

# ---------------------------------------------------------------------------------------------
# What was checked, for the reports: by role, the number of requests of the judged version (or of
# the unknown-version set) simulated against the role, the version judged and where it came from,
# and the compatibility line.

checked[address] := {
	"requests": count({r.t.id | some r in a.current}),
	"version": describe_version(a.version),
	"compatibility": object.get(compatibility, [address, "line"], ""),
} if {
	some address, a in assessed
}
