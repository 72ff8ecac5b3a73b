package main

# Printing a number of a billion bits in base 10.
deny contains msg if {
	x := bits.lsh(1, 1000000000 + count(input))
	msg := format_int(x, 10)
}
