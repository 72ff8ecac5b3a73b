resource "aws_iam_role" "half" {
  name = "ok"
}

resource "aws_iam_policy" "unterminated" {
  policy = jsonencode({
    Statement = [
