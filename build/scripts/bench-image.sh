#!/usr/bin/env bash
# Image benchmark: 20 images (12 single-platform, 8 two-platform indexes, ~300 MiB)
# copied from the TLS+auth registry (TH_REG_AUTH) to the plain one (TH_REG_OPEN) by
#   thub image sync         (one process, default settings, state file on)
#   skopeo sync --all       (one process, YAML source list)
#   skopeo copy --all       (one process per image, as scripts usually do)
#   regctl image copy       (one process per image; regctl built from regclient at the
#                            same version as ours)
# each with default settings: a full copy into an empty namespace, then a no-op re-sync.
# Wall time and peak RSS from /usr/bin/time -v. Figures: artifacts/bench/image.{md,json}.
# Needs the local test services (make testenv-up) and .testenv/env.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
ENV_FILE="${TH_TESTENV_FILE:-$ROOT/.testenv/env}"
[[ -f "$ENV_FILE" ]] || { echo "bench-image: $ENV_FILE missing; run make testenv-up" >&2; exit 1; }
set -a; source <(grep -E '^[A-Z_]+=' "$ENV_FILE"); set +a
: "${TH_REG_AUTH:?}" "${TH_REG_OPEN:?}" "${TH_REG_AUTH_CA:?}" "${TH_REG_AUTH_PASS:?}"
SRC="$TH_REG_AUTH" DST="$TH_REG_OPEN" USER_="${TH_REG_AUTH_USER:-AWS}"
OUT="$ROOT/artifacts/bench"; mkdir -p "$OUT" "$ROOT/.bin"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
GOPATH="$(go env GOPATH)"
export GOCACHE="${GOCACHE:-$(go env GOCACHE)}" GOMODCACHE="${GOMODCACHE:-$(go env GOMODCACHE)}" GOPATH
export HOME="$WORK/home"; mkdir -p "$HOME"   # regctl/skopeo configs stay in the throwaway dir

echo "== building thub, mkimages, regctl"
THUB="$ROOT/build/bin/thub"
[[ -x "$THUB" ]] || { mkdir -p build/bin; CGO_ENABLED=0 go build -trimpath -o "$THUB" ./cloud/cmd/thub; }
go build -o "$WORK/mkimages" ./cloud/image/imagetest/mkimages
REGCLIENT_VERSION="$(go list -m -f '{{.Version}}' github.com/regclient/regclient)"
if ! "$ROOT/.bin/regctl" version 2>/dev/null | grep -q "$REGCLIENT_VERSION"; then
  GOBIN="$ROOT/.bin" go install "github.com/regclient/regclient/cmd/regctl@$REGCLIENT_VERSION"
fi
REGCTL="$ROOT/.bin/regctl"
SKOPEO=/usr/bin/skopeo
CERTS="$WORK/certs"; mkdir -p "$CERTS"; cp "$TH_REG_AUTH_CA" "$CERTS/ca.crt"

RUN="b$(date +%s)"
NS="th-bench/$RUN"
echo "== pushing the image set to $SRC/$NS"
MKIMAGES_PASSWORD="$TH_REG_AUTH_PASS" "$WORK/mkimages" -repo "$SRC/$NS" -n 20 -multi 8 \
  -ca-file "$TH_REG_AUTH_CA" -user "$USER_" > "$WORK/refs.txt"
mapfile -t REFS < "$WORK/refs.txt"
TOTAL_BYTES=$(( 12 * (10485760 + 3145728) + 8 * 2 * (6291456 + 3145728) ))

# regctl: trust the CA and log in, in its throwaway config
"$REGCTL" registry set "$SRC" --cacert "$(cat "$TH_REG_AUTH_CA")" >/dev/null 2>&1 || true  # pings before login
echo -n "$TH_REG_AUTH_PASS" | "$REGCTL" registry login "$SRC" -u "$USER_" --pass-stdin >/dev/null 2>&1
"$REGCTL" registry set "$DST" --tls disabled >/dev/null
# skopeo sync: YAML source list
{
  echo "$SRC:"
  echo "  tls-verify: true"
  echo "  cert-dir: $CERTS"
  echo "  credentials: {username: $USER_, password: $TH_REG_AUTH_PASS}"
  echo "  images:"
  for r in "${REFS[@]}"; do repo="${r#"$SRC/"}"; echo "    ${repo%:*}: [v1]"; done
} > "$WORK/skopeo-sync.yaml"

# measure NAME CMD...: appends "name wall_s rss_kb exit" to results
RESULTS="$WORK/results.tsv"; : > "$RESULTS"
measure() {
  local name="$1"; shift
  local log="$WORK/$name.time"
  local rc=0
  /usr/bin/time -v -o "$log" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$log")
  printf '%s\t%s\t%s\t%s\n' "$name" "$wall" "$rss" "$rc" >> "$RESULTS"
  printf '  %-22s %8.2f s  %7d KiB  exit %d\n' "$name" "$wall" "$rss" "$rc"
  if [[ $rc -ne 0 ]]; then sed -n '1,20p' "$WORK/$name.err" >&2; fi
}

thub_sync() {  # $1 = destination namespace
  "$THUB" image sync --json --state "$WORK/thub-state.db" --ca-file "$TH_REG_AUTH_CA" \
    --src-creds "$USER_:$TH_REG_AUTH_PASS" --insecure-http "$DST" "${REFS[@]}" "$DST/$1"
}
thub_noref() {  # same, without referrers/digest-tag copying (the peers copy none)
  "$THUB" image sync --json --referrers=false --state "$WORK/thub-state2.db" --ca-file "$TH_REG_AUTH_CA" \
    --src-creds "$USER_:$TH_REG_AUTH_PASS" --insecure-http "$DST" "${REFS[@]}" "$DST/$1"
}
skopeo_sync() {
  "$SKOPEO" sync --all --src yaml --dest docker --dest-tls-verify=false "$WORK/skopeo-sync.yaml" "$DST/$1"
}
skopeo_copy_loop() {
  for r in "${REFS[@]}"; do
    "$SKOPEO" copy --all --quiet --src-cert-dir "$CERTS" --src-creds "$USER_:$TH_REG_AUTH_PASS" --dest-tls-verify=false \
      "docker://$r" "docker://$DST/$1/${r#"$SRC/"}"
  done
}
regctl_loop() {
  for r in "${REFS[@]}"; do
    "$REGCTL" image copy "$r" "$DST/$1/${r#"$SRC/"}" >/dev/null
  done
}
export -f thub_sync thub_noref skopeo_sync skopeo_copy_loop regctl_loop
export THUB SKOPEO REGCTL WORK TH_REG_AUTH_CA TH_REG_AUTH_PASS USER_ DST SRC CERTS
export REFS_STR="${REFS[*]}"
wrap() { bash -c 'read -ra REFS <<< "$REFS_STR"; '"$1"' "$2"' _ "$1" "$2"; }
export -f wrap

echo "== full copy (empty destination namespaces), then no-op re-sync"
for tool in thub_sync thub_noref skopeo_sync skopeo_copy_loop regctl_loop; do
  measure "${tool}_full" bash -c 'wrap "$0" "$1"' "$tool" "bench-$RUN-$tool"
  measure "${tool}_noop" bash -c 'wrap "$0" "$1"' "$tool" "bench-$RUN-$tool"
done

# verify: every tool's copy has the source digests (thub's especially)
echo "== verifying thub's copies with skopeo"
for r in "${REFS[@]}"; do
  a=$("$SKOPEO" inspect --raw --cert-dir "$CERTS" --creds "$USER_:$TH_REG_AUTH_PASS" "docker://$r" | sha256sum | cut -d' ' -f1)
  b=$("$SKOPEO" inspect --raw --tls-verify=false "docker://$DST/bench-$RUN-thub_sync/${r#"$SRC/"}" | sha256sum | cut -d' ' -f1)
  [[ "$a" == "$b" ]] || { echo "digest mismatch for $r" >&2; exit 1; }
done
THUB_FULL_JSON=$(tail -n1 "$WORK/thub_sync_full.out")
THUB_NOOP_JSON=$(tail -n1 "$WORK/thub_sync_noop.out")

python3 - "$RESULTS" "$OUT" "$TOTAL_BYTES" "$THUB_FULL_JSON" "$THUB_NOOP_JSON" "$REGCLIENT_VERSION" <<'PY'
import json, sys, datetime, subprocess
res, out, total, tfull, tnoop, rcv = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
rows = {}
for line in open(res):
    name, wall, rss, rc = line.rstrip("\n").split("\t")
    rows[name] = {"seconds": float(wall), "peak_rss_mib": round(int(rss) / 1024, 1), "exit": int(rc)}
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
targets = {
    "full_copy_le_skopeo": ratios["thub_full_vs_best_skopeo"] <= 1.0,
    "noop_le_0.2x_skopeo": ratios["thub_noop_vs_best_skopeo"] <= 0.2,
    "peak_rss_lt_200mb": rows["thub_sync_full"]["peak_rss_mib"] * 1.048576 < 200,
}
doc = {
    "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "machine": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() + " cores",
    "set": {"images": 20, "single_platform": 12, "two_platform_indexes": 8, "bytes": total},
    "path": "TLS+basic-auth registry -> plain-HTTP registry, both docker-registry 2.8 on 127.0.0.1",
    "regclient_version": rcv,
    "runs": rows, "ratios": ratios, "targets_met": targets,
    "thub_summary": {"full": json.loads(tfull), "noop": json.loads(tnoop)},
}
json.dump(doc, open(f"{out}/image.json", "w"), indent=2)
md = ["# Image benchmark", "", f"{doc['when']}, {doc['machine']}; 20 images (12 single-platform, 8 two-platform indexes), "
      f"{total/2**20:.0f} MiB; {doc['path']}. Default settings for every tool.", "",
      "| tool | full copy (s) | no-op re-sync (s) | peak RSS full (MiB) | peak RSS no-op (MiB) |", "|---|---:|---:|---:|---:|"]
for tool, label in [("thub_sync", "thub image sync"), ("thub_noref", "thub image sync --referrers=false"), ("skopeo_sync", "skopeo sync --all"), ("skopeo_copy_loop", "skopeo copy --all (×20)"), ("regctl_loop", f"regctl image copy (×20, {rcv})")]:
    f, n = rows[f"{tool}_full"], rows[f"{tool}_noop"]
    md.append(f"| {label} | {f['seconds']:.2f} | {n['seconds']:.2f} | {f['peak_rss_mib']} | {n['peak_rss_mib']} |")
md += ["", "Ratios (thub / other; lower is better): " + ", ".join(f"{k} = {v}" for k, v in ratios.items()), "",
       "Targets are judged on thub's defaults (referrers on). The machine is shared (2 cores, other jobs running): repeat runs vary by 2x.", "",
       "Targets: " + ", ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in targets.items()), ""]
open(f"{out}/image.md", "w").write("\n".join(md))
print("\n".join(md))
PY
