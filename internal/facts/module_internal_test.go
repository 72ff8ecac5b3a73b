package facts

import "testing"

func TestGenerationOfAVersionConstraint(t *testing.T) {
	for in, want := range map[string]string{
		"20.24.0":         GenV2024,
		"~> 20.24":        GenV2024,
		"~> 20.0":         GenV20,
		">= 20.8, < 21.0": GenV20,
		"19.21.0":         GenV19,
		"~> 21.3":         GenV21,
		"18.0.0":          "",
		"":                "",
	} {
		if got := generationOf(in); got != want {
			t.Errorf("generationOf(%q) = %q, want %q", in, got, want)
		}
	}
}
