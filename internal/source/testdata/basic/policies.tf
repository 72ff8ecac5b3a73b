# Policies written as jsonencode, heredoc and through a local.

resource "aws_iam_policy" "jsonencoded" {
  name = "karpenter-jsonencode"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "AllowRegionalReadActions"
        Effect   = "Allow"
        Action   = ["ec2:DescribeInstances", "ec2:DescribeSubnets"]
        Resource = "*"
      },
      {
        "Sid"    = "AllowUnscopedTerminate"
        Effect   = "Allow"
        Action   = "ec2:TerminateInstances"
        Resource = "*"
      },
    ]
  })
}

resource "aws_iam_role_policy" "heredoc" {
  name = "karpenter-heredoc"
  role = aws_iam_role.controller.id

  policy = <<-EOF
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "AllowInterruptionQueueActions",
          "Effect": "Allow",
          "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
          "Resource": "${aws_sqs_queue.interruption.arn}"
        },
        {
          "Sid": "AllowAPIServerEndpointDiscovery",
          "Effect": "Allow",
          "Action": "eks:DescribeCluster",
          "Resource": "*"
        }
      ]
    }
  EOF
}

resource "aws_iam_role_policy" "via_local" {
  name   = "karpenter-local"
  role   = aws_iam_role.controller.id
  policy = local.node_policy
}

locals {
  node_policy = jsonencode({
    Version = "2012-10-17"
    Statement = {
      Sid      = "AllowNodeInstanceProfile"
      Effect   = "Allow"
      Action   = "iam:GetInstanceProfile"
      Resource = "*"
    }
  })
}

resource "aws_sqs_queue" "interruption" {
  name = "karpenter"
}

resource "aws_iam_policy" "from_file" {
  name   = "karpenter-file"
  policy = file("${path.module}/policies/controller.json")
}

resource "aws_iam_policy" "from_template" {
  name = "karpenter-template"
  policy = templatefile("${path.module}/policies/controller.json", {
    cluster = "prod"
  })
}
