package plangen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// Versions the generated document claims, as in testdata/plans.
const (
	FormatVersion    = "1.2"
	TerraformVersion = "1.9.8"
	timestamp        = "2025-03-11T09:41:27Z"
)

// karpenterChanges is the number of resource changes module.karpenter contributes.
const karpenterChanges = 19

// rootChanges is the number of root module resource changes besides aws_subnet.private, and
// minSubnets the smallest count of aws_subnet.private.
const (
	rootChanges = 2
	minSubnets  = 3
)

// MinResources is the smallest n Write accepts: module.karpenter plus the root module.
const MinResources = karpenterChanges + rootChanges + minSubnets

// Write writes a `terraform show -json` plan (format_version 1.2, compact like Terraform prints it)
// with exactly n resource changes to w, deterministic for a seed: one terraform-aws-eks v20.24
// Karpenter module with the v0.33 controller policy (karpgate reports KARP001 on it), a few root
// resources, and applications of about 21 AWS resources each (S3, security groups, SQS, Lambda with
// its IAM role and policy, EC2 instances with their role and instance profile, Route 53, CloudWatch)
// in nested modules module.team_NNN["key"].module.compute.module.alarms. Most applications are
// unchanged, some resources update or are replaced, a few applications are new (unknown values,
// policy documents read during apply) or removed. The output is about 1 KB per resource
// change. It is written through a buffer; w sees large writes only.
func Write(w io.Writer, n int, seed int64) error {
	if n < MinResources {
		return fmt.Errorf("plangen: n is %d, at least %d resources are needed", n, MinResources)
	}
	k, err := loadKarpenter()
	if err != nil {
		return err
	}
	if len(k.changes) != karpenterChanges {
		return fmt.Errorf("plangen: karpenter.json has %d resource changes, want %d", len(k.changes), karpenterChanges)
	}
	g := &gen{seed: seed, karp: k}
	remaining := n - MinResources
	for i := 0; ; i++ {
		a := shapeOf(seed, i)
		if a.changes() > remaining {
			break
		}
		g.apps = append(g.apps, a)
		remaining -= a.changes()
	}
	g.subnets = minSubnets + remaining
	bw := bufio.NewWriterSize(w, 1<<20)
	g.plan(&enc{w: bw})
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("plangen: write: %w", err)
	}
	return nil
}

type gen struct {
	seed    int64
	apps    []appShape
	subnets int
	karp    *karpenterModule
}

func (g *gen) teams() int {
	if len(g.apps) == 0 {
		return 0
	}
	return g.apps[len(g.apps)-1].team + 1
}

func (g *gen) plan(e *enc) {
	e.s(`{"format_version":`)
	e.str(FormatVersion)
	e.s(`,"terraform_version":`)
	e.str(TerraformVersion)
	e.s(`,"variables":`)
	e.val(obj{{"environment", obj{{"value", "prod"}}}, {"region", obj{{"value", region}}}})

	root := g.root()
	e.s(`,"planned_values":{"outputs":`)
	e.val(obj{{"zone_id", obj{{"sensitive", false}, {"type", "string"}, {"value", zoneID}}}})
	e.s(`,"root_module":`)
	g.stateModule(e, &module{res: root}, true, func(e *enc) {
		e.val(g.karp.planned)
		g.appModules(e, true)
	})
	e.s(`},"resource_changes":[`)
	first := true
	sep := func() {
		if !first {
			e.b(',')
		}
		first = false
	}
	for i := range root {
		if root[i].action != "" {
			sep()
			g.change(e, &root[i])
		}
	}
	for _, rc := range g.karp.changes {
		sep()
		e.val(rc)
	}
	for _, a := range g.apps {
		rs := g.app(a)
		for i := range rs {
			if rs[i].action != "" {
				sep()
				g.change(e, &rs[i])
			}
		}
	}
	e.s(`],"output_changes":`)
	e.val(obj{{"zone_id", obj{{"actions", []string{"no-op"}}, {"before", zoneID}, {"after", zoneID},
		{"after_unknown", false}, {"before_sensitive", false}, {"after_sensitive", false}}}})
	e.s(`,"prior_state":{"format_version":"1.0","terraform_version":`)
	e.str(TerraformVersion)
	e.s(`,"values":{"outputs":`)
	e.val(obj{{"zone_id", obj{{"sensitive", false}, {"value", zoneID}, {"type", "string"}}}})
	e.s(`,"root_module":`)
	g.stateModule(e, &module{res: root}, false, func(e *enc) {
		e.val(g.karp.prior)
		g.appModules(e, false)
	})
	e.s(`}},"configuration":`)
	g.configuration(e)
	e.s(`,"relevant_attributes":[`)
	for i, a := range g.apps {
		if i > 0 {
			e.b(',')
		}
		e.val(obj{{"resource", "module." + teamCall(a.team) + `["` + a.key + `"].module.compute.aws_iam_role.ec2`}, {"attribute", []string{"arn"}}})
	}
	e.s(`],"timestamp":`)
	e.str(timestamp)
	e.s(`,"applyable":true,"complete":true,"errored":false}`)
	e.b('\n')
}

// root returns the root module's resources.
func (g *gen) root() []res {
	r := rand.New(rand.NewPCG(uint64(g.seed), 1<<62))
	tags := obj{{"Environment", "prod"}, {"ManagedBy", "terraform"}}
	out := []res{
		{mode: "data", typ: "aws_caller_identity", name: "current", after: obj{{"account_id", account},
			{"arn", "arn:aws:sts::" + account + ":assumed-role/TerraformDeploy/ci-4471923"}, {"id", account},
			{"user_id", "AROAYS2NWX3E2ZJ6QKMVH:ci-4471923"}}},
		{mode: "data", typ: "aws_partition", name: "current", after: obj{{"dns_suffix", "amazonaws.com"}, {"id", partition},
			{"partition", partition}, {"reverse_dns_prefix", "com.amazonaws"}}},
		{mode: "data", typ: "aws_region", name: "current", after: obj{{"description", "Europe (Ireland)"},
			{"endpoint", "ec2." + region + ".amazonaws.com"}, {"id", region}, {"name", region}}},
	}
	zone := obj{{"arn", "arn:aws:route53:::hostedzone/" + zoneID}, {"comment", "Managed by Terraform"},
		{"delegation_set_id", ""}, {"force_destroy", false}, {"id", zoneID}, {"name", zoneName},
		{"name_servers", []string{"ns-1234.awsdns-26.org", "ns-1754.awsdns-27.co.uk", "ns-247.awsdns-30.com", "ns-842.awsdns-41.net"}},
		{"primary_name_server", "ns-247.awsdns-30.com"}, {"tags", tags}, {"tags_all", tags}, {"vpc", []any{}}, {"zone_id", zoneID}}
	topic := obj{{"application_failure_feedback_role_arn", ""}, {"arn", alertsARN}, {"content_based_deduplication", false},
		{"delivery_policy", ""}, {"display_name", ""}, {"fifo_topic", false}, {"id", alertsARN}, {"kms_master_key_id", ""},
		{"name", "platform-alerts"}, {"name_prefix", ""}, {"owner", account}, {"policy", ""}, {"signature_version", 0},
		{"tags", tags}, {"tags_all", tags}, {"tracing_config", ""}}
	out = append(out,
		res{mode: "managed", typ: "aws_route53_zone", name: "main", action: "no-op", before: zone, after: zone},
		res{mode: "managed", typ: "aws_sns_topic", name: "alerts", action: "no-op", before: topic, after: topic})
	for i := range g.subnets {
		id := fmt.Sprintf("subnet-0%016x", r.Uint64())
		s := obj{{"arn", arn("ec2", "subnet/"+id)}, {"assign_ipv6_address_on_creation", false},
			{"availability_zone", azs[i%len(azs)]}, {"availability_zone_id", "euw1-az" + strconv.Itoa(1+i%3)},
			{"cidr_block", fmt.Sprintf("10.0.%d.0/24", i%256)}, {"enable_dns64", false},
			{"enable_resource_name_dns_a_record_on_launch", false}, {"id", id}, {"map_public_ip_on_launch", false},
			{"owner_id", account}, {"private_dns_hostname_type_on_launch", "ip-name"},
			{"tags", tags.with("Name", fmt.Sprintf("private-%d", i))}, {"tags_all", tags.with("Name", fmt.Sprintf("private-%d", i))},
			{"vpc_id", vpcID}}
		out = append(out, res{mode: "managed", typ: "aws_subnet", name: "private", index: i, action: "no-op", before: s, after: s})
	}
	return out
}

// appModules writes the module instances of every application (planned_values or prior_state).
func (g *gen) appModules(e *enc, planned bool) {
	for _, a := range g.apps {
		rs := g.app(a)
		mods := map[string]*module{}
		var top *module
		for _, r := range rs {
			m := mods[r.module]
			if m == nil {
				m = &module{address: r.module}
				mods[r.module] = m
				if top == nil {
					top = m
				} else {
					parent := mods[r.module[:lastModule(r.module)]]
					parent.child = append(parent.child, m)
				}
			}
			m.res = append(m.res, r)
		}
		if top == nil || !g.hasState(top, planned) {
			continue
		}
		e.b(',')
		g.stateModule(e, top, planned, nil)
	}
}

// lastModule returns the index where the last ".module.x" segment of a module address starts.
func lastModule(addr string) int {
	for i := len(addr) - len(".module."); i > 0; i-- {
		if addr[i:i+len(".module.")] == ".module." {
			return i
		}
	}
	return 0
}

// inState reports whether r appears in planned_values (planned) or prior_state (!planned).
func inState(r *res, planned bool) bool {
	if planned {
		return r.mode == "managed" && r.after != nil
	}
	if r.mode == "data" {
		return r.action == ""
	}
	return r.before != nil
}

func (g *gen) hasState(m *module, planned bool) bool {
	for i := range m.res {
		if inState(&m.res[i], planned) {
			return true
		}
	}
	for _, c := range m.child {
		if g.hasState(c, planned) {
			return true
		}
	}
	return false
}

// stateModule writes one module of planned_values or prior_state; rootChildren, for the root
// module, writes the first child modules (the caller's, comma-separated, starting without one).
func (g *gen) stateModule(e *enc, m *module, planned bool, rootChildren func(*enc)) {
	e.s(`{"resources":[`)
	n := 0
	for i := range m.res {
		r := &m.res[i]
		if !inState(r, planned) {
			continue
		}
		if n > 0 {
			e.b(',')
		}
		n++
		vals := r.before
		if planned || r.mode == "data" {
			vals = known(r.after).(obj)
		}
		e.s(`{"address":`)
		e.str(r.address())
		e.s(`,"mode":`)
		e.str(r.mode)
		e.s(`,"type":`)
		e.str(r.typ)
		e.s(`,"name":`)
		e.str(r.name)
		if r.index != nil {
			e.s(`,"index":`)
			e.val(r.index)
		}
		e.s(`,"provider_name":"` + provider + `","schema_version":`)
		e.val(schemaVersion(r.typ))
		e.s(`,"values":`)
		e.val(vals)
		e.s(`,"sensitive_values":`)
		e.val(mirror(vals, false))
		if !planned && len(r.deps) > 0 {
			e.s(`,"depends_on":`)
			e.val(r.deps)
		}
		e.b('}')
	}
	e.b(']')
	if m.address != "" {
		e.s(`,"address":`)
		e.str(m.address)
	}
	var kids []*module
	for _, c := range m.child {
		if g.hasState(c, planned) {
			kids = append(kids, c)
		}
	}
	if len(kids) > 0 || rootChildren != nil {
		e.s(`,"child_modules":[`)
		if rootChildren != nil {
			rootChildren(e)
		}
		for i, c := range kids {
			if i > 0 || rootChildren != nil {
				e.b(',')
			}
			g.stateModule(e, c, planned, nil)
		}
		e.b(']')
	}
	e.b('}')
}

func schemaVersion(typ string) int {
	switch typ {
	case "aws_instance", "aws_security_group":
		return 1
	}
	return 0
}

// change writes one resource_changes entry.
func (g *gen) change(e *enc, r *res) {
	e.s(`{"address":`)
	e.str(r.address())
	if r.module != "" {
		e.s(`,"module_address":`)
		e.str(r.module)
	}
	e.s(`,"mode":`)
	e.str(r.mode)
	e.s(`,"type":`)
	e.str(r.typ)
	e.s(`,"name":`)
	e.str(r.name)
	if r.index != nil {
		e.s(`,"index":`)
		e.val(r.index)
	}
	e.s(`,"provider_name":"` + provider + `","change":{"actions":`)
	switch r.action {
	case "replace":
		e.s(`["delete","create"]`)
	default:
		e.val([]string{r.action})
	}
	e.s(`,"before":`)
	if r.before == nil {
		e.s("null")
	} else {
		e.val(r.before)
	}
	e.s(`,"after":`)
	if r.after == nil {
		e.s("null")
	} else {
		e.val(known(r.after))
	}
	e.s(`,"after_unknown":`)
	if r.after == nil {
		e.s("{}")
	} else {
		e.val(mirror(r.after, true))
	}
	e.s(`,"before_sensitive":`)
	if r.before == nil {
		e.s("false")
	} else {
		e.val(mirror(r.before, false))
	}
	e.s(`,"after_sensitive":`)
	if r.after == nil {
		e.s("false")
	} else {
		e.val(mirror(known(r.after), false))
	}
	if len(r.paths) > 0 {
		e.s(`,"replace_paths":[`)
		for i, p := range r.paths {
			if i > 0 {
				e.b(',')
			}
			e.val([]string{p})
		}
		e.b(']')
	}
	e.b('}')
	if r.reason != "" {
		e.s(`,"action_reason":`)
		e.str(r.reason)
	}
	e.b('}')
}
