#!/usr/bin/env bash
# The test run behind `make test` and `make test-go`.
#
#   build/scripts/test.sh              everything: deps check, test services up, then inside one
#                                      session D-Bus + unlocked keyring: Go tests, frontend unit
#                                      tests, e2e (Playwright), desktop build + smoke, linters
#   build/scripts/test.sh go [ARGS]    only the Go tests (ARGS: packages and go test flags,
#                                      default ./...), with the services and the keyring
#
# Every stage runs even when an earlier one failed; a summary table follows; the exit code
# is non-zero when any stage failed. A TERM or INT (make test stopped) stops the stage under
# way, every process it started, and the run (the services it started go down too). The test services are reused when they already run
# (make testenv-up); otherwise they are started here and stopped again at exit.
# Logs and test artefacts (screenshots, ...) go to artifacts/ (TH_ARTIFACTS_DIR).
# CI=true (set by .ci/run) makes a test that cannot reach its service fail instead of skip.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1
export PATH="$ROOT/.bin:$PATH"
export CI="${CI:-}"
export TH_ARTIFACTS_DIR="${TH_ARTIFACTS_DIR:-$ROOT/artifacts}"
export CGO_ENABLED="${CGO_ENABLED:-0}" # no test package needs cgo; the desktop build sets its own
GO_TEST_TIMEOUT="${TH_GO_TEST_TIMEOUT:-20m}"
SCRIPTS="$ROOT/build/scripts"
# shellcheck source=build/scripts/lib/proc.sh
source "$SCRIPTS/lib/proc.sh"
mkdir -p "$TH_ARTIFACTS_DIR/logs"

# --- stages ---------------------------------------------------------------------------
# Results go to a TSV file shared with the inner run under the keyring wrapper:
# name, result (pass|FAIL|skip), seconds, note.
export TH_STAGES_FILE="${TH_STAGES_FILE:-$TH_ARTIFACTS_DIR/stages.tsv}"

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$TH_STAGES_FILE"; }

# stage NAME CMD...: run it, show its output and keep a copy in artifacts/logs/NAME.log.
# It runs in a process group of its own (run_group): a TERM or INT to this script stops
# the whole stage, every process it started, and the script after it.
stage() {
	local name=$1; shift
	local log="$TH_ARTIFACTS_DIR/logs/$name.log" t0=$SECONDS rc=0
	printf '\n===== stage %s: %s\n' "$name" "$*"
	run_group stage_run "$log" "$@" || rc=$?
	LAST_RC=$rc
	if [[ $rc -eq 0 ]]; then record "$name" pass $((SECONDS - t0))
	else record "$name" FAIL $((SECONDS - t0)) "exit $rc, log ${log#"$ROOT"/}"
	fi
	printf '===== stage %s: %s (%ss)\n' "$name" "$([[ $rc -eq 0 ]] && echo pass || echo "FAIL, exit $rc")" $((SECONDS - t0))
	return 0
}

# stage_run LOG CMD...: CMD's output to the terminal and to LOG. No input: the stage is a
# background job, which may not read the terminal. tee ignores the signals that stop the
# stage's group, so what CMD says while it stops (its cleanup) still shows.
stage_run() {
	local log=$1; shift
	"$@" </dev/null 2>&1 | (trap '' INT TERM HUP; exec tee "$log")
	return "${PIPESTATUS[0]}"
}

skip() { # skip NAME WHY
	printf '\n===== stage %s: SKIPPED (%s)\n' "$1" "$2"
	record "$1" skip 0 "$2"
}

summary() {
	local name result secs note pass=0 fail=0 skipped=0
	printf '\n%-16s %-6s %8s  %s\n' STAGE RESULT TIME NOTE
	printf '%-16s %-6s %8s  %s\n' ---------------- ------ -------- ----
	while IFS=$'\t' read -r name result secs note; do
		printf '%-16s %-6s %7ss  %s\n' "$name" "$result" "$secs" "$note"
		case $result in pass) pass=$((pass + 1)) ;; FAIL) fail=$((fail + 1)) ;; *) skipped=$((skipped + 1)) ;; esac
	done <"$TH_STAGES_FILE"
	echo
	echo "stages: $pass passed, $fail failed, $skipped skipped"
	[[ $fail -eq 0 ]]
}

has_npm_script() { [[ -f frontend/package.json ]] && node -e 'process.exit(require("./frontend/package.json").scripts?.[process.argv[1]] ? 0 : 1)' "$1"; }

go_tests() { go test -count=1 -timeout "$GO_TEST_TIMEOUT" "${@:-./...}"; }

# --- test services --------------------------------------------------------------------
STARTED_TESTENV=0
LAST_RC=0
# testenv_stage: reuse running services, or start them (and remember to stop them at exit;
# decided here, outside the stage's pipeline subshell).
testenv_stage() {
	if "$SCRIPTS/testenv.sh" status >/dev/null 2>&1; then
		stage testenv bash -c 'echo "test services already running: reusing them (stop them with make testenv-down)"; "$1" status' _ "$SCRIPTS/testenv.sh"
		return 0
	fi
	STARTED_TESTENV=1
	stage testenv bash -c '"$1" up && "$1" status' _ "$SCRIPTS/testenv.sh"
}

cleanup() {
	local dir="${TH_TESTENV_DIR:-$ROOT/.testenv}"
	if [[ -d $dir/logs ]]; then
		mkdir -p "$TH_ARTIFACTS_DIR/testenv-logs" && cp -f "$dir"/logs/*.log "$TH_ARTIFACTS_DIR/testenv-logs/" 2>/dev/null
	fi
	if [[ $STARTED_TESTENV == 1 ]]; then "$SCRIPTS/testenv.sh" down; fi
}

# --- the stages that run inside the keyring wrapper -------------------------------------
inner_all() {
	stage go go_tests ./...
	if has_npm_script test; then stage frontend-unit bash -c 'cd frontend && npm test'
	else skip frontend-unit "frontend/package.json has no test script"; fi
	if [[ -x $SCRIPTS/e2e.sh ]]; then stage e2e "$SCRIPTS/e2e.sh"
	else skip e2e "build/scripts/e2e.sh not there yet"; fi
	if [[ -x $SCRIPTS/desktop-smoke.sh ]]; then
		stage desktop-build make --no-print-directory build-desktop
		if [[ $LAST_RC -eq 0 ]]; then stage desktop-smoke "$SCRIPTS/desktop-smoke.sh"
		else record desktop-smoke FAIL 0 "not run: the desktop build failed"; fi
	else
		skip desktop-smoke "build/scripts/desktop-smoke.sh not there yet"
	fi
	stage lint "$SCRIPTS/lint.sh"
}

case "${1:-all}" in
all)
	: >"$TH_STAGES_FILE"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	stage deps "$SCRIPTS/deps.sh" check
	testenv_stage
	run_group "$SCRIPTS/with-keyring.sh" "$SCRIPTS/test.sh" __inner_all || record keyring FAIL 0 "with-keyring.sh failed: see its output above"
	summary
	;;
go)
	shift
	: >"$TH_STAGES_FILE"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	testenv_stage
	run_group "$SCRIPTS/with-keyring.sh" "$SCRIPTS/test.sh" __inner_go "$@" || record keyring FAIL 0 "with-keyring.sh failed: see its output above"
	summary
	;;
__inner_all) inner_all ;;
__inner_go) shift; stage go go_tests "$@" ;;
*) echo "usage: $0 [all|go [packages and go test flags]]" >&2; exit 2 ;;
esac
