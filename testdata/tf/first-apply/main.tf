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
  # stands in for terraform-aws-modules/eks/aws//modules/karpenter 21.3.1
  source = "../modules/karpenter-v21"

  cluster_name = "prod"

  # greenfield: role, node role, queue and policy are all created by this apply
}
