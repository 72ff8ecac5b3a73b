terraform {
  required_version = ">= 1.5.7"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

# The root's own resources (state, DNS) live in Frankfurt, where neither cluster runs.
provider "aws" {
  region = "eu-central-1"
}

provider "aws" {
  alias  = "virginia"
  region = "us-east-1"
}

provider "aws" {
  alias  = "ireland"
  region = "eu-west-1"
}

module "karpenter_us" {
  # stands in for terraform-aws-modules/eks/aws//modules/karpenter 21.3.1
  source = "../modules/karpenter-v21"
  providers = {
    aws = aws.virginia
  }

  cluster_name    = "prod-us"
  iam_role_name   = "KarpenterController-prod-us"
  iam_policy_name = "KarpenterController-prod-us"
}

# The Irish cluster's Karpenter, copied from the block above with its provider left unchanged:
# its policy pins tagging and launches to us-east-1. Its pod identity association is made here,
# in the cluster's region, so Karpenter runs in eu-west-1.
module "karpenter_eu" {
  source = "../modules/karpenter-v21"
  providers = {
    aws = aws.virginia
  }

  cluster_name                    = "prod-eu"
  iam_role_name                   = "KarpenterController-prod-eu"
  iam_policy_name                 = "KarpenterController-prod-eu"
  create_pod_identity_association = false
}

resource "aws_eks_pod_identity_association" "karpenter_eu" {
  provider = aws.ireland

  cluster_name    = "prod-eu"
  namespace       = "kube-system"
  service_account = "karpenter"
  role_arn        = module.karpenter_eu.iam_role_arn
}
