# A registry module vendored into the repository; modules.json points here.
variable "policy" {
  type = string
}

resource "aws_iam_policy" "policy" {
  policy = var.policy
}
