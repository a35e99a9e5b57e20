#!/usr/bin/env bash
# Image benchmark: 20 images (12 single-platform, 8 two-platform indexes, ~300 MiB)
# copied from the TLS+auth registry (TH_REG_AUTH) to the plain one (TH_REG_OPEN) by
#   thub image sync         (one process, default settings, state file on)
#   skopeo sync --all       (one process, YAML source list)
#   skopeo copy --all       (one process per image, as scripts usually do)
#   regctl image copy       (one process per image; regctl built from regclient at the
#                            same version as ours)
# each with default settings: a full copy into an empty namespace, then a no-op re-sync.
# Wall time and peak RSS from /usr/bin/time -v.
#
# Rounds (BENCH_ROUNDS, default 3) run every tool once each, tools interleaved, so a
# burst of load on the shared machine hits all of them; the figures are medians.
# Then a counting pass (BENCH_COUNT=0 skips it) runs every tool once more through
# counting proxies in front of both registries (TLS and HTTP/2 offered as the registry
# does): requests per image per tool, by kind, in the same run.
# Figures: artifacts/bench/image.{md,json}.
# Needs the local test services (make testenv-up) and .testenv/env (TH_TESTENV_FILE
# points elsewhere, e.g. a private set started with TH_PORT_OFFSET).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
ENV_FILE="${TH_TESTENV_FILE:-$ROOT/.testenv/env}"
[[ -f "$ENV_FILE" ]] || { echo "bench-image: $ENV_FILE missing; run make testenv-up" >&2; exit 1; }
set -a; source <(grep -E '^[A-Z_]+=' "$ENV_FILE"); set +a
: "${TH_REG_AUTH:?}" "${TH_REG_OPEN:?}" "${TH_REG_AUTH_CA:?}" "${TH_REG_AUTH_PASS:?}" "${TH_TESTENV_DIR:?}"
ROUNDS="${BENCH_ROUNDS:-3}"
COUNT="${BENCH_COUNT:-1}"
USER_="${TH_REG_AUTH_USER:-AWS}"
OUT="$ROOT/artifacts/bench"; mkdir -p "$OUT" "$ROOT/.bin"
WORK="$(mktemp -d)"
PROXY_PID=""
cleanup() {
  if [[ -n $PROXY_PID ]]; then kill "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
GOPATH="$(go env GOPATH)"
export GOCACHE="${GOCACHE:-$(go env GOCACHE)}" GOMODCACHE="${GOMODCACHE:-$(go env GOMODCACHE)}" GOPATH
export HOME="$WORK/home"; mkdir -p "$HOME"   # regctl/skopeo configs stay in the throwaway dir

echo "== building thub, mkimages, countproxy, regctl"
THUB="$WORK/thub"
CGO_ENABLED=0 go build -trimpath -o "$THUB" ./cloud/cmd/thub
go build -o "$WORK/mkimages" ./cloud/image/imagetest/mkimages
go build -o "$WORK/countproxy" ./cloud/image/imagetest/countproxy
REGCLIENT_VERSION="$(go list -m -f '{{.Version}}' github.com/regclient/regclient)"
if ! "$ROOT/.bin/regctl" version 2>/dev/null | grep -q "$REGCLIENT_VERSION"; then
  GOBIN="$ROOT/.bin" go install "github.com/regclient/regclient/cmd/regctl@$REGCLIENT_VERSION"
fi
REGCTL="$ROOT/.bin/regctl"
SKOPEO=/usr/bin/skopeo
CERTS="$WORK/certs"; mkdir -p "$CERTS"; cp "$TH_REG_AUTH_CA" "$CERTS/ca.crt"

RUN="b$(date +%s)"
NS="th-bench/$RUN"
echo "== pushing the image set to $TH_REG_AUTH/$NS"
MKIMAGES_PASSWORD="$TH_REG_AUTH_PASS" "$WORK/mkimages" -repo "$TH_REG_AUTH/$NS" -n 20 -multi 8 \
  -ca-file "$TH_REG_AUTH_CA" -user "$USER_" > "$WORK/refs.txt"
# repository paths with tags, without the registry: each pass puts its own host in front
sed "s|^$TH_REG_AUTH/||" "$WORK/refs.txt" > "$WORK/paths.txt"
NIMG=$(wc -l < "$WORK/paths.txt")
TOTAL_BYTES=$(( 12 * (10485760 + 3145728) + 8 * 2 * (6291456 + 3145728) ))

# registries SRC DST: point every tool at this pair (the registries or the proxies)
registries() {
  export SRC="$1" DST="$2"
  "$REGCTL" registry set "$SRC" --cacert "$(cat "$TH_REG_AUTH_CA")" >/dev/null 2>&1 || true  # pings before login
  echo -n "$TH_REG_AUTH_PASS" | "$REGCTL" registry login "$SRC" -u "$USER_" --pass-stdin >/dev/null 2>&1
  "$REGCTL" registry set "$DST" --tls disabled >/dev/null
  {
    echo "$SRC:"
    echo "  tls-verify: true"
    echo "  cert-dir: $CERTS"
    echo "  credentials: {username: $USER_, password: $TH_REG_AUTH_PASS}"
    echo "  images:"
    while read -r p; do echo "    ${p%:*}: [${p##*:}]"; done < "$WORK/paths.txt"
  } > "$WORK/skopeo-sync-$SRC.yaml"
}

# CPU seconds (user+sys) a registry process has used so far: what each tool costs the
# registries (exact on a private set of services; shared ones also serve others).
REG_PIDS=("$(cat "$TH_TESTENV_DIR/pids/reg-auth.pid" 2>/dev/null || echo 0)" "$(cat "$TH_TESTENV_DIR/pids/reg-open.pid" 2>/dev/null || echo 0)")
TICK=$(getconf CLK_TCK)
cpu_of() { awk -v t="$TICK" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# measure NAME CMD...: appends "name wall_s rss_kb exit cpu_s src_reg_cpu_s dst_reg_cpu_s" to results
RESULTS="$WORK/results.tsv"; : > "$RESULTS"
measure() {
  local name="$1"; shift
  local log="$WORK/$name.time"
  local rc=0 s0 d0
  s0=$(cpu_of "${REG_PIDS[0]}"); d0=$(cpu_of "${REG_PIDS[1]}")
  /usr/bin/time -v -o "$log" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
  local wall rss cpu sreg dreg
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$log")
  cpu=$(awk -F': ' '/User time|System time/{s+=$2} END{printf "%.2f", s}' "$log")
  sreg=$(awk -v a="$s0" -v b="$(cpu_of "${REG_PIDS[0]}")" 'BEGIN{printf "%.2f", b-a}')
  dreg=$(awk -v a="$d0" -v b="$(cpu_of "${REG_PIDS[1]}")" 'BEGIN{printf "%.2f", b-a}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$wall" "$rss" "$rc" "$cpu" "$sreg" "$dreg" >> "$RESULTS"
  printf '  %-28s %7.2f s  %7d KiB  exit %d  cpu %5.2f s  registries %5.2f + %5.2f s\n' "$name" "$wall" "$rss" "$rc" "$cpu" "$sreg" "$dreg"
  if [[ $rc -ne 0 ]]; then sed -n '1,20p' "$WORK/$name.err" >&2; fi
}

# skopeo remembers where it has seen each blob (blob-info cache, under
# /var/lib/containers/cache for root, ~/.local/share/containers/cache otherwise) and
# mounts a blob from another repository of the destination instead of copying it: a
# "full copy" after another tool's run, or after an earlier bench run (the image set
# is deterministic), would copy configs only. Each skopeo measurement series (one
# tool, one round: full copy then re-sync, as on a fresh machine) gets its own empty
# cache: a private HOME, and for root a private mount over the system cache directory.
CACHE_ISOLATED=1
if [[ $(id -u) == 0 ]] && ! unshare --mount --propagation private true 2>/dev/null; then
  CACHE_ISOLATED=0
  echo "bench-image: WARNING: root without mount namespaces: skopeo shares /var/lib/containers/cache across runs (its full copies may mount blobs instead of copying them)" >&2
fi
export CACHE_ISOLATED
with_cache() {  # with_cache DIR CMD...
  local dir="$1"; shift
  mkdir -p "$dir/home" "$dir/system"
  if [[ $(id -u) == 0 && $CACHE_ISOLATED == 1 ]]; then
    HOME="$dir/home" unshare --mount --propagation private bash -c \
      'mkdir -p /var/lib/containers/cache && mount --bind "$0" /var/lib/containers/cache && exec "$@"' "$dir/system" "$@"
  else
    HOME="$dir/home" "$@"
  fi
}
# tools: $1 = destination namespace; SRC/DST from registries()
thub_sync() {
  mapfile -t P < "$WORK/paths.txt"
  "$THUB" image sync --json --state "$WORK/thub-state.db" --ca-file "$TH_REG_AUTH_CA" \
    --src-creds "$USER_:$TH_REG_AUTH_PASS" --insecure-http "$DST" "${P[@]/#/$SRC/}" "$DST/$1"
}
thub_before() {  # BENCH_THUB_BEFORE: an earlier thub binary, same flags (before/after in one run)
  mapfile -t P < "$WORK/paths.txt"
  "$BENCH_THUB_BEFORE" image sync --json --state "$WORK/thub-state0.db" --ca-file "$TH_REG_AUTH_CA" \
    --src-creds "$USER_:$TH_REG_AUTH_PASS" --insecure-http "$DST" "${P[@]/#/$SRC/}" "$DST/$1"
}
thub_noref() {  # same, without referrers/digest-tag copying (the peers copy none)
  mapfile -t P < "$WORK/paths.txt"
  "$THUB" image sync --json --referrers=false --state "$WORK/thub-state2.db" --ca-file "$TH_REG_AUTH_CA" \
    --src-creds "$USER_:$TH_REG_AUTH_PASS" --insecure-http "$DST" "${P[@]/#/$SRC/}" "$DST/$1"
}
skopeo_sync() {
  with_cache "$WORK/skopeo-cache/$1" "$SKOPEO" sync --all --src yaml --dest docker --dest-tls-verify=false "$WORK/skopeo-sync-$SRC.yaml" "$DST/$1"
}
skopeo_copy_loop() {
  while read -r p; do
    with_cache "$WORK/skopeo-cache/$1" "$SKOPEO" copy --all --quiet --src-cert-dir "$CERTS" --src-creds "$USER_:$TH_REG_AUTH_PASS" --dest-tls-verify=false \
      "docker://$SRC/$p" "docker://$DST/$1/$p"
  done < "$WORK/paths.txt"
}
regctl_loop() {
  while read -r p; do
    "$REGCTL" image copy "$SRC/$p" "$DST/$1/$p" >/dev/null
  done < "$WORK/paths.txt"
}
export -f with_cache thub_sync thub_before thub_noref skopeo_sync skopeo_copy_loop regctl_loop
export THUB SKOPEO REGCTL WORK TH_REG_AUTH_CA TH_REG_AUTH_PASS USER_ CERTS
TOOLS=(thub_sync thub_noref skopeo_sync skopeo_copy_loop regctl_loop)
if [[ -n ${BENCH_THUB_BEFORE:-} ]]; then
  export BENCH_THUB_BEFORE
  TOOLS=(thub_sync thub_before thub_noref skopeo_sync skopeo_copy_loop regctl_loop)
fi

registries "$TH_REG_AUTH" "$TH_REG_OPEN"
for round in $(seq "$ROUNDS"); do
  echo "== round $round/$ROUNDS: full copy (empty destination namespaces), then no-op re-sync"
  for tool in "${TOOLS[@]}"; do
    measure "${tool}_full_r$round" bash -c "$tool \"\$1\"" _ "bench-$RUN-r$round-$tool"
    measure "${tool}_noop_r$round" bash -c "$tool \"\$1\"" _ "bench-$RUN-r$round-$tool"
  done
done

# verify: every tool's copy has the source digests (thub's especially)
echo "== verifying thub's copies with skopeo"
while read -r p; do
  a=$("$SKOPEO" inspect --raw --cert-dir "$CERTS" --creds "$USER_:$TH_REG_AUTH_PASS" "docker://$TH_REG_AUTH/$p" | sha256sum | cut -d' ' -f1)
  for round in $(seq "$ROUNDS"); do
    b=$("$SKOPEO" inspect --raw --tls-verify=false "docker://$TH_REG_OPEN/bench-$RUN-r$round-thub_sync/$p" | sha256sum | cut -d' ' -f1)
    [[ "$a" == "$b" ]] || { echo "digest mismatch for $p (round $round)" >&2; exit 1; }
  done
done < "$WORK/paths.txt"
THUB_FULL_JSON=$(tail -n1 "$WORK/thub_sync_full_r1.out")
THUB_NOOP_JSON=$(tail -n1 "$WORK/thub_sync_noop_r1.out")

COUNTS="$WORK/counts.jsonl"; : > "$COUNTS"
if [[ $COUNT == 1 ]]; then
  echo "== counting pass: every tool through counting proxies in front of both registries"
  "$WORK/countproxy" -src "https://$TH_REG_AUTH" -dst "http://$TH_REG_OPEN" -ca-file "$TH_REG_AUTH_CA" \
    -cert "$TH_TESTENV_DIR/tls/cert.pem" -key "$TH_TESTENV_DIR/tls/key.pem" -out "$COUNTS" > "$WORK/proxy.addr" 2> "$WORK/proxy.err" &
  PROXY_PID=$!
  for _ in $(seq 50); do [[ -s $WORK/proxy.addr ]] && break; sleep 0.1; done
  read -r PSRC PDST PCTL < <(sed -E 's/SRC=([^ ]+) DST=([^ ]+) CTL=([^ ]+)/\1 \2 \3/' "$WORK/proxy.addr")
  registries "$PSRC" "$PDST"
  curl -sf -o /dev/null "http://$PCTL/mark?name=setup"
  for tool in "${TOOLS[@]}"; do
    for phase in full noop; do
      measure "${tool}_${phase}_counted" bash -c "$tool \"\$1\"" _ "bench-$RUN-counted-$tool"
      curl -sf -o /dev/null "http://$PCTL/mark?name=${tool}_${phase}&images=$NIMG"
    done
  done
fi

python3 - "$RESULTS" "$OUT" "$TOTAL_BYTES" "$THUB_FULL_JSON" "$THUB_NOOP_JSON" "$REGCLIENT_VERSION" "$ROUNDS" "$COUNTS" "${BENCH_THUB_BEFORE:-}" "$CACHE_ISOLATED" <<'PY'
import json, sys, datetime, subprocess, statistics
res, out, total, tfull, tnoop, rcv, rounds, counts, before, isolated = sys.argv[1:11]
total, rounds = int(total), int(rounds)
raw = {}
for line in open(res):
    name, wall, rss, rc, cpu, sreg, dreg = line.rstrip("\n").split("\t")
    raw[name] = {"seconds": float(wall), "peak_rss_mib": round(int(rss) / 1024, 1), "exit": int(rc),
                 "cpu_s": float(cpu), "src_registry_cpu_s": float(sreg), "dst_registry_cpu_s": float(dreg)}
tools = [("thub_sync", "thub image sync")]
if before:
    tools.append(("thub_before", f"thub image sync, before ({before.split('/')[-1]})"))
tools += [("thub_noref", "thub image sync --referrers=false"), ("skopeo_sync", "skopeo sync --all"),
          ("skopeo_copy_loop", "skopeo copy --all (×20)"), ("regctl_loop", f"regctl image copy (×20, {rcv})")]
med = lambda xs: round(statistics.median(xs), 2)
rows = {}
for tool, _ in tools:
    for phase in ("full", "noop"):
        runs = [raw[f"{tool}_{phase}_r{r}"] for r in range(1, rounds + 1)]
        rows[f"{tool}_{phase}"] = {
            "seconds": med(r["seconds"] for r in runs),
            "all_seconds": [r["seconds"] for r in runs],
            "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
            "exit": max(r["exit"] for r in runs),
            "cpu_s": med(r["cpu_s"] for r in runs),
            "src_registry_cpu_s": med(r["src_registry_cpu_s"] for r in runs),
            "dst_registry_cpu_s": med(r["dst_registry_cpu_s"] for r in runs),
        }
def t(n): return rows[n]["seconds"]
skopeo_full = min(t("skopeo_sync_full"), t("skopeo_copy_loop_full"))
skopeo_noop = min(t("skopeo_sync_noop"), t("skopeo_copy_loop_noop"))
ratios = {
    "thub_full_vs_best_skopeo": round(t("thub_sync_full") / skopeo_full, 3),
    "thub_noop_vs_best_skopeo": round(t("thub_sync_noop") / skopeo_noop, 3),
    "thub_noref_full_vs_best_skopeo": round(t("thub_noref_full") / skopeo_full, 3),
    "thub_full_vs_regctl": round(t("thub_sync_full") / t("regctl_loop_full"), 3),
    "thub_noop_vs_regctl": round(t("thub_sync_noop") / t("regctl_loop_noop"), 3),
}
if before:
    ratios["thub_full_vs_before"] = round(t("thub_sync_full") / t("thub_before_full"), 3)
    ratios["thub_noop_vs_before"] = round(t("thub_sync_noop") / t("thub_before_noop"), 3)
failed = [n for n, r in rows.items() if r["exit"] != 0]
targets = {
    "full_copy_le_skopeo": ratios["thub_full_vs_best_skopeo"] <= 1.0,
    "noop_le_0.2x_skopeo": ratios["thub_noop_vs_best_skopeo"] <= 0.2,
    "peak_rss_lt_200mb": rows["thub_sync_full"]["peak_rss_mib"] * 1.048576 < 200,
    "every_run_exit_0": not failed,
}
marks = [json.loads(l) for l in open(counts) if l.strip()]
marks = {m["name"]: m for m in marks if m["name"] != "setup"}
doc = {
    "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "machine": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() + " cores",
    "load_avg": open("/proc/loadavg").read().split()[:3],
    "set": {"images": 20, "single_platform": 12, "two_platform_indexes": 8, "bytes": total},
    "path": "TLS+basic-auth registry -> plain-HTTP registry, both docker-registry 2.8 on 127.0.0.1",
    "regclient_version": rcv, "rounds": rounds, "skopeo_blob_cache_isolated": isolated == "1",
    "runs": rows, "ratios": ratios, "targets_met": targets,
    "thub_summary": {"full": json.loads(tfull), "noop": json.loads(tnoop)},
    "request_counts": marks,
}
json.dump(doc, open(f"{out}/image.json", "w"), indent=2)
md = ["# Image benchmark", "", f"{doc['when']}, {doc['machine']} (load {' '.join(doc['load_avg'])}); 20 images (12 single-platform, 8 two-platform indexes), "
      f"{total/2**20:.0f} MiB; {doc['path']}. Default settings for every tool. Median of {rounds} interleaved rounds (all runs in brackets).", "",
      "| tool | full copy (s) | no-op re-sync (s) | peak RSS full / no-op (MiB) | tool CPU full / no-op (s) | registries' CPU full (src + dst, s) | registries' CPU no-op (s) |",
      "|---|---:|---:|---:|---:|---:|---:|"]
def runs(r): return "[" + ", ".join(f"{s:.2f}" for s in r["all_seconds"]) + "]"
for tool, label in tools:
    f, n = rows[f"{tool}_full"], rows[f"{tool}_noop"]
    md.append(f"| {label} | {f['seconds']:.2f} {runs(f)} | {n['seconds']:.2f} {runs(n)} | {f['peak_rss_mib']} / {n['peak_rss_mib']} | {f['cpu_s']:.2f} / {n['cpu_s']:.2f} "
              f"| {f['src_registry_cpu_s']:.2f} + {f['dst_registry_cpu_s']:.2f} | {n['src_registry_cpu_s']:.2f} + {n['dst_registry_cpu_s']:.2f} |")
md += ["", "Ratios (thub / other; lower is better): " + ", ".join(f"{k} = {v}" for k, v in ratios.items()), "",
       "Targets are judged on thub's defaults (referrers on) against the faster of skopeo sync and skopeo copy. The machine is shared (2 cores, other jobs running): "
       "wall times move with its load; the registries' CPU seconds (what each tool made the registries do) are steadier. "
       + ("Each skopeo series ran with its own empty blob-info cache." if isolated == "1" else "WARNING: skopeo's blob-info cache could not be isolated: its full copies may have mounted blobs uploaded by earlier runs."), "",
       "Targets: " + ", ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in targets.items()), ""]
if marks:
    md += ["## Requests per image (counting pass, through proxies)", "",
           "Requests the source (TLS + basic auth) and the destination saw, divided by the 20 images; 401 = authentication challenges; conns = client connections.", "",
           "| tool | phase | source req/img | source 401 | source conns | dest req/img | dest conns | protocols |", "|---|---|---:|---:|---:|---:|---:|---|"]
    for tool, label in tools:
        for phase in ("full", "noop"):
            m = marks.get(f"{tool}_{phase}")
            if not m: continue
            s, d, n = m["source"], m["dest"], max(m["images"], 1)
            protos = ", ".join(f"{k} {v}" for k, v in sorted(s["protocols"].items()))
            md.append(f"| {label} | {phase} | {s['requests']/n:.1f} | {s['challenges401']} | {s['connections']} | {d['requests']/n:.1f} | {d['connections']} | {protos} |")
    md += ["", "By kind (total over 20 images; source | destination):", ""]
    for tool, label in tools:
        for phase in ("full", "noop"):
            m = marks.get(f"{tool}_{phase}")
            if not m: continue
            fmt = lambda k: ", ".join(f"{a} {b}" for a, b in sorted(k.items()))
            md.append(f"- {label}, {phase}: {fmt(m['source']['kinds'])} | {fmt(m['dest']['kinds'])}")
    md.append("")
open(f"{out}/image.md", "w").write("\n".join(md))
print("\n".join(md))
PY
