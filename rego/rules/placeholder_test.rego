package karpgate.rules.placeholder_test

test_placeholder := true
