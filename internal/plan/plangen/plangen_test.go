package plangen

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/karpgate/karpgate/internal/facts"
	"github.com/karpgate/karpgate/internal/plan"
)

func TestWrite(t *testing.T) {
	const n = 200
	var buf bytes.Buffer
	if err := Write(&buf, n, 1); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatal("the output is not valid JSON")
	}

	t.Run("same seed, same bytes; another seed, another plan", func(t *testing.T) {
		var again, other bytes.Buffer
		if err := Write(&again, n, 1); err != nil {
			t.Fatal(err)
		}
		if err := Write(&other, n, 2); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), again.Bytes()) {
			t.Error("two plans from seed 1 differ")
		}
		if bytes.Equal(buf.Bytes(), other.Bytes()) {
			t.Error("seeds 1 and 2 wrote the same plan")
		}
	})

	p, err := plan.Read("gen.json", bytes.NewReader(buf.Bytes()), plan.Options{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("exactly n resource changes, in nested modules", func(t *testing.T) {
		var doc struct {
			ResourceChanges []struct {
				Address string `json:"address"`
			} `json:"resource_changes"`
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.ResourceChanges) != n {
			t.Errorf("%d resource changes, want %d", len(doc.ResourceChanges), n)
		}
		nested := 0
		for _, a := range p.Addresses {
			if strings.Contains(a, `"].module.compute.module.alarms.`) {
				nested++
			}
		}
		if nested == 0 {
			t.Error("no resource three modules deep")
		}
	})

	t.Run("facts find exactly the Karpenter controller role", func(t *testing.T) {
		iam := facts.Build(p, facts.Options{})
		var karpenter []string
		for _, r := range iam.Roles {
			if r.Karpenter.Detected {
				karpenter = append(karpenter, r.Address)
			}
		}
		if want := []string{"module.karpenter.aws_iam_role.controller[0]"}; strings.Join(karpenter, ",") != strings.Join(want, ",") {
			t.Errorf("Karpenter roles %v, want %v", karpenter, want)
		}
		if len(iam.Roles) < 10 {
			t.Errorf("%d roles: the applications' lambda and EC2 roles are missing", len(iam.Roles))
		}
	})

	t.Run("application policies link to their roles", func(t *testing.T) {
		iam := facts.Build(p, facts.Options{})
		for _, r := range iam.Roles {
			if !strings.HasSuffix(r.Address, ".aws_iam_role.lambda") {
				continue
			}
			found := false
			for _, pol := range r.Policies {
				if strings.HasSuffix(pol.Address, ".aws_iam_policy.app") {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: aws_iam_policy.app is not among its policies", r.Address)
			}
		}
	})
}

func TestWriteTooSmall(t *testing.T) {
	if err := Write(&bytes.Buffer{}, MinResources-1, 1); err == nil {
		t.Errorf("n = %d: no error", MinResources-1)
	}
	var buf bytes.Buffer
	if err := Write(&buf, MinResources, 1); err != nil {
		t.Fatalf("n = %d: %v", MinResources, err)
	}
	if _, err := plan.Read("min.json", bytes.NewReader(buf.Bytes()), plan.Options{}); err != nil {
		t.Fatal(err)
	}
}
