#!/usr/bin/env bash
# Every linter, each run even when an earlier one fails; exit 1 if any failed.
#   Go:       gofmt -l (must print nothing), go vet, staticcheck
#   frontend: npm run typecheck, npm run lint (when frontend/package.json defines them)
#   bindings: build/scripts/bindings.sh check (the committed frontend/wailsjs is current)
#   sizes:    build/sizecheck (Go files <= 700 lines and functions <= 120 in cloud/ and
#             backend/, frontend/src files <= 500); enforced (SIZE_LIMITS=report only reports)
#   CloudFormation templates: cfn-lint (errors fail; warnings are shown); checkov on the
#             product's templates (cloud/stack/templates; skips and why: cloud/stack/checkov.yaml)
#   shell:    shellcheck on build/scripts/*.sh, build/scripts/lib/*.sh and .ci/run (warnings and errors)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1
export PATH="$ROOT/.bin:$PATH"

failed=()
check() { # check NAME CMD...
	local name=$1; shift
	printf '\n== lint: %s\n' "$name"
	if "$@"; then printf -- '-- ok: %s\n' "$name"
	else printf -- '-- FAILED: %s\n' "$name"; failed+=("$name")
	fi
}

gofmt_clean() {
	local files out
	mapfile -t files < <(git ls-files -co --exclude-standard -- '*.go' ':!:**/node_modules/**')
	[[ ${#files[@]} -gt 0 ]] || return 0
	out="$(gofmt -l "${files[@]}")"
	[[ -z $out ]] && return 0
	echo "not gofmt-ed (run gofmt -w on them):"
	echo "$out"
	return 1
}

# The desktop packages build without cgo (Wails' cgo code is behind the desktop build tags),
# so vet and staticcheck need no C toolchain. main.go embeds frontend/dist: a tracked
# .gitkeep keeps that directory present before the first frontend build.
go_vet() { CGO_ENABLED=0 go vet ./...; }
staticcheck_run() {
	[[ -x .bin/staticcheck ]] || { echo ".bin/staticcheck is missing: run make tools"; return 1; }
	CGO_ENABLED=0 .bin/staticcheck ./...
}

# The size limits of issue 10 fail lint; SIZE_LIMITS=report build/scripts/lint.sh only
# reports them (while a large file is being split on a branch).
SIZE_LIMITS="${SIZE_LIMITS:-enforce}"
size_limits() {
	if [[ $SIZE_LIMITS == enforce ]]; then go run ./build/sizecheck -enforce
	else go run ./build/sizecheck
	fi
}

has_npm_script() { [[ -f frontend/package.json ]] && node -e 'process.exit(require("./frontend/package.json").scripts?.[process.argv[1]] ? 0 : 1)' "$1"; }

cfn_lint() {
	local templates
	mapfile -t templates < <(git ls-files -co --exclude-standard -- 'cloud/**/*.yaml' 'cloud/**/*.yml' 'cloud/**/*.json' |
		xargs -r grep -l -E '^(AWSTemplateFormatVersion|Resources):' 2>/dev/null)
	[[ ${#templates[@]} -gt 0 ]] || { echo "no CloudFormation templates"; return 0; }
	[[ -x .venv-aws/bin/cfn-lint ]] || { echo ".venv-aws/bin/cfn-lint is missing: run make tools"; return 1; }
	printf '%s\n' "${templates[@]}"
	# Exit bits: 2 error, 4 warning, 8 info. Only errors fail.
	.venv-aws/bin/cfn-lint --non-zero-exit-code error -- "${templates[@]}"
}

checkov_run() {
	[[ -d cloud/stack/templates ]] || { echo "no cloud/stack/templates"; return 0; }
	[[ -x .venv-checkov/bin/checkov ]] || { echo ".venv-checkov/bin/checkov is missing: run make tools"; return 1; }
	# --skip-download: no calls to Prisma Cloud (offline, and nothing leaves the machine).
	.venv-checkov/bin/checkov --config-file cloud/stack/checkov.yaml -d cloud/stack/templates
}

shell_lint() {
	command -v shellcheck >/dev/null || { echo "shellcheck is missing: run make deps-system"; return 1; }
	local scripts=(build/scripts/*.sh build/scripts/lib/*.sh)
	[[ -f .ci/run ]] && scripts+=(.ci/run)
	# SC1090/SC1091: sourcing a file named at run time (the env file) is intended.
	shellcheck -S warning -e SC1090,SC1091 "${scripts[@]}"
}

check gofmt gofmt_clean
check "go vet" go_vet
check staticcheck staticcheck_run
check "size limits ($SIZE_LIMITS)" size_limits
if has_npm_script typecheck; then check "tsc (npm run typecheck)" bash -c 'cd frontend && npm run --silent typecheck'; fi
if has_npm_script lint; then check "eslint (npm run lint)" bash -c 'cd frontend && npm run --silent lint'; fi
if [[ -x build/scripts/bindings.sh ]]; then check "wails bindings current" build/scripts/bindings.sh check; fi
check cfn-lint cfn_lint
check checkov checkov_run
check shellcheck shell_lint

echo
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "lint: FAILED: ${failed[*]}"
	exit 1
fi
echo "lint: all passed"
