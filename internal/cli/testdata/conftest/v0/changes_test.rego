package main

test_deny_iam_delete {
	deny["aws_iam_policy.p: IAM resources may not be deleted by a pipeline ([\"delete\"])"] with input as {"resource_changes": [{"address": "aws_iam_policy.p", "type": "aws_iam_policy", "change": {"actions": ["delete"]}}]}
}

test_no_deny_on_update {
	count(deny) == 0 with input as {"resource_changes": [{"address": "aws_iam_policy.p", "type": "aws_iam_policy", "change": {"actions": ["update"]}}]}
}

test_untagged_role {
	deny_untagged["aws_iam_role.r has no Team tag"] with input as {"resource_changes": [{"address": "aws_iam_role.r", "type": "aws_iam_role", "change": {"actions": ["create"], "after": {"tags": {}}}}]}
}

test_exception_only_for_module_roles {
	exception[["untagged"]] with input as {"resource_changes": [{"address": "module.karpenter.aws_iam_role.r", "type": "aws_iam_role"}]}
	not exception[["untagged"]] with input as {"resource_changes": [{"address": "aws_iam_role.r", "type": "aws_iam_role"}]}
}
