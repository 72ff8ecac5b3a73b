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

  # common-fix-no-region with karpgate's fixes of its KARP002 (the region in the ARN) and KARP014
  # (the ownership conditions) made in the entry: `karpgate scan --format patch=fix.diff` writes this
  iam_policy_statements = [
    {
      sid       = "AllowKarpenterV1InstanceTagging"
      actions   = ["ec2:CreateTags"]
      resources = ["arn:aws:ec2:eu-west-1:*:instance/*"]
      conditions = [
        {
          test     = "StringEquals"
          variable = "aws:ResourceTag/kubernetes.io/cluster/prod"
          values   = ["owned"]
        },
        {
          test     = "StringLike"
          variable = "aws:ResourceTag/karpenter.sh/nodepool"
          values   = ["*"]
        },
      ]
    }
  ]
}
