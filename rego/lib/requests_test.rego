package karpgate.lib.requests_test

import data.karpgate.lib.fixtures_test as fx
import data.karpgate.lib.requests

test_tagging_is_t_of_r if {
	check := requests.tagging(fx.context)
	[r] := check.requests
	r.action == "ec2:CreateTags"
	r.resource == "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0"
	r.context["aws:tagkeys"] == ["Name", "karpenter.sh/nodeclaim", "eks:eks-cluster-name"]
	r.context["aws:requesttag/eks:eks-cluster-name"] == ["ex"]
	r.context["aws:resourcetag/kubernetes.io/cluster/ex"] == ["owned"]
	r.context["aws:requestedregion"] == ["eu-west-1"]
}

test_tagging_other_region_uses_r2 if {
	[r] := requests.tagging_other_region(fx.context).requests
	r.resource == "arn:aws:ec2:ap-southeast-4:123456789012:instance/i-0123456789abcdef0"
	r.context["aws:requestedregion"] == ["ap-southeast-4"]
}

test_candidates_cross_product_primary_first if {
	ctx := object.union(fx.context, {"regions": ["eu-west-1", "eu-central-1"], "accounts": ["123456789012", "210987654321"], "partitions": ["aws"]})
	ps := requests.params(ctx)
	count(ps) == 4
	ps[0] == {"R": "eu-west-1", "A": "123456789012", "P": "aws", "C": "ex", "R2": "ap-southeast-4", "IAMR": "us-east-1", "PRICINGR": "eu-central-1", "EC2P": "ec2.amazonaws.com", "PT": null}
}

test_defaults_when_context_is_empty if {
	requests.params({}) == [{"R": "us-east-1", "A": "123456789012", "P": "aws", "C": "cluster", "R2": "ap-southeast-4", "IAMR": "us-east-1", "PRICINGR": "us-east-1", "EC2P": "ec2.amazonaws.com", "PT": null}]
}

test_each_templates_follow_the_context_lists if {
	calls := requests.calls(fx.context)
	pass := [c | some c in calls; c.action == "iam:PassRole"]
	count(pass) == 1
	pass[0].requests[0].resource == fx.node_role_arn
	count([c | some c in calls; startswith(c.action, "sqs:")]) == 3
	none := requests.calls(object.union(fx.context, {"node_role_arns": [], "queue_arns": []}))
	count([c | some c in none; c.action == "iam:PassRole"]) == 0
	count(none) == count(calls) - 4
}

test_user_calls_are_added if {
	extra := {"calls": [{"id": "x", "action": "ec2:DescribeAvailabilityZones", "resource": "*", "context": {"aws:RequestedRegion": "{R}"}}]}
	calls := requests.calls(fx.context) with data.karpgate.user.requests as extra
	some c in calls
	c.id == "x"
	c.requests[0].context["aws:requestedregion"] == ["eu-west-1"]
}

test_fill_replaces_inside_keys_and_values if {
	requests.fill({"a/{C}": ["{R}", "x"]}, {"C": "ex", "R": "eu-west-1"}) == {"a/ex": ["eu-west-1", "x"]}
}

test_evaluate_picks_the_allowed_candidate if {
	statements := data.karpgate.lib.iam.effective_statements([fx.known("p", fx.upstream_v1)])
	ctx := object.union(fx.context, {"region": "us-east-1", "regions": ["us-east-1", "eu-west-1"]})
	v := requests.evaluate(statements, [], requests.tagging(ctx))
	v.decision == "allowed"
	v.request.resource == "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0"
	not v.open
}

# RULES.md 4.5: every Karpenter request carries the constant keys, the template's own win.
test_requests_carry_the_constant_keys if {
	check := requests.tagging(fx.context)
	[r] := check.requests
	r.context["aws:securetransport"] == ["true"]
	r.context["aws:viaawsservice"] == ["false"]
	r.context["aws:principaltype"] == ["AssumedRole"]
	r.context["aws:principalaccount"] == ["123456789012"]
	r.context["ec2:region"] == ["eu-west-1"]
	"aws:userid" in r.present
}

test_ec2_region_only_for_ec2_actions if {
	calls := requests.calls(fx.context)
	some c in calls
	c.action == "iam:PassRole"
	not c.requests[0].context["ec2:region"]
}

# RULES.md 3b.4: the principal tags of the role's sessions are in every request; a key neither the
# session nor the role has is absent, the pod's name is present with an unknown value.
test_principal_tags_in_every_request if {
	pt := {"known": {"eks-cluster-name": "ex", "team": "platform"}, "open": ["kubernetes-pod-name"]}
	p := object.union(requests.params(fx.context)[0], {"PT": pt})
	r := requests.expand({"id": "x", "action": "ec2:DescribeImages", "resource": "*", "context": {}}, p)
	r.context["aws:principaltag/eks-cluster-name"] == ["ex"]
	r.context["aws:principaltag/team"] == ["platform"]
	"aws:principaltag/kubernetes-pod-name" in r.present
	r.modelled == ["aws:principaltag/"]
}

test_principal_tags_unknown_stay_open if {
	r := requests.expand({"id": "x", "action": "ec2:DescribeImages", "resource": "*", "context": {}}, requests.params(fx.context)[0])
	r.modelled == []
	not r.context["aws:principaltag/team"]
}
