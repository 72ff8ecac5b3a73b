# Root-module resources of a hand-written Karpenter controller setup.

resource "aws_iam_role" "controller" {
  name               = "KarpenterController"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "PodIdentity"
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "controller" {
  statement {
    sid       = "AllowScopedEC2InstanceAccessActions"
    actions   = ["ec2:RunInstances", "ec2:CreateFleet"]
    resources = ["arn:aws:ec2:*::image/*"]
  }

  statement {
    actions   = ["ec2:Describe*"]
    resources = ["*"]
  }

  statement {
    sid       = "AllowPassingInstanceRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.node.arn]
  }
}

resource "aws_iam_policy" "controller" {
  count  = 1
  name   = "KarpenterController"
  policy = data.aws_iam_policy_document.controller.json
}

resource "aws_iam_role" "node" {
  name = "KarpenterNode"
}
