# METADATA
# title: IAM quotas of a role
# description: |
#   What IAM counts against a role's quotas (KARP022, KARP023): its managed policies and the size
#   of its inline policies, sizes being characters without white space (docs/input.md "size").
package karpgate.lib.quota

# managed is the set of managed policies attached to the role (in the plan or outside it), by ARN
# when known, else by address.
managed(role) := {_id(p) |
	some p in object.get(role, "policies", [])
	p.kind in {"managed", "external"}
}

_id(p) := p.arn if is_string(object.get(p, "arn", null))

else := p.address

# inline_size is the total size of the role's known inline policies.
inline_size(role) := sum([p.size |
	some p in _inline(role)
	is_number(object.get(p, "size", null))
])

inline_names(role) := sort({sprintf("%s %d", [_label(p), p.size]) |
	some p in _inline(role)
	is_number(object.get(p, "size", null))
})

_inline(role) := [p |
	some p in object.get(role, "policies", [])
	p.kind in {"role_policy", "inline"}
]

_label(p) := sprintf("%s.%s", [p.address, p.attribute])
