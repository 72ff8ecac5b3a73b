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

  # The common fix (testdata/tf/common-fix) with the ownership conditions that karpgate's KARP014
  # fix adds to the entry: `karpgate scan --format patch=fix.diff` on common-fix writes this change.
  iam_policy_statements = [
    {
      sid       = "AllowKarpenterV1InstanceTagging"
      actions   = ["ec2:CreateTags"]
      resources = ["arn:aws:ec2:*:*:instance/*"]
      conditions = [
        {
          test     = "StringEquals"
          variable = "aws:RequestedRegion"
          values   = ["eu-west-1"]
        },
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
