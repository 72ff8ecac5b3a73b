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

locals {
  clusters = {
    prod    = { tags = { env = "prod" } }
    staging = { tags = { env = "staging" } }
  }
}

module "clusters" {
  source   = "./modules/cluster-addons"
  for_each = local.clusters

  cluster_name = each.key
  tags         = each.value.tags
}
