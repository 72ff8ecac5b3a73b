package karpgate.lib.placeholder

placeholder := true
