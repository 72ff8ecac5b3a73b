resource "aws_iam_policy" "fine" {
  policy = jsonencode({
    Statement = [{ Sid = "Fine", Effect = "Allow", Action = "s3:GetObject", Resource = "*" }]
  })
}
