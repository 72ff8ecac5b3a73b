package acme.broken_test

test_broken if {
	undefined_function(1)
}
