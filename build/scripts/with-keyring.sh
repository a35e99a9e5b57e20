#!/usr/bin/env bash
# Runs a command inside its own session D-Bus with an unlocked gnome-keyring (the Secret
# Service that go-keyring talks to), with TH_KEYRING=1 exported to it (TESTENV.md §4):
#
#   build/scripts/with-keyring.sh go test ./backend/credentials/...
#
# HOME is a throwaway directory for the keyring's files (a keyring file left from another
# run would not unlock with our password); the Go, npm and pip caches stay where they were.
# When the command ends the bus ends, and the keyring daemon with it. A TERM, INT or HUP
# to this script goes to the command and everything it started; the script ends after them.
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

# The session runs in the background in a session of its own, and the command inside it
# in another (setsid): a TERM, INT or HUP to this script goes to the command's whole
# process group, and this script waits until that group has ended (dbus-run-session then
# ends the bus). dbus-run-session dies of such a signal without passing it on: a killed
# e2e.sh (which runs under this script) left wails dev, Chromium, the AWS emulator and
# the harness running; and bash runs a trap only once a foreground child has ended.
# shellcheck source=build/scripts/lib/proc.sh
source "$(dirname "$0")/lib/proc.sh"
PID_FILE="$KEYRING_HOME/.command-pid"
SESSION='' SIGNAL='' COMMAND_PID=''
forward() {
	SIGNAL=$1
	[[ -n $COMMAND_PID || ! -s $PID_FILE ]] || COMMAND_PID=$(<"$PID_FILE")
	[[ -z $COMMAND_PID ]] || ! kill "-$1" -- "-$COMMAND_PID" 2>/dev/null || return 0
	# The command has not started yet (the keyring is being unlocked): the whole session goes.
	[[ -z $SESSION ]] || kill "-$1" -- "-$SESSION" 2>/dev/null || true
}
trap 'forward TERM' TERM
trap 'forward INT' INT
trap 'forward HUP' HUP

# The inner script: unlock first, then wait until the unlocked daemon owns the name; a
# call made before that would activate a second, locked daemon (racy: TESTENV.md §4).
# The daemon exits when the bus does, at the end of dbus-run-session.
# shellcheck disable=SC2016 # expanded by the inner shell
setsid dbus-run-session -- bash -c '
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
	# The command keeps this pid, and leads a process group of its own.
	echo "$$" >"$HOME/.command-pid"
	exec setsid "$@"
' with-keyring "$@" &
SESSION=$!
# A signal that came before the session was there.
[[ -z $SIGNAL ]] || forward "$SIGNAL"
rc=0
while :; do
	# wait returns early when a trapped signal arrives: wait again while the session lives.
	wait "$SESSION" && rc=0 || rc=$?
	kill -0 "$SESSION" 2>/dev/null || break
done
if [[ -n $SIGNAL ]]; then
	# The command may end before the rest of its group.
	[[ -z $COMMAND_PID ]] || wait_group "$COMMAND_PID"
	case $SIGNAL in INT) exit 130 ;; HUP) exit 129 ;; *) exit 143 ;; esac
fi
exit "$rc"
