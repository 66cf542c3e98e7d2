#!/usr/bin/env bash
# fuzz_api.sh: schemathesis (property-based API fuzzing from Formats/openapi.yaml) against `vlmembed serve` on a tiny
# model on 127.0.0.1. Not part of `make test`: it is slow-ish and its value is in finding what nobody wrote a test for.
#
# Usage: Tools/serve/fuzz_api.sh [VLMEMBED]
#   VLMEMBED   the binary (default $VLMEMBED, then .build/release/vlmembed); it is run, never built, by this script
# Environment:
#   FUZZ_MODEL          model to serve (default Fixtures/models/phi3_v)
#   FUZZ_MAX_EXAMPLES   schemathesis --max-examples per operation and phase (default 300)
#   FUZZ_MAX_TIME       time budget for the schemathesis run in seconds (default 600)
#   FUZZ_SEED           random seed (default 20261207, for reproducible runs)
#   FUZZ_WORKERS        concurrent schemathesis workers (default 2)
#   VLMEMBED_CACHE      cache root (default ~/.cache/vlmembed); the venv lives in $CACHE/fuzz-venv
#
# The server runs with --api-key-file (schemathesis sends the key; its ignored_auth check also tries without it).
# Reported: test cases generated, failures per check, 5xx answers (from schemathesis and from the server's
# /metrics), and whether the server survived (still running, /health 200, nothing fatal in its log). The exit
# code is 1 on a 5xx, a crash or a dead server; conformance findings are printed but do not fail the run.
# Reports (JSON, NDJSON, JUnit, a pytest file reproducing failures) and the server log stay in $CACHE/fuzz/DATE/.
set -euo pipefail
{
cd "$(dirname "$0")/../.."
CACHE="${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}"
VLMEMBED="${1:-${VLMEMBED:-.build/release/vlmembed}}"
MODEL="${FUZZ_MODEL:-Fixtures/models/phi3_v}"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-300}"
MAX_TIME="${FUZZ_MAX_TIME:-600}"
SEED="${FUZZ_SEED:-20261207}"
WORKERS="${FUZZ_WORKERS:-2}"
SCHEMATHESIS_VERSION=4.32.5
VENV="$CACHE/fuzz-venv"

die() { echo "fuzz_api: error: $*" >&2; exit 2; }
say() { echo "fuzz_api: $*"; }
[[ -x "$VLMEMBED" ]] || die "no vlmembed binary at $VLMEMBED (swift build -c release, or pass its path)"
command -v curl >/dev/null || die "curl is needed"

if [[ ! -x "$VENV/bin/schemathesis" ]] || ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  say "installing schemathesis==$SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

OUT="$CACHE/fuzz/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
KEY="sk-fuzz-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$KEY" > "$OUT/key.txt"
LOG="$OUT/server.log"

"$VLMEMBED" serve --model "$MODEL" --host 127.0.0.1 --port 0 --api-key-file "$OUT/key.txt" 2>"$LOG" &
PID=$!
cleanup() { if kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID" 2>/dev/null; sleep 2; kill -KILL "$PID" 2>/dev/null || true; fi; }
trap cleanup EXIT
source "$(dirname "${BASH_SOURCE[0]}")/server_wait.sh"
wait_for_port
wait_for_health
say "server pid $PID on $BASE (model $MODEL); reports in $OUT"

set +e
SPEC="$PWD/Formats/openapi.yaml"
# run from $OUT: schemathesis keeps a .schemathesis/ cache in its working directory
(cd "$OUT" && "$VENV/bin/schemathesis" run "$SPEC" \
  --url "$BASE" \
  --header "Authorization: Bearer $KEY" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$MAX_EXAMPLES" \
  --max-time "$MAX_TIME" \
  --seed "$SEED" \
  --workers "$WORKERS" \
  --request-timeout 60 \
  --continue-on-failure \
  --no-color \
  --report json,ndjson,junit,pytest \
  --report-dir "$OUT" \
  >"$OUT/schemathesis.txt" 2>&1)
ST_RC=$?
set -e
tail -60 "$OUT/schemathesis.txt"

ALIVE=1; kill -0 "$PID" 2>/dev/null || ALIVE=0
HEALTH=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$BASE/health" || true)
METRICS=$(curl -s -m 5 "$BASE/metrics" || true)
FATAL=$(grep -ciE 'fatal error|stack overflow|segmentation|assertion|precondition failed|backtrace' "$LOG" || true)

python3 - "$OUT" "$ST_RC" "$ALIVE" "$HEALTH" "$FATAL" "$METRICS" <<'EOF'
import glob, json, os, re, sys
out, st_rc, alive, health, fatal, metrics = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4], int(sys.argv[5]), sys.argv[6]
reports = sorted(glob.glob(os.path.join(out, "json-*.json")))
report = json.load(open(reports[-1])) if reports else {}
cases = report.get("test_cases", {})
failures = report.get("failures", [])
counts = dict(re.findall(r'^vlmembed_requests_total\{status="(\d+)"\} (\d+)', metrics, re.M))
fivexx_metrics = sum(int(v) for k, v in counts.items() if k.startswith("5"))
server_error_failures = [f for f in failures if "servererror" in f.get("type", "").lower() or f.get("title", "").lower().startswith("server error")]
print("== fuzz_api summary ==")
print(f"schemathesis exit code {st_rc}; running time {report.get('running_time', 0):.0f} s; stop reason {report.get('stop_reason')}")
print(f"test cases: {cases.get('generated')} generated, {cases.get('with_failures')} with failures "
      f"({cases.get('unique_failures')} unique), {cases.get('errored')} errored, {cases.get('without_checks')} without checks")
print(f"/v1/embeddings answers by status (server /metrics): {dict(sorted(counts.items(), key=lambda kv: int(kv[0])))} "
      f"(total {sum(int(v) for v in counts.values())})")
for f in failures:
    print(f"finding {f.get('code')} {f.get('title')}: {f.get('count')} ({', '.join(f.get('operations', []))})")
for e in report.get("errors", []):
    print(f"error: {json.dumps(e)[:300]}")
print(f"5xx: {fivexx_metrics} per /metrics, {len(server_error_failures)} server-error findings; server alive: {alive}; "
      f"/health after: {health}; fatal lines in its log: {fatal}")
bad = fivexx_metrics > 0 or server_error_failures or not alive or health != "200" or fatal > 0 or not report
print("fuzz-api: " + ("FAILED (5xx, crash or dead server)" if bad else "no 5xx, no crash"))
sys.exit(1 if bad else 0)
EOF
}
