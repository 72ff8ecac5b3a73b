variable "name" {
  type = string
}

module "karpenter" {
  source = "../karpenter"

  cluster_name = var.name
}

module "eks_karpenter" {
  source  = "terraform-aws-modules/eks/aws//modules/karpenter"
  version = "20.37.2"
}
