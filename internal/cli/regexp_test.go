package cli

import "regexp"

// regexpFailures is Atlantis's failure pattern for custom policy check output.
var regexpFailures = regexp.MustCompile(`([1-9][0-9]* failure|failures": \[)`)
