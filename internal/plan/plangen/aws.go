package plangen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Fixed account facts, the same as testdata/plans (README "Common parameters").
const (
	account   = "111122223333"
	region    = "eu-west-1"
	partition = "aws"
	provider  = "registry.terraform.io/hashicorp/aws"
	zoneID    = "Z0448123ABCDEFG1HIJK"
	zoneName  = "prod.example.com"
	vpcID     = "vpc-0a1b2c3d4e5f67890"
	alertsARN = "arn:aws:sns:eu-west-1:111122223333:platform-alerts"
)

// appState is what happens to one application module instance in the plan.
type appState int

const (
	appExisting appState = iota // mostly no-op, some updates, a few replacements and deletions
	appNew                      // every resource is created; its policy document is read at apply
	appRemoved                  // the for_each key is gone: every managed resource is deleted
)

// appShape is what the size pre-pass decides about one application: enough to count its
// resource changes without building it.
type appShape struct {
	i         int
	team      int
	key       string
	state     appState
	instances int // aws_instance.this (and one alarm each), 1..3
	rules     int // aws_security_group_rule.ingress, 1..3
	params    int // aws_ssm_parameter.config, 2..6
}

// changes is the number of resource_changes entries the application produces.
func (a appShape) changes() int {
	n := 16 + a.rules + 2*a.instances + a.params
	if a.state == appNew {
		n++ // data.aws_iam_policy_document.app is read during apply
	}
	return n
}

var (
	words1 = []string{"billing", "orders", "catalog", "search", "payments", "ledger", "identity", "notify", "media",
		"reports", "pricing", "inventory", "checkout", "profile", "audit", "shipping", "fraud", "loyalty"}
	instTypes   = []string{"t3.micro", "t3.small", "t3.medium", "m6i.large", "c6i.large", "r6i.large"}
	runtimes    = []string{"python3.12", "nodejs20.x", "java21", "provided.al2023"}
	params      = []string{"log-level", "feature-flags", "db-host", "timeout-ms", "batch-size", "upstream-url"}
	teams       = []string{"core", "growth", "data", "platform", "commerce", "risk", "content", "mobile"}
	azs         = []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}
	lambdaBasic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	managedEC2  = []string{"AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"}
)

func shapeOf(seed int64, i int) appShape {
	r := rand.New(rand.NewPCG(uint64(seed), uint64(i)<<1|1))
	a := appShape{i: i, team: i / appsPerTeam, instances: 1 + r.IntN(3), rules: 1 + r.IntN(3), params: 2 + r.IntN(5)}
	a.key = fmt.Sprintf("%s-%04d", words1[r.IntN(len(words1))], i)
	switch p := r.IntN(100); {
	case p < 6:
		a.state = appNew
	case p < 7:
		a.state = appRemoved
	}
	return a
}

// appsPerTeam is how many application instances share one module call (for_each).
const appsPerTeam = 32

func teamCall(team int) string { return fmt.Sprintf("team_%03d", team) }

// app builds the resources of one application: module.team_NNN["key"] (source ./modules/app),
// its module.compute (./modules/compute) and module.compute.module.alarms (./modules/alarms).
type app struct {
	appShape
	r                 *rand.Rand
	mod, cmod, amod   string
	tags, tagsAll     obj
	sg                string
	subnets           []string
	out               []res
	bucket, queue, fn string
}

func (g *gen) app(a appShape) []res {
	c := &app{appShape: a, r: rand.New(rand.NewPCG(uint64(g.seed), uint64(a.i)<<1))}
	c.mod = "module." + teamCall(a.team) + `["` + a.key + `"]`
	c.cmod = c.mod + ".module.compute"
	c.amod = c.cmod + ".module.alarms"
	team := teams[a.team%len(teams)]
	c.tags = obj{{"App", a.key}}
	c.tagsAll = obj{{"App", a.key}, {"Env", "prod"}, {"Team", team}}
	c.sg = "sg-0" + c.hex(16)
	c.subnets = []string{"subnet-0" + c.hex(16), "subnet-0" + c.hex(16)}
	c.bucket = "acme-prod-" + a.key + "-assets"
	c.queue = "prod-" + a.key + "-jobs"
	c.fn = "prod-" + a.key
	c.build()
	return c.out
}

func (c *app) hex(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(hexDigits[c.r.IntN(16)])
	}
	return b.String()
}

func (c *app) upper(n int) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b strings.Builder
	for range n {
		b.WriteByte(alnum[c.r.IntN(len(alnum))])
	}
	return b.String()
}

func (c *app) date() string {
	return fmt.Sprintf("20%02d-%02d-%02dT%02d:%02d:%02dZ", 21+c.r.IntN(4), 1+c.r.IntN(12), 1+c.r.IntN(28), c.r.IntN(24), c.r.IntN(60), c.r.IntN(60))
}

func arn(service, resource string) string {
	return "arn:" + partition + ":" + service + ":" + region + ":" + account + ":" + resource
}

// kind says which changes a resource type can take in an existing application.
type kind int

const (
	kindPlain    kind = iota // no-op or update
	kindReplace              // no-op, update or replace
	kindDeletion             // no-op, update or delete
	kindStatic               // always no-op (attachments, policies of existing applications)
)

// add records one managed resource. cur is its current (or, for a new application, planned)
// value; computed are the attributes the provider fills in on create; refs those that come from
// other resources of the same application (unknown when the whole application is new).
func (c *app) add(module, typ, name string, index any, cur obj, computed, refs []string, k kind) {
	r := res{module: module, mode: "managed", typ: typ, name: name, index: index}
	if !strings.HasPrefix(typ, "aws_iam_") {
		cur = lean(cur)
	}
	unknownOn := func(v obj, keys ...[]string) obj {
		out := append(obj{}, v...)
		for _, ks := range keys {
			for _, key := range ks {
				out = out.with(key, unk)
			}
		}
		return out
	}
	switch c.state {
	case appNew:
		r.action, r.after = "create", unknownOn(cur, computed, refs)
	case appRemoved:
		r.action, r.before = "delete", cur
	default:
		p := c.r.IntN(100)
		switch {
		case k == kindStatic || p < 88:
			r.action, r.before, r.after = "no-op", cur, cur
		case k == kindReplace && p >= 97:
			// A changed force-new attribute (the AMI, a runtime): a new object with new ids.
			r.action, r.reason, r.before = "replace", "replace_because_cannot_update", cur
			attr := "ami"
			if typ != "aws_instance" {
				attr = "runtime"
			}
			r.after = unknownOn(cur.with(attr, changed(cur.get(attr))), computed)
			r.paths = []string{attr}
		case k == kindDeletion && p >= 98:
			r.action, r.before = "delete", cur
			r.reason = "delete_because_count_index"
		default:
			// Tag drift: the module bumped a tag.
			r.action, r.before = "update", cur
			r.after = cur.with("tags", c.tags.with("Version", "v"+strconv.Itoa(2+c.r.IntN(40))))
			r.after = r.after.with("tags_all", c.tagsAll.with("Version", "v"+strconv.Itoa(2+c.r.IntN(40))))
		}
	}
	if r.before != nil {
		r.deps = c.deps(typ)
	}
	c.out = append(c.out, r)
}

// lean drops the attributes a provider prints as null, "", false or empty collections: it keeps a
// 100k-resource plan near 100 MB. IAM resources keep their full attribute sets (internal/facts
// reads them).
func lean(v obj) obj {
	out := make(obj, 0, len(v))
	for _, f := range v {
		switch x := f.v.(type) {
		case nil:
			continue
		case string:
			if x == "" {
				continue
			}
		case bool:
			if !x {
				continue
			}
		case []any:
			if len(x) == 0 {
				continue
			}
		case []string:
			if len(x) == 0 {
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

func changed(v any) any {
	switch s := v.(type) {
	case string:
		if strings.HasPrefix(s, "ami-") {
			return "ami-0" + strings.Repeat("f", 4) + s[9:]
		}
		return s + "-next"
	}
	return v
}

// data records a data source. Static documents are read during planning (prior_state only); the
// application's own policy document references ARNs that are unknown in a new application, so
// there it is read during apply.
func (c *app) data(module, typ, name string, cur obj, deferred bool) {
	r := res{module: module, mode: "data", typ: typ, name: name, after: cur}
	if deferred && c.state == appNew {
		r.action, r.reason = "read", "read_because_config_unknown"
	}
	if c.state == appRemoved {
		return // gone with its module instance; nothing to read
	}
	c.out = append(c.out, r)
}

func (c *app) deps(typ string) []string {
	switch typ {
	case "aws_iam_policy":
		return []string{c.mod + ".aws_s3_bucket.assets", c.mod + ".aws_sqs_queue.jobs", c.mod + ".data.aws_iam_policy_document.app"}
	case "aws_lambda_function":
		return []string{c.mod + ".aws_iam_role.lambda", c.mod + ".aws_security_group.this", c.mod + ".aws_sqs_queue.jobs"}
	case "aws_instance":
		return []string{c.cmod + ".aws_iam_instance_profile.ec2", c.mod + ".aws_security_group.this"}
	}
	return nil
}

func (c *app) build() {
	m := c.mod
	bucketARN := "arn:aws:s3:::" + c.bucket
	queueARN := arn("sqs", c.queue)
	logGroup := "/aws/lambda/" + c.fn
	logARN := arn("logs", "log-group:"+logGroup)
	lambdaRole := "prod-" + c.key + "-lambda"
	ec2Role := "prod-" + c.key + "-ec2"
	policyName := "prod-" + c.key + "-app"
	policyARN := "arn:aws:iam::" + account + ":policy/" + policyName

	// S3 bucket and its policy.
	c.add(m, "aws_s3_bucket", "assets", nil, obj{
		{"acceleration_status", ""}, {"acl", nil}, {"arn", bucketARN}, {"bucket", c.bucket},
		{"bucket_domain_name", c.bucket + ".s3.amazonaws.com"}, {"bucket_prefix", ""},
		{"bucket_regional_domain_name", c.bucket + ".s3." + region + ".amazonaws.com"},
		{"cors_rule", []any{}}, {"force_destroy", false},
		{"hosted_zone_id", "Z1BKCTXD74EZPE"}, {"id", c.bucket}, {"lifecycle_rule", []any{}}, {"logging", []any{}},
		{"object_lock_configuration", []any{}}, {"object_lock_enabled", false}, {"policy", ""}, {"region", region},
		{"replication_configuration", []any{}}, {"request_payer", "BucketOwner"},
		{"server_side_encryption_configuration", []any{obj{{"rule", []any{obj{
			{"apply_server_side_encryption_by_default", []any{obj{{"kms_master_key_id", ""}, {"sse_algorithm", "AES256"}}}},
			{"bucket_key_enabled", false}}}}}}},
		{"tags", c.tags}, {"tags_all", c.tagsAll}, {"timeouts", nil},
		{"versioning", []any{obj{{"enabled", false}, {"mfa_delete", false}}}},
		{"website", []any{}}, {"website_domain", nil}, {"website_endpoint", nil},
	}, []string{"acceleration_status", "arn", "bucket_domain_name", "bucket_regional_domain_name", "hosted_zone_id",
		"id", "object_lock_enabled", "policy", "region", "request_payer", "server_side_encryption_configuration", "versioning"}, nil, kindPlain)
	c.add(m, "aws_s3_bucket_policy", "assets", nil, obj{
		{"bucket", c.bucket}, {"id", c.bucket},
		{"policy", marshal(policyDoc(obj{{"Sid", "DenyInsecureTransport"}, {"Effect", "Deny"}, {"Principal", "*"},
			{"Action", "s3:*"}, {"Resource", []string{bucketARN, bucketARN + "/*"}},
			{"Condition", obj{{"Bool", obj{{"aws:SecureTransport", "false"}}}}}}))},
	}, []string{"id"}, []string{"bucket", "policy"}, kindStatic)

	// Security group and its rules.
	c.add(m, "aws_security_group", "this", nil, obj{
		{"arn", arn("ec2", "security-group/"+c.sg)}, {"description", "Managed by Terraform"},
		{"egress", []any{obj{{"cidr_blocks", []string{"0.0.0.0/0"}}, {"description", ""}, {"from_port", 0},
			{"ipv6_cidr_blocks", []string{}}, {"prefix_list_ids", []string{}}, {"protocol", "-1"},
			{"security_groups", []string{}}, {"self", false}, {"to_port", 0}}}},
		{"id", c.sg}, {"ingress", []any{}}, {"name", "prod-" + c.key}, {"name_prefix", ""}, {"owner_id", account},
		{"revoke_rules_on_delete", false}, {"tags", c.tags}, {"tags_all", c.tagsAll}, {"timeouts", nil}, {"vpc_id", vpcID},
	}, []string{"arn", "id", "owner_id"}, nil, kindPlain)
	for i := range c.rules {
		port := []int{443, 8080, 9090}[i]
		c.add(m, "aws_security_group_rule", "ingress", i, obj{
			{"cidr_blocks", []string{"10." + strconv.Itoa(c.r.IntN(255)) + ".0.0/16"}}, {"description", "ingress " + strconv.Itoa(port)},
			{"from_port", port}, {"id", "sgrule-" + strconv.Itoa(1e9+c.r.IntN(3e9))}, {"ipv6_cidr_blocks", nil},
			{"prefix_list_ids", nil}, {"protocol", "tcp"}, {"security_group_id", c.sg},
			{"security_group_rule_id", "sgr-0" + c.hex(16)}, {"self", false}, {"source_security_group_id", nil},
			{"timeouts", nil}, {"to_port", port}, {"type", "ingress"},
		}, []string{"id", "security_group_rule_id"}, []string{"security_group_id"}, kindDeletion)
	}

	// Logs and queue.
	c.add(m, "aws_cloudwatch_log_group", "this", nil, obj{
		{"arn", logARN}, {"id", logGroup}, {"kms_key_id", ""}, {"log_group_class", "STANDARD"}, {"name", logGroup},
		{"name_prefix", ""}, {"retention_in_days", 30}, {"skip_destroy", false}, {"tags", c.tags}, {"tags_all", c.tagsAll},
	}, []string{"arn", "id"}, nil, kindPlain)
	queueURL := "https://sqs." + region + ".amazonaws.com/" + account + "/" + c.queue
	c.add(m, "aws_sqs_queue", "jobs", nil, obj{
		{"arn", queueARN}, {"content_based_deduplication", false}, {"deduplication_scope", ""}, {"delay_seconds", 0},
		{"fifo_queue", false}, {"fifo_throughput_limit", ""}, {"id", queueURL}, {"kms_data_key_reuse_period_seconds", 300},
		{"kms_master_key_id", ""}, {"max_message_size", 262144}, {"message_retention_seconds", 345600}, {"name", c.queue},
		{"name_prefix", ""}, {"policy", ""}, {"receive_wait_time_seconds", 20}, {"redrive_allow_policy", ""},
		{"redrive_policy", ""}, {"sqs_managed_sse_enabled", true}, {"tags", c.tags}, {"tags_all", c.tagsAll},
		{"url", queueURL}, {"visibility_timeout_seconds", 180},
	}, []string{"arn", "deduplication_scope", "fifo_throughput_limit", "id", "policy", "redrive_allow_policy", "redrive_policy", "url"}, nil, kindPlain)

	// Configuration parameters.
	for _, p := range params[:c.params] {
		name := "/prod/" + c.key + "/" + p
		v := strconv.Itoa(c.r.IntN(10000))
		c.add(m, "aws_ssm_parameter", "config", p, obj{
			{"allowed_pattern", ""}, {"arn", arn("ssm", "parameter"+name)}, {"data_type", "text"}, {"description", ""},
			{"id", name}, {"insecure_value", v}, {"key_id", ""}, {"name", name}, {"overwrite", nil},
			{"tags", c.tags}, {"tags_all", c.tagsAll}, {"tier", "Standard"}, {"type", "String"}, {"value", v},
			{"version", 1 + c.r.IntN(9)},
		}, []string{"arn", "id", "key_id", "version"}, nil, kindPlain)
	}

	// Lambda execution role, the application policy and attachments.
	c.data(m, "aws_iam_policy_document", "lambda_assume", assumeDoc("lambda.amazonaws.com", c.r), false)
	c.role(m, "lambda", lambdaRole, "lambda.amazonaws.com", []string{lambdaBasic, policyARN})
	appStmts := []obj{
		stmt("Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, []any{logARN + ":*"}),
		stmt("Queue", []string{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}, []any{queueARN}),
		stmt("Assets", []string{"s3:GetObject", "s3:PutObject"}, []any{bucketARN + "/*"}),
		stmt("List", []string{"s3:ListBucket"}, []any{bucketARN}),
	}
	doc := policyDocument(appStmts, c.r)
	policy := doc.get("json").(string)
	if c.state == appNew {
		// The bucket and queue ARNs are unknown: the document is read during apply.
		for i := range appStmts {
			appStmts[i] = appStmts[i].with("resources", []any{unk})
		}
		doc = doc.with("statement", blocks(appStmts)).with("id", unk).with("json", unk).with("minified_json", unk)
	}
	c.data(m, "aws_iam_policy_document", "app", doc, true)
	c.add(m, "aws_iam_policy", "app", nil, obj{
		{"arn", policyARN}, {"attachment_count", 2}, {"description", "Application permissions for " + c.key},
		{"id", policyARN}, {"name", policyName}, {"name_prefix", ""}, {"path", "/"},
		{"policy", minify(policy)}, {"policy_id", "ANPA" + c.upper(17)}, {"tags", c.tags}, {"tags_all", c.tagsAll},
	}, []string{"arn", "attachment_count", "id", "policy_id"}, []string{"policy"}, kindPlain)
	c.attach(m, "lambda_basic", nil, lambdaRole, lambdaBasic, false)
	c.attach(m, "lambda_app", nil, lambdaRole, policyARN, true)

	// The function and its DNS name.
	c.add(m, "aws_lambda_function", "worker", nil, c.lambda(lambdaRole, queueURL),
		[]string{"arn", "code_sha256", "id", "last_modified",
			"signing_job_arn", "signing_profile_version_arn", "source_code_size", "version"}, []string{"role"}, kindReplace)
	c.add(m, "aws_route53_record", "api", nil, obj{
		{"alias", []any{}}, {"allow_overwrite", nil}, {"cidr_routing_policy", []any{}}, {"failover_routing_policy", []any{}},
		{"fqdn", c.key + "." + zoneName}, {"geolocation_routing_policy", []any{}}, {"geoproximity_routing_policy", []any{}},
		{"health_check_id", ""}, {"id", zoneID + "_" + c.key + "." + zoneName + "_CNAME"}, {"latency_routing_policy", []any{}},
		{"multivalue_answer_routing_policy", false}, {"name", c.key + "." + zoneName},
		{"records", []string{c.fn + ".lambda-url." + region + ".on.aws"}}, {"set_identifier", ""}, {"ttl", 300},
		{"type", "CNAME"}, {"weighted_routing_policy", []any{}}, {"zone_id", zoneID},
	}, []string{"fqdn", "id"}, nil, kindPlain)

	// module.compute: an EC2 role, its instance profile and instances.
	cm := c.cmod
	c.data(cm, "aws_iam_policy_document", "ec2_assume", assumeDoc("ec2.amazonaws.com", c.r), false)
	var managed []string
	for _, p := range managedEC2 {
		managed = append(managed, "arn:aws:iam::aws:policy/"+p)
	}
	c.role(cm, "ec2", ec2Role, "ec2.amazonaws.com", append(managed, policyARN))
	profileARN := "arn:aws:iam::" + account + ":instance-profile/" + ec2Role
	c.add(cm, "aws_iam_instance_profile", "ec2", nil, obj{
		{"arn", profileARN}, {"create_date", c.date()}, {"id", ec2Role}, {"name", ec2Role}, {"name_prefix", ""},
		{"path", "/"}, {"role", ec2Role}, {"tags", c.tags}, {"tags_all", c.tagsAll}, {"unique_id", "AIPA" + c.upper(17)},
	}, []string{"arn", "create_date", "id", "unique_id"}, nil, kindPlain)
	for _, p := range managedEC2 {
		c.attach(cm, "managed", p, ec2Role, "arn:aws:iam::aws:policy/"+p, false)
	}
	c.attach(cm, "app", nil, ec2Role, policyARN, true)
	ids := make([]string, c.instances)
	for i := range c.instances {
		ids[i] = "i-0" + c.hex(16)
		c.add(cm, "aws_instance", "this", i, c.instance(ids[i], ec2Role, i),
			[]string{"arn", "id", "instance_state", "outpost_arn", "password_data", "primary_network_interface_id",
				"private_dns", "private_ip", "public_dns", "public_ip", "root_block_device", "ipv6_addresses"},
			[]string{"vpc_security_group_ids"}, kindReplace)
	}

	// module.compute.module.alarms: one CPU alarm per instance.
	for i := range c.instances {
		name := fmt.Sprintf("prod-%s-cpu-%d", c.key, i)
		c.add(c.amod, "aws_cloudwatch_metric_alarm", "cpu", i, obj{
			{"actions_enabled", true}, {"alarm_actions", []string{alertsARN}}, {"alarm_description", "CPU above 80% on " + ids[i]},
			{"alarm_name", name}, {"arn", arn("cloudwatch", "alarm:"+name)}, {"comparison_operator", "GreaterThanThreshold"},
			{"datapoints_to_alarm", 0}, {"dimensions", obj{{"InstanceId", ids[i]}}}, {"evaluate_low_sample_count_percentiles", ""},
			{"evaluation_periods", 3}, {"extended_statistic", ""}, {"id", name}, {"insufficient_data_actions", []string{}},
			{"metric_name", "CPUUtilization"}, {"metric_query", []any{}}, {"namespace", "AWS/EC2"}, {"ok_actions", []string{alertsARN}},
			{"period", 300}, {"statistic", "Average"}, {"tags", c.tags}, {"tags_all", c.tagsAll}, {"threshold", 80},
			{"threshold_metric_id", ""}, {"treat_missing_data", "missing"}, {"unit", ""},
		}, []string{"arn", "id"}, []string{"alarm_description", "dimensions"}, kindDeletion)
	}
}

// role adds an aws_iam_role trusting one service, with the managed policies it will carry.
func (c *app) role(module, name, roleName, service string, managed []string) {
	c.add(module, "aws_iam_role", name, nil, obj{
		{"arn", "arn:aws:iam::" + account + ":role/" + roleName},
		{"assume_role_policy", minify(pretty(policyDoc(obj{{"Effect", "Allow"}, {"Principal", obj{{"Service", service}}}, {"Action", "sts:AssumeRole"}})))},
		{"create_date", c.date()}, {"description", "Execution role for " + c.key}, {"force_detach_policies", false},
		{"id", roleName}, {"inline_policy", []any{}}, {"managed_policy_arns", managed}, {"max_session_duration", 3600},
		{"name", roleName}, {"name_prefix", ""}, {"path", "/"}, {"permissions_boundary", ""},
		{"tags", c.tags}, {"tags_all", c.tagsAll}, {"unique_id", "AROA" + c.upper(17)},
	}, []string{"arn", "create_date", "id", "inline_policy", "managed_policy_arns", "unique_id"}, nil, kindPlain)
}

// attach adds an aws_iam_role_policy_attachment; own is set when the policy is the application's
// (its ARN is unknown in a new application).
func (c *app) attach(module, name string, index any, role, policyARN string, own bool) {
	var refs []string
	if own {
		refs = []string{"policy_arn"}
	}
	c.add(module, "aws_iam_role_policy_attachment", name, index, obj{
		{"id", role + "-" + strconv.Itoa(20240000000000+c.r.IntN(999999))}, {"policy_arn", policyARN}, {"role", role},
	}, []string{"id"}, refs, kindStatic)
}

func (c *app) lambda(role, queueURL string) obj {
	fnARN := arn("lambda", "function:"+c.fn)
	return obj{
		{"architectures", []string{"arm64"}}, {"arn", fnARN}, {"code_sha256", c.hex(43)}, {"code_signing_config_arn", ""},
		{"dead_letter_config", []any{}}, {"description", "Worker for " + c.key},
		{"environment", []any{obj{{"variables", obj{{"ASSETS_BUCKET", c.bucket}, {"LOG_LEVEL", "info"}, {"QUEUE_URL", queueURL}}}}}},
		{"file_system_config", []any{}}, {"filename", "build/" + c.key + ".zip"},
		{"function_name", c.fn}, {"handler", "main.handler"}, {"id", c.fn}, {"image_config", []any{}}, {"image_uri", ""},
		{"kms_key_arn", ""}, {"last_modified", c.date()}, {"layers", []string{}},
		{"memory_size", 128 << c.r.IntN(4)}, {"package_type", "Zip"}, {"publish", false},
		{"replace_security_groups_on_destroy", nil}, {"replacement_security_group_ids", nil},
		{"reserved_concurrent_executions", -1}, {"role", "arn:aws:iam::" + account + ":role/" + role},
		{"runtime", runtimes[c.r.IntN(len(runtimes))]}, {"s3_bucket", nil}, {"s3_key", nil}, {"s3_object_version", nil},
		{"signing_job_arn", ""}, {"signing_profile_version_arn", ""}, {"skip_destroy", false}, {"snap_start", []any{}},
		{"source_code_hash", c.hex(43) + "="}, {"source_code_size", 100000 + c.r.IntN(9000000)},
		{"tags", c.tags}, {"tags_all", c.tagsAll}, {"timeout", 30}, {"timeouts", nil},
		{"version", "$LATEST"},
		{"vpc_config", []any{obj{{"ipv6_allowed_for_dual_stack", false}, {"security_group_ids", []string{c.sg}},
			{"subnet_ids", c.subnets}, {"vpc_id", vpcID}}}},
	}
}

func (c *app) instance(id, profile string, i int) obj {
	ip := fmt.Sprintf("10.%d.%d.%d", c.r.IntN(255), c.r.IntN(255), 1+c.r.IntN(254))
	dns := "ip-" + strings.ReplaceAll(ip, ".", "-") + "." + region + ".compute.internal"
	tags := c.tags.with("Name", fmt.Sprintf("prod-%s-%d", c.key, i))
	tagsAll := c.tagsAll.with("Name", fmt.Sprintf("prod-%s-%d", c.key, i))
	return obj{
		{"ami", "ami-0" + c.hex(16)}, {"arn", arn("ec2", "instance/"+id)}, {"associate_public_ip_address", false},
		{"availability_zone", azs[i%len(azs)]},
		{"disable_api_stop", false},
		{"disable_api_termination", false}, {"ebs_block_device", []any{}}, {"ebs_optimized", false},
		{"ephemeral_block_device", []any{}}, {"get_password_data", false},
		{"hibernation", false}, {"host_id", ""}, {"host_resource_group_arn", nil}, {"iam_instance_profile", profile},
		{"id", id}, {"instance_initiated_shutdown_behavior", "stop"}, {"instance_lifecycle", ""},
		{"instance_market_options", []any{}}, {"instance_state", "running"}, {"instance_type", instTypes[c.r.IntN(len(instTypes))]},
		{"ipv6_address_count", 0}, {"ipv6_addresses", []string{}}, {"key_name", ""}, {"launch_template", []any{}},
		{"metadata_options", []any{obj{{"http_endpoint", "enabled"}, {"http_protocol_ipv6", "disabled"},
			{"http_put_response_hop_limit", 2}, {"http_tokens", "required"}, {"instance_metadata_tags", "disabled"}}}},
		{"monitoring", false}, {"network_interface", []any{}}, {"outpost_arn", ""}, {"password_data", ""},
		{"placement_group", ""}, {"placement_partition_number", 0}, {"primary_network_interface_id", "eni-0" + c.hex(16)},
		{"private_dns", dns},
		{"private_ip", ip}, {"public_dns", ""}, {"public_ip", ""},
		{"root_block_device", []any{obj{{"delete_on_termination", true}, {"device_name", "/dev/xvda"}, {"encrypted", true},
			{"iops", 3000}, {"kms_key_id", arn("kms", "key/"+c.hex(8)+"-"+c.hex(4)+"-"+c.hex(4)+"-"+c.hex(4)+"-"+c.hex(12))},
			{"tags", obj{}}, {"tags_all", obj{}}, {"throughput", 125}, {"volume_id", "vol-0" + c.hex(16)},
			{"volume_size", 20 + 10*c.r.IntN(5)}, {"volume_type", "gp3"}}}},
		{"secondary_private_ips", []string{}}, {"security_groups", []string{}}, {"source_dest_check", true},
		{"spot_instance_request_id", ""}, {"subnet_id", c.subnets[i%len(c.subnets)]}, {"tags", tags}, {"tags_all", tagsAll},
		{"tenancy", "default"}, {"timeouts", nil}, {"user_data", nil}, {"user_data_base64", nil},
		{"user_data_replace_on_change", false}, {"volume_tags", nil}, {"vpc_security_group_ids", []string{c.sg}},
	}
}

// policyDoc is an IAM policy with one statement, keys in the order AWS returns them.
func policyDoc(statement obj) obj {
	return obj{{"Version", "2012-10-17"}, {"Statement", []any{statement}}}
}

// minify compacts a pretty-printed document (what the provider stores for an attribute).
func minify(s string) string {
	var b strings.Builder
	inStr, esc := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case esc:
			esc = false
		case inStr && ch == '\\':
			esc = true
		case ch == '"':
			inStr = !inStr
		case !inStr && (ch == ' ' || ch == '\n' || ch == '\t'):
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// stmt is one aws_iam_policy_document statement block.
func stmt(sid string, actions []string, resources []any) obj {
	return obj{{"actions", actions}, {"condition", []any{}}, {"effect", "Allow"}, {"not_actions", []string{}},
		{"not_principals", []any{}}, {"not_resources", []string{}}, {"principals", []any{}}, {"resources", resources}, {"sid", sid}}
}

func blocks(s []obj) []any {
	out := make([]any, len(s))
	for i, b := range s {
		out[i] = b
	}
	return out
}

// policyDocument is data.aws_iam_policy_document's state for statement blocks with known values.
func policyDocument(stmts []obj, r *rand.Rand) obj {
	var st []any
	for _, s := range stmts {
		e := obj{}
		if sid := s.get("sid").(string); sid != "" {
			e = append(e, kv{"Sid", sid})
		}
		e = append(e, kv{"Effect", "Allow"})
		if acts := s.get("actions").([]string); len(acts) == 1 {
			e = append(e, kv{"Action", acts[0]})
		} else {
			e = append(e, kv{"Action", acts})
		}
		switch res := s.get("resources").([]any); len(res) {
		case 0:
		case 1:
			e = append(e, kv{"Resource", res[0]})
		default:
			e = append(e, kv{"Resource", res})
		}
		if p, ok := s.get("principals").([]any); ok && len(p) > 0 {
			pb := p[0].(obj)
			e = append(e, kv{"Principal", obj{{pb.get("type").(string), pb.get("identifiers").([]string)[0]}}})
		}
		st = append(st, e)
	}
	doc := obj{{"Version", "2012-10-17"}, {"Statement", st}}
	text := pretty(doc)
	return obj{
		{"id", strconv.FormatUint(r.Uint64()>>32, 10)}, {"json", text}, {"minified_json", minify(text)},
		{"override_policy_documents", nil}, {"policy_id", nil}, {"source_policy_documents", nil},
		{"statement", blocks(stmts)}, {"version", "2012-10-17"},
	}
}

// assumeDoc is a trust policy document for one service principal.
func assumeDoc(service string, r *rand.Rand) obj {
	s := stmt("", []string{"sts:AssumeRole"}, []any{})
	s = s.with("principals", []any{obj{{"identifiers", []string{service}}, {"type", "Service"}}})
	d := policyDocument([]obj{s}, r)
	return d
}
