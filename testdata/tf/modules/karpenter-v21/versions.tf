terraform {
  required_version = ">= 1.3.2"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.95" # the published v21 module needs 6.x; the offline mirror holds 5.100
    }
  }
}
