package lib.tf

changes_of_type(t) := [rc | some rc in input.resource_changes; rc.type == t]

changes_of_prefix(p) := [rc | some rc in input.resource_changes; startswith(rc.type, p)]

creates_or_updates(rc) if "create" in rc.change.actions

creates_or_updates(rc) if "update" in rc.change.actions
