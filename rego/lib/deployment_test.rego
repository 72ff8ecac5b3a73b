package karpgate.lib.deployment_test

import data.karpgate.lib.deployment
import data.karpgate.lib.fixtures_test as fx
import data.karpgate.lib.upstream_test as up

_features(overrides) := object.union(
	{name: {"state": "default", "source": "chart default"} | some name, _ in data.karpgate.karpenter.requests.features},
	object.union(
		{name: {"state": "on", "source": "test"} | some name in ["spot", "nodeclass_role", "alias_ami", "al2023", "interruption_queue"]},
		overrides,
	),
)

_dep(version, from) := {
	"version": {"state": "known", "version": concat("", [version, ".0"]), "minor": version, "source": "test"},
	"upgrade_from": from,
	"features": _features({}),
}

_none := {"state": "none", "version": "", "minor": "", "source": "created in this plan"}

_input(docs, dep) := {"iam": {
	"roles": [object.union(fx.role([fx.known(sprintf("aws_iam_policy.p%d", [i]), d) | some i, d in docs]), {"deployment": dep})],
	"karpenter_roles": 1,
	"node_roles": [],
}}

_expected_line(v) := "works with v0.32; v0.33+ breaks launch" if {
	v == "0.32"
} else := "works with v0.33-v0.37; v1.0+ breaks tagging" if {
	deployment.num(v) < 1000
} else := "works with v1.0+; v0.32-v0.37 break launch"

# The compatibility line of the upstream policy of every minor version, deployed as that version
# (created in the plan, EC2NodeClass with spec.role and an AL2023 alias, spot, interruption queue):
# one test per version, so that each stays within the test time limit.
_compat_line(v) := l if {
	l := deployment.compatibility[fx.role_address].line with input as _input(up.documents[up.by_version[v]], _dep(v, _none))
}

test_every_version_has_a_compatibility_test if {
	count(up.by_version) == count(deployment.versions)
}

test_compatibility_line_upstream_v0_32 if _compat_line("0.32") == _expected_line("0.32")

test_compatibility_line_upstream_v0_33 if _compat_line("0.33") == _expected_line("0.33")

test_compatibility_line_upstream_v0_34 if _compat_line("0.34") == _expected_line("0.34")

test_compatibility_line_upstream_v0_35 if _compat_line("0.35") == _expected_line("0.35")

test_compatibility_line_upstream_v0_36 if _compat_line("0.36") == _expected_line("0.36")

test_compatibility_line_upstream_v0_37 if _compat_line("0.37") == _expected_line("0.37")

test_compatibility_line_upstream_v1_0 if _compat_line("1.0") == _expected_line("1.0")

test_compatibility_line_upstream_v1_1 if _compat_line("1.1") == _expected_line("1.1")

test_compatibility_line_upstream_v1_2 if _compat_line("1.2") == _expected_line("1.2")

test_compatibility_line_upstream_v1_3 if _compat_line("1.3") == _expected_line("1.3")

test_compatibility_line_upstream_v1_4 if _compat_line("1.4") == _expected_line("1.4")

test_compatibility_line_upstream_v1_5 if _compat_line("1.5") == _expected_line("1.5")

test_compatibility_line_upstream_v1_6 if _compat_line("1.6") == _expected_line("1.6")

test_compatibility_line_upstream_v1_7 if _compat_line("1.7") == _expected_line("1.7")

test_compatibility_line_upstream_v1_8 if _compat_line("1.8") == _expected_line("1.8")

test_compatibility_line_upstream_v1_9 if _compat_line("1.9") == _expected_line("1.9")

test_compatibility_line_upstream_v1_10 if _compat_line("1.10") == _expected_line("1.10")

test_compatibility_line_upstream_v1_11 if _compat_line("1.11") == _expected_line("1.11")

test_compatibility_line_upstream_v1_12 if _compat_line("1.12") == _expected_line("1.12")

test_compatibility_line_upstream_v1_13 if _compat_line("1.13") == _expected_line("1.13")

test_compatibility_line_upstream_v1_14 if _compat_line("1.14") == _expected_line("1.14")

test_compatibility_groups_versions_and_ranges if {
	c := deployment.compatibility[fx.role_address] with input as _input(up.documents[1], _dep("0.37", _none))
	c.works == ["v0.33-v0.37"]
	[b | some b in c.breaks; b.version == "1.0"] == [{"version": "1.0", "why": "tagging"}]
	[b.version | some b in c.breaks] == ["0.32", "1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10", "1.11", "1.12", "1.13", "1.14"]
}

test_version_ranges if {
	deployment.in_range("*", "0.32")
	deployment.in_range("1.3+", "1.12")
	not deployment.in_range("1.3+", "1.2")
	deployment.in_range("0.33-1.3", "1.0")
	not deployment.in_range("0.33-1.3", "1.4")
	deployment.in_range("1.0", "1.0")
	not deployment.in_range("1.0", "1.1")
}

test_impact_per_version if {
	[t] := [t | some t in deployment.templates; t.id == "sqs-getqueueurl"]
	deployment.impact(t, "0.32") == "degraded"
	deployment.impact(t, "0.33") == "start"
	deployment.impact(t, "1.3") == "start"
	deployment.impact(t, "1.4") == "degraded"
}

test_unknown_version_uses_v1_set_at_least_severe_impact if {
	dep := {"features": _features({})}
	rows := deployment.requested_unknown(fx.role(fx.known("p", fx.upstream_v1))) with input as _input([fx.upstream_v1], dep)
	[q] := [r | some r in rows; r.t.id == "sqs-getqueueurl"]
	q.impact == "degraded"
	[d] := [r | some r in rows; r.t.id == "describeinstancetypeofferings"]
	d.impact == "launch"
	d.applies == "yes"
	[s] := [r | some r in rows; r.t.id == "describeinstancestatus"]
	s.applies == "assumed"
	count([r | some r in rows; endswith(r.t.id, "-v0")]) == 0
	count([r | some r in rows; r.t.id == "tag-instance-pre-v1"]) == 1
}

test_chart_default_reserved_capacity if {
	dep := object.union(_dep("1.6", _none), {"features": _features({"capacity_reservations": {"state": "on", "source": "test"}})})
	inp := _input([fx.upstream_v1], dep)
	pv := deployment.per_version[fx.role_address] with input as inp
	count([r | some r in pv["1.6"]; r.t.id == "describecapacityreservations"]) == 1
	count([r | some r in pv["1.5"]; r.t.id == "describecapacityreservations"]) == 0
}

test_pricing_and_partition_parameters if {
	[p] := data.karpgate.lib.requests.params({"region": "cn-northwest-1", "partition": "aws-cn", "account": "123456789012", "cluster": "ex"})
	p.IAMR == "cn-north-1"
	p.EC2P == "ec2.amazonaws.com.cn"
	p.PRICINGR == "cn-northwest-1"
	[q] := data.karpgate.lib.requests.params({"region": "ap-southeast-2", "partition": "aws", "account": "123456789012", "cluster": "ex"})
	q.PRICINGR == "ap-south-1"
	q.IAMR == "us-east-1"
}

# RULES.md 5.5 and 4.7: with no node role in the plan, a policy that allows PassRole only on a
# named role is open (the node role could be another), one without PassRole is refused.
_unknown_node_role(docs) := v if {
	v := deployment.assessed[fx.role_address].verdicts["iam-passrole-node-role"] with input as _unknown_node_role_input(docs)
}

_unknown_node_role_input(docs) := {"iam": {
	"roles": [object.union(
		fx.role([fx.known(sprintf("aws_iam_policy.p%d", [i]), d) | some i, d in docs]),
		{
			"deployment": _dep("1.0", _none),
			"context": object.union(
				fx.context,
				{
					"account": "",
					"accounts": ["123456789012", "999999999999"],
					"node_role_unknown": true,
					"node_role_arns": [fx.node_role_arn, "arn:aws:iam::{A}:role/karpgate-unnamed-node-role"],
				},
			),
		},
	)],
	"karpenter_roles": 1, "node_roles": [],
}}

test_unknown_node_role_named_in_passrole_is_open if {
	v := _unknown_node_role(up.documents[up.by_version["1.0"]])
	v.state == "open"
}
