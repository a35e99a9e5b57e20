#!/usr/bin/env bash
# Cloud-run benchmark (a `make bench` section): one `thub s3 find` and 1, 2 and 4
# `thub s3 work` processes move 5,000 x 16 KiB objects from gateway A to gateway B through
# the AWS emulator's SQS and DynamoDB, with thub's default settings (200 objects per job
# message, 64 transfers per worker). A counting proxy in front of the emulator
# (cloud/internal/benchtools/fleetbench) counts the processes' SQS requests and DynamoDB
# write items. Figures: artifacts/bench/fleet.{md,json}.
# Targets (issue 5): <= 0.2 SQS requests and <= 1.1 DynamoDB writes per object.
# Needs the local test services (make testenv-up) and .testenv/env.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
ENV_FILE="${TH_TESTENV_FILE:-$ROOT/.testenv/env}"
[[ -f "$ENV_FILE" ]] || { echo "bench-fleet: $ENV_FILE missing; run make testenv-up" >&2; exit 1; }
set -a; source <(grep -E '^[A-Z_0-9]+=' "$ENV_FILE"); set +a
: "${TH_S3_A_ENDPOINT:?}" "${TH_S3_B_ENDPOINT:?}" "${TH_AWS_ENDPOINT:?}"
OUT="$ROOT/artifacts/bench"; mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export GOCACHE="${GOCACHE:-$(go env GOCACHE)}" GOMODCACHE="${GOMODCACHE:-$(go env GOMODCACHE)}"
export HOME="$WORK/home"; mkdir -p "$HOME"
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE="$WORK/none" AWS_SHARED_CREDENTIALS_FILE="$WORK/none"
export AWS_REGION="${TH_AWS_REGION:-us-east-1}" AWS_ACCESS_KEY_ID="$TH_AWS_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$TH_AWS_SECRET_KEY"
export THUB_SRC_ACCESS_KEY_ID="$TH_S3_A_ACCESS_KEY" THUB_SRC_SECRET_ACCESS_KEY="$TH_S3_A_SECRET_KEY"
export THUB_DST_ACCESS_KEY_ID="$TH_S3_B_ACCESS_KEY" THUB_DST_SECRET_ACCESS_KEY="$TH_S3_B_SECRET_KEY"

echo "== building thub and fleetbench"
CGO_ENABLED=0 go build -trimpath -o "$WORK/thub" ./cloud/cmd/thub
go build -o "$WORK/fleetbench" ./cloud/internal/benchtools/fleetbench
rc=0
"$WORK/fleetbench" -thub "$WORK/thub" -aws-endpoint "$TH_AWS_ENDPOINT" -src-endpoint "$TH_S3_A_ENDPOINT" \
  -dst-endpoint "$TH_S3_B_ENDPOINT" -workers "${BENCH_FLEET_WORKERS:-1,2,4}" -objects 5000 -size 16384 >"$WORK/runs.json" || rc=$?

echo "== report"
python3 - "$WORK/runs.json" "$OUT" <<'PY'
import json, sys, datetime, os
data = json.load(open(sys.argv[1])) if os.path.getsize(sys.argv[1]) else {}
runs, floor = data.get("runs") or [], data.get("storeFloorSeconds")
targets = {"sqsRequestsPerObject": 0.2, "dynamoWritesPerObject": 1.1}
met = {k: (all(r[k] <= v for r in runs) if runs else None) for k, v in targets.items()}
doc = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "machine": f"{os.cpu_count()} cores",
       "set": "5,000 x 16 KiB, gateway A -> gateway B, SQS + DynamoDB in the AWS emulator (moto 5.2.5)",
       "settings": "thub defaults: 200 objects per job message, 64 transfers per worker, 60 s visibility, 20 s long polls",
       "runs": runs, "storeFloorSeconds": floor, "targets": {k: f"<= {v}" for k, v in targets.items()}, "met": met,
       "dth_reference": "DTH: one SQS message per object (send, receive, delete, heartbeats) and about 2 DynamoDB writes per object (ANCHORS 1.5, 1.8)"}
json.dump(doc, open(os.path.join(sys.argv[2], "fleet.json"), "w"), indent=1)
L = ["# Fleet benchmark: cloud run over SQS + DynamoDB (AWS emulator)", "",
     f"Run {doc['date']} on {doc['machine']} (shared machine). Script: build/scripts/bench-fleet.sh. {doc['set']}; {doc['settings']}.", "",
     "| worker processes | seconds | objects/s | SQS requests | SQS req/object | DynamoDB write items | writes/object | WCU/object (transactions x2) | status |",
     "|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
for r in runs:
    L.append(f"| {r['workers']} | {r['seconds']:.2f} | {r['objectsPerSecond']} | {r['sqsRequests']} | {r['sqsRequestsPerObject']} | "
             f"{r['dynamoWriteItems']} | {r['dynamoWritesPerObject']} | {r['dynamoWCUPerObject']} | {r['status']} ({r['done']} done) |")
L += ["", "| target | value (worst run) | met |", "|---|---:|---|"]
for k, v in targets.items():
    worst = max((r[k] for r in runs), default=None)
    L.append(f"| {k} <= {v} | {worst} | {met[k]} |")
L += ["", "Requests by action (last run):", ""]
if runs:
    last = runs[-1]
    L.append("- SQS: " + ", ".join(f"{k} {v}" for k, v in sorted(last["sqsByAction"].items())))
    L.append("- DynamoDB: " + ", ".join(f"{k} {v}" for k, v in sorted(last["dynamoByAction"].items())))
L += ["", f"Emulator floor: writing the run's 5,000 records alone, in job-sized batches into a fresh table, takes {floor} s in the",
      "emulator: its DynamoDB serializes requests and its transactions slow down as the table grows (about 0.1 s per 200",
      "records on an empty table, over 1 s at 5,000 items). Runs at that floor are bounded by the emulator, not by the workers,",
      "which is why more worker processes do not raise objects/s here; requests per object are what this benchmark measures."]
L += ["", "Notes: counted by a proxy in front of the emulator, from the finder start to the run's end (idle long polls included,",
      "the benchmark's own status reads excluded). Writes are items written (each Put/Update/Delete, in transactions and batches);",
      "DynamoDB bills a transactional write twice, shown as WCU/object. Throughput is bounded by the emulator, which",
      "serializes DynamoDB requests and runs on the same 2 cores: it shows how requests scale, not AWS's speed.",
      doc["dth_reference"] + "."]
open(os.path.join(sys.argv[2], "fleet.md"), "w").write("\n".join(L) + "\n")
print("\n".join(L))
PY
exit $rc
