#!/usr/bin/env bash
# UI benchmark of the desktop app's Tasks pages (a section of `make bench`):
#   - a task page with 1,000,000 object records: time to the first rows, to the last page,
#     paging, a status filter and scrolling, with long tasks and the longest frame, in
#     Chromium against `wails dev` (browser mode);
#   - CPU and memory of the app (Go process + its WebKit processes) and of Chromium, idle
#     with a running task visible (one object trickling through a throttled link to the
#     local S3 gateway A).
#   - cloud task pages (issue 15): a cloud task with 1,000,000 object records in its stack's
#     DynamoDB table, served by an in-process fake of DynamoDB (the emulator would be
#     measured otherwise), and one with 100,000 records in the AWS emulator's DynamoDB,
#     reporting the emulator's share of the time. The app reads them through its cloud
#     runner and dynamostore, its DynamoDB endpoint set with AWS_ENDPOINT_URL_DYNAMODB to
#     thdynamo (cloud/internal/benchtools/thdynamo: the fake for one table, the emulator for
#     the others, both timed). The task page is the local tasks' page fed by the cloud task.
# Figures: artifacts/bench/ui.{md,json} and ui-cloud.{md,json} (ui.md includes it),
# screenshots artifacts/bench/ui-*.png.
# Targets (issues 6 and 15): first rows < 300 ms; no frame over 50 ms; idle CPU < 2 %:
# reported results, not pass/fail conditions.
#
# Env: TH_BENCH_UI_PARTS        local, cloud or both (default: local cloud)
#      TH_BENCH_RECORDS         records of the big task (default 1000000)
#      TH_BENCH_CLOUD_RECORDS   records of the cloud task in the DynamoDB fake (default 1000000)
#      TH_BENCH_CLOUD_EMULATOR_RECORDS  records of the cloud task in the emulator (default 100000)
#      TH_BENCH_SAMPLE_SECONDS  idle sampling window (default 30)
#      TH_E2E_START_TIMEOUT     seconds to wait for wails dev (default 420)
#      CHROMIUM                 browser binary (default /usr/bin/chromium)
#      TH_BENCH_PROFILE         1: profile the cloud pages' first rows and scrolling (ui-cloud-*.cpuprofile; slows them a little)
set -euo pipefail
# shellcheck source=build/scripts/lib/proc.sh
source "$(dirname "$0")/lib/proc.sh"
in_keyring "$0" "$@"
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/artifacts/bench
RECORDS=${TH_BENCH_RECORDS:-1000000}
PARTS=${TH_BENCH_UI_PARTS:-local cloud}
CLOUD_RECORDS=${TH_BENCH_CLOUD_RECORDS:-1000000}
CLOUD_EMU_RECORDS=${TH_BENCH_CLOUD_EMULATOR_RECORDS:-100000}
part() { [[ " $PARTS " == *" $1 "* ]]; }
START_TIMEOUT=${TH_E2E_START_TIMEOUT:-420}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

log() { printf 'bench-ui: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

need_tools 'make deps' Xvfb curl node npm go python3 "$CHROMIUM" /usr/bin/aws
ENV_FILE=${TH_TESTENV_FILE:-$ROOT/.testenv/env}
[[ -f $ENV_FILE ]] || die "no test environment ($ENV_FILE): make testenv-up"
envget() { sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1; }
S3A=$(envget TH_S3_A_ENDPOINT)
[[ -n $S3A ]] || die "TH_S3_A_ENDPOINT missing in $ENV_FILE: make testenv-up"
AWS_EMU=$(envget TH_AWS_ENDPOINT)
if part cloud && [[ -z $AWS_EMU ]]; then die "TH_AWS_ENDPOINT missing in $ENV_FILE: make testenv-up"; fi

# shellcheck source=build/scripts/lib/xvfb.sh
source build/scripts/lib/xvfb.sh
WORK=$(mktemp -d)
DEV_PID='' PROXY_PID='' BENCH_PID='' STATIC_PID='' DYNAMO_PID=''
stop_dev() { # SIGINT: wails dev stops the app and Vite itself; what is left goes with its session
  [[ -n $DEV_PID ]] || return 0
  stop_session "$DEV_PID" INT 10
  DEV_PID=''
}
BUCKET=''
cleanup() {
  [[ -n $BENCH_PID ]] && { kill -TERM "$BENCH_PID" 2>/dev/null || true; wait "$BENCH_PID" 2>/dev/null || true; }
  stop_dev
  [[ -n $PROXY_PID ]] && { kill "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; }
  [[ -n $STATIC_PID ]] && { kill "$STATIC_PID" 2>/dev/null || true; wait "$STATIC_PID" 2>/dev/null || true; }
  [[ -n $DYNAMO_PID ]] && { kill "$DYNAMO_PID" 2>/dev/null || true; wait "$DYNAMO_PID" 2>/dev/null || true; }
  if [[ -n ${EMU_TABLE:-} ]]; then
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_PAGER='' \
      /usr/bin/aws --endpoint-url "$AWS_EMU" dynamodb delete-table --table-name "$EMU_TABLE" >/dev/null 2>&1 || true
  fi
  stop_xvfb
  if [[ -n $BUCKET ]]; then awsA s3 rb "s3://$BUCKET" --force >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
on_exit cleanup
mkdir -p "$OUT"
rm -f "$OUT"/ui.md "$OUT"/ui.json "$OUT"/ui-*.png "$OUT"/ui-cloud.md "$OUT"/ui-cloud.json

awsA() {
  AWS_ACCESS_KEY_ID=$(envget TH_S3_A_ACCESS_KEY) AWS_SECRET_ACCESS_KEY=$(envget TH_S3_A_SECRET_KEY) \
    AWS_DEFAULT_REGION=$(envget TH_S3_A_REGION) AWS_PAGER='' /usr/bin/aws --endpoint-url "$S3A" "$@"
}

# --- tools -------------------------------------------------------------------------------------
[[ -x .bin/wails ]] || go build -modfile=tools/go.mod -o .bin/wails github.com/wailsapp/wails/v2/cmd/wails
# shellcheck source=build/scripts/lib/npm.sh
source build/scripts/lib/npm.sh
npm_ci frontend
npm_ci frontend/e2e
CGO_ENABLED=0 go build -o "$WORK/thseed" ./backend/tasks/internal/thseed
part cloud && CGO_ENABLED=0 go build -o "$WORK/thdynamo" ./cloud/internal/benchtools/thdynamo
# The production bundle (React's production build, as the app ships it), served to
# wails dev in place of Vite's development server.
log "building the frontend bundle"
(cd frontend && npm run build >"$WORK/frontend-build.log" 2>&1) || { cat "$WORK/frontend-build.log" >&2; die "frontend build failed"; }

# --- the big task: generated records in the app's task folder ------------------------------
# Generating a million records takes a minute or more: they are kept between runs in the
# user's cache (with-keyring.sh moved HOME; TH_REAL_HOME is the real one).
mkdir -p "$WORK/config" "$WORK/data/transfer-hub/tasks"
TASK='' FIRST_KEY='' LAST_KEY=''
if part local; then
CACHE=${XDG_CACHE_HOME:-${TH_REAL_HOME:-$HOME}/.cache}/transfer-hub-bench/records-$RECORDS
if [[ ! -s $CACHE/task.id ]]; then
  log "generating a task with $RECORDS records (once; kept in $CACHE)"
  rm -rf "$CACHE"
  mkdir -p "$CACHE"
  seed_out=$("$WORK/thseed" records -dir "$CACHE/tasks" -n "$RECORDS" -failed 100)
  log "$seed_out"
  echo "${seed_out%% *}" >"$CACHE/task.id"
fi
TASK=$(cat "$CACHE/task.id")
cp "$CACHE/tasks/$TASK.db" "$WORK/data/transfer-hub/tasks/"

# Key order of the generated records (thseed): photos/YYYY/MM/IMG_nnnnnnn.jpg.
read -r FIRST_KEY LAST_KEY < <(python3 - "$RECORDS" <<'PY'
import sys
n = int(sys.argv[1])
keys = sorted(f"photos/{2000 + j % 25:04d}/{j % 12 + 1:02d}/IMG_{j:07d}.jpg" for j in range(n))
print(keys[0], keys[-1])
PY
)
fi

# --- the cloud tasks: their tables in the DynamoDB fake and in the emulator ----------------
# thdynamo fills both through dynamostore (a minute or two) while wails dev builds; the
# app reaches them through an AWS profile of its own (a shared-config profile: no secret
# in the keychain) and the SDK's standard endpoint settings. Every other AWS call of the
# cloud runner (queues, fleet, logs, stack events) goes to the emulator, never to AWS.
if part cloud; then
  CLOUD_FAKE_TASK=s3-benchfake$RANDOM
  CLOUD_EMU_TASK=s3-benchemu$RANDOM
  EMU_TABLE=th-bench-ui-$RANDOM$RANDOM
  "$WORK/thdynamo" -ready "$WORK/dynamo.ready" -fake-table th-bench-fake -fake-task "$CLOUD_FAKE_TASK" \
    -fake-records "$CLOUD_RECORDS" -upstream "$AWS_EMU" -upstream-table "$EMU_TABLE" -upstream-task "$CLOUD_EMU_TASK" \
    -upstream-records "$CLOUD_EMU_RECORDS" -failed 100 >"$WORK/thdynamo.log" 2>&1 &
  DYNAMO_PID=$!
  PROFILE_ID=bench-aws-profile
  mkdir -p "$WORK/config/transfer-hub"
  cat >"$WORK/config/transfer-hub/profiles.json" <<JSON
{"version": 1, "profiles": [{"id": "$PROFILE_ID", "name": "Bench AWS (emulator)", "kind": "aws", "sharedProfile": "th-bench",
  "partition": "aws", "region": "us-east-1", "secretSet": false, "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"}]}
JSON
  printf '[profile th-bench]\nregion = us-east-1\n' >"$WORK/aws-config"
  printf '[th-bench]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$(envget TH_AWS_ACCESS_KEY)" "$(envget TH_AWS_SECRET_KEY)" >"$WORK/aws-credentials"
  "$WORK/thseed" cloud-task -dir "$WORK/data/transfer-hub/tasks" -id "$CLOUD_FAKE_TASK" -profile "$PROFILE_ID" \
    -table th-bench-fake -name "Benchmark: cloud task, $CLOUD_RECORDS records (DynamoDB fake)" >&2
  "$WORK/thseed" cloud-task -dir "$WORK/data/transfer-hub/tasks" -id "$CLOUD_EMU_TASK" -profile "$PROFILE_ID" \
    -table "$EMU_TABLE" -name "Benchmark: cloud task, $CLOUD_EMU_RECORDS records (AWS emulator)" >&2
  read -r CLOUD_FIRST_KEY CLOUD_LAST_KEY < <(python3 - "$CLOUD_RECORDS" <<'PY'
import sys
n = int(sys.argv[1])
keys = sorted(f"photos/{2000 + j % 25:04d}/{j % 12 + 1:02d}/IMG_{j:07d}.jpg" for j in range(n))
print(keys[0], keys[-1])
PY
)
  read -r EMU_FIRST_KEY EMU_LAST_KEY < <(python3 - "$CLOUD_EMU_RECORDS" <<'PY'
import sys
n = int(sys.argv[1])
keys = sorted(f"photos/{2000 + j % 25:04d}/{j % 12 + 1:02d}/IMG_{j:07d}.jpg" for j in range(n))
print(keys[0], keys[-1])
PY
)
fi

# --- a throttled link to gateway A, and a bucket with one object to trickle ---------------
SLOW_ENDPOINT=''
if part local; then
BUCKET=th-bench-ui-$RANDOM$RANDOM
awsA s3 mb "s3://$BUCKET" >/dev/null
head -c $((8 << 20)) /dev/urandom >"$WORK/big.bin"
awsA s3 cp --quiet "$WORK/big.bin" "s3://$BUCKET/big.bin"
read -r A_HOST A_PORT < <(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p.hostname, p.port or 80)' "$S3A")
cat >"$WORK/slowproxy.py" <<'PY'
# TCP proxy: requests go through at once, answers at RATE bytes a second.
import asyncio, sys
host, port, rate, ready = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
async def pipe(r, w, slow):
    try:
        while True:
            data = await r.read(max(1, rate // 4) if slow else 65536)
            if not data:
                break
            w.write(data)
            await w.drain()
            if slow:
                await asyncio.sleep(0.25)
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        w.close()
async def handle(cr, cw):
    try:
        sr, sw = await asyncio.open_connection(host, port)
    except OSError:
        cw.close()
        return
    await asyncio.gather(pipe(cr, sw, False), pipe(sr, cw, True))
async def main():
    srv = await asyncio.start_server(handle, '127.0.0.1', 0)
    open(ready, 'w').write(str(srv.sockets[0].getsockname()[1]))
    async with srv:
        await srv.serve_forever()
asyncio.run(main())
PY
python3 "$WORK/slowproxy.py" "$A_HOST" "$A_PORT" 2048 "$WORK/proxy.port" &
PROXY_PID=$!
for _ in $(seq 50); do [[ -s $WORK/proxy.port ]] && break; sleep 0.1; done
[[ -s $WORK/proxy.port ]] || die "the throttling proxy did not start"
SLOW_ENDPOINT="http://127.0.0.1:$(cat "$WORK/proxy.port")"
fi

# --- Xvfb + wails dev ---------------------------------------------------------------------------
start_xvfb "$WORK/xvfb.log" "$WORK"
DISPLAY_NUM=$XVFB_DISPLAY
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A port found free can be taken before the server binds it (teammates' tests pick ports
# too): try another then.
SPORT=''
for _ in 1 2 3 4 5; do
  p=$((36000 + RANDOM % 800))
  while ! port_free "$p"; do p=$((p + 1)); done
  python3 -m http.server "$p" --bind 127.0.0.1 --directory frontend/dist >"$WORK/static.log" 2>&1 &
  STATIC_PID=$!
  for _ in $(seq 200); do
    curl -fs -o /dev/null "http://127.0.0.1:$p/" && { SPORT=$p; break; }
    kill -0 "$STATIC_PID" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $SPORT ]] && break
  kill "$STATIC_PID" 2>/dev/null || true
  wait "$STATIC_PID" 2>/dev/null || true
  STATIC_PID=''
  log "the static server did not answer on port $p: $(tail -n 1 "$WORK/static.log")"
done
[[ -n $SPORT ]] || die "the static server for frontend/dist did not start"
# start_dev PORT: 0 when our wails dev serves on PORT, 2 when PORT was taken meanwhile
# (teammates' tests pick ports too: try another).
start_dev() {
  local port=$1 started=$SECONDS
  local cloudenv=()
  if part cloud; then
    cloudenv=(AWS_CONFIG_FILE="$WORK/aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"
      AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="$AWS_EMU" AWS_ENDPOINT_URL_DYNAMODB="$DYNAMO_URL")
  fi
  env "${cloudenv[@]}" CGO_ENABLED=1 DISPLAY=$DISPLAY_NUM XDG_CONFIG_HOME=$WORK/config XDG_DATA_HOME=$WORK/data \
    setsid .bin/wails dev -tags webkit2_41 -m -s -skipbindings -noreload -nogorebuild \
    -devserver "127.0.0.1:$port" -frontenddevserverurl "http://127.0.0.1:$SPORT" </dev/null >"$WORK/wails-dev.log" 2>&1 &
  DEV_PID=$!
  until grep -q "Serving DevServer at http://127.0.0.1:$port" "$WORK/wails-dev.log" &&
    curl -fs -o /dev/null --max-time 5 "http://127.0.0.1:$port/"; do
    if grep -q 'address already in use' "$WORK/wails-dev.log"; then stop_dev; return 2; fi
    (( SECONDS - started < START_TIMEOUT )) || { cp "$WORK/wails-dev.log" "$OUT/ui-wails-dev.log"; die "wails dev did not start (log: $OUT/ui-wails-dev.log)"; }
    kill -0 "$DEV_PID" 2>/dev/null || { cp "$WORK/wails-dev.log" "$OUT/ui-wails-dev.log"; die "wails dev exited (log: $OUT/ui-wails-dev.log)"; }
    sleep 1
  done
  # The bind error can come just after the banner.
  sleep 1
  if grep -q 'address already in use' "$WORK/wails-dev.log"; then stop_dev; return 2; fi
  log "wails dev ready on port $port after $((SECONDS - started))s"
}
DYNAMO_URL=''
if part cloud; then
  # thdynamo listens at once; its ready file comes when both tables are filled.
  for _ in $(seq 100); do
    DYNAMO_URL=$(sed -n 's/.*msg=serving addr=\(http[^ ]*\).*/\1/p' "$WORK/thdynamo.log" | head -n 1)
    [[ -n $DYNAMO_URL ]] && break
    kill -0 "$DYNAMO_PID" 2>/dev/null || { cat "$WORK/thdynamo.log" >&2; die "thdynamo exited"; }
    sleep 0.1
  done
  [[ -n $DYNAMO_URL ]] || die "thdynamo did not start"
fi
PORT=''
for _ in 1 2 3 4 5; do
  p=$((35000 + RANDOM % 800))
  while ! port_free "$p"; do p=$((p + 1)); done
  log "starting wails dev on port $p (a cold build of the dev binary takes minutes)"
  rc=0
  start_dev "$p" || rc=$?
  if (( rc == 0 )); then PORT=$p; break; fi
  log "port $p was taken before wails dev could bind it; trying another"
done
[[ -n $PORT ]] || die "wails dev found no free port"


# --- measure ---------------------------------------------------------------------------------------
mkdir -p "$WORK/slow-dst"
if part local; then
(
  cd frontend/e2e
  TH_BENCH_URL="http://127.0.0.1:$PORT" TH_BENCH_OUT="$OUT" TH_BENCH_TASK="$TASK" TH_BENCH_RECORDS="$RECORDS" \
    TH_BENCH_FIRST_KEY="$FIRST_KEY" TH_BENCH_LAST_KEY="$LAST_KEY" TH_BENCH_APP_ROOT="$DEV_PID" \
    TH_BENCH_SLOW_ENDPOINT="$SLOW_ENDPOINT" TH_BENCH_SLOW_KEY="$(envget TH_S3_A_ACCESS_KEY)" \
    TH_BENCH_SLOW_SECRET="$(envget TH_S3_A_SECRET_KEY)" TH_BENCH_SLOW_BUCKET="$BUCKET" TH_BENCH_SLOW_DST="$WORK/slow-dst" \
    exec node bench/ui-bench.mjs
) &
BENCH_PID=$!
rc=0
wait "$BENCH_PID" || rc=$?
BENCH_PID=''
[[ $rc -eq 0 ]] || die "the UI benchmark failed (see above; wails dev log: $WORK/wails-dev.log)"
else
  printf '## Desktop UI\n\nThe local task pages were not measured in this run (TH_BENCH_UI_PARTS=%s).\n' "$PARTS" >"$OUT/ui.md"
fi

if part cloud; then
  log "waiting for thdynamo to fill the cloud tasks' tables"
  until [[ -s $WORK/dynamo.ready ]]; do
    kill -0 "$DYNAMO_PID" 2>/dev/null || { cat "$WORK/thdynamo.log" >&2; die "thdynamo exited"; }
    sleep 1
  done
  log "thdynamo: $(cat "$WORK/dynamo.ready")"
  VARIANTS=$(python3 - "$CLOUD_FAKE_TASK" "$CLOUD_RECORDS" "$CLOUD_FIRST_KEY" "$CLOUD_LAST_KEY" \
    "$CLOUD_EMU_TASK" "$CLOUD_EMU_RECORDS" "$EMU_FIRST_KEY" "$EMU_LAST_KEY" <<'PY'
import json, sys
a = sys.argv[1:]
print(json.dumps([
  {"name": "fake-1m", "label": f"{int(a[1]):,} records in the DynamoDB fake", "backend": "fake", "task": a[0],
   "taskName": f"Benchmark: cloud task, {a[1]} records (DynamoDB fake)", "records": int(a[1]), "firstKey": a[2], "lastKey": a[3]},
  {"name": "emulator", "label": f"{int(a[5]):,} records in the AWS emulator (moto)", "backend": "upstream", "task": a[4],
   "taskName": f"Benchmark: cloud task, {a[5]} records (AWS emulator)", "records": int(a[5]), "firstKey": a[6], "lastKey": a[7]},
]))
PY
)
  (
    cd frontend/e2e
    TH_BENCH_URL="http://127.0.0.1:$PORT" TH_BENCH_OUT="$OUT" TH_BENCH_DYNAMO_STATS="$DYNAMO_URL" \
      TH_BENCH_CLOUD_VARIANTS="$VARIANTS" exec node bench/ui-cloud-bench.mjs
  ) &
  BENCH_PID=$!
  rc=0
  wait "$BENCH_PID" || rc=$?
  BENCH_PID=''
  [[ $rc -eq 0 ]] || die "the UI benchmark of cloud task pages failed (see above; wails dev log: $WORK/wails-dev.log)"
  python3 - "$WORK/dynamo.ready" "$OUT/ui-cloud.md" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
with open(sys.argv[2], "a") as f:
    f.write(f"Writing the records through dynamostore took {r['fakeFillSeconds']:.0f} s into the fake and "
            f"{r.get('upstreamFillSeconds', 0):.0f} s into the emulator.\n")
PY
  { echo; sed 's/^## /### /; s/^### \(.*records in\)/#### \1/' "$OUT/ui-cloud.md"; } >>"$OUT/ui.md"
fi
cat "$OUT/ui.md"
