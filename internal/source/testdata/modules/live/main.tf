module "karpenter" {
  source = "../modules/karpenter"

  cluster_name = "prod"
}

module "clusters" {
  for_each = toset(["prod", "staging"])
  source   = "../modules/cluster"

  name = each.key
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.24"
}

module "iam" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-policy"
  version = "5.44.0"
}

module "outside" {
  source = "../../basic"
}

module "missing" {
  source = "./not-there"
}
