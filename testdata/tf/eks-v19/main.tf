terraform {
  required_version = ">= 1.5.7"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.31"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "karpenter" {
  # stands in for terraform-aws-modules/eks/aws//modules/karpenter 19.21.0
  source = "../modules/karpenter-v19"

  cluster_name = "prod"

  # IRSA for the controller (service account karpenter/karpenter)
  irsa_oidc_provider_arn = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/5C54DDF35ER19312844C7333374CC09D"
}
