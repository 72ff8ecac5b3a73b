variable "cluster_name" {
  description = "EKS cluster name"
  type        = string
}

variable "tags" {
  type    = map(string)
  default = {}
}

module "karpenter" {
  source  = "terraform-aws-modules/eks/aws//modules/karpenter"
  version = "21.3.1"

  cluster_name = var.cluster_name
  tags         = var.tags
}
