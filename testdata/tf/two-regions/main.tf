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

# One Karpenter per cluster, each under the provider of its cluster's region: each policy pins
# tagging and launches to its own region.
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

module "karpenter_eu" {
  source = "../modules/karpenter-v21"
  providers = {
    aws = aws.ireland
  }

  cluster_name    = "prod-eu"
  iam_role_name   = "KarpenterController-prod-eu"
  iam_policy_name = "KarpenterController-prod-eu"
}
