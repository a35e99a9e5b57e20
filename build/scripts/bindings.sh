#!/usr/bin/env bash
# Wails TypeScript bindings (frontend/wailsjs) for the services bound in main.go.
#   bindings.sh generate   regenerate frontend/wailsjs
#   bindings.sh check      regenerate, then fail if that changed the committed files
#                          (a Go service changed without `make bindings` + commit)
# `wails generate module` compiles and runs main() up to wails.Run, so main must stay free
# of side effects before Run. Builds the Wails CLI into .bin when it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

WAILS=${WAILS:-.bin/wails}
if [[ ! -x $WAILS ]]; then
  echo "bindings: building the Wails CLI from tools/go.mod" >&2
  go build -modfile=tools/go.mod -o "$WAILS" github.com/wailsapp/wails/v2/cmd/wails
fi

generate() {
  local log
  log=$(mktemp)
  # -m isn't offered here; generate module does not tidy. Output is noisy, keep it for errors.
  if ! "$WAILS" generate module >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "bindings: wails generate module failed" >&2
    return 1
  fi
  rm -f "$log"
  # generate writes 0755 files, wails dev 0644: settle on 0644 so git sees no mode flips.
  find frontend/wailsjs -type f -exec chmod 0644 {} +
}

case "${1:-}" in
  generate)
    generate
    echo "bindings: frontend/wailsjs regenerated"
    ;;
  check)
    generate
    # Untracked new files (a new service) count as stale too.
    untracked=$(git ls-files --others --exclude-standard -- frontend/wailsjs)
    if ! git -c core.fileMode=false diff --exit-code --stat -- frontend/wailsjs || [[ -n $untracked ]]; then
      [[ -n $untracked ]] && printf 'untracked: %s\n' $untracked >&2
      echo "bindings: frontend/wailsjs is stale; run 'make bindings' and commit the result" >&2
      exit 1
    fi
    echo "bindings: frontend/wailsjs is up to date"
    ;;
  *)
    echo "usage: $0 generate|check" >&2
    exit 2
    ;;
esac
