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

  # the default: keep the Karpenter v0.33-v0.37 controller policy
  enable_v1_permissions = false
}
