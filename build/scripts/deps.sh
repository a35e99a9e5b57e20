#!/usr/bin/env bash
# Installs what building and testing Transfer Hub needs, on a fresh Debian 12 / Ubuntu
# machine (root, or a user with sudo). Every step is idempotent and returns quickly when
# its work is already done.
#
#   build/scripts/deps.sh system     apt packages (cgo/GTK/WebKit, Xvfb, Chromium, keyring, registry, ...)
#   build/scripts/deps.sh frontend   npm ci in frontend/ and frontend/e2e/ (from their lock files)
#   build/scripts/deps.sh tools      .bin/: wails, staticcheck, versitygw, aws-lambda-rie; .venv-aws: moto, cfn-lint;
#                                    .venv-checkov: checkov
#   build/scripts/deps.sh check      report what is missing, install nothing (exit 1 if anything is)
#   build/scripts/deps.sh all        system + Go modules + frontend + tools, side by side where they can
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

# Pinned versions (bump here, nowhere else).
VERSITYGW_VERSION=v1.8.0
LAMBDA_RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d # the emulator has no tags
MOTO_VERSION=5.2.5
CFN_LINT_VERSION=1.58.0
CHECKOV_VERSION=3.3.30

BIN="$ROOT/.bin"
VENV="$ROOT/.venv-aws"
# checkov pins older boto3 and networkx than moto runs with: it gets a venv of its own.
VENV_CHECKOV="$ROOT/.venv-checkov"

# TESTENV.md §1. fonts-dejavu-core: text in screenshots; shellcheck: lint.sh.
SYSTEM_PACKAGES=(
	build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev
	xvfb xauth imagemagick xdotool chromium fonts-dejavu-core gnome-keyring dbus dbus-x11 libsecret-tools
	awscli docker-registry skopeo rclone python3-venv curl openssl ca-certificates git make shellcheck
)

log() { printf '[deps] %s\n' "$*" >&2; }
die() { printf '[deps] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [[ $(id -u) -eq 0 ]]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else die "need root or sudo to run: $*"
	fi
}

missing_system_packages() {
	local p status
	for p in "${SYSTEM_PACKAGES[@]}"; do
		status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
		[[ $status == "install ok installed" ]] || printf '%s\n' "$p"
	done
}

deps_system() {
	command -v dpkg-query >/dev/null || die "not a Debian/Ubuntu system (no dpkg-query): install the packages of TESTENV.md §1 by hand"
	local missing
	mapfile -t missing < <(missing_system_packages)
	if [[ ${#missing[@]} -eq 0 ]]; then
		log "system packages: all ${#SYSTEM_PACKAGES[@]} installed"
		return 0
	fi
	log "system packages: installing ${missing[*]}"
	local t0=$SECONDS
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
	# The docker-registry package starts its own registry on :5000 (all interfaces) where
	# systemd runs; our scripts start their own registries and moto wants :5000.
	if [[ " ${missing[*]} " == *" docker-registry "* && -d /run/systemd/system ]]; then
		as_root systemctl disable --now docker-registry >/dev/null 2>&1 || true
	fi
	log "system packages: done in $((SECONDS - t0))s"
}

# The tools are built without cgo: they need no C, and gcc may be half-installed while
# apt runs next to these builds (deps.sh all).

# has_version BINARY MODULE VERSION: the Go binary was built from MODULE at VERSION.
has_version() {
	[[ -x $1 ]] && go version -m "$1" 2>/dev/null | grep -Eq "^[[:space:]]+(mod|dep)[[:space:]]+$2[[:space:]]+$3([[:space:]]|$)"
}

tools_version() { # the version of a module required in tools/go.mod
	go list -modfile=tools/go.mod -m -f '{{.Version}}' "$1"
}

install_wails() {
	local v; v="$(tools_version github.com/wailsapp/wails/v2)"
	has_version "$BIN/wails" github.com/wailsapp/wails/v2 "$v" && { log "wails $v: present"; return 0; }
	# Not `go install ...@v2.9.2`: its go.mod pins an x/tools that does not build with Go 1.26
	# (TESTENV.md §2); the tools module overrides it.
	CGO_ENABLED=0 go build -modfile=tools/go.mod -o "$BIN/wails" github.com/wailsapp/wails/v2/cmd/wails
	log "wails $v: built"
}

install_staticcheck() {
	local v; v="$(tools_version honnef.co/go/tools)"
	has_version "$BIN/staticcheck" honnef.co/go/tools "$v" && { log "staticcheck $v: present"; return 0; }
	CGO_ENABLED=0 go build -modfile=tools/go.mod -o "$BIN/staticcheck" honnef.co/go/tools/cmd/staticcheck
	log "staticcheck $v: built"
}

install_versitygw() {
	has_version "$BIN/versitygw" github.com/versity/versitygw "$VERSITYGW_VERSION" && { log "versitygw $VERSITYGW_VERSION: present"; return 0; }
	GOBIN="$BIN" CGO_ENABLED=0 go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
	log "versitygw $VERSITYGW_VERSION: built"
}

install_lambda_rie() {
	has_version "$BIN/aws-lambda-rie" github.com/aws/aws-lambda-runtime-interface-emulator "$LAMBDA_RIE_VERSION" && { log "aws-lambda-rie: present"; return 0; }
	GOBIN="$BIN" CGO_ENABLED=0 go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$LAMBDA_RIE_VERSION"
	log "aws-lambda-rie $LAMBDA_RIE_VERSION: built"
}

venv_has_pins() {
	[[ -x $VENV/bin/python ]] && "$VENV/bin/python" - "$MOTO_VERSION" "$CFN_LINT_VERSION" 2>/dev/null <<-'EOF'
		import sys, importlib.metadata as m
		ok = m.version("moto") == sys.argv[1] and m.version("cfn-lint") == sys.argv[2]
		import flask  # moto[server]'s extra
		sys.exit(0 if ok else 1)
	EOF
}

install_venv() {
	venv_has_pins && { log "moto $MOTO_VERSION + cfn-lint $CFN_LINT_VERSION: present"; return 0; }
	# Debian's python3 (+ python3-venv), not whichever python3 comes first on PATH.
	[[ -x $VENV/bin/python ]] || /usr/bin/python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION" "cfn-lint==$CFN_LINT_VERSION"
	venv_has_pins || die "moto/cfn-lint not importable from $VENV after pip install"
	log "moto $MOTO_VERSION + cfn-lint $CFN_LINT_VERSION: installed in $VENV"
}

checkov_has_pin() {
	[[ -x $VENV_CHECKOV/bin/checkov ]] && "$VENV_CHECKOV/bin/python" - "$CHECKOV_VERSION" 2>/dev/null <<-'EOF'
		import sys, importlib.metadata as m
		sys.exit(0 if m.version("checkov") == sys.argv[1] else 1)
	EOF
}

install_checkov() {
	checkov_has_pin && { log "checkov $CHECKOV_VERSION: present"; return 0; }
	[[ -x $VENV_CHECKOV/bin/python ]] || /usr/bin/python3 -m venv "$VENV_CHECKOV"
	# About two minutes on a fresh venv (it resolves many pins).
	"$VENV_CHECKOV/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
	checkov_has_pin || die "checkov not importable from $VENV_CHECKOV after pip install"
	log "checkov $CHECKOV_VERSION: installed in $VENV_CHECKOV"
}

# parallel FUNC...: run independent install steps side by side (downloads overlap with
# compiles), each with its output in a log; show each one's [deps] lines, or the tail of
# its log when it failed. Fails when any step failed.
parallel() {
	local logs; logs="$(mktemp -d)"
	local steps=("$@") pids=() failed=() i
	log "side by side: ${steps[*]}"
	for i in "${!steps[@]}"; do
		"${steps[$i]}" >"$logs/$i.log" 2>&1 &
		pids+=($!)
	done
	for i in "${!steps[@]}"; do
		if wait "${pids[$i]}"; then
			grep -h '^\[deps\]' "$logs/$i.log" >&2 || true
		else
			failed+=("${steps[$i]}")
			log "${steps[$i]}: FAILED; the end of its log:"
			tail -n 40 "$logs/$i.log" >&2
		fi
	done
	rm -rf "$logs"
	[[ ${#failed[@]} -eq 0 ]] || die "failed: ${failed[*]}"
}

deps_tools() {
	command -v go >/dev/null || die "go is not on PATH"
	mkdir -p "$BIN"
	local t0=$SECONDS
	parallel install_venv install_checkov install_versitygw install_wails install_staticcheck install_lambda_rie
	log "tools: done in $((SECONDS - t0))s"
}

go_mod_download() {
	go mod download
	log "Go modules: downloaded"
}

# all: apt (the slowest step on a fresh machine) side by side with the downloads and Go
# builds that do not need it; the venvs need python3-venv from apt, so they come after.
deps_all() {
	command -v go >/dev/null || die "go is not on PATH"
	mkdir -p "$BIN"
	local t0=$SECONDS
	parallel deps_system go_mod_download deps_frontend install_versitygw install_wails install_staticcheck install_lambda_rie
	parallel install_venv install_checkov
	log "all: done in $((SECONDS - t0))s"
}

# shellcheck source=build/scripts/lib/npm.sh
source "$ROOT/build/scripts/lib/npm.sh" # npm_ci

deps_frontend() {
	command -v npm >/dev/null || die "npm is not on PATH (Node 20 + npm are expected on the machine)"
	npm_ci frontend
	npm_ci frontend/e2e
}

deps_check() {
	local missing=() p
	mapfile -t p < <(missing_system_packages)
	[[ ${#p[@]} -eq 0 ]] || missing+=("apt: ${p[*]}")
	for p in wails staticcheck versitygw aws-lambda-rie; do [[ -x $BIN/$p ]] || missing+=(".bin/$p"); done
	venv_has_pins || missing+=(".venv-aws (moto $MOTO_VERSION, cfn-lint $CFN_LINT_VERSION)")
	checkov_has_pin || missing+=(".venv-checkov (checkov $CHECKOV_VERSION)")
	for p in frontend frontend/e2e; do
		[[ ! -f $p/package-lock.json || -d $p/node_modules ]] || missing+=("$p/node_modules")
	done
	if [[ ${#missing[@]} -gt 0 ]]; then
		printf '[deps] missing: %s\n' "${missing[@]}" >&2
		echo "[deps] run: make deps" >&2
		return 1
	fi
	log "everything installed"
}

case "${1:-}" in
system) deps_system ;;
frontend) deps_frontend ;;
tools) deps_tools ;;
check) deps_check ;;
all) deps_all ;;
*) echo "usage: $0 system|frontend|tools|check|all" >&2; exit 2 ;;
esac
