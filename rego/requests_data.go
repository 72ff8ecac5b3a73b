package rego

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// expandRequests precomputes, once when the data is loaded, what every query would otherwise
// recompute from the versioned requests of data.karpgate.karpenter.requests (RULES.md 5.3): each
// request's "minors", the minor versions in data that make it mapped to its impact in that
// version; "by_minor", the indexes in "list" of the requests each version makes; and "eras", the versions grouped so that every version of a group makes the same
// requests with the same impacts and chart defaults (lib/deployment judges one version per group).
func expandRequests(root map[string]any) error {
	reqs, ok := dig(root, Root, "karpenter", "requests").(map[string]any)
	if !ok {
		return nil
	}
	var versions []string
	for _, v := range asList(reqs["versions"]) {
		s, _ := v.(string)
		versions = append(versions, s)
	}
	sig := make([]strings.Builder, len(versions))
	byMinor := map[string]any{}
	for _, m := range versions {
		byMinor[m] = []any{}
	}
	for idx, e := range asList(reqs["list"]) {
		t, ok := e.(map[string]any)
		if !ok {
			return fmt.Errorf("data.karpgate.karpenter.requests.list: %T is not an object", e)
		}
		rng, _ := t["versions"].(string)
		if rng == "" {
			rng = "*"
		}
		minors := map[string]any{}
		for i, m := range versions {
			in, err := InRange(rng, m)
			if err != nil {
				return fmt.Errorf("request %v: %w", t["id"], err)
			}
			if !in {
				continue
			}
			imp, _ := t["impact"].(string)
			for _, x := range asList(t["impact_in"]) {
				xm, _ := x.(map[string]any)
				r, _ := xm["versions"].(string)
				if ok, err := InRange(r, m); err == nil && ok {
					imp, _ = xm["impact"].(string)
					break
				}
			}
			minors[m] = imp
			byMinor[m] = append(byMinor[m].([]any), json.Number(strconv.Itoa(idx)))
			fmt.Fprintf(&sig[i], "%v=%s;", t["id"], imp)
		}
		t["minors"] = minors
	}
	if feats, ok := reqs["features"].(map[string]any); ok {
		for name, f := range feats {
			fm, _ := f.(map[string]any)
			for _, d := range asList(fm["defaults"]) {
				dm, _ := d.(map[string]any)
				r, _ := dm["versions"].(string)
				for i, m := range versions {
					if ok, err := InRange(r, m); err == nil && ok {
						fmt.Fprintf(&sig[i], "%s:%v;", name, dm["state"])
					}
				}
			}
		}
	}
	var eras []any
	for i, m := range versions {
		if i > 0 && sig[i].String() == sig[i-1].String() {
			last := eras[len(eras)-1].([]any)
			eras[len(eras)-1] = append(last, m)
			continue
		}
		eras = append(eras, []any{m})
	}
	reqs["eras"] = eras
	reqs["by_minor"] = byMinor
	return nil
}

// InRange reports whether minor version m ("1.12") is in a range of the request data: "*",
// "1.3+", "0.33-1.3" or one minor version "1.0".
func InRange(r, m string) (bool, error) {
	mv, err := minorNum(m)
	if err != nil {
		return false, err
	}
	switch {
	case r == "*":
		return true, nil
	case strings.HasSuffix(r, "+"):
		lo, err := minorNum(strings.TrimSuffix(r, "+"))
		return err == nil && mv >= lo, err
	case strings.Contains(r, "-"):
		a, b, _ := strings.Cut(r, "-")
		lo, err1 := minorNum(a)
		hi, err2 := minorNum(b)
		if err1 != nil || err2 != nil {
			return false, fmt.Errorf("version range %q is not MAJOR.MINOR-MAJOR.MINOR", r)
		}
		return mv >= lo && mv <= hi, nil
	}
	v, err := minorNum(r)
	return err == nil && v == mv, err
}

func minorNum(m string) (int, error) {
	a, b, ok := strings.Cut(m, ".")
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return 0, fmt.Errorf("version %q is not MAJOR.MINOR", m)
	}
	return x*1000 + y, nil
}

func dig(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		cm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = cm[p]
	}
	return cur
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
