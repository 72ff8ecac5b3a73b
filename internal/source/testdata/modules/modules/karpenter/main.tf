variable "cluster_name" {
  type = string
}

resource "aws_iam_role" "controller" {
  count = 1
  name  = "KarpenterController-${var.cluster_name}"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "PodIdentity"
      Effect    = "Allow"
      Action    = ["sts:AssumeRole", "sts:TagSession"]
      Principal = { Service = "pods.eks.amazonaws.com" }
    }]
  })
}

resource "aws_iam_policy" "controller" {
  count  = 1
  name   = "KarpenterController-${var.cluster_name}"
  policy = data.aws_iam_policy_document.controller[0].json
}
