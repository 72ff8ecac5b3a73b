terraform {
  required_version = ">= 1.5.7"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.61"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "karpenter" {
  # stands in for terraform-aws-modules/eks/aws//modules/karpenter 20.33.1
  source = "../modules/karpenter-v20.24"

  cluster_name = "prod"

  create_pod_identity_association = true

  iam_role_policies = {
    Ec2Fix = aws_iam_policy.karpenter_ec2_fix.arn
  }
}

# "just give it ec2:*" after the Karpenter v1 upgrade broke instance tagging
resource "aws_iam_policy" "karpenter_ec2_fix" {
  name        = "karpenter-ec2-fix"
  description = "Karpenter v1 ec2 permissions fix"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "KarpenterEc2"
        Effect   = "Allow"
        Action   = "ec2:*"
        Resource = "*"
      }
    ]
  })
}
