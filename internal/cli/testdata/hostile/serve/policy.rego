package main

# Harmless for every plan but one with a module.karpenter resource, where one call allocates
# about a terabyte.
deny contains msg if {
	some rc in input.resource_changes
	startswith(rc.address, "module.karpenter.")
	x := bits.lsh(1, 10000000000000)
	msg := sprintf("%d", [x])
}
