package main

# A well-behaved conftest policy (input is the plan): the plan has resource changes.
warn contains msg if {
	count(input.resource_changes) > 0
	msg := "the plan changes resources"
}
