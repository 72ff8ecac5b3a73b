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
  # stands in for terraform-aws-modules/eks/aws//modules/karpenter 20.24.0
  source = "../modules/karpenter-v20.24"

  cluster_name = "prod"

  create_pod_identity_association = true

  # Karpenter v1.0 controller policy (PR #3126), plus the calls of Karpenter 1.12 it lacks, as
  # karpgate's KARP004 fix for eks-v20.24-v1-later adds them (--format patch)
  enable_v1_permissions = true
  iam_policy_statements = [
    {
      sid       = "AllowKarpenterUnscopedReadActions"
      actions   = ["ec2:DescribeInstanceStatus", "iam:ListInstanceProfiles"]
      resources = ["*"]
    },
  ]
}
