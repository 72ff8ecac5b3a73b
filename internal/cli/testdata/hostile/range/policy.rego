package main

# One call builds an array of a billion numbers.
deny contains msg if {
	x := numbers.range(1, 1000000000 + count(input))
	msg := sprintf("%d numbers", [count(x)])
}
