variable "cluster_name" {
  description = "EKS cluster name"
  type        = string
}

variable "tags" {
  type    = map(string)
  default = {}
}

module "karpenter" {
  # stands in for terraform-aws-modules/eks/aws//modules/karpenter 21.3.1
  source = "../../../modules/karpenter-v21"

  cluster_name = var.cluster_name
  tags         = var.tags
}
