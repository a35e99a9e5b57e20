# shellcheck shell=bash
# Sourced by build/scripts/{e2e,desktop-smoke,bench-ui}.sh.

# in_keyring SCRIPT ARGS...: unless TH_KEYRING says a keyring is there, runs SCRIPT again
# inside build/scripts/with-keyring.sh. The app keeps secrets in the OS keychain
# (go-keyring over D-Bus): outside a session bus with an unlocked Secret Service (test.sh
# provides one), the script runs inside one of its own.
in_keyring() {
	[[ -n ${TH_KEYRING:-} ]] && return 0
	exec "$(dirname "$1")/with-keyring.sh" "$@"
}

# stop_group PID SIGNAL SECONDS: sends SIGNAL to PID, gives it SECONDS to end, then kills
# whatever is left of its process group (it was started with setsid).
stop_group() {
	local pid=$1 _
	kill "-$2" "$pid" 2>/dev/null || true
	for _ in $(seq $(($3 * 5))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	kill -KILL -- "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
