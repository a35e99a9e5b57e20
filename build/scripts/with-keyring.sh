#!/usr/bin/env bash
# Runs a command inside its own session D-Bus with an unlocked gnome-keyring (the Secret
# Service that go-keyring talks to), with TH_KEYRING=1 exported to it (TESTENV.md §4):
#
#   build/scripts/with-keyring.sh go test ./backend/credentials/...
#
# HOME is a throwaway directory for the keyring's files (a keyring file left from another
# run would not unlock with our password); the Go, npm and pip caches stay where they were.
# When the command ends the bus ends, and the keyring daemon with it.
set -euo pipefail

[[ $# -gt 0 ]] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
for tool in dbus-run-session gnome-keyring-daemon dbus-send; do
	command -v "$tool" >/dev/null || { echo "with-keyring: $tool is missing: run \`make deps\` (build/scripts/deps.sh system)" >&2; exit 1; }
done

# Keep the caches and the Go settings across the HOME switch.
if command -v go >/dev/null; then
	GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)" GOPATH="$(go env GOPATH)" GOENV="$(go env GOENV)"
	export GOCACHE GOMODCACHE GOPATH GOENV
fi
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$HOME/.cache/pip}"
export TH_REAL_HOME="$HOME"

KEYRING_HOME="$(mktemp -d "${TMPDIR:-/tmp}/th-keyring.XXXXXX")"
trap 'rm -rf "$KEYRING_HOME"' EXIT
# Without .cache and .local/share gnome-keyring cannot create its socket and callers hang.
mkdir -p "$KEYRING_HOME/.cache" "$KEYRING_HOME/.local/share" "$KEYRING_HOME/.run"
chmod 700 "$KEYRING_HOME/.run"
export HOME="$KEYRING_HOME" XDG_RUNTIME_DIR="$KEYRING_HOME/.run"
unset XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL

# The inner script: unlock first, then wait until the unlocked daemon owns the name; a
# call made before that would activate a second, locked daemon (racy: TESTENV.md §4).
# The daemon exits when the bus does, at the end of dbus-run-session.
# shellcheck disable=SC2016 # expanded by the inner shell
dbus-run-session -- bash -c '
	set -u
	eval "$(printf %s th-test-keyring | gnome-keyring-daemon --unlock --components=secrets)"
	export GNOME_KEYRING_CONTROL
	owned=0
	for i in $(seq 100); do
		if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
			org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; then
			owned=1; break
		fi
		sleep 0.1
	done
	if [[ $owned != 1 ]]; then
		echo "with-keyring: gnome-keyring did not take org.freedesktop.secrets on the session bus within 10 s" >&2
		exit 1
	fi
	export TH_KEYRING=1
	"$@"
' with-keyring "$@"
