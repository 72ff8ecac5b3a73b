output "irsa_arn" {
  description = "ARN of the controller IAM role for service accounts"
  value       = try(aws_iam_role.irsa[0].arn, null)
}

output "queue_name" {
  description = "Name of the interruption queue"
  value       = try(aws_sqs_queue.this[0].name, null)
}

output "role_arn" {
  description = "ARN of the node IAM role"
  value       = try(aws_iam_role.this[0].arn, null)
}
