output "iam_role_arn" {
  description = "ARN of the controller IAM role"
  value       = try(aws_iam_role.controller[0].arn, null)
}

output "queue_name" {
  description = "Name of the interruption queue"
  value       = try(aws_sqs_queue.this[0].name, null)
}

output "node_iam_role_arn" {
  description = "ARN of the node IAM role"
  value       = try(aws_iam_role.node[0].arn, null)
}
