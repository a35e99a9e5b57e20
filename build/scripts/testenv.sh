#!/usr/bin/env bash
# Local test services for the integration tests, on 127.0.0.1 only:
#   s3a, s3b   two versitygw S3 gateways with separate data dirs and keys ("two clouds")
#   moto       moto_server: the AWS control plane (CloudFormation, SQS, DynamoDB, ECR API, ...)
#   moto2      a second moto_server for tests that flip its server-wide switches: IAM
#              enforcement, or Step Functions run by the test itself (its interpreter is
#              off here). One user at a time: cloud/deploy/harness (build/scripts/e2e.sh
#              starts an emulator of its own, set up like this one).
#   reg-auth   docker-registry over TLS (self-signed) with basic auth, user AWS (like ECR)
#   reg-open   docker-registry over plain HTTP, anonymous (no OCI referrers API: tag fallback)
#   reg-oci    an OCI 1.1 registry with the referrers API, in memory, plain HTTP, anonymous
#              (build/testenv/ociregistry)
# The endpoints go to an env file (KEY=VALUE) that cloud/testenv reads.
#
#   build/scripts/testenv.sh up       start them (no-op when they already run and answer)
#   build/scripts/testenv.sh down     stop them (by PID) and delete their data
#   build/scripts/testenv.sh status   one line per service; exit 0 only when all are up
#
# Environment:
#   TH_TESTENV_DIR   state dir: pids/, logs/, data/, tls/   (default <repo>/.testenv)
#   TH_TESTENV_FILE  env file written by up                  (default <repo>/.testenv/env)
#   TH_PORT_OFFSET   added to every port, to run a second set (default 0: 7070 7071 5000 5001 5002 5003 5010;
#                    moto2's 5010 stays clear of the other ports of sets 100 apart); a second
#                    set at once needs its own TH_TESTENV_DIR too: `up` refuses to stop a set
#                    that runs from its dir with another offset
# Tools come from build/scripts/deps.sh (tools, system): .bin/versitygw, .venv-aws, docker-registry.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${TH_TESTENV_DIR:-$ROOT/.testenv}"
FILE="${TH_TESTENV_FILE:-$ROOT/.testenv/env}"
OFF="${TH_PORT_OFFSET:-0}"
[[ $OFF =~ ^[0-9]+$ ]] || { echo "TH_PORT_OFFSET must be a number, got '$OFF'" >&2; exit 2; }
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

BIN="$ROOT/.bin"
VENV="$ROOT/.venv-aws"
HOST=127.0.0.1
SERVICES=(s3a s3b moto moto2 reg-auth reg-open reg-oci)
declare -A PORT=([s3a]=$((7070 + OFF)) [s3b]=$((7071 + OFF)) [moto]=$((5000 + OFF)) [moto2]=$((5010 + OFF)) [reg-auth]=$((5001 + OFF)) [reg-open]=$((5002 + OFF)) [reg-oci]=$((5003 + OFF)))
# A substring of each service's command line: `down` checks it before it signals a PID,
# so a PID reused by another process is never killed.
declare -A CMD=([s3a]=versitygw [s3b]=versitygw [moto]=moto_server [moto2]=moto_server [reg-auth]=docker-registry [reg-open]=docker-registry [reg-oci]=th-ociregistry)

log() { printf '[testenv] %s\n' "$*" >&2; }
die() { printf '[testenv] ERROR: %s\n' "$*" >&2; exit 1; }

pid_of() { # the PID of a running service of ours, or nothing
	local f="$DIR/pids/$1.pid" pid
	[[ -f $f ]] || return 1
	pid="$(<"$f")"
	[[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "${CMD[$1]}" || return 1
	echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# healthy SERVICE: answers its protocol (not just an open port).
healthy() {
	local p=${PORT[$1]} code
	case $1 in
	s3a | s3b) port_open "$p" ;;
	moto | moto2) [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$HOST:$p/moto-api/") == 200 ]] ;;
	reg-auth)
		code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$DIR/tls/cert.pem" "https://$HOST:$p/v2/")
		[[ $code == 401 ]]
		;;
	reg-open | reg-oci) [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$HOST:$p/v2/") == 200 ]] ;;
	esac
}

wait_healthy() { # bounded: 30 s
	local _
	for _ in $(seq 150); do
		healthy "$1" && return 0
		pid_of "$1" >/dev/null || { tail -n 20 "$DIR/logs/$1.log" >&2; die "$1 exited while starting (log: $DIR/logs/$1.log)"; }
		sleep 0.2
	done
	tail -n 20 "$DIR/logs/$1.log" >&2
	die "$1 did not answer on $HOST:${PORT[$1]} within 30 s (log: $DIR/logs/$1.log)"
}

# start NAME CMD...: in the background, in its own session (a Ctrl-C in the terminal that
# ran `up` does not reach it), output to logs/NAME.log, PID to pids/NAME.pid.
start() {
	local name=$1; shift
	port_open "${PORT[$name]}" && die "port $HOST:${PORT[$name]} ($name) is taken by another process: stop it or set TH_PORT_OFFSET"
	setsid "$@" >"$DIR/logs/$name.log" 2>&1 </dev/null &
	local pid=$! _
	echo "$pid" >"$DIR/pids/$name.pid"
	# Until the child has exec'd the command its command line is this script's, and
	# pid_of (which checks it, against PID reuse) would take a service still starting for
	# one that exited: `up` then failed, and its clean-up left the service running
	# unowned (seen once under load). Wait for the exec (bounded: 10 s).
	for _ in $(seq 200); do
		pid_of "$name" >/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 0 # exited: wait_healthy says so, with its log
		sleep 0.05
	done
}

all_up() {
	local s
	for s in "${SERVICES[@]}"; do pid_of "$s" >/dev/null && healthy "$s" || return 1; done
	[[ -f $FILE ]]
}

need() { [[ -x $1 ]] || command -v "$1" >/dev/null || die "$1 is missing: run \`make deps\` (build/scripts/deps.sh $2)"; }

# running_elsewhere: refuse to take down a set that runs from this state dir on other
# ports (another TH_PORT_OFFSET): `up` would stop it under whoever uses it.
running_elsewhere() {
	local f="$DIR/pids/offset" s
	[[ -f $f && $(<"$f") != "$OFF" ]] || return 0
	for s in "${SERVICES[@]}"; do
		pid_of "$s" >/dev/null && die "a set with TH_PORT_OFFSET=$(<"$f") runs from $DIR: stop it first (TH_PORT_OFFSET=$(<"$f") $0 down), or give this one its own TH_TESTENV_DIR and TH_TESTENV_FILE"
	done
	return 0
}

up() {
	if all_up; then
		log "already running (env file $FILE)"
		return 0
	fi
	need "$BIN/versitygw" tools
	need "$VENV/bin/moto_server" tools
	need docker-registry system
	need openssl system
	need curl system
	need go "(Go 1.26 is expected on the machine)"
	running_elsewhere
	down quiet # whatever is left of an earlier, partial run
	# A service that fails to start takes the others down with it: no half-up set.
	trap 'log "up failed: stopping what was started"; down quiet' EXIT

	local t0=$SECONDS
	mkdir -p "$DIR/pids" "$DIR/logs" "$DIR/tls"
	echo "$OFF" >"$DIR/pids/offset"
	local data; data="$(mktemp -d "$DIR/data.XXXXXX")"
	echo "$data" >"$DIR/pids/data.dir"
	mkdir -p "$data/s3a" "$data/s3b" "$data/reg-auth" "$data/reg-open"

	local keyA=thtestA keyB=thtestB
	local secretA secretB regpass
	secretA="$(openssl rand -hex 16)"
	secretB="$(openssl rand -hex 16)"
	regpass="$(openssl rand -hex 16)"

	# Self-signed certificate for the TLS registry (valid for 127.0.0.1 and localhost).
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=transferhub-testenv" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" 2>/dev/null
	chmod 600 "$DIR/tls/key.pem"
	printf '%s\n' "$regpass" | (cd "$ROOT" && go run ./build/testenv/htpasswd -user AWS) >"$data/reg-auth/htpasswd"
	(cd "$ROOT" && go build -o "$BIN/th-ociregistry" ./build/testenv/ociregistry) || die "could not build build/testenv/ociregistry"

	local secret
	for name in reg-auth reg-open; do
		secret="$(openssl rand -hex 16)"
		{
			echo "version: 0.1"
			echo "log: {level: warn, accesslog: {disabled: true}}"
			echo "storage: {filesystem: {rootdirectory: $data/$name/data}, delete: {enabled: true}}"
			if [[ $name == reg-auth ]]; then
				echo "http: {addr: '$HOST:${PORT[$name]}', secret: $secret, tls: {certificate: $DIR/tls/cert.pem, key: $DIR/tls/key.pem}}"
				echo "auth: {htpasswd: {realm: transfer-hub-test, path: $data/reg-auth/htpasswd}}"
			else
				echo "http: {addr: '$HOST:${PORT[$name]}', secret: $secret}"
			fi
		} >"$data/$name/config.yml"
	done

	# Secrets go through the environment, not argv (ps shows argv to every user).
	ROOT_ACCESS_KEY_ID=$keyA ROOT_SECRET_ACCESS_KEY=$secretA start s3a "$BIN/versitygw" --port "$HOST:${PORT[s3a]}" --quiet posix "$data/s3a"
	ROOT_ACCESS_KEY_ID=$keyB ROOT_SECRET_ACCESS_KEY=$secretB start s3b "$BIN/versitygw" --port "$HOST:${PORT[s3b]}" --quiet posix "$data/s3b"
	# moto through a wrapper that serializes DynamoDB requests (moto's DynamoDB is not
	# thread-safe: see build/testenv/moto_server.py).
	start moto "$VENV/bin/python" "$ROOT/build/testenv/moto_server.py" "$HOST" "${PORT[moto]}"
	start moto2 "$VENV/bin/python" "$ROOT/build/testenv/moto_server.py" "$HOST" "${PORT[moto2]}"
	start reg-auth docker-registry serve "$data/reg-auth/config.yml"
	start reg-open docker-registry serve "$data/reg-open/config.yml"
	start reg-oci "$BIN/th-ociregistry" -addr "$HOST:${PORT[reg-oci]}"

	local s
	for s in "${SERVICES[@]}"; do wait_healthy "$s"; done

	# moto: run Step Functions state machines for real (Pass/Choice/Map... states are
	# interpreted; without this every execution stays RUNNING) and never try Docker.
	curl -sf -o /dev/null -X POST "http://$HOST:${PORT[moto]}/moto-api/config" \
		-d '{"stepfunctions": {"execute_state_machine": true}, "lambda": {"use_docker": false}, "batch": {"use_docker": false}}' ||
		die "moto: could not set its config"
	# moto2: its Step Functions interpreter stays off (a test plays the state machines);
	# never Docker.
	curl -sf -o /dev/null -X POST "http://$HOST:${PORT[moto2]}/moto-api/config" \
		-d '{"stepfunctions": {"execute_state_machine": false}, "lambda": {"use_docker": false}, "batch": {"use_docker": false}}' ||
		die "moto2: could not set its config"

	mkdir -p "$(dirname "$FILE")"
	cat >"$FILE.tmp" <<-EOF
		# written by build/scripts/testenv.sh up at $(date -u +%FT%TZ); read by cloud/testenv
		TH_TESTENV_DIR=$DIR
		TH_BIN_DIR=$BIN
		TH_VENV_BIN=$VENV/bin
		TH_S3_A_ENDPOINT=http://$HOST:${PORT[s3a]}
		TH_S3_A_ACCESS_KEY=$keyA
		TH_S3_A_SECRET_KEY=$secretA
		TH_S3_A_REGION=us-east-1
		TH_S3_A_DATA_DIR=$data/s3a
		TH_S3_B_ENDPOINT=http://$HOST:${PORT[s3b]}
		TH_S3_B_ACCESS_KEY=$keyB
		TH_S3_B_SECRET_KEY=$secretB
		TH_S3_B_REGION=us-east-1
		TH_S3_B_DATA_DIR=$data/s3b
		TH_AWS_ENDPOINT=http://$HOST:${PORT[moto]}
		TH_AWS_REGION=us-east-1
		TH_AWS_ACCESS_KEY=test
		TH_AWS_SECRET_KEY=test
		TH_AWS2_ENDPOINT=http://$HOST:${PORT[moto2]}
		TH_REG_AUTH=$HOST:${PORT[reg-auth]}
		TH_REG_AUTH_USER=AWS
		TH_REG_AUTH_PASS=$regpass
		TH_REG_AUTH_CA=$DIR/tls/cert.pem
		TH_REG_OPEN=$HOST:${PORT[reg-open]}
		TH_REG_OCI=$HOST:${PORT[reg-oci]}
	EOF
	chmod 600 "$FILE.tmp"
	mv "$FILE.tmp" "$FILE"
	trap - EXIT
	log "up in $((SECONDS - t0))s: s3a :${PORT[s3a]}, s3b :${PORT[s3b]}, moto :${PORT[moto]}, moto2 :${PORT[moto2]}, reg-auth :${PORT[reg-auth]} (TLS), reg-open :${PORT[reg-open]}, reg-oci :${PORT[reg-oci]}; env file $FILE"
}

# stop NAME: TERM, then KILL after 10 s.
stop() {
	local pid
	pid="$(pid_of "$1")" || { rm -f "$DIR/pids/$1.pid"; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	if kill -0 "$pid" 2>/dev/null; then
		log "$1 (pid $pid) ignored TERM; killing"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$DIR/pids/$1.pid"
}

down() {
	local s any=0
	for s in "${SERVICES[@]}"; do
		[[ -f $DIR/pids/$s.pid ]] && any=1
		stop "$s"
	done
	local data
	if [[ -f $DIR/pids/data.dir ]]; then
		data="$(<"$DIR/pids/data.dir")"
		# Only ever a data dir this script made inside its own state dir.
		[[ $data == "$DIR"/data.* && -d $data ]] && rm -rf "$data"
		rm -f "$DIR/pids/data.dir" "$DIR/pids/offset"
		any=1
	fi
	if [[ -f $FILE ]] && grep -q '^# written by build/scripts/testenv.sh' "$FILE"; then
		rm -f "$FILE"
	fi
	if [[ ${1:-} != quiet ]]; then
		if [[ $any == 1 ]]; then log "stopped"; else log "nothing was running"; fi
	fi
}

status() {
	local s pid ok=0
	for s in "${SERVICES[@]}"; do
		if pid="$(pid_of "$s")"; then
			if healthy "$s"; then printf '%-9s up     pid %-7s %s:%s\n' "$s" "$pid" "$HOST" "${PORT[$s]}"
			else printf '%-9s NOT ANSWERING pid %-7s %s:%s\n' "$s" "$pid" "$HOST" "${PORT[$s]}"; ok=1
			fi
		else
			printf '%-9s down\n' "$s"; ok=1
		fi
	done
	if [[ -f $FILE ]]; then echo "env file: $FILE"; else echo "env file: $FILE (missing)"; ok=1; fi
	return $ok
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
*) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
