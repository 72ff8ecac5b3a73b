package plangen

import "strings"

// ref is an expression with references, as Terraform lists them: the attribute path, then the
// resource (aws_iam_role.lambda.name, aws_iam_role.lambda).
func ref(refs ...string) obj {
	var out []string
	for _, r := range refs {
		out = append(out, r)
		parts := strings.Split(r, ".")
		switch {
		case parts[0] == "data" && len(parts) > 3:
			out = append(out, strings.Join(parts[:3], "."))
		case parts[0] != "data" && parts[0] != "var" && parts[0] != "local" && parts[0] != "each" && parts[0] != "count" && len(parts) > 2:
			out = append(out, strings.Join(parts[:2], "."))
		}
	}
	return obj{{"references", out}}
}

// constant is an expression with a constant value.
func constant(v any) obj { return obj{{"constant_value", v}} }

// resource is one configuration resource block.
func resource(mode, typ, name string, expressions obj, extra ...kv) obj {
	addr := typ + "." + name
	if mode == "data" {
		addr = "data." + addr
	}
	o := obj{{"address", addr}, {"mode", mode}, {"type", typ}, {"name", name}, {"provider_config_key", "aws"},
		{"expressions", expressions}, {"schema_version", schemaVersion(typ)}}
	return append(o, extra...)
}

func variable(desc string, def any) obj {
	o := obj{{"description", desc}}
	if def != nil {
		o = append(o, kv{"default", def})
	}
	return o
}

func statementBlock(sid string, actions []string, resources ...string) obj {
	return obj{{"sid", constant(sid)}, {"actions", constant(actions)}, {"resources", ref(resources...)}}
}

// appModule is the configuration of ./modules/app with its nested module calls; the same for
// every team's module call.
func appModule() obj {
	tags := ref("var.tags")
	alarms := obj{
		{"resources", []any{
			resource("managed", "aws_cloudwatch_metric_alarm", "cpu", obj{
				{"alarm_actions", ref("var.alarm_topic_arn")}, {"alarm_description", ref("var.instance_ids")},
				{"alarm_name", ref("var.name")}, {"comparison_operator", constant("GreaterThanThreshold")},
				{"dimensions", ref("var.instance_ids")}, {"evaluation_periods", constant(3)},
				{"metric_name", constant("CPUUtilization")}, {"namespace", constant("AWS/EC2")},
				{"ok_actions", ref("var.alarm_topic_arn")}, {"period", constant(300)}, {"statistic", constant("Average")},
				{"tags", tags}, {"threshold", constant(80)},
			}, kv{"count_expression", ref("var.instance_ids")}),
		}},
		{"variables", obj{{"alarm_topic_arn", variable("SNS topic for alarms", nil)},
			{"instance_ids", variable("Instances to watch", nil)}, {"name", variable("Name prefix", nil)},
			{"tags", variable("Tags", obj{})}}},
	}
	compute := obj{
		{"outputs", obj{
			{"instance_ids", obj{{"expression", ref("aws_instance.this")}}},
			{"role_arn", obj{{"expression", ref("aws_iam_role.ec2.arn")}}},
		}},
		{"resources", []any{
			resource("managed", "aws_iam_role", "ec2", obj{
				{"assume_role_policy", ref("data.aws_iam_policy_document.ec2_assume.json")},
				{"description", ref("var.name")}, {"name", ref("var.name")}, {"tags", tags},
			}),
			resource("managed", "aws_iam_instance_profile", "ec2", obj{
				{"name", ref("aws_iam_role.ec2.name")}, {"role", ref("aws_iam_role.ec2.name")}, {"tags", tags},
			}),
			resource("managed", "aws_iam_role_policy_attachment", "managed", obj{
				{"policy_arn", ref("each.value")}, {"role", ref("aws_iam_role.ec2.name")},
			}, kv{"for_each_expression", ref("local.managed_policies")}),
			resource("managed", "aws_iam_role_policy_attachment", "app", obj{
				{"policy_arn", ref("var.app_policy_arn")}, {"role", ref("aws_iam_role.ec2.name")},
			}),
			resource("managed", "aws_instance", "this", obj{
				{"ami", ref("var.ami_id")}, {"iam_instance_profile", ref("aws_iam_instance_profile.ec2.name")},
				{"instance_type", ref("var.instance_type")},
				{"metadata_options", []any{obj{{"http_put_response_hop_limit", constant(2)}, {"http_tokens", constant("required")}}}},
				{"root_block_device", []any{obj{{"encrypted", constant(true)}, {"volume_size", ref("var.volume_size")},
					{"volume_type", constant("gp3")}}}},
				{"subnet_id", ref("var.subnet_ids", "count.index")}, {"tags", tags},
				{"vpc_security_group_ids", ref("var.security_group_id")},
			}, kv{"count_expression", ref("var.instance_count")}),
			resource("data", "aws_iam_policy_document", "ec2_assume", obj{
				{"statement", []any{obj{{"actions", constant([]string{"sts:AssumeRole"})},
					{"principals", []any{obj{{"identifiers", constant([]string{"ec2.amazonaws.com"})}, {"type", constant("Service")}}}}}}},
			}),
		}},
		{"module_calls", obj{{"alarms", obj{
			{"source", "../alarms"},
			{"expressions", obj{{"alarm_topic_arn", ref("var.alarm_topic_arn")}, {"instance_ids", ref("aws_instance.this")},
				{"name", ref("var.name")}, {"tags", tags}}},
			{"module", alarms},
		}}}},
		{"variables", obj{{"alarm_topic_arn", variable("SNS topic for alarms", nil)}, {"ami_id", variable("AMI", nil)},
			{"app_policy_arn", variable("Application policy to attach", nil)}, {"instance_count", variable("Instances", 1)},
			{"instance_type", variable("Instance type", "t3.small")}, {"name", variable("Name prefix", nil)},
			{"security_group_id", variable("Security group", nil)}, {"subnet_ids", variable("Subnets", nil)},
			{"tags", variable("Tags", obj{})}, {"volume_size", variable("Root volume GiB", 20)}}},
	}
	return obj{
		{"outputs", obj{
			{"function_arn", obj{{"expression", ref("aws_lambda_function.worker.arn")}}},
			{"queue_url", obj{{"expression", ref("aws_sqs_queue.jobs.url")}}},
			{"role_arn", obj{{"expression", ref("aws_iam_role.lambda.arn")}}},
		}},
		{"resources", []any{
			resource("managed", "aws_cloudwatch_log_group", "this", obj{
				{"name", ref("local.function_name")}, {"retention_in_days", constant(30)}, {"tags", tags},
			}),
			resource("managed", "aws_iam_policy", "app", obj{
				{"description", ref("var.name")}, {"name", ref("var.name")},
				{"policy", ref("data.aws_iam_policy_document.app.json")}, {"tags", tags},
			}),
			resource("managed", "aws_iam_role", "lambda", obj{
				{"assume_role_policy", ref("data.aws_iam_policy_document.lambda_assume.json")},
				{"description", ref("var.name")}, {"name", ref("var.name")}, {"tags", tags},
			}),
			resource("managed", "aws_iam_role_policy_attachment", "lambda_app", obj{
				{"policy_arn", ref("aws_iam_policy.app.arn")}, {"role", ref("aws_iam_role.lambda.name")},
			}),
			resource("managed", "aws_iam_role_policy_attachment", "lambda_basic", obj{
				{"policy_arn", constant(lambdaBasic)}, {"role", ref("aws_iam_role.lambda.name")},
			}),
			resource("managed", "aws_lambda_function", "worker", obj{
				{"architectures", constant([]string{"arm64"})}, {"description", ref("var.name")},
				{"environment", []any{obj{{"variables", ref("aws_s3_bucket.assets.bucket", "aws_sqs_queue.jobs.url")}}}},
				{"filename", ref("var.package")}, {"function_name", ref("local.function_name")},
				{"handler", constant("main.handler")}, {"memory_size", ref("var.memory_size")},
				{"role", ref("aws_iam_role.lambda.arn")}, {"runtime", ref("var.runtime")},
				{"source_code_hash", ref("var.package")}, {"tags", tags}, {"timeout", constant(30)},
				{"vpc_config", []any{obj{{"security_group_ids", ref("aws_security_group.this.id")}, {"subnet_ids", ref("var.subnet_ids")}}}},
			}, kv{"depends_on", []string{"aws_cloudwatch_log_group.this"}}),
			resource("managed", "aws_route53_record", "api", obj{
				{"name", ref("var.name", "var.zone_name")}, {"records", ref("aws_lambda_function.worker.function_name")},
				{"ttl", constant(300)}, {"type", constant("CNAME")}, {"zone_id", ref("var.zone_id")},
			}),
			resource("managed", "aws_s3_bucket", "assets", obj{{"bucket", ref("var.name")}, {"tags", tags}}),
			resource("managed", "aws_s3_bucket_policy", "assets", obj{
				{"bucket", ref("aws_s3_bucket.assets.id")},
				{"policy", ref("aws_s3_bucket.assets.arn")},
			}),
			resource("managed", "aws_security_group", "this", obj{
				{"egress", constant([]any{obj{{"cidr_blocks", []string{"0.0.0.0/0"}}, {"from_port", 0}, {"protocol", "-1"}, {"to_port", 0}}})},
				{"name", ref("var.name")}, {"tags", tags}, {"vpc_id", ref("var.vpc_id")},
			}),
			resource("managed", "aws_security_group_rule", "ingress", obj{
				{"cidr_blocks", ref("var.ingress", "count.index")}, {"from_port", ref("var.ingress", "count.index")},
				{"protocol", constant("tcp")}, {"security_group_id", ref("aws_security_group.this.id")},
				{"to_port", ref("var.ingress", "count.index")}, {"type", constant("ingress")},
			}, kv{"count_expression", ref("var.ingress")}),
			resource("managed", "aws_sqs_queue", "jobs", obj{
				{"message_retention_seconds", constant(345600)}, {"name", ref("var.name")},
				{"receive_wait_time_seconds", constant(20)}, {"tags", tags}, {"visibility_timeout_seconds", constant(180)},
			}),
			resource("data", "aws_iam_policy_document", "app", obj{{"statement", []any{
				statementBlock("Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, "aws_cloudwatch_log_group.this.arn"),
				statementBlock("Queue", []string{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}, "aws_sqs_queue.jobs.arn"),
				statementBlock("Assets", []string{"s3:GetObject", "s3:PutObject"}, "aws_s3_bucket.assets.arn"),
				statementBlock("List", []string{"s3:ListBucket"}, "aws_s3_bucket.assets.arn"),
			}}}),
			resource("data", "aws_iam_policy_document", "lambda_assume", obj{
				{"statement", []any{obj{{"actions", constant([]string{"sts:AssumeRole"})},
					{"principals", []any{obj{{"identifiers", constant([]string{"lambda.amazonaws.com"})}, {"type", constant("Service")}}}}}}},
			}),
		}},
		{"module_calls", obj{{"compute", obj{
			{"source", "../compute"},
			{"expressions", obj{
				{"alarm_topic_arn", ref("var.alarm_topic_arn")}, {"ami_id", ref("var.ami_id")},
				{"app_policy_arn", ref("aws_iam_policy.app.arn")}, {"instance_count", ref("var.instance_count")},
				{"instance_type", ref("var.instance_type")}, {"name", ref("var.name")},
				{"security_group_id", ref("aws_security_group.this.id")}, {"subnet_ids", ref("var.subnet_ids")},
				{"tags", tags},
			}},
			{"module", compute},
		}}}},
		{"variables", obj{{"alarm_topic_arn", variable("SNS topic for alarms", nil)}, {"ami_id", variable("AMI", nil)},
			{"ingress", variable("Ingress rules", []any{})}, {"instance_count", variable("Instances", 1)},
			{"instance_type", variable("Instance type", "t3.small")}, {"memory_size", variable("Lambda memory MB", 256)},
			{"name", variable("Application name", nil)}, {"package", variable("Lambda package", nil)},
			{"runtime", variable("Lambda runtime", "python3.12")}, {"subnet_ids", variable("Subnets", nil)},
			{"tags", variable("Tags", obj{})}, {"vpc_id", variable("VPC", nil)}, {"zone_id", variable("Route 53 zone", nil)},
			{"zone_name", variable("Route 53 zone name", nil)}}},
	}
}

func (g *gen) configuration(e *enc) {
	e.s(`{"provider_config":{"aws":`)
	e.val(obj{{"name", "aws"}, {"full_name", provider}, {"version_constraint", "~> 5.61"},
		{"expressions", obj{{"region", constant(region)},
			{"default_tags", []any{obj{{"tags", constant(obj{{"Owner", "platform-engineering"}})}}}}}}})
	if g.karp.provider != nil {
		// Terraform lists a module's own provider entry only in some configurations.
		e.s(`,"module.karpenter:aws":`)
		e.val(g.karp.provider)
	}
	e.s(`},"root_module":{"outputs":`)
	e.val(obj{{"zone_id", obj{{"expression", ref("aws_route53_zone.main.zone_id")}}}})
	e.s(`,"resources":`)
	e.val([]any{
		resource("managed", "aws_route53_zone", "main", obj{{"name", constant(zoneName)}, {"tags", ref("local.tags")}}),
		resource("managed", "aws_sns_topic", "alerts", obj{{"name", constant("platform-alerts")}, {"tags", ref("local.tags")}}),
		resource("managed", "aws_subnet", "private", obj{{"availability_zone", ref("local.azs", "count.index")},
			{"cidr_block", ref("count.index")}, {"tags", ref("local.tags", "count.index")}, {"vpc_id", constant(vpcID)}},
			kv{"count_expression", ref("var.subnet_count")}),
		resource("data", "aws_caller_identity", "current", obj{}),
		resource("data", "aws_partition", "current", obj{}),
		resource("data", "aws_region", "current", obj{}),
	})
	e.s(`,"module_calls":{"karpenter":`)
	e.val(g.karp.call)
	mod := appModule()
	for t := range g.teams() {
		e.b(',')
		e.key(teamCall(t))
		e.val(obj{
			{"source", "./modules/app"},
			{"expressions", obj{
				{"alarm_topic_arn", ref("aws_sns_topic.alerts.arn")}, {"ami_id", ref("var.ami_id")},
				{"ingress", ref("each.value.ingress", "each.value")}, {"instance_count", ref("each.value.instances", "each.value")},
				{"name", ref("each.key")}, {"package", ref("each.key")}, {"subnet_ids", ref("aws_subnet.private")},
				{"tags", ref("local.tags", "each.key")}, {"vpc_id", constant(vpcID)},
				{"zone_id", ref("aws_route53_zone.main.zone_id")}, {"zone_name", ref("aws_route53_zone.main.name")},
			}},
			{"for_each_expression", ref("local.teams." + teamCall(t))},
			{"module", mod},
		})
	}
	e.s(`},"variables":`)
	e.val(obj{{"ami_id", variable("Base AMI", "ami-0abcdef1234567890")}, {"environment", variable("Environment", "prod")},
		{"region", variable("Region", region)}, {"subnet_count", variable("Private subnets", g.subnets)}})
	e.s(`}}`)
}
