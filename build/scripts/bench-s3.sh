#!/usr/bin/env bash
# S3 benchmark between the two local S3 gateways (TH_S3_A -> TH_S3_B), same data, same run:
#   (a) 5,000 x 16 KiB objects (50 directories), copied into an empty bucket
#   (b) 2 x 1 GiB objects (multipart, 8 MiB parts), copied into an empty bucket
#   (c) no-op re-sync of (a)
#   (d) diff of 100,000 source keys against a destination holding half (dry run), and the
#       same at 200,000 keys (100 and 200 directories of 1,000 keys)
# Tools: thub s3 sync (defaults), rclone (Debian package; tuned: 64 transfers/checkers,
# --checksum, no HEAD, no bucket check, 8 MiB chunks), /usr/bin/aws v2 `s3 sync` (64
# concurrent requests; it cannot sync between two endpoints, so it goes A -> local disk -> B
# and its figures include that detour), and the "limit" client (cloud/internal/benchtools/
# s3bench: plain parallel GET+PUT of the known keys, no listing, no state; for (c), one
# bare listing of each side, both at once).
# Wall time, objects/s, MB/s and peak RSS (/usr/bin/time -v). Figures: artifacts/bench/s3.{md,json}.
# Needs the local test services (make testenv-up) and .testenv/env. BENCH_REPEAT (default 2)
# runs (a) and (c) that many times per tool and keeps the best. Each (b) copy is
# deleted once measured (peak disk about 6 GB); everything is freed on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
ENV_FILE="${TH_TESTENV_FILE:-$ROOT/.testenv/env}"
[[ -f "$ENV_FILE" ]] || { echo "bench-s3: $ENV_FILE missing; run make testenv-up" >&2; exit 1; }
set -a; source <(grep -E '^[A-Z_0-9]+=' "$ENV_FILE"); set +a
: "${TH_S3_A_ENDPOINT:?}" "${TH_S3_B_ENDPOINT:?}" "${TH_S3_A_DATA_DIR:?}" "${TH_S3_B_DATA_DIR:?}"
REPEAT="${BENCH_REPEAT:-2}"
OUT="$ROOT/artifacts/bench"; mkdir -p "$OUT"
WORK="$(mktemp -d)"
RUN="b$(date +%s)"
cleanup() {
  # Benchmark buckets are removed from the gateways' data directories directly: deleting
  # 450,000 objects through the API would take longer than the benchmark. (mkbucket runs
  # in command substitutions, so the names go through a file, not a shell variable.)
  if [[ -f "$WORK/buckets" ]]; then
    while read -r b; do
      [[ $b == "$RUN"-* ]] && rm -rf "${TH_S3_A_DATA_DIR:?}/$b" "${TH_S3_B_DATA_DIR:?}/$b"
    done < "$WORK/buckets"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export GOCACHE="${GOCACHE:-$(go env GOCACHE)}" GOMODCACHE="${GOMODCACHE:-$(go env GOMODCACHE)}"
export HOME="$WORK/home"; mkdir -p "$HOME"   # tool configs stay in the throwaway dir
# The endpoints are plain HTTP; a CA bundle from the environment only breaks rclone.
unset AWS_CA_BUNDLE
export AWS_EC2_METADATA_DISABLED=true AWS_SHARED_CREDENTIALS_FILE="$WORK/none"
export THUB_SRC_ACCESS_KEY_ID="$TH_S3_A_ACCESS_KEY" THUB_SRC_SECRET_ACCESS_KEY="$TH_S3_A_SECRET_KEY"
export THUB_DST_ACCESS_KEY_ID="$TH_S3_B_ACCESS_KEY" THUB_DST_SECRET_ACCESS_KEY="$TH_S3_B_SECRET_KEY"

echo "== building thub and s3bench"
THUB="$WORK/thub"   # always this tree's code, never a stale build/bin/thub
CGO_ENABLED=0 go build -trimpath -o "$THUB" ./cloud/cmd/thub
S3BENCH="$WORK/s3bench"
go build -o "$S3BENCH" ./cloud/internal/benchtools/s3bench
RCLONE="$(command -v rclone)"; AWS=/usr/bin/aws
TIME=/usr/bin/time

# rclone: one remote per gateway, named as in TH_S3_<name>_*.
for gw in A B; do
  key=TH_S3_${gw}_ACCESS_KEY secret=TH_S3_${gw}_SECRET_KEY endpoint=TH_S3_${gw}_ENDPOINT
  [[ $gw == A ]] || echo
  cat <<CONF
[$gw]
type = s3
provider = Other
access_key_id = ${!key}
secret_access_key = ${!secret}
endpoint = ${!endpoint}
region = us-east-1
force_path_style = true
CONF
done > "$WORK/rclone.conf"
chmod 600 "$WORK/rclone.conf"
RCLONE_FLAGS=(--config "$WORK/rclone.conf" --transfers 64 --checkers 64 --checksum --s3-no-check-bucket --s3-no-head
  --s3-upload-concurrency 8 --s3-chunk-size 8M --s3-upload-cutoff 16M --retries 1 -q)
# aws CLI v2: path addressing, 64 concurrent requests, 8 MiB parts.
cat > "$WORK/aws.conf" <<CONF
[default]
region = us-east-1
s3 =
    addressing_style = path
    max_concurrent_requests = 64
    multipart_threshold = 16MB
    multipart_chunksize = 8MB
CONF
awsA() { AWS_CONFIG_FILE="$WORK/aws.conf" AWS_ACCESS_KEY_ID="$TH_S3_A_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$TH_S3_A_SECRET_KEY" "$AWS" --endpoint-url "$TH_S3_A_ENDPOINT" "$@"; }
awsB() { AWS_CONFIG_FILE="$WORK/aws.conf" AWS_ACCESS_KEY_ID="$TH_S3_B_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$TH_S3_B_SECRET_KEY" "$AWS" --endpoint-url "$TH_S3_B_ENDPOINT" "$@"; }
export -f awsA awsB; export WORK AWS TH_S3_A_ACCESS_KEY TH_S3_A_SECRET_KEY TH_S3_B_ACCESS_KEY TH_S3_B_SECRET_KEY

mkbucket() { # side name
  local b="$RUN-$2"
  if [[ $1 == A ]]; then awsA s3api create-bucket --bucket "$b" >/dev/null; else awsB s3api create-bucket --bucket "$b" >/dev/null; fi
  echo "$b" >> "$WORK/buckets"; echo "$b"
}

# drop SCEN BUCKET: free a (b) copy as soon as it is measured (2 GiB each).
drop() { if [[ $1 == b ]]; then rm -rf "${TH_S3_B_DATA_DIR:?}/$2"; fi; }

RESULTS="$WORK/results.jsonl"; : > "$RESULTS"
# measure SCENARIO TOOL OBJECTS BYTES CMD...: one timed run, appended to the results.
measure() {
  local scen="$1" tool="$2" objs="$3" bytes="$4"; shift 4
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  "$TIME" -v -o "$WORK/time.txt" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
  t1=$(date +%s.%N)
  local rss; rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  local wall; wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
  printf '{"scenario":"%s","tool":"%s","objects":%s,"bytes":%s,"seconds":%.3f,"rss_kb":%s,"exit":%s}\n' \
    "$scen" "$tool" "$objs" "$bytes" "$wall" "${rss:-0}" "$rc" >> "$RESULTS"
  printf '   %-4s %-7s %8.2fs  rss %6s MB  exit %s\n' "$scen" "$tool" "$wall" "$(( ${rss:-0} / 1024 ))" "$rc"
  if [[ $rc -ne 0 ]]; then sed -n '1,5p' "$WORK/err.txt" | sed 's/^/        /'; fi
}

echo "== seeding (a) and (b) on gateway A"
SRC=$(mkbucket A src)
"$S3BENCH" seed -endpoint "$TH_S3_A_ENDPOINT" -bucket "$SRC" -prefix a/ -count 5000 -size 16384 -dirs 50
"$S3BENCH" seed -endpoint "$TH_S3_A_ENDPOINT" -bucket "$SRC" -prefix b/ -count 2 -size 1073741824 -concurrency 2
A_BYTES=$((5000 * 16384)); B_BYTES=$((2 * 1073741824))

for scen in a b; do
  if [[ $scen == a ]]; then objs=5000; bytes=$A_BYTES; reps=$REPEAT; else objs=2; bytes=$B_BYTES; reps=1; fi
  echo "== ($scen) copy $objs objects"
  for i in $(seq "$reps"); do
    d=$(mkbucket B "$scen-thub-$i")
    measure "$scen" thub "$objs" "$bytes" "$THUB" s3 sync "s3://$SRC/$scen" "s3://$d" --src-endpoint "$TH_S3_A_ENDPOINT" \
      --dst-endpoint "$TH_S3_B_ENDPOINT" --state "$WORK/thub-$scen-$i.db" --json
    [[ $scen == a ]] && measure c thub "$objs" 0 "$THUB" s3 sync "s3://$SRC/$scen" "s3://$d" --src-endpoint "$TH_S3_A_ENDPOINT" \
      --dst-endpoint "$TH_S3_B_ENDPOINT" --state "$WORK/thub-$scen-$i.db" --json
    # (c)'s floor: one bare listing of each side, both at once, of the same two buckets
    [[ $scen == a ]] && measure c limit "$objs" 0 "$S3BENCH" list -src-endpoint "$TH_S3_A_ENDPOINT" -src-bucket "$SRC" \
      -prefix a/ -dst-endpoint "$TH_S3_B_ENDPOINT" -dst-bucket "$d" -count "$objs"
    drop "$scen" "$d"
    d=$(mkbucket B "$scen-rclone-$i")
    measure "$scen" rclone "$objs" "$bytes" "$RCLONE" sync "A:$SRC/$scen" "B:$d" "${RCLONE_FLAGS[@]}"
    [[ $scen == a ]] && measure c rclone "$objs" 0 "$RCLONE" sync "A:$SRC/$scen" "B:$d" "${RCLONE_FLAGS[@]}"
    drop "$scen" "$d"
    d=$(mkbucket B "$scen-aws-$i")
    rm -rf "$WORK/awsdl"; mkdir -p "$WORK/awsdl"
    measure "$scen" aws "$objs" "$bytes" bash -c "awsA s3 sync s3://$SRC/$scen $WORK/awsdl --only-show-errors && awsB s3 sync $WORK/awsdl s3://$d --only-show-errors"
    [[ $scen == a ]] && measure c aws "$objs" 0 bash -c "awsA s3 sync s3://$SRC/$scen $WORK/awsdl --only-show-errors && awsB s3 sync $WORK/awsdl s3://$d --only-show-errors"
    rm -rf "$WORK/awsdl"; drop "$scen" "$d"
    d=$(mkbucket B "$scen-limit-$i")
    if [[ $scen == a ]]; then
      measure "$scen" limit "$objs" "$bytes" "$S3BENCH" limit -src-endpoint "$TH_S3_A_ENDPOINT" -src-bucket "$SRC" -dst-endpoint "$TH_S3_B_ENDPOINT" -dst-bucket "$d" -prefix a/ -count 5000 -dirs 50
    else
      measure "$scen" limit "$objs" "$bytes" "$S3BENCH" limit -src-endpoint "$TH_S3_A_ENDPOINT" -src-bucket "$SRC" -dst-endpoint "$TH_S3_B_ENDPOINT" -dst-bucket "$d" -prefix b/ -count 2 -concurrency 16
      drop "$scen" "$d"
    fi
  done
done

# (d): 100 directories of 1,000 keys through the API; the 200k set and the destination
# halves are file copies (with their xattrs: ETag, content type) inside the gateways'
# data directories, which is how the posix backend stores objects.
echo "== seeding (d)"
D1=$(mkbucket A d100k); D2=$(mkbucket A d200k); H1=$(mkbucket B d100k-half); H2=$(mkbucket B d200k-half)
"$S3BENCH" seed -endpoint "$TH_S3_A_ENDPOINT" -bucket "$D1" -prefix "" -count 100000 -size 64 -dirs 100 -concurrency 64
for i in $(seq 0 99); do
  s=$(printf '%03d' "$i"); t=$(printf '%03d' $((i + 100)))
  cp -a "$TH_S3_A_DATA_DIR/$D1/$s" "$TH_S3_A_DATA_DIR/$D2/$s"
  cp -a "$TH_S3_A_DATA_DIR/$D1/$s" "$TH_S3_A_DATA_DIR/$D2/$t"
  if (( i % 2 == 0 )); then
    cp -a "$TH_S3_A_DATA_DIR/$D1/$s" "$TH_S3_B_DATA_DIR/$H1/$s"
    cp -a "$TH_S3_A_DATA_DIR/$D1/$s" "$TH_S3_B_DATA_DIR/$H2/$s"
    cp -a "$TH_S3_A_DATA_DIR/$D1/$s" "$TH_S3_B_DATA_DIR/$H2/$t"
  fi
done
# A copy is written after its source, so it is newer: cp -a kept the source's times, and
# a copy as old as its source is one whose source may have changed its headers in the
# same second, which thub rules out with a HEAD on each side (compare.go, changedSince).
find "$TH_S3_B_DATA_DIR/$H1" "$TH_S3_B_DATA_DIR/$H2" -type f -exec touch {} +
for n in 100k 200k; do
  if [[ $n == 100k ]]; then s=$D1; h=$H1; objs=100000; else s=$D2; h=$H2; objs=200000; fi
  echo "== (d) diff $objs keys against half"
  measure "d$n" thub "$objs" 0 "$THUB" s3 sync "s3://$s" "s3://$h" --src-endpoint "$TH_S3_A_ENDPOINT" \
    --dst-endpoint "$TH_S3_B_ENDPOINT" --dry-run --json
  grep -q "\"toCopy\":$((objs / 2))," "$WORK/out.txt" || { echo "thub dry run found a wrong difference:"; tail -1 "$WORK/out.txt"; }
  measure "d$n" rclone "$objs" 0 "$RCLONE" sync "A:$s" "B:$h" "${RCLONE_FLAGS[@]}" --dry-run
done

echo "== report"
python3 - "$RESULTS" "$OUT" <<'PY'
import json, sys, datetime, os
rows = [json.loads(l) for l in open(sys.argv[1])]
best = {}
for r in rows:
    k = (r["scenario"], r["tool"])
    if r["exit"] == 0 and (k not in best or r["seconds"] < best[k]["seconds"]):
        best[k] = r
for k, r in best.items():
    r["objects_per_s"] = round(r["objects"] / r["seconds"], 1) if r["seconds"] else 0
    r["mb_per_s"] = round(r["bytes"] / 1e6 / r["seconds"], 1) if r["seconds"] else 0
    r["rss_mb"] = round(r["rss_kb"] / 1024, 1)
def t(s, tool):
    r = best.get((s, tool)); return r["seconds"] if r else None
def ratio(x, y):
    return round(x / y, 2) if x and y else None
ratios = {
    "a_thub_vs_rclone_speed": ratio(t("a", "rclone"), t("a", "thub")),
    "a_thub_vs_limit_speed": ratio(t("a", "limit"), t("a", "thub")),
    "b_thub_vs_rclone_speed": ratio(t("b", "rclone"), t("b", "thub")),
    "c_thub_time_over_rclone_time": ratio(t("c", "thub"), t("c", "rclone")),
    "c_thub_time_over_limit_time": ratio(t("c", "thub"), t("c", "limit")),
    "d100k_thub_vs_rclone_speed": ratio(t("d100k", "rclone"), t("d100k", "thub")),
    "d200k_thub_vs_rclone_speed": ratio(t("d200k", "rclone"), t("d200k", "thub")),
}
targets = {
    "a_thub_vs_rclone_speed": ">= 1.2", "a_thub_vs_limit_speed": ">= 0.85", "b_thub_vs_rclone_speed": ">= 1.0",
    "c_thub_time_over_rclone_time": "<= 0.5", "c_thub_time_over_limit_time": "<= 1.1", "d100k_thub_vs_rclone_speed": "> 1.0", "d200k_thub_vs_rclone_speed": "> 1.0",
}
def met(k, v):
    if v is None: return None
    op, x = targets[k].split(); x = float(x)
    return {">=": v >= x, "<=": v <= x, ">": v > x}[op]
rss = {n: best.get(("d" + n, "thub"), {}).get("rss_mb") for n in ("100k", "200k")}
doc = {"date": datetime.datetime.utcnow().isoformat() + "Z", "machine": f"{os.cpu_count()} cores", "runs": rows,
       "best": [best[k] for k in sorted(best)], "ratios": ratios, "targets": targets,
       "met": {k: met(k, v) for k, v in ratios.items()}, "d_thub_rss_mb": rss,
       "d_rss_target": "thub peak RSS < 150 MB at 100k and 200k keys, not growing"}
json.dump(doc, open(os.path.join(sys.argv[2], "s3.json"), "w"), indent=1)
names = {"a": "(a) 5,000 x 16 KiB", "b": "(b) 2 x 1 GiB", "c": "(c) no-op re-sync of (a)", "d100k": "(d) diff 100k keys vs half", "d200k": "(d) diff 200k keys vs half"}
L = ["# S3 benchmark: gateway A -> gateway B (local versitygw)", "",
     f"Run {doc['date']} on {doc['machine']} (shared machine; best of the repeated runs). Script: build/scripts/bench-s3.sh.", "",
     "| scenario | tool | seconds | objects/s | MB/s | peak RSS MB |", "|---|---|---:|---:|---:|---:|"]
for s in ("a", "b", "c", "d100k", "d200k"):
    for tool in ("thub", "rclone", "aws", "limit"):
        r = best.get((s, tool))
        if r: L.append(f"| {names[s]} | {tool} | {r['seconds']:.2f} | {r['objects_per_s']} | {r['mb_per_s'] if r['bytes'] else '-'} | {r['rss_mb']} |")
L += ["", "| ratio | value | target | met |", "|---|---:|---|---|"]
for k, v in ratios.items():
    L.append(f"| {k} | {v} | {targets[k]} | {doc['met'][k]} |")
L += ["", "Every run (the machine is shared, so single runs vary a lot):", ""]
for s in ("a", "b", "c", "d100k", "d200k"):
    for tool in ("thub", "rclone", "aws", "limit"):
        ts = [f"{r['seconds']:.2f}" + ("" if r["exit"] == 0 else f" (exit {r['exit']})") for r in rows if r["scenario"] == s and r["tool"] == tool]
        if ts: L.append(f"- {names[s]}, {tool}: {', '.join(ts)} s")
L += ["", f"thub peak RSS in (d): 100k keys {rss['100k']} MB, 200k keys {rss['200k']} MB (target < 150 MB, not growing).", "",
      "Notes: aws CLI cannot sync between two endpoints, so its (a)-(c) runs go A -> local disk -> B; it has no (d) run.",
      "rclone: `--transfers 64 --checkers 64 --checksum --s3-no-check-bucket --s3-no-head --s3-upload-concurrency 8 --s3-chunk-size 8M`.",
      "limit: cloud/internal/benchtools/s3bench, plain parallel GET+PUT of the known keys (64 in flight), no listing, no state;",
      "in (c), one bare flat listing of each side, both at once (the gateways' listing floor: a no-op re-sync cannot list less).",
      "Failed runs (exit != 0) are in s3.json under runs and excluded from the table."]
open(os.path.join(sys.argv[2], "s3.md"), "w").write("\n".join(L) + "\n")
print("\n".join(L))
PY
