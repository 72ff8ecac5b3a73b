// Package action holds the shell steps of karpgate's GitHub Action (run.sh, called by action.yml
// at the repository root) and the test that runs them: it reads action.yml, evaluates each step's
// expressions (inputs, github.action_path, github.action_ref, earlier steps' outputs) as GitHub
// does, and runs the steps with bash in a simulated job environment (GITHUB_OUTPUT,
// GITHUB_STEP_SUMMARY, GITHUB_PATH, RUNNER_TEMP) against scenario plans, with a karpgate built from
// this checkout. There is no Go code here beyond the test.
package action
