#!/usr/bin/env bash
# The fault suite at full size (`make chaos`, outside `make test`): 3,000 objects (small,
# multipart of even and unequal parts, giant) copied by a local run, a local run into a
# directory and a fleet, through fault proxies (resets, 503 SlowDown, bodies cut short,
# trickled, stalled), with kill -9 and gateway restarts; each must end exact with nothing
# left behind. The suite starts its own S3 gateways; the AWS emulator it needs for the
# fleet comes from a test environment of its own (TH_PORT_OFFSET, default 990, in
# .testenv-chaos), so that nothing it does disturbs another run's services.
# Figures: artifacts/fault-suite/full.md and full.json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.bin:$PATH"
export TH_PORT_OFFSET="${TH_PORT_OFFSET:-990}"
export TH_TESTENV_DIR="${TH_TESTENV_DIR:-$ROOT/.testenv-chaos}"
export TH_TESTENV_FILE="$TH_TESTENV_DIR/env"
export TH_ARTIFACTS_DIR="${TH_ARTIFACTS_DIR:-$ROOT/artifacts}"
export CI=true TH_FAULT_SUITE=full CGO_ENABLED="${CGO_ENABLED:-0}"
started=0
if ! build/scripts/testenv.sh status >/dev/null 2>&1; then
	build/scripts/testenv.sh up
	started=1
fi
trap '[[ $started == 1 ]] && build/scripts/testenv.sh down' EXIT
mkdir -p "$TH_ARTIFACTS_DIR/fault-suite"
go test ./cloud/cmd/thub -run '^TestFaultSuite$' -count=1 -v -timeout 60m 2>&1 | tee "$TH_ARTIFACTS_DIR/fault-suite/full.log" | grep -v '^\s*{"time' | tail -30
echo "figures: $TH_ARTIFACTS_DIR/fault-suite/full.md"
