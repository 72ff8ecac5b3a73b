package main

# A well-behaved policy: the plan has resource changes.
warn contains msg if {
	count(input.plan.resource_changes) > 0
	msg := "the plan changes resources"
}
