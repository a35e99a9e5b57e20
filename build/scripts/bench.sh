#!/usr/bin/env bash
# `make bench`: every benchmark section, each comparing Transfer Hub with its peers on the
# same data in the same run. Each section writes artifacts/bench/<name>.{md,json}; this
# script starts the local test services when needed (and stops what it started), runs
# the sections it finds, and joins their Markdown into artifacts/bench/summary.md.
#   build/scripts/bench.sh [SECTION...]   sections: s3 image fleet ui (default: all present)
# Benchmarks want a quiet machine: their figures are ratios against peers measured in the
# same run, but a loaded 2-core machine still widens them.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1
SCRIPTS="$ROOT/build/scripts"
OUT="$ROOT/artifacts/bench"
mkdir -p "$OUT"

sections=("$@")
[[ ${#sections[@]} -gt 0 ]] || sections=(s3 image fleet ui)

started=0
if ! "$SCRIPTS/testenv.sh" status >/dev/null 2>&1; then
	"$SCRIPTS/testenv.sh" up || { echo "bench: cannot start the test services" >&2; exit 1; }
	started=1
fi
cleanup() { [[ $started -eq 1 ]] && "$SCRIPTS/testenv.sh" down; }
trap cleanup EXIT

failed=()
ran=()
for s in "${sections[@]}"; do
	script="$SCRIPTS/bench-$s.sh"
	if [[ ! -x $script ]]; then
		echo "bench: no section '$s' ($script missing)" >&2
		failed+=("$s(missing)")
		continue
	fi
	echo "===== bench $s"
	if "$script"; then ran+=("$s"); else failed+=("$s"); fi
done

{
	echo "# Transfer Hub benchmarks"
	echo
	echo "Run at $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); git $(git describe --always --dirty 2>/dev/null)."
	echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
	for s in "${ran[@]}"; do
		echo
		[[ -f $OUT/$s.md ]] && sed 's/^# /## /' "$OUT/$s.md"
	done
} >"$OUT/summary.md"
echo "bench: figures in $OUT (summary.md)"
[[ ${#failed[@]} -eq 0 ]] || { echo "bench: failed sections: ${failed[*]}" >&2; exit 1; }
