terraform {
  required_version = ">= 1.5.7"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100" # the module wants 6.x; the offline mirror holds 5.100
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "karpenter" {
  # stands in for terraform-aws-modules/eks/aws//modules/karpenter 21.8.0
  source = "../../modules/karpenter-v21"

  cluster_name = "prod"

  # avoid LimitExceeded PolicySize 6144 (issues #3415/#3512): inline policy instead of a managed one
  enable_inline_policy = false
}
