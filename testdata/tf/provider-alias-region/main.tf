terraform {
  required_version = ">= 1.5.7"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

# The state bucket and everything else of this root live in Ireland ...
provider "aws" {
  region = "eu-west-1"
}

# ... the cluster runs in North Virginia.
provider "aws" {
  alias  = "virginia"
  region = "us-east-1"
}

module "karpenter" {
  # stands in for terraform-aws-modules/eks/aws//modules/karpenter 21.3.1
  source = "../modules/karpenter-v21"
  providers = {
    aws = aws.virginia
  }

  cluster_name = "prod"
}
