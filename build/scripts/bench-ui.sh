#!/usr/bin/env bash
# UI benchmark of the desktop app's Tasks pages (a section of `make bench`):
#   - a task page with 1,000,000 object records: time to the first rows, to the last page,
#     paging, a status filter and scrolling, with long tasks and the longest frame, in
#     Chromium against `wails dev` (browser mode);
#   - CPU and memory of the app (Go process + its WebKit processes) and of Chromium, idle
#     with a running task visible (one object trickling through a throttled link to the
#     local S3 gateway A).
# Figures: artifacts/bench/ui.{md,json}, screenshots artifacts/bench/ui-*.png.
# Targets (issue 6): first rows < 300 ms; no frame over 50 ms; idle CPU < 2 %.
#
# Env: TH_BENCH_RECORDS         records of the big task (default 1000000)
#      TH_BENCH_SAMPLE_SECONDS  idle sampling window (default 30)
#      TH_E2E_START_TIMEOUT     seconds to wait for wails dev (default 420)
#      CHROMIUM                 browser binary (default /usr/bin/chromium)
set -euo pipefail
# The app reads the OS keychain (credentials): run inside a session D-Bus with an
# unlocked Secret Service unless one is there.
if [[ -z ${TH_KEYRING:-} ]]; then
  exec "$(dirname "$0")/with-keyring.sh" "$0" "$@"
fi
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/artifacts/bench
RECORDS=${TH_BENCH_RECORDS:-1000000}
START_TIMEOUT=${TH_E2E_START_TIMEOUT:-420}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

log() { printf 'bench-ui: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

for tool in Xvfb curl node npm go python3 "$CHROMIUM" /usr/bin/aws; do
  command -v "$tool" >/dev/null || die "$tool is missing (make deps)"
done
ENV_FILE=${TH_TESTENV_FILE:-$ROOT/.testenv/env}
[[ -f $ENV_FILE ]] || die "no test environment ($ENV_FILE): make testenv-up"
envget() { sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1; }
S3A=$(envget TH_S3_A_ENDPOINT)
[[ -n $S3A ]] || die "TH_S3_A_ENDPOINT missing in $ENV_FILE: make testenv-up"

WORK=$(mktemp -d)
XVFB_PID='' DEV_PID='' PROXY_PID='' BENCH_PID='' STATIC_PID=''
stop_dev() {
  [[ -n $DEV_PID ]] || return 0
  kill -INT "$DEV_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$DEV_PID" 2>/dev/null || break; sleep 0.2; done
  kill -KILL -- "-$DEV_PID" 2>/dev/null || true
  wait "$DEV_PID" 2>/dev/null || true
  DEV_PID=''
}
BUCKET=''
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n $BENCH_PID ]] && { kill -TERM "$BENCH_PID" 2>/dev/null || true; wait "$BENCH_PID" 2>/dev/null || true; }
  stop_dev
  [[ -n $PROXY_PID ]] && { kill "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; }
  [[ -n $STATIC_PID ]] && { kill "$STATIC_PID" 2>/dev/null || true; wait "$STATIC_PID" 2>/dev/null || true; }
  [[ -n $XVFB_PID ]] && { kill "$XVFB_PID" 2>/dev/null || true; wait "$XVFB_PID" 2>/dev/null || true; }
  if [[ -n $BUCKET ]]; then awsA s3 rb "s3://$BUCKET" --force >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$OUT"
rm -f "$OUT"/ui.md "$OUT"/ui.json "$OUT"/ui-*.png

awsA() {
  AWS_ACCESS_KEY_ID=$(envget TH_S3_A_ACCESS_KEY) AWS_SECRET_ACCESS_KEY=$(envget TH_S3_A_SECRET_KEY) \
    AWS_DEFAULT_REGION=$(envget TH_S3_A_REGION) AWS_PAGER='' /usr/bin/aws --endpoint-url "$S3A" "$@"
}

# --- tools -------------------------------------------------------------------------------------
[[ -x .bin/wails ]] || go build -modfile=tools/go.mod -o .bin/wails github.com/wailsapp/wails/v2/cmd/wails
for d in frontend frontend/e2e; do
  if [[ ! -f $d/node_modules/.package-lock.json || $d/package-lock.json -nt $d/node_modules/.package-lock.json ]]; then
    (cd "$d" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
CGO_ENABLED=0 go build -o "$WORK/thseed" ./backend/tasks/internal/thseed
# The production bundle (React's production build, as the app ships it), served to
# wails dev in place of Vite's development server.
log "building the frontend bundle"
(cd frontend && npm run build >"$WORK/frontend-build.log" 2>&1) || { cat "$WORK/frontend-build.log" >&2; die "frontend build failed"; }

# --- the big task: generated records in the app's task folder ------------------------------
# Generating a million records takes a minute or more: they are kept between runs in the
# user's cache (with-keyring.sh moved HOME; TH_REAL_HOME is the real one).
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
mkdir -p "$WORK/config" "$WORK/data/transfer-hub/tasks"
cp "$CACHE/tasks/$TASK.db" "$WORK/data/transfer-hub/tasks/"

# Key order of the generated records (thseed): photos/YYYY/MM/IMG_nnnnnnn.jpg.
read -r FIRST_KEY LAST_KEY < <(python3 - "$RECORDS" <<'PY'
import sys
n = int(sys.argv[1])
keys = sorted(f"photos/{2000 + j % 25:04d}/{j % 12 + 1:02d}/IMG_{j:07d}.jpg" for j in range(n))
print(keys[0], keys[-1])
PY
)

# --- a throttled link to gateway A, and a bucket with one object to trickle ---------------
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

# --- Xvfb + wails dev ---------------------------------------------------------------------------
Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$WORK/display" >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 100); do [[ -s $WORK/display ]] && break; sleep 0.1; done
[[ -s $WORK/display ]] || die "Xvfb did not start"
DISPLAY_NUM=":$(tr -d '[:space:]' <"$WORK/display")"
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
  CGO_ENABLED=1 DISPLAY=$DISPLAY_NUM XDG_CONFIG_HOME=$WORK/config XDG_DATA_HOME=$WORK/data \
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
cat "$OUT/ui.md"
