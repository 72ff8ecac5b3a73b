resource "aws_iam_role" "not_utf8" {
  name = "ÿþ"
}
