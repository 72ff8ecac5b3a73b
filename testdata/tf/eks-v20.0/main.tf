terraform {
  required_version = ">= 1.5.7"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.40"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "karpenter" {
  # stands in for terraform-aws-modules/eks/aws//modules/karpenter 20.14.0
  source = "../modules/karpenter-v20.0"

  cluster_name = "prod"

  # Pod Identity (default since v20.2); the association is created here
  create_pod_identity_association = true
}
