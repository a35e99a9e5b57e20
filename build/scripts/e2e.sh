#!/usr/bin/env bash
# End-to-end UI test: `wails dev` (browser mode) under its own Xvfb display, then
# Playwright (playwright-core) drives Debian's Chromium through frontend/e2e/tests.
# Screenshots and logs go to artifacts/e2e/. Everything started here is stopped on exit.
#
# Runs inside build/scripts/with-keyring.sh unless TH_KEYRING says a keyring is there (in_keyring).
#
# Env: TH_E2E_START_TIMEOUT  seconds to wait for wails dev (default 420; a cold build of
#                            the dev binary takes 2-3 min on 2 cores)
#      CHROMIUM              browser binary (default /usr/bin/chromium)
#      TH_E2E_SPECS          the specs to run, relative to frontend/e2e (default: tests/*.test.mjs)
set -euo pipefail
# shellcheck source=build/scripts/lib/proc.sh
source "$(dirname "$0")/lib/proc.sh"
in_keyring "$0" "$@"
cd "$(dirname "$0")/../.."
ROOT=$PWD
ART=$ROOT/artifacts/e2e
START_TIMEOUT=${TH_E2E_START_TIMEOUT:-420}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

log() { printf 'e2e: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

need_tools 'make deps-system' Xvfb curl node npm go "$CHROMIUM"

# shellcheck source=build/scripts/lib/xvfb.sh
source build/scripts/lib/xvfb.sh
WORK=$(mktemp -d)
DEV_PID='' TEST_PID='' CFN_PID='' HARNESS_PID='' EMU_PID=''
# SIGINT lets wails dev stop the app and the Vite server itself ("Development mode exited");
# it runs in a session of its own (setsid), so whatever is left of it, Vite included (which
# wails dev starts in a process group of its own), goes with the session.
stop_dev() {
  [[ -n $DEV_PID ]] || return 0
  stop_session "$DEV_PID" INT 10
  DEV_PID=''
}

cleanup() {
  if [[ -n $TEST_PID ]]; then
    kill -TERM "$TEST_PID" 2>/dev/null || true # node stops; Chromium exits with its parent
    wait "$TEST_PID" 2>/dev/null || true
  fi
  stop_dev
  if [[ -n $CFN_PID ]]; then
    kill -TERM "$CFN_PID" 2>/dev/null || true
    wait "$CFN_PID" 2>/dev/null || true
  fi
  if [[ -n $HARNESS_PID ]]; then # SIGTERM stops its processes as a scale-in would
    kill -TERM "$HARNESS_PID" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$HARNESS_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$HARNESS_PID" 2>/dev/null || true
    wait "$HARNESS_PID" 2>/dev/null || true
  fi
  if [[ -n $EMU_PID ]]; then
    kill -TERM "$EMU_PID" 2>/dev/null || true
    wait "$EMU_PID" 2>/dev/null || true
  fi
  stop_xvfb
  rm -rf "$WORK"
}
on_exit cleanup

rm -rf "$ART"
mkdir -p "$ART"

# --- tools and packages (no-ops when already in place) ---------------------------------
if [[ ! -x .bin/wails ]]; then
  log "building the Wails CLI from tools/go.mod"
  go build -modfile=tools/go.mod -o .bin/wails github.com/wailsapp/wails/v2/cmd/wails
fi
# shellcheck source=build/scripts/lib/npm.sh
source build/scripts/lib/npm.sh
npm_ci frontend
npm_ci frontend/e2e

# --- a display of our own ----------------------------------------------------------------
start_xvfb "$ART/xvfb.log" "$WORK"
DISPLAY_NUM=$XVFB_DISPLAY
log "Xvfb on $DISPLAY_NUM"

# --- the AWS emulator and the replaying CloudFormation fake as accounts ---------------
# With the test services' AWS emulator the app deploys to it (THUB_TEST_*, main.go) with
# agents built here. AWS CLI profiles the app's credentials use: th-e2e-emulator reaches
# the emulator, th-e2e-replay the replaying CloudFormation fake (build/testenv/cfnfake),
# which plays a control plane whose creation fails and rolls back, then (after delete and
# retry) succeeds; the default profile's endpoint is the emulator, for AWS keys typed into
# the app (the cloud spec). thub-harness plays the compute of the task stacks whose names
# start with TH_E2E_CLOUD_PREFIX, standing in for ECR's registry (cloud/docs/deploy.md,
# "the harness"). The account is an emulator of the run's own, set up as the test services'
# second one (moto2): its Step Functions interpreter is off, so the harness interprets an
# image task's state machine (the first emulator would run it itself, echoing the list
# Lambda; S3 tasks have no state machine). Its own, started here and stopped on exit: the
# stacks of an earlier run that was killed are not there for the specs to see, and the
# shared moto2 stays free for the Go tests that use it (cloud/deploy/harness) meanwhile.
DEV_ENV=()
ENV_FILE=${TH_TESTENV_FILE:-${TH_TESTENV_DIR:-$ROOT/.testenv}/env}
envget() { [[ -f $ENV_FILE ]] && sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
emulator_up() { [[ $(curl -s -o /dev/null -w '%{http_code}' "$1/moto-api/") == 200 ]]; }
# start_emulator: moto (build/testenv/moto_server.py) on a free port; sets AWS_EMU.
start_emulator() {
  local python port url _
  python=$(envget TH_VENV_BIN)/python
  [[ -x $python ]] || die "$python is missing (make tools)"
  for _ in 1 2 3 4 5; do
    port=$((35000 + RANDOM % 800)) # a random start keeps parallel runs apart
    while ! port_free "$port"; do port=$((port + 1)); done
    url=http://127.0.0.1:$port
    "$python" build/testenv/moto_server.py 127.0.0.1 "$port" >"$ART/emulator.log" 2>&1 &
    EMU_PID=$!
    for _ in $(seq 150); do
      kill -0 "$EMU_PID" 2>/dev/null || break
      if emulator_up "$url"; then
        kill -0 "$EMU_PID" 2>/dev/null || break # another process took the port meanwhile
        curl -sf -o /dev/null -X POST "$url/moto-api/config" \
          -d '{"stepfunctions": {"execute_state_machine": false}, "lambda": {"use_docker": false}, "batch": {"use_docker": false}}' ||
          die "the AWS emulator did not take its config (see $ART/emulator.log)"
        AWS_EMU=$url
        log "AWS emulator (this run's own) on $url"
        return 0
      fi
      sleep 0.2
    done
    kill -TERM "$EMU_PID" 2>/dev/null || true
    wait "$EMU_PID" 2>/dev/null || true
    EMU_PID=''
  done
  die "the AWS emulator did not start (see $ART/emulator.log)"
}
AWS_EMU=''
# The test services being up (their second emulator listed) says the cloud specs can run.
if [[ -n $(envget TH_AWS2_ENDPOINT) ]]; then
  start_emulator
  aws_key=$(envget TH_AWS_ACCESS_KEY)
  aws_secret=$(envget TH_AWS_SECRET_KEY)
  aws_region=$(envget TH_AWS_REGION)
  log "building the agents, the CloudFormation fake and thub-harness"
  mkdir -p "$WORK/agents"
  for arch in amd64 arm64; do
    CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -ldflags '-s -w' -o "$WORK/agents/thub-linux-$arch" ./cloud/cmd/thub
  done
  go build -o "$WORK/cfnfake" ./build/testenv/cfnfake
  CGO_ENABLED=0 go build -o "$WORK/thub-harness" ./cloud/deploy/harness/cmd/thub-harness
  REPLAY_CP=thub-e2e
  "$WORK/cfnfake" -expect "$REPLAY_CP-control-plane=control-plane-create-failed,control-plane-create" \
    -url-file "$WORK/cfnfake.url" >"$ART/cfnfake.log" 2>&1 &
  CFN_PID=$!
  for _ in $(seq 100); do [[ -s $WORK/cfnfake.url ]] && break; sleep 0.1; done
  [[ -s $WORK/cfnfake.url ]] || die "the CloudFormation fake did not start (see $ART/cfnfake.log)"
  CFN_URL=$(tr -d '[:space:]' <"$WORK/cfnfake.url")
  mkdir -p "$WORK/aws"
  cat >"$WORK/aws/config" <<EOF_CFG
[default]
region = ${aws_region:-us-east-1}
endpoint_url = $AWS_EMU

[profile th-e2e-emulator]
region = ${aws_region:-us-east-1}
endpoint_url = $AWS_EMU

[profile th-e2e-replay]
region = us-east-1
endpoint_url = $CFN_URL
max_attempts = 1
EOF_CFG
  cat >"$WORK/aws/credentials" <<EOF_CRED
[th-e2e-emulator]
aws_access_key_id = $aws_key
aws_secret_access_key = $aws_secret

[th-e2e-replay]
aws_access_key_id = AKIDFAKE
aws_secret_access_key = fake
EOF_CRED
  CLOUD_PREFIX="e2e$(date +%s | tail -c 6)$RANDOM"
  CLOUD_PREFIX=${CLOUD_PREFIX:0:16}
  AWS_ENDPOINT_URL=$AWS_EMU AWS_REGION=$aws_region AWS_ACCESS_KEY_ID=$aws_key \
    AWS_SECRET_ACCESS_KEY=$aws_secret AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent \
    AWS_SHARED_CREDENTIALS_FILE=/nonexistent THUB_HARNESS_REGISTRY_AUTH="$(envget TH_REG_AUTH_USER):$(envget TH_REG_AUTH_PASS)" \
    "$WORK/thub-harness" -stacks "$CLOUD_PREFIX-" -tick 1s -rie "$(envget TH_BIN_DIR)/aws-lambda-rie" \
    -ecr-registry "https://$(envget TH_REG_AUTH)" -ecr-registry-ca "$(envget TH_REG_AUTH_CA)" \
    >"$WORK/harness.out" 2>"$ART/harness.log" &
  HARNESS_PID=$!
  for _ in $(seq 600); do [[ -s $WORK/harness.out ]] && break; kill -0 "$HARNESS_PID" 2>/dev/null || break; sleep 0.1; done
  READY=$(head -n 1 "$WORK/harness.out" 2>/dev/null || true)
  [[ $READY == *'"ready":true'* ]] || die "thub-harness did not start (see $ART/harness.log)"
  ECR_REGISTRY=$(sed -n 's/.*"ecrRegistry":"\([^"]*\)".*/\1/p' <<<"$READY")
  HARNESS_API=$(sed -n 's/.*"api":"\([^"]*\)".*/\1/p' <<<"$READY")
  log "thub-harness ready: $READY"
  DEV_ENV=(AWS_CONFIG_FILE="$WORK/aws/config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws/credentials" AWS_EC2_METADATA_DISABLED=true
    THUB_TEST_AWS_EMULATOR=1 THUB_TEST_AWS_EMULATOR_ENDPOINT="$AWS_EMU" THUB_TEST_AGENTS="$WORK/agents"
    THUB_TEST_REGISTRY_HOST="$ECR_REGISTRY" THUB_TEST_REGISTRY_INSECURE=1)
  export TH_E2E_AWS_PROFILE=th-e2e-emulator TH_E2E_REPLAY_PROFILE=th-e2e-replay TH_E2E_REPLAY_CONTROL_PLANE=$REPLAY_CP
  export TH_E2E_CLOUD_PREFIX=$CLOUD_PREFIX TH_E2E_HARNESS_API=$HARNESS_API TH_E2E_AWS_ENDPOINT=$AWS_EMU
fi

# --- wails dev ---------------------------------------------------------------------------
VERSION="e2e-$(date +%s)-$RANDOM"
mkdir -p "$WORK/config" "$WORK/data"

# start_dev PORT: 0 when our wails dev serves on PORT, 2 when PORT was taken meanwhile.
start_dev() {
  local port=$1 started=$SECONDS devlog=$ART/wails-dev.log
  # -m: no go mod tidy; -s: no frontend build (Vite serves it); -skipbindings: use the
  # committed ones; -noreload/-nogorebuild: teammates' edits must not restart the app mid-test.
  # XDG_*: a throwaway config and data dir instead of the user's.
  # CGO_ENABLED=1: the GTK/WebKit dev build needs cgo even when the caller turned it off.
  env "${DEV_ENV[@]}" CGO_ENABLED=1 DISPLAY=$DISPLAY_NUM XDG_CONFIG_HOME=$WORK/config XDG_DATA_HOME=$WORK/data \
    setsid .bin/wails dev -tags webkit2_41 -m -s -skipbindings -noreload -nogorebuild \
    -devserver "127.0.0.1:$port" -ldflags "-X transferhub/cloud/version.Version=$VERSION" \
    </dev/null >"$devlog" 2>&1 &
  DEV_PID=$!
  while (( SECONDS - started < START_TIMEOUT )); do
    # Another process may grab the port between our check and wails' bind; wails then
    # keeps running without a server, and a curl would reach the other process.
    if grep -q 'address already in use' "$devlog"; then stop_dev; return 2; fi
    if grep -q "Serving DevServer at http://127.0.0.1:$port" "$devlog" &&
      curl -fs -o /dev/null --max-time 5 "http://127.0.0.1:$port/"; then
      log "wails dev ready on port $port after $((SECONDS - started))s"
      return 0
    fi
    kill -0 "$DEV_PID" 2>/dev/null || break
    grep -qE 'panic:|failed to init GTK|ERROR' "$devlog" && break
    sleep 1
  done
  tail -n 40 "$devlog" >&2 || true
  die "wails dev did not serve port $port within ${START_TIMEOUT}s (log: $devlog)"
}

log "starting wails dev (the first run compiles the dev build: minutes)"
PORT=''
for _ in 1 2 3 4 5; do
  # A random start keeps parallel runs (other checkouts) off each other's ports.
  p=$((34115 + RANDOM % 800))
  while ! port_free "$p"; do p=$((p + 1)); done
  rc=0
  start_dev "$p" || rc=$?
  if (( rc == 0 )); then PORT=$p; break; fi
  log "port $p was taken before wails dev could bind it; trying another"
done
[[ -n $PORT ]] || die "wails dev found no free port"

export TH_E2E_URL="http://127.0.0.1:$PORT" TH_E2E_ARTIFACTS=$ART TH_E2E_VERSION=$VERSION
export TH_E2E_SETTINGS_FILE=$WORK/config/transfer-hub/settings.json
export TH_E2E_DATA_DIR=$WORK/chosen-data
export TH_E2E_PROFILES_FILE=$WORK/config/transfer-hub/profiles.json

# --- the tests ---------------------------------------------------------------------------
rc=0
# In the background so a TERM/INT to this script stops the run at once (bash defers traps
# while a foreground child runs).
# shellcheck disable=SC2086 # TH_E2E_SPECS is a list of globs
(cd frontend/e2e && exec node --test --test-concurrency=1 ${TH_E2E_SPECS:-tests/*.test.mjs}) &
TEST_PID=$!
wait "$TEST_PID" || rc=$?
TEST_PID=
if (( rc != 0 )) && [[ -s $ART/harness.log ]]; then
  # CI keeps the output, not the artifacts: what the harness saw goes with the failure.
  log "the last lines of thub-harness's log ($ART/harness.log):"
  tail -n 60 "$ART/harness.log" >&2
fi
log "screenshots in $ART: $(cd "$ART" && ls -- *.png 2>/dev/null | tr '\n' ' ')"
exit "$rc"
