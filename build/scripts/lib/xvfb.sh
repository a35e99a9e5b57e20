# shellcheck shell=bash
# Sourced by build/scripts/{e2e,desktop-smoke,bench-ui}.sh; the caller defines die().

XVFB_PID=''
# start_xvfb LOG DIR: starts an X display of our own, its output to LOG, DIR a scratch
# directory; sets XVFB_PID and XVFB_DISPLAY (":N"). -displayfd picks a free display
# number, so parallel runs and other Xvfbs never clash.
start_xvfb() {
	local log=$1 dir=$2 _
	Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$dir/display" >"$log" 2>&1 &
	XVFB_PID=$!
	for _ in $(seq 100); do [[ -s $dir/display ]] && break; kill -0 "$XVFB_PID" 2>/dev/null || break; sleep 0.1; done
	[[ -s $dir/display ]] || die "Xvfb did not start (see $log)"
	# shellcheck disable=SC2034 # read by the caller
	XVFB_DISPLAY=":$(tr -d '[:space:]' <"$dir/display")"
}

# stop_xvfb stops the display start_xvfb started, if any.
stop_xvfb() {
	[[ -n $XVFB_PID ]] || return 0
	kill "$XVFB_PID" 2>/dev/null || true
	wait "$XVFB_PID" 2>/dev/null || true
	XVFB_PID=''
}
