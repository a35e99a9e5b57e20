#!/usr/bin/env bash
# Cloud-run benchmark (a `make bench` section): one `thub s3 find` and 1, 2 and 4
# `thub s3 work` processes move 5,000 x 16 KiB objects from gateway A to gateway B through
# the AWS emulator's SQS and DynamoDB, with thub's default settings (200 objects per job
# message, 64 transfers per worker). A proxy in front of the emulator
# (cloud/internal/benchtools/fleetbench) counts the processes' SQS requests and DynamoDB
# item writes and bills DynamoDB's write and read units as AWS does, from the stored
# items' sizes. Figures, and the cost per million objects beside DTH's:
# artifacts/bench/fleet.{md,json}.
# Targets (issue 11): <= 0.02 SQS requests and <= 0.25 billed write units per object;
# objects/s no lower than 224 / 178 / 194 with 1 / 2 / 4 workers (the emulator-bound
# figures before issue 11).
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
# Prices: on-demand list prices, us-east-1. DynamoDB since its 1 November 2024 reduction,
# SQS standard queues (after the free tier); the latest figures found on 2026-12-05.
PRICES = {"date": "2026-12-05 (DynamoDB on-demand prices of 1 November 2024)",
          "wru": 0.625, "rru": 0.125, "sqs": 0.40}
floors = {1: 224, 2: 178, 4: 194}
targets = {"sqsRequestsPerObject": 0.02, "billedWriteUnitsPerObject": 0.25}
met = {k: (all(r[k] <= v for r in runs) if runs else None) for k, v in targets.items()}
speed = {r["workers"]: (r["objectsPerSecond"] >= floors[r["workers"]]) for r in runs if r["workers"] in floors}
met["objectsPerSecond"] = all(speed.values()) if speed else None
def cost(r):
    w, rd, q = r["billedWriteUnitsPerObject"] * PRICES["wru"], r["readUnitsPerObject"] * PRICES["rru"], r["sqsBilledRequestsPerObject"] * PRICES["sqs"]
    return {"dynamoWrites": round(w, 4), "dynamoReads": round(rd, 4), "sqs": round(q, 4), "total": round(w + rd + q, 4)}
for r in runs:
    r["costPerMillionObjects"] = cost(r)
# DTH (ANCHORS 1.8, "as of December 2021"): 1 TB of 10 KB files = 107,400,000 objects,
# DynamoDB $268.25 (about 2 writes per object at the then $1.25 per million), SQS $85.92.
dth_objects = 107.4e6
dth = {"published": {"dynamo": round(268.25 / dth_objects * 1e6, 4), "sqs": round(85.92 / dth_objects * 1e6, 4)},
       "todaysPrices": {"dynamo": round(2 * PRICES["wru"], 4), "sqs": round(85.92 / dth_objects * 1e6, 4)}}
doc = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "machine": f"{os.cpu_count()} cores",
       "load": os.getloadavg(),
       "set": "5,000 x 16 KiB, gateway A -> gateway B, SQS + DynamoDB in the AWS emulator (moto 5.2.5)",
       "settings": "thub defaults: 200 objects per job message, 64 transfers per worker, 60 s visibility, 20 s long polls",
       "runs": runs, "storeFloorSeconds": floor, "prices": PRICES,
       "targets": {**{k: f"<= {v}" for k, v in targets.items()}, "objectsPerSecond": ">= " + " / ".join(f"{v} ({k} workers)" for k, v in floors.items())},
       "met": met, "dth": dth,
       "dth_reference": "DTH: one SQS message per object (send, receive, delete, heartbeats) and about 2 DynamoDB writes per object (ANCHORS 1.5, 1.8)"}
json.dump(doc, open(os.path.join(sys.argv[2], "fleet.json"), "w"), indent=1)
L = ["# Fleet benchmark: cloud run over SQS + DynamoDB (AWS emulator)", "",
     f"Run {doc['date']} on {doc['machine']} (shared machine, load average {doc['load'][0]:.1f}). Script: build/scripts/bench-fleet.sh. {doc['set']}; {doc['settings']}.", "",
     "| worker processes | seconds | objects/s | SQS requests/object | DynamoDB items written/object | billed write units/object (table + index = total) | read units/object | status |",
     "|---:|---:|---:|---:|---:|---:|---:|---|"]
for r in runs:
    L.append(f"| {r['workers']} | {r['seconds']:.2f} | {r['objectsPerSecond']} | {r['sqsRequestsPerObject']} | {r['dynamoWritesPerObject']} | "
             f"{r['tableWriteUnitsPerObject']} + {r['indexWriteUnitsPerObject']} = **{r['billedWriteUnitsPerObject']}** | {r['readUnitsPerObject']} | {r['status']} ({r['done']} done) |")
L += ["", "| target | value (worst run) | met |", "|---|---:|---|"]
for k, v in targets.items():
    worst = max((r[k] for r in runs), default=None)
    L.append(f"| {k} <= {v} | {worst} | {met[k]} |")
L.append(f"| objects/s >= {floors[1]} / {floors[2]} / {floors[4]} (1 / 2 / 4 workers) | " +
         " / ".join(str(r["objectsPerSecond"]) for r in runs) + f" | {met['objectsPerSecond']} |")
L += ["", f"## Cost per million objects (on-demand list prices, us-east-1, {PRICES['date']}: DynamoDB ${PRICES['wru']} per million write and ${PRICES['rru']} per million read request units, SQS ${PRICES['sqs']} per million requests)", "",
      "| | DynamoDB writes | DynamoDB reads | SQS | total |", "|---|---:|---:|---:|---:|"]
for r in runs:
    c = r["costPerMillionObjects"]
    L.append(f"| Transfer Hub, {r['workers']} worker(s) | ${c['dynamoWrites']:.3f} | ${c['dynamoReads']:.3f} | ${c['sqs']:.3f} | ${c['total']:.3f} |")
L.append(f"| DTH at today's prices (2 writes per object; its SQS figure) | ${dth['todaysPrices']['dynamo']:.3f} | (not published) | ${dth['todaysPrices']['sqs']:.3f} | ${dth['todaysPrices']['dynamo'] + dth['todaysPrices']['sqs']:.3f} |")
L.append(f"| DTH as published (December 2021 prices) | ${dth['published']['dynamo']:.3f} | (not published) | ${dth['published']['sqs']:.3f} | ${dth['published']['dynamo'] + dth['published']['sqs']:.3f} |")
L += ["", "Requests by action (last run):", ""]
if runs:
    last = runs[-1]
    L.append("- SQS: " + ", ".join(f"{k} {v}" for k, v in sorted(last["sqsByAction"].items())))
    L.append("- DynamoDB: " + ", ".join(f"{k} {v}" for k, v in sorted(last["dynamoByAction"].items())))
L += ["", f"Emulator floor: recording and settling the run's 5,000 objects alone, in batches of 200, one after the other, takes {floor} s in",
      "the emulator (its DynamoDB serializes requests). Throughput is bounded by the emulator, which runs on the same (shared) cores",
      "as the processes: it shows how requests scale, not AWS's speed."]
L += ["", "How the bill is computed (cloud/internal/benchtools/fleetbench/billing.go): every write costs one unit per started KB of the",
      "larger of the item's stored size before and after it (at least one), twice inside a transaction; a write that puts, moves,",
      "rewrites or removes an item's entry in the byStatus index costs the entry's size in index units (once: DynamoDB propagates",
      "a transaction's changes to its indexes after it commits); refused conditional writes and cancelled transactions are billed",
      "too. Sizes follow DynamoDB's item-size rules applied to the items as stored (learnt from the Puts that store them and read",
      "back after every Update). Reads: one unit per started 4 KB read (a Query: the items' sum), half when eventually consistent.",
      "SQS: one request per started 64 KB of message payload. Counted from the finder's start to the run's end (idle long polls",
      "included, the benchmark's own status reads excluded).", "", doc["dth_reference"] + "."]
open(os.path.join(sys.argv[2], "fleet.md"), "w").write("\n".join(L) + "\n")
print("\n".join(L))
PY
exit $rc
