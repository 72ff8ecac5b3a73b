package main

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Apply-time constants: the moment every generated resource was created, and the fractional
// part of the unique-id timestamps Terraform appends to name prefixes.
const (
	createDate  = "2024-08-20T10:15:42Z"
	uniqueStamp = "202408201015421189"
)

// filler supplies the values a plan leaves unknown, the way AWS and the provider would on apply.
type filler struct {
	plan     *planDoc
	scenario string
	serial   int // unique-id counter, in address order
}

// resource returns the attributes of a planned instance after apply: the planned values, each
// unknown one taken from the existing instance (prev) when it has it, else generated.
func (f *filler) resource(rc *resourceChange, prev map[string]any) (map[string]any, error) {
	after, _ := rc.Change.After.(map[string]any)
	if after == nil {
		after = map[string]any{}
	}
	attrs := make(map[string]any, len(after))
	for k, v := range after {
		attrs[k] = v
	}
	unknown, _ := rc.Change.AfterUnknown.(map[string]any)
	cr, err := f.plan.configOf(rc.ModuleAddress, rc.Mode, rc.Type, rc.Name)
	if err != nil {
		return nil, err
	}
	_, region, err := f.plan.provider(cr)
	if err != nil {
		return nil, err
	}
	r := &instance{f: f, rc: rc, cr: cr, attrs: attrs, region: region}
	// Names first: ids and ARNs are made of them.
	keys := make([]string, 0, len(unknown))
	for k := range unknown {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := fillOrder(keys[i]), fillOrder(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	// A replaced instance is a new object: nothing of the old one carries over.
	replaced := slices.Contains(rc.Change.Actions, "create")
	var errs []error
	for _, k := range keys {
		u := unknown[k]
		if pv, ok := prev[k]; ok && u == true && !replaced {
			attrs[k] = pv
			continue
		}
		v, err := r.fill(k, attrs[k], u)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rc.Address, err))
		}
		attrs[k] = v
	}
	return attrs, errors.Join(errs...)
}

func fillOrder(attr string) int {
	switch attr {
	case "name":
		return 0
	case "arn", "url":
		return 1
	case "id":
		return 3
	}
	return 2
}

// instance is one resource instance being filled.
type instance struct {
	f      *filler
	rc     *resourceChange
	cr     *configResource
	attrs  map[string]any
	region string
}

// fill returns the apply-time value of attribute attr, whose planned value is v and whose unknown
// marks are u (true for the whole value, or a structure of marks).
func (r *instance) fill(attr string, v, u any) (any, error) {
	if u != true {
		return fillNested(v, u), nil
	}
	if val, ok, err := r.known(attr); ok || err != nil {
		return val, err
	}
	if _, set := r.cr.Expressions[attr]; set {
		// The configuration sets it from another resource's apply-time value: the next plan,
		// against this state, knows it and updates the placeholder.
		return nil, nil
	}
	return nil, fmt.Errorf("no apply-time value known for unknown attribute %s of %s: add it to fill.go", attr, r.rc.Type)
}

// fillNested fills unknown parts inside a partly known block: an unknown nested list, set or map
// becomes empty, an unknown nested scalar stays null (what providers read back for optional
// computed values the configuration leaves unset).
func fillNested(v, u any) any {
	switch uu := u.(type) {
	case map[string]any:
		m, _ := v.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		for k, sub := range uu {
			if sub == true {
				m[k] = nil
				continue
			}
			m[k] = fillNested(m[k], sub)
		}
		return m
	case []any:
		l, _ := v.([]any)
		for i := range uu {
			if i < len(l) {
				if uu[i] == true {
					l[i] = nil
				} else {
					l[i] = fillNested(l[i], uu[i])
				}
			}
		}
		return l
	}
	return v
}

func (r *instance) str(attr string) string {
	s, _ := r.attrs[attr].(string)
	return s
}

// name is the resource's name, generated from name_prefix when only that is set.
func (r *instance) name() string {
	if n := r.str("name"); n != "" {
		return n
	}
	return r.str("name_prefix") + r.uniqueSuffix()
}

// uniqueSuffix is what the provider appends to a name prefix: a timestamp and a counter.
func (r *instance) uniqueSuffix() string {
	r.f.serial++
	return fmt.Sprintf("%s%08x", uniqueStamp, r.f.serial)
}

// awsID is a deterministic AWS unique id (AROA…, ANPA…): prefix plus 17 characters.
func (r *instance) awsID(prefix string) string {
	h := sha256.Sum256([]byte(r.f.scenario + " " + r.rc.Address + " " + prefix))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; i < 17; i++ {
		b.WriteByte(alphabet[h[i]%32])
	}
	return b.String()
}

// uuid is a deterministic lower-case UUID-shaped id (EKS access entries end in one).
func (r *instance) uuid() string {
	h := sha256.Sum256([]byte(r.f.scenario + " " + r.rc.Address + " uuid"))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func (r *instance) iamPath() string {
	if p := r.str("path"); p != "" {
		return p
	}
	return "/"
}

// known is the apply-time value of attr for r's resource type, and whether there is one.
func (r *instance) known(attr string) (any, bool, error) {
	t := r.rc.Type
	switch attr {
	case "name":
		return r.name(), true, nil
	case "name_prefix":
		// The provider reads the prefix back from a generated name, and none from a given one.
		return "", true, nil
	case "create_date":
		return createDate, true, nil
	case "tags_all":
		if tags, ok := r.attrs["tags"].(map[string]any); ok {
			return tags, true, nil
		}
		return map[string]any{}, true, nil
	}
	switch t {
	case "aws_iam_role":
		switch attr {
		case "arn":
			return "arn:" + r.partition() + ":iam::" + accountID + ":role" + r.iamPath() + r.str("name"), true, nil
		case "id":
			return r.str("name"), true, nil
		case "unique_id":
			return r.awsID("AROA"), true, nil
		case "inline_policy", "managed_policy_arns":
			return []any{}, true, nil
		}
	case "aws_iam_policy":
		switch attr {
		case "arn", "id":
			return "arn:" + r.partition() + ":iam::" + accountID + ":policy" + r.iamPath() + r.str("name"), true, nil
		case "policy_id":
			return r.awsID("ANPA"), true, nil
		case "attachment_count":
			return json.Number("0"), true, nil
		}
	case "aws_iam_instance_profile":
		switch attr {
		case "arn":
			return "arn:" + r.partition() + ":iam::" + accountID + ":instance-profile" + r.iamPath() + r.str("name"), true, nil
		case "id":
			return r.str("name"), true, nil
		case "unique_id":
			return r.awsID("AIPA"), true, nil
		}
	case "aws_iam_role_policy_attachment":
		if attr == "id" {
			return r.str("role") + "-" + r.uniqueSuffix(), true, nil
		}
	case "aws_iam_role_policy":
		if attr == "id" {
			return r.str("role") + ":" + r.str("name"), true, nil
		}
	case "aws_sqs_queue":
		switch attr {
		case "deduplication_scope", "fifo_throughput_limit", "policy", "redrive_allow_policy", "redrive_policy":
			// read back empty for a standard queue the configuration does not set them on
			return "", true, nil
		case "arn":
			return "arn:" + r.partition() + ":sqs:" + r.region + ":" + accountID + ":" + r.str("name"), true, nil
		case "url", "id":
			return "https://sqs." + r.region + "." + r.dnsSuffix() + "/" + accountID + "/" + r.str("name"), true, nil
		}
	case "aws_sqs_queue_policy":
		if attr == "id" {
			return r.str("queue_url"), true, nil
		}
	case "aws_kms_key":
		switch attr {
		case "key_id", "id":
			return r.uuid(), true, nil
		case "arn":
			return "arn:" + r.partition() + ":kms:" + r.region + ":" + accountID + ":key/" + r.uuid(), true, nil
		case "multi_region":
			return false, true, nil
		case "rotation_period_in_days":
			// read back as 0 when key rotation is off
			return json.Number("0"), true, nil
		}
	case "aws_cloudwatch_event_rule":
		switch attr {
		case "arn":
			return "arn:" + r.partition() + ":events:" + r.region + ":" + accountID + ":rule/" + r.str("name"), true, nil
		case "id":
			return r.str("name"), true, nil
		}
	case "aws_cloudwatch_event_target":
		switch attr {
		case "target_id":
			return "terraform-" + r.uniqueSuffix(), true, nil
		case "id":
			return r.str("rule") + "-" + r.str("target_id"), true, nil
		}
	case "aws_eks_access_entry":
		principal := r.str("principal_arn")
		switch attr {
		case "access_entry_arn":
			role := principal[strings.LastIndex(principal, "/")+1:]
			return fmt.Sprintf("arn:%s:eks:%s:%s:access-entry/%s/role/%s/%s/%s", r.partition(), r.region, accountID, r.str("cluster_name"), accountID, role, r.uuid()), true, nil
		case "created_at", "modified_at":
			return createDate, true, nil
		case "kubernetes_groups":
			return []any{}, true, nil
		case "user_name":
			if r.str("type") == "EC2_LINUX" {
				return "system:node:{{EC2PrivateDNSName}}", true, nil
			}
			return principal, true, nil
		case "id":
			return r.str("cluster_name") + ":" + principal, true, nil
		}
	case "aws_eks_pod_identity_association":
		switch attr {
		case "association_id":
			if id := r.str("association_id"); id != "" {
				return id, true, nil
			}
			return "a-" + strings.ToLower(r.awsID("")[:17]), true, nil
		case "id":
			id, _, _ := r.known("association_id")
			return r.str("cluster_name") + "," + id.(string), true, nil
		case "association_arn":
			id, _, _ := r.known("association_id")
			r.attrs["association_id"] = id
			return fmt.Sprintf("arn:%s:eks:%s:%s:podidentityassociation/%s/%s", r.partition(), r.region, accountID, r.str("cluster_name"), id), true, nil
		}
	}
	return nil, false, nil
}

// partition is the partition of the instance's region, as the provider puts it in ARNs.
func (r *instance) partition() string {
	switch {
	case strings.HasPrefix(r.region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(r.region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// dnsSuffix is the DNS suffix of the instance's partition (queue URLs).
func (r *instance) dnsSuffix() string {
	if r.partition() == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}
