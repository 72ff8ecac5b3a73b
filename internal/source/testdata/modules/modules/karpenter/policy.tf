data "aws_iam_policy_document" "v1" {
  count = 1

  statement {
    sid       = "AllowScopedEC2InstanceAccessActions"
    actions   = ["ec2:RunInstances", "ec2:CreateFleet"]
    resources = ["arn:aws:ec2:*::image/*"]
  }

  dynamic "statement" {
    for_each = var.cluster_name != "" ? [1] : []
    content {
      sid       = "AllowScopedInstanceProfileCreationActions"
      actions   = ["iam:CreateInstanceProfile"]
      resources = ["*"]
    }
  }
}

data "aws_iam_policy_document" "controller" {
  count = 1

  source_policy_documents = [data.aws_iam_policy_document.v1[0].json]
}
