# METADATA
# title: Condition keys every Karpenter request has
# description: |
#   The keys of RULES.md 4.5 whose value does not depend on the request template: the one place
#   that supplies them. lib/requests merges them into every Karpenter request and KARP005 into
#   every config request; a template's own context wins over them (aws:ViaAWSService is true in
#   the KMS calls EC2 makes for Karpenter). The keys the evaluator takes as absent unless a request
#   sets them (aws:SourceArn, aws:CalledVia, aws:username, ...) are listed in lib/iam.
package karpgate.lib.keys

# constant is the lower-cased context (values as lists) of 4.5 for a request of action made by
# the Karpenter role with parameters p ({"R": region, "A": account, "ARN": role ARN, "NET": config's
# karpenter.network}; a missing or empty parameter leaves the keys that derive from it open).
constant(action, p) := object.union(object.union(object.union(_always, _ec2(lower(action), p)), _principal(p)), _network(p))

# present lists the keys a role session always has whose value karpgate does not know: Null is
# decided on them, every other operator is open (iam: request.present).
present := ["aws:userid", "aws:tokenissuetime"]

# Calls over HTTPS from the controller itself, with the temporary credentials of a role session
# (aws:MultiFactorAuthPresent is in the context of every request signed with temporary
# credentials, false without MFA).
_always := {
	"aws:securetransport": ["true"],
	"aws:viaawsservice": ["false"],
	"aws:principaltype": ["AssumedRole"],
	"aws:principalisawsservice": ["false"],
	"aws:multifactorauthpresent": ["false"],
}

_ec2(action, p) := {"ec2:region": [p.R]} if {
	startswith(action, "ec2:")
	_set(p, "R")
} else := {}

_principal(p) := object.union(_account(p), _arn(p))

_account(p) := {"aws:principalaccount": [p.A]} if _set(p, "A")

else := {}

_arn(p) := {"aws:principalarn": [p.ARN]} if _set(p, "ARN")

else := {}

_set(p, k) if {
	is_string(p[k])
	p[k] != ""
}

# The network keys config sets (karpenter.network, in p.NET); an unset one stays open.
_network(p) := {key: [p.NET[field]] |
	some field, key in {"source_ip": "aws:sourceip", "vpc_source_ip": "aws:vpcsourceip", "source_vpc": "aws:sourcevpc", "source_vpce": "aws:sourcevpce"}
	is_string(p.NET[field])
	p.NET[field] != ""
} if is_object(p.NET)

else := {}
