package lib.tf

changes_of_type(t) = [rc | rc := input.resource_changes[_]; rc.type == t]

changes_of_prefix(p) = [rc | rc := input.resource_changes[_]; startswith(rc.type, p)]

creates_or_updates(rc) {
	rc.change.actions[_] == "create"
}

creates_or_updates(rc) {
	rc.change.actions[_] == "update"
}
