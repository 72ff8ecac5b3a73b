# Installed by terraform init: inside the repository directory but never committed, so never a location.
resource "aws_iam_role" "cluster" {
  name = "eks"
}
