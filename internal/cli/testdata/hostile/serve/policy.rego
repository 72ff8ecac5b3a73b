package main

# Harmless for every run but run-bad, where one call allocates about a terabyte.
deny contains msg if {
	input.run.run_id == "run-bad"
	x := bits.lsh(1, 10000000000000)
	msg := sprintf("%d", [x])
}
