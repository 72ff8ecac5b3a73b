// Command tfplans regenerates the scenario plans under testdata/plans from the Terraform
// configurations under testdata/tf, with the Terraform CLI and an offline mirror of the
// hashicorp/aws provider (`make plans`).
//
// For each scenario it starts from the state the scenario's earlier configuration would leave
// (none, the configuration itself, or before/), built without applying anything: it plans that
// configuration, fills the values only an apply would know (ids, ARNs, unique ids, dates) with
// realistic deterministic ones, and plans again until the configuration plans no change. Then it
// runs `terraform plan -refresh=false -out` and `terraform show -json` for the scenario, replaces
// the plan's timestamp (the only field that changes from run to run) with a constant, and writes
// testdata/plans/<scenario>/plan.json.
//
// The provider needs no AWS account: credentials are fake and static, and the STS endpoint
// points at a loopback stub that answers sts:GetCallerIdentity for account 111122223333.
package main
