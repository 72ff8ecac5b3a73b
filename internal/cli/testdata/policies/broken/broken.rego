package main

deny contains msg if {
	msg := sprintf("broken %v", [undefined_thing])
}
