#!/usr/bin/env bash
# The steps of karpgate's GitHub Action (action.yml at the repository root):
#   run.sh install   install karpgate (go install at INPUT_VERSION, else the action's ref) or take
#                    it from PATH (INPUT_VERSION=path); output karpgate=<binary>
#   run.sh scan      run karpgate scan with the INPUT_* settings, append the Markdown report to
#                    $GITHUB_STEP_SUMMARY, set the outputs exit-code, result, sarif and markdown,
#                    and exit with karpgate's exit code
# Every input arrives in an environment variable (action.yml maps them), never spliced into the
# script text, so no input can inject shell code.
set -euo pipefail

module=github.com/karpgate/karpgate/cmd/karpgate
summary_limit=1000000 # GitHub refuses a step summary over 1 MiB

die() {
	echo "::error title=karpgate action::$*" >&2
	exit 2
}

# output NAME VALUE: a step output (values are single lines here: paths, numbers, words).
output() {
	case $2 in *$'\n'*) die "output $1 would span lines: $2" ;; esac
	printf '%s=%s\n' "$1" "$2" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: run.sh runs as a step of a GitHub Actions job}"
}

# trim: strip leading and trailing blanks of $1.
trim() {
	local s=$1
	s=${s#"${s%%[![:space:]]*}"}
	s=${s%"${s##*[![:space:]]}"}
	printf '%s' "$s"
}

# action_ref prints the ref the action is used at: github.action_ref, which the runner leaves
# empty in some composite-action contexts, else the ref directory the runner checked the action
# out to (.../_actions/OWNER/REPO/REF).
action_ref() {
	if [[ -n ${KARPGATE_ACTION_REF:-} ]]; then
		printf '%s' "$KARPGATE_ACTION_REF"
		return
	fi
	local rest=${GITHUB_ACTION_PATH:-}
	[[ $rest == */_actions/*/*/* ]] || return 0
	rest=${rest##*/_actions/}
	rest=${rest#*/}
	rest=${rest#*/}
	printf '%s' "${rest%%/*}"
}

install() {
	local version=${INPUT_VERSION:-} bin
	version=$(trim "$version")
	[[ -n $version ]] || version=$(action_ref)
	if [[ $version == path ]]; then
		bin=$(command -v karpgate) || die "version: path, but no karpgate on PATH"
	else
		[[ -n $version ]] || die "no karpgate version: set the input version (a tag such as v1.2.3, or path), or use the action at a tag"
		[[ $version =~ ^[A-Za-z0-9][A-Za-z0-9._+/-]*$ ]] || die "version $version is not a tag, branch or commit"
		command -v go >/dev/null || die "go is not on PATH: add actions/setup-go before this action, or put karpgate on PATH yourself and set version: path"
		local gobin=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/karpgate-bin
		mkdir -p "$gobin"
		echo "go install $module@$version"
		# CGO_ENABLED=0: the static binary, as make build; GOTOOLCHAIN stays as the runner has it
		# (auto fetches the Go version go.mod asks for when the runner's is older).
		CGO_ENABLED=0 GOBIN=$gobin go install "$module@$version" || die "go install $module@$version failed (see above)"
		bin=$gobin/karpgate
		echo "$gobin" >>"${GITHUB_PATH:?GITHUB_PATH is not set}"
	fi
	"$bin" version
	output karpgate "$bin"
}

# boolean NAME VALUE: true or false, else stop.
boolean() {
	case $(trim "$2") in
	true) return 0 ;;
	false | "") return 1 ;;
	*) die "input $1 must be true or false, not $2" ;;
	esac
}

# absolute PATH: PATH made absolute against the working directory.
absolute() {
	case $1 in
	/*) printf '%s' "$1" ;;
	*) printf '%s/%s' "$PWD" "$1" ;;
	esac
}

scan() {
	: "${GITHUB_STEP_SUMMARY:?GITHUB_STEP_SUMMARY is not set: run.sh runs as a step of a GitHub Actions job}"
	local karpgate=${KARPGATE:-karpgate}
	local args=(scan) plans=() line code sarif markdown result tmp
	while IFS= read -r line; do
		line=$(trim "$line")
		[[ -n $line ]] && plans+=("$line")
	done <<<"${INPUT_PLAN:-}"
	((${#plans[@]} > 0)) || die "input plan is required: the JSON of terraform show -json"

	tmp=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/karpgate.XXXXXX")
	sarif=$(absolute "$(trim "${INPUT_SARIF:-karpgate.sarif}")")
	mkdir -p "$(dirname "$sarif")"
	markdown=$tmp/karpgate.md
	args+=(--format "sarif=$sarif" --format "markdown=$markdown")
	local words=()
	read -ra words <<<"${INPUT_FORMAT:-}"
	for line in "${words[@]}"; do
		args+=(--format "$line")
	done
	[[ -n ${INPUT_FAIL_ON:-} ]] && args+=(--fail-on "$(trim "$INPUT_FAIL_ON")")
	[[ -n ${INPUT_UNKNOWN:-} ]] && args+=(--unknown "$(trim "$INPUT_UNKNOWN")")
	[[ -n ${INPUT_CONFIG:-} ]] && args+=(--config "$(trim "$INPUT_CONFIG")")
	if boolean no-config "${INPUT_NO_CONFIG:-false}"; then
		args+=(--no-config)
	fi
	local annotations=
	if boolean annotations "${INPUT_ANNOTATIONS:-true}"; then
		annotations=$tmp/annotations
		args+=(--format "github=$annotations")
	fi
	while IFS= read -r line; do
		line=$(trim "$line")
		[[ -n $line ]] && args+=(--policy "$line")
	done <<<"${INPUT_POLICY:-}"
	while IFS= read -r line; do
		line=$(trim "$line")
		[[ -n $line ]] && args+=(--bundle "$line")
	done <<<"${INPUT_BUNDLE:-}"
	[[ -n ${INPUT_VERIFICATION_KEY:-} ]] && args+=(--verification-key "$(trim "$INPUT_VERIFICATION_KEY")")
	[[ -n ${INPUT_CATEGORY:-} ]] && args+=(--category "$(trim "$INPUT_CATEGORY")")
	[[ -n ${INPUT_SOURCE_DIR:-} ]] && args+=(--source-dir "$(trim "$INPUT_SOURCE_DIR")")
	read -ra words <<<"${INPUT_ARGS:-}"
	args+=("${words[@]}")
	args+=(-- "${plans[@]}")

	echo "karpgate ${args[*]}"
	set +e
	"$karpgate" "${args[@]}" 2>"$tmp/stderr"
	code=$?
	set -e
	cat "$tmp/stderr" >&2
	# Workflow commands (::error file=...::) become annotations when they reach the log.
	if [[ -n $annotations && -s $annotations ]]; then
		cat "$annotations"
	fi

	case $code in
	0) result=passed ;;
	1) result=failed ;;
	*) result=error ;;
	esac
	output exit-code "$code"
	output result "$result"
	output sarif "$sarif"
	output markdown "$markdown"

	if [[ $result != error && -s $markdown ]]; then
		if (($(wc -c <"$markdown") > summary_limit)); then
			head -c "$summary_limit" "$markdown" >>"$GITHUB_STEP_SUMMARY"
			printf '\n\n*The report is longer than a job summary may be; the whole report is the markdown output (%s) and the SARIF file.*\n' "$markdown" >>"$GITHUB_STEP_SUMMARY"
		else
			cat "$markdown" >>"$GITHUB_STEP_SUMMARY"
		fi
	else
		{
			printf '## karpgate: the plan was not evaluated (exit code %s)\n\n' "$code"
			case $code in
			2) echo "Usage or configuration error: a bad input, flag or configuration file." ;;
			3) echo "Input error: the plan is missing, unreadable or not the JSON of \`terraform show -json\`." ;;
			4) echo "Policy or bundle error: a user policy or bundle did not load or evaluate." ;;
			*) echo "karpgate stopped without a report." ;;
			esac
			printf '\n~~~~text\n'
			head -c 20000 "$tmp/stderr"
			printf '\n~~~~\n'
		} >>"$GITHUB_STEP_SUMMARY"
	fi
	return "$code"
}

case ${1:-} in
install) install ;;
scan) scan ;;
*) die "usage: run.sh install|scan" ;;
esac
