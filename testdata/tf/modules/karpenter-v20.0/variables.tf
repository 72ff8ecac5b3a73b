variable "create" {
  description = "Whether to create anything"
  type        = bool
  default     = true
}

variable "cluster_name" {
  description = "Name of the EKS cluster"
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags for every resource"
  type        = map(string)
  default     = {}
}

################################################################################
# Controller role
################################################################################

variable "create_iam_role" {
  description = "Whether to create the controller IAM role"
  type        = bool
  default     = true
}

variable "iam_role_name" {
  type    = string
  default = "KarpenterController"
}

variable "iam_role_use_name_prefix" {
  type    = bool
  default = true
}

variable "iam_role_path" {
  type    = string
  default = "/"
}

variable "iam_role_description" {
  type    = string
  default = "Karpenter controller IAM role"
}

variable "iam_role_policies" {
  description = "Policies to attach to the controller role: name => policy ARN"
  type        = map(string)
  default     = {}
}

variable "iam_policy_name" {
  type    = string
  default = "KarpenterController"
}

variable "iam_policy_use_name_prefix" {
  type    = bool
  default = true
}

variable "iam_policy_description" {
  type    = string
  default = "Karpenter controller IAM policy"
}

variable "iam_policy_statements" {
  description = "Statements appended to the controller policy"
  type        = any
  default     = []
}

variable "enable_pod_identity" {
  type    = bool
  default = true
}

variable "enable_irsa" {
  type    = bool
  default = false
}

variable "irsa_oidc_provider_arn" {
  type    = string
  default = ""
}

variable "irsa_namespace_service_accounts" {
  type    = list(string)
  default = ["karpenter:karpenter"]
}

variable "create_pod_identity_association" {
  type    = bool
  default = false
}

variable "namespace" {
  type    = string
  default = "kube-system"
}

variable "service_account" {
  type    = string
  default = "karpenter"
}

################################################################################
# Interruption queue
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

################################################################################
# Node role
################################################################################

variable "create_node_iam_role" {
  type    = bool
  default = true
}

variable "node_iam_role_name" {
  type    = string
  default = null
}

variable "node_iam_role_use_name_prefix" {
  type    = bool
  default = true
}

variable "node_iam_role_description" {
  type    = string
  default = null
}

variable "node_iam_role_additional_policies" {
  type    = map(string)
  default = {}
}

variable "create_access_entry" {
  type    = bool
  default = true
}
