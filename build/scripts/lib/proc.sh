# shellcheck shell=bash
# Sourced by build/scripts/{e2e,desktop-smoke,bench-ui,test,with-keyring}.sh.

# in_keyring SCRIPT ARGS...: unless TH_KEYRING says a keyring is there, runs SCRIPT again
# inside build/scripts/with-keyring.sh. The app keeps secrets in the OS keychain
# (go-keyring over D-Bus): outside a session bus with an unlocked Secret Service (test.sh
# provides one), the script runs inside one of its own.
in_keyring() {
	[[ -n ${TH_KEYRING:-} ]] && return 0
	exec "$(dirname "$1")/with-keyring.sh" "$@"
}

# stop_session PID SIGNAL SECONDS: sends SIGNAL to PID, gives it SECONDS to end, then kills
# every process left in its session (PID was started with setsid, so the session is PID's
# and holds only what PID started). The session, not the process group: wails dev starts
# its Vite server (npm run dev) in a process group of its own (Setpgid), which a group kill
# missed when wails dev was killed or ended before stopping it. Nothing leaves the session
# short of another setsid, and its id cannot be reused while a member lives.
stop_session() {
	local pid=$1 _ left
	kill "-$2" "$pid" 2>/dev/null || true
	for _ in $(seq $(($3 * 5))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	# A member may fork between the listing and the kill: again until none is left.
	for _ in $(seq 50); do
		left=$(session_members "$pid")
		[[ -n $left ]] || break
		# shellcheck disable=SC2086 # a list of PIDs
		kill -KILL $left 2>/dev/null || true
		sleep 0.1
	done
	wait "$pid" 2>/dev/null || true
}

# session_members SID: the PIDs of the live processes in session SID, one a line (from
# /proc; the command name in stat may hold spaces and parentheses, the fields after its
# last ")" are state, ppid, pgrp, session). Zombies are left out: they run nothing, and
# the leader stays one until it is waited for.
session_members() {
	local f line state sid _
	for f in /proc/[0-9]*/stat; do
		{ read -r line <"$f"; } 2>/dev/null || continue
		read -r state _ _ sid _ <<<"${line##*) }"
		[[ $sid != "$1" || $state == Z ]] || echo "${f//[^0-9]/}"
	done
}

# run_group CMD [ARGS...]: runs CMD (a program or a shell function) in a process group of
# its own and waits for it; returns its exit status. A TERM, INT or HUP to this script
# meanwhile goes to that whole group, the wait goes on until the group has ended, and then
# this script exits 128+signal (its EXIT trap runs). Without it a signal waits for the whole
# foreground command (bash runs a trap only once that ends), and one that kills a command
# alone leaves its children behind: a killed `go test` leaves its test binary running,
# a killed npm its workers. A process of CMD's that starts a session of its own (setsid)
# is its starter's to stop.
run_group() {
	local saved rc=0
	saved=$(trap -p TERM INT HUP)
	RUN_GROUP_PID='' RUN_GROUP_SIGNAL=''
	trap 'run_group_forward TERM' TERM
	trap 'run_group_forward INT' INT
	trap 'run_group_forward HUP' HUP
	# Job control gives the background job a process group of its own (pgid = its pid).
	set -m
	"$@" &
	RUN_GROUP_PID=$!
	set +m
	# A signal that came before the group was there.
	[[ -z $RUN_GROUP_SIGNAL ]] || kill "-$RUN_GROUP_SIGNAL" -- "-$RUN_GROUP_PID" 2>/dev/null || true
	while :; do
		# wait returns early when a trapped signal arrives: wait again while CMD lives.
		wait "$RUN_GROUP_PID" && rc=0 || rc=$?
		kill -0 "$RUN_GROUP_PID" 2>/dev/null || break
	done
	trap - TERM INT HUP
	eval "$saved"
	if [[ -n $RUN_GROUP_SIGNAL ]]; then
		# CMD may end before the rest of its group (a pipeline's shell dies at once while
		# its commands clean up).
		wait_group "$RUN_GROUP_PID"
		case $RUN_GROUP_SIGNAL in INT) exit 130 ;; HUP) exit 129 ;; *) exit 143 ;; esac
	fi
	return "$rc"
}

run_group_forward() {
	RUN_GROUP_SIGNAL=$1
	[[ -z $RUN_GROUP_PID ]] || kill "-$1" -- "-$RUN_GROUP_PID" 2>/dev/null || true
}

# wait_group PGID: waits until no process of group PGID is left, two minutes at most
# (e2e.sh's cleanup gives its processes one), then kills what is left.
wait_group() {
	local _
	for _ in $(seq 600); do kill -0 -- "-$1" 2>/dev/null || return 0; sleep 0.2; done
	kill -KILL -- "-$1" 2>/dev/null || true
}

# need_tools HINT TOOL...: dies (the caller's die) naming the first TOOL that is not there
# and HINT, what installs it.
need_tools() {
	local hint=$1 tool
	shift
	for tool in "$@"; do
		command -v "$tool" >/dev/null || die "$tool is missing ($hint)"
	done
}

# on_exit STOP: when the script exits, also by INT (status 130) or TERM (143), runs STOP,
# the function that stops what the script started, and exits with the script's status.
on_exit() {
	# shellcheck disable=SC2064 # STOP is named now
	trap "on_exit_run $1" EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

on_exit_run() {
	local rc=$?
	trap - EXIT INT TERM
	"$1"
	exit "$rc"
}
