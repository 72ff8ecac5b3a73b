package source

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPolicyForm(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"main.tf": `
data "aws_iam_policy_document" "doc" {
  statement {
    actions   = ["ec2:CreateTags"]
    resources = ["*"]
  }
}

locals {
  doc  = data.aws_iam_policy_document.doc.json
  enc  = jsonencode({ Version = "2012-10-17", Statement = [] })
  also = local.enc
}

resource "aws_iam_policy" "document" { policy = data.aws_iam_policy_document.doc.json }
resource "aws_iam_policy" "document_indexed" { policy = data.aws_iam_policy_document.doc[0].json }
resource "aws_iam_policy" "encoded" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = []
  })
}
resource "aws_iam_policy" "heredoc" {
  policy = <<EOT
{"Version": "2012-10-17", "Statement": []}
EOT
}
resource "aws_iam_policy" "quoted" { policy = "{\"Version\": \"2012-10-17\", \"Statement\": []}" }
resource "aws_iam_policy" "file" { policy = file("${path.module}/policy.json") }
resource "aws_iam_policy" "via_local" { policy = local.also }
resource "aws_iam_policy" "doc_local" { policy = local.doc }
resource "aws_iam_policy" "variable" { policy = var.policy }
resource "aws_iam_policy" "either" { policy = var.x ? local.enc : data.aws_iam_policy_document.doc.json }
resource "aws_iam_policy" "both" { policy = var.x ? local.enc : jsonencode({}) }
resource "aws_iam_role" "inline" {
  name = "r"
  inline_policy {
    name   = "p"
    policy = jsonencode({ Version = "2012-10-17", Statement = [] })
  }
}
module "child" { source = "./child" }
`,
		"child/main.tf": `resource "aws_iam_role_policy" "p" { policy = data.aws_iam_policy_document.x.json }`,
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := Index(dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ addr, attr, want string }{
		{"aws_iam_policy.document", "policy", FormPolicyDocument},
		{"aws_iam_policy.document_indexed", "policy", FormPolicyDocument},
		{"aws_iam_policy.encoded", "policy", FormJSONEncode},
		{"aws_iam_policy.heredoc", "policy", FormJSON},
		{"aws_iam_policy.quoted", "policy", FormJSON},
		{"aws_iam_policy.file", "policy", FormJSON},
		{"aws_iam_policy.via_local", "policy", FormJSONEncode},
		{"aws_iam_policy.doc_local", "policy", FormPolicyDocument},
		{"aws_iam_policy.variable", "policy", ""},
		{"aws_iam_policy.either", "policy", ""},
		{"aws_iam_policy.both", "policy", FormJSONEncode},
		{"aws_iam_role.inline", "inline_policy[0].policy", FormJSONEncode},
		{"module.child.aws_iam_role_policy.p", "policy", FormPolicyDocument},
		{"aws_iam_policy.absent", "policy", ""},
		{"aws_iam_policy.document", "description", ""},
		{"module.absent.aws_iam_policy.x", "policy", ""},
		{"not an address", "policy", ""},
	} {
		if got := m.PolicyForm(tc.addr, tc.attr); got != tc.want {
			t.Errorf("PolicyForm(%s, %s) = %q, want %q", tc.addr, tc.attr, got, tc.want)
		}
	}
}
