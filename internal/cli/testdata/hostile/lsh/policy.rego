package main

# One call allocates about a terabyte.
deny contains msg if {
	x := bits.lsh(1, 10000000000000 + count(input))
	msg := sprintf("%d", [x])
}
