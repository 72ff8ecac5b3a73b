package scan

import "testing"

// TestSplitPlansOnlyWithIdleCores: a large plan is read on several cores only when the scan leaves
// some idle (splitting costs CPU that busy cores do not make up for).
func TestSplitPlansOnlyWithIdleCores(t *testing.T) {
	for _, tc := range []struct {
		plans, workers, cores int
		want                  bool
	}{
		{1, 2, 2, true},   // one plan: the other core is idle
		{2, 2, 2, false},  // two plans at once keep both cores busy
		{20, 2, 2, false}, // ScanMany
		{3, 1, 2, true},   // Workers 1: one plan at a time
		{1, 1, 1, false},  // one core
		{3, 4, 8, true},
	} {
		if got := splitPlans(tc.plans, tc.workers, tc.cores); got != tc.want {
			t.Errorf("splitPlans(%d plans, %d workers, %d cores) = %v, want %v", tc.plans, tc.workers, tc.cores, got, tc.want)
		}
	}
}
