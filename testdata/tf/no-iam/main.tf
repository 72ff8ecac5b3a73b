# A workspace without IAM: the plan a gate sees when it runs in the wrong directory. karpgate
# must say it checked nothing (KARP021), not just PASSED.
resource "terraform_data" "release" {
  input = "v1.4.2"
}

output "release" {
  value = terraform_data.release.output
}
