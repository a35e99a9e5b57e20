#!/usr/bin/env bash
# Desktop smoke test: start the production binary (build/bin/transfer-hub) under its own
# Xvfb display, wait for the "Transfer Hub" window, screenshot it and fail unless the app
# shell really rendered. Runs twice, with a light and a dark theme written to the settings
# file beforehand, so it also proves the binary reads its settings at start-up.
# Screenshots and logs: artifacts/desktop/. Everything started here is stopped on exit.
#
#   desktop-smoke.sh [shell] [tasks]    (default: both)
#     shell  light and dark settings: the shell renders in the saved theme
#     tasks  a local task is created and run to completion on the real engine before the
#            app starts (backend/tasks/internal/thseed writes its state file in the data
#            dir); the window must show it on the Tasks page: a row with the green
#            "Completed" status, where an empty list has no green at all
#
# Env: TH_DESKTOP_BIN      binary to test (default build/bin/transfer-hub)
#      TH_DESKTOP_TIMEOUT  seconds to wait for the window and for it to render (default 60)
set -euo pipefail
cd "$(dirname "$0")/../.."
ART=$PWD/artifacts/desktop
BIN=${TH_DESKTOP_BIN:-build/bin/transfer-hub}
TIMEOUT=${TH_DESKTOP_TIMEOUT:-60}
TITLE='Transfer Hub'

log() { printf 'desktop-smoke: %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# shellcheck source=build/scripts/lib/proc.sh
source build/scripts/lib/proc.sh
[[ -x $BIN ]] || die "$BIN not found; build it with: make build-desktop"
need_tools 'make deps-system' Xvfb xdotool import convert identify

# shellcheck source=build/scripts/lib/xvfb.sh
source build/scripts/lib/xvfb.sh
WORK=$(mktemp -d)
APP_PID=''
# The app runs in a session of its own (setsid): WebKit helper processes go with it.
stop_app() {
  [[ -n $APP_PID ]] || return 0
  stop_session "$APP_PID" TERM 5
  APP_PID=''
}
cleanup() {
  stop_app
  stop_xvfb
  rm -rf "$WORK"
}
on_exit cleanup

rm -rf "$ART"
mkdir -p "$ART"

start_xvfb "$ART/xvfb.log" "$WORK"
export DISPLAY=$XVFB_DISPLAY

# mean brightness (0..1) of a region given as fractions of the image: x0 y0 x1 y1
region_mean() {
  local png=$1 w h
  read -r w h < <(identify -format '%w %h' "$png")
  local x0=$(( w * $2 / 100 )) y0=$(( h * $3 / 100 )) x1=$(( w * $4 / 100 )) y1=$(( h * $5 / 100 ))
  convert "$png" -crop "$((x1 - x0))x$((y1 - y0))+$x0+$y0" +repage -colorspace Gray -format '%[fx:mean]' info:
}

# Prints why the screenshot is not the rendered shell, or nothing when it is.
render_problem() {
  local png=$1 theme=$2 colours stddev top content
  colours=$(identify -format '%k' "$png")
  stddev=$(identify -format '%[fx:standard_deviation]' "$png")
  top=$(region_mean "$png" 0 1 100 5)       # the top navigation bar
  content=$(region_mean "$png" 35 60 95 95) # lower right of the content area
  echo "colours=$colours stddev=$stddev top=$top content=$content" >"$png.stats"
  # A blank or single-colour window has a handful of colours; text and widgets give hundreds.
  (( colours >= 64 )) || { echo "only $colours colours (blank window?)"; return; }
  awk -v s="$stddev" 'BEGIN{exit !(s >= 0.05)}' || { echo "standard deviation $stddev (nearly uniform)"; return; }
  # Cloudscape's top navigation is dark in both modes.
  awk -v t="$top" 'BEGIN{exit !(t <= 0.35)}' || { echo "top bar brightness $top: no dark navigation bar"; return; }
  if [[ $theme == dark ]]; then
    awk -v c="$content" 'BEGIN{exit !(c <= 0.3)}' || { echo "content brightness $content: dark theme not applied"; return; }
  else
    awk -v c="$content" 'BEGIN{exit !(c >= 0.8)}' || { echo "content brightness $content: light theme not applied"; return; }
  fi
}

run_theme() {
  local theme=$1 cfg=$WORK/$1/config data=$WORK/$1/data
  mkdir -p "$cfg/transfer-hub" "$data"
  printf '{"version":1,"theme":"%s","concurrency":16,"dataDir":"%s"}\n' "$theme" "$data/transfer-hub" \
    >"$cfg/transfer-hub/settings.json"
  launch_and_shoot "$theme" "$cfg" "$data" render_problem "$theme"
}

# Fraction (0..1) of clearly green pixels in a region (fractions of the image: x0 y0 x1 y1):
# Cloudscape's success status is the only green of the app.
region_green() {
  local png=$1 w h
  read -r w h < <(identify -format '%w %h' "$png")
  local x0=$(( w * $2 / 100 )) y0=$(( h * $3 / 100 )) x1=$(( w * $4 / 100 )) y1=$(( h * $5 / 100 ))
  convert "$png" -crop "$((x1 - x0))x$((y1 - y0))+$x0+$y0" +repage \
    -fx '(g > r + 0.12 && g > b + 0.08) ? 1 : 0' -format '%[fx:mean]' info:
}

# launch_and_shoot NAME CFG DATA CHECK [ARGS...]: start the app with these XDG dirs,
# screenshot the window until CHECK PNG ARGS... prints nothing (or the timeout), then stop
# the app. The webview paints after the window maps: hence the retries.
launch_and_shoot() {
  local name=$1 cfg=$2 data=$3 check=$4 png=$ART/transfer-hub-$1.png
  shift 4
  local t0=$SECONDS
  XDG_CONFIG_HOME=$cfg XDG_DATA_HOME=$data setsid "$BIN" </dev/null >"$ART/app-$name.log" 2>&1 &
  APP_PID=$!
  local wid=''
  while (( SECONDS - t0 < TIMEOUT )); do
    kill -0 "$APP_PID" 2>/dev/null || { cat "$ART/app-$name.log" >&2; die "$name: the app exited before showing a window"; }
    wid=$(xdotool search --name "^${TITLE}\$" 2>/dev/null | head -n 1 || true)
    [[ -n $wid ]] && break
    sleep 0.2
  done
  [[ -n $wid ]] || die "$name: no window titled '$TITLE' within ${TIMEOUT}s"
  log "$name: window $wid after $((SECONDS - t0))s"
  local problem='not checked'
  while (( SECONDS - t0 < TIMEOUT )); do
    sleep 1
    kill -0 "$APP_PID" 2>/dev/null || { cat "$ART/app-$name.log" >&2; die "$name: the app exited"; }
    import -window "$wid" "$png" 2>>"$ART/import.log" || continue
    problem=$("$check" "$png" "$@")
    [[ -z $problem ]] && break
  done
  [[ -z $problem ]] || die "$name: $problem (screenshot: $png)"
  log "$name: ok after $((SECONDS - t0))s ($(cat "$png.stats" 2>/dev/null)) -> $png"
  stop_app
}

tasks_problem() { # the shell rendered, and the task list shows a completed task
  local png=$1 problem green
  problem=$(render_problem "$png" light)
  [[ -z $problem ]] || { echo "$problem"; return; }
  green=$(region_green "$png" 22 15 100 60) # the table under the Tasks header
  echo "green=$green" >>"$png.stats"
  awk -v g="$green" 'BEGIN{exit !(g >= 0.0002)}' || echo "no green 'Completed' status in the task list (green share $green)"
}

empty_problem() { # the same check must fail on an empty list: the green is the task's
  local png=$1 problem green
  problem=$(render_problem "$png" light)
  [[ -z $problem ]] || { echo "$problem"; return; }
  green=$(region_green "$png" 22 15 100 60)
  echo "green=$green" >>"$png.stats"
  awk -v g="$green" 'BEGIN{exit !(g < 0.0002)}' || echo "green in an empty task list ($green): the check would not tell"
  # Wait for the list to load (its empty state) before judging.
  awk -v c="$(identify -format '%k' "$png")" 'BEGIN{exit !(c >= 64)}' || echo "not rendered yet"
}

run_tasks() {
  local cfg=$WORK/tasks/config data=$WORK/tasks/data
  mkdir -p "$cfg/transfer-hub" "$data/transfer-hub"
  printf '{"version":1,"theme":"light","concurrency":16,"dataDir":"%s"}\n' "$data/transfer-hub" \
    >"$cfg/transfer-hub/settings.json"

  # Baseline: the same screen without a task has no green.
  launch_and_shoot tasks-empty "$cfg" "$data" empty_problem

  log "tasks: building the seeding tool and running a local task to completion"
  CGO_ENABLED=0 go build -o "$WORK/thseed" ./backend/tasks/internal/thseed
  local src=$WORK/tasks/src dst=$WORK/tasks/dst
  mkdir -p "$src/photos/2024" "$dst"
  for i in $(seq 1 25); do head -c $((1000 + i * 37)) /dev/urandom >"$src/photos/2024/img-$i.jpg"; done
  echo "notes" >"$src/readme.txt"
  "$WORK/thseed" run-local -dir "$data/transfer-hub/tasks" -src "$src" -dst "$dst" -name "Smoke: local folders" \
    | tee "$ART/thseed.log"
  grep -q ' COMPLETED found=26 done=26 failed=0$' "$ART/thseed.log" || die "tasks: the seeded run did not complete with 26 objects"
  cmp -s "$src/readme.txt" "$dst/readme.txt" || die "tasks: the seeded run did not copy the files"

  launch_and_shoot tasks "$cfg" "$data" tasks_problem
}

modes=("$@")
(( ${#modes[@]} > 0 )) || modes=(shell tasks)
for mode in "${modes[@]}"; do
  case $mode in
    shell)
      run_theme light
      run_theme dark
      ;;
    tasks) run_tasks ;;
    *) die "unknown mode $mode (shell, tasks)" ;;
  esac
done
log "ok"
