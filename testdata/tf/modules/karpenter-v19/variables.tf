variable "create" {
  type    = bool
  default = true
}

variable "cluster_name" {
  description = "Name of the EKS cluster"
  type        = string
  default     = ""
}

variable "tags" {
  type    = map(string)
  default = {}
}

################################################################################
# IAM role for service accounts
################################################################################

variable "create_irsa" {
  type    = bool
  default = true
}

variable "irsa_name" {
  type    = string
  default = null
}

variable "irsa_policy_name" {
  type    = string
  default = null
}

variable "irsa_use_name_prefix" {
  type    = bool
  default = true
}

variable "irsa_path" {
  type    = string
  default = "/"
}

variable "irsa_description" {
  type    = string
  default = "Karpenter IAM role for service account"
}

variable "irsa_oidc_provider_arn" {
  type    = string
  default = ""
}

variable "irsa_namespace_service_accounts" {
  type    = list(string)
  default = ["karpenter:karpenter"]
}

variable "irsa_assume_role_condition_test" {
  type    = string
  default = "StringEquals"
}

variable "irsa_tag_key" {
  type    = string
  default = "karpenter.sh/discovery"
}

variable "policies" {
  type    = map(string)
  default = {}
}

################################################################################
# Node termination queue and node role
################################################################################

variable "enable_spot_termination" {
  type    = bool
  default = true
}

variable "queue_name" {
  type    = string
  default = null
}

variable "queue_managed_sse_enabled" {
  type    = bool
  default = true
}

variable "rule_name_prefix" {
  type    = string
  default = "Karpenter"
}

variable "create_iam_role" {
  type    = bool
  default = true
}

variable "iam_role_name" {
  type    = string
  default = null
}

variable "iam_role_use_name_prefix" {
  type    = bool
  default = true
}

variable "create_instance_profile" {
  type    = bool
  default = true
}
