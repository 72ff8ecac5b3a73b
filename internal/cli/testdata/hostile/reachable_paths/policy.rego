package main

# Every path through a complete graph of 24 nodes.
deny contains msg if {
	nodes := [sprintf("%d", [i]) | some i in numbers.range(0, 23 + count(input))]
	g := {n: nodes | some n in nodes}
	paths := graph.reachable_paths(g, {"0"})
	msg := sprintf("%d paths", [count(paths)])
}
