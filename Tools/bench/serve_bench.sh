#!/usr/bin/env bash
# serve_bench.sh: HTTP throughput, latency and memory of `vlmembed serve` under wrk, on this machine, in one run,
# one table. Not a test: numbers depend on the machine and on what else runs on it (the CPU pressure is printed).
#
# Cells (wrk from Debian, Lua body scripts in Tools/bench/serve/; every cell after a short warm-up at the same
# concurrency; wrk threads = min(connections, cores)):
#   text c=1, 8, 32   16-token text queries (64 distinct texts cut to exactly 16 tokens, BOS included, with the
#                     model's own tokenizer), OpenAI form, float encoding
#   image c=4         vLLM's VLM2Vec request: data: URL of Fixtures/reference/images/example.jpg + "Represent the
#                     given image."
#   1-token c=1       {"input": [1]} (BOS only): the smallest forward; compared with the in-process time below
#   /health c=1       GET /health: the HTTP stack with no model work (the floor of any request's latency)
# Reported per cell: requests/s, p50/p99 latency (wrk), non-2xx count, inputs per forward pass (the server's
# vlmembed_batch_inputs histogram); then the server's peak RSS (VmHWM of /proc/PID/status, after all cells) and
# the packing gain = text req/s at c=32 / text req/s at c=1.
#
# In-process vs HTTP, 1-token request: the server's own clocks, read from GET /metrics before and after the cell
# (sum/count deltas, i.e. means; the histogram buckets are too coarse for percentiles at this scale):
#   server time   = mean vlmembed_request_duration_seconds: from the request's arrival in the handler (headers
#                   parsed) to its response (body read, JSON decoded, tokens checked, queued, forward, JSON written)
#   queue wait    = mean vlmembed_queue_wait_seconds (≈ 0 at c=1)
#   forward (est) = server time - queue wait: an upper bound on the forward pass (it includes the JSON work)
#   outside       = HTTP mean (and p50) - server time: HTTP parsing, loopback and the client; cross-checked by
#                   GET /health (an HTTP round trip with no model work)
# `vlmembed embed` is not used for this: its wall time is dominated by process start and model load.
#
# Usage: Tools/bench/serve_bench.sh [--full] [MODEL]
#   MODEL    the model to serve (default $BENCH_MODEL, then the tiny Fixtures/models/phi3_v)
#   --full   the Phi-3.5-V-sized synthetic int8 bundle ($CACHE/bench/syn-int8.vlmb), made as engines_bench.sh
#            makes it when missing (synthetic checkpoint from Tools/make_synthetic_checkpoint.py --random, ~8.3 GB,
#            with the tools venv; then `vlmembed convert --quant int8`, ~4 GB); cells default to 60 s
# Environment:
#   VLMEMBED               the binary (default .build/release/vlmembed; run, never built, here)
#   VLMEMBED_CACHE         cache root (default ~/.cache/vlmembed); logs stay in $CACHE/bench/serve-DATE/
#   BENCH_SECONDS          seconds per cell (default 10; 60 with --full)
#   BENCH_WARMUP           warm-up seconds per cell (default 2; 10 with --full)
#   BENCH_SERVER_THREADS   the server's --threads (default: all cores)
#   BENCH_TEXT_CONC        text concurrencies (default "1 8 32"); BENCH_IMAGE_CONC (default 4)
#   BENCH_IMAGE_SECONDS    seconds of the image cell (default BENCH_SECONDS; 300 with --full, where one image
#                          request takes ~1.5 min on 2 cores; no timed warm-up there: the check request warmed it)
#   BENCH_TIMEOUT          wrk's per-request timeout in seconds (default 120; 900 with --full)
# Between cells the server is drained (until it is idle): requests wrk leaves in flight when a cell ends are still
# computed by the server (it does not notice a client's orderly close), and must not count against the next cell.
#   VLMEMBED_PYTHON        Python for making the synthetic checkpoint (default $CACHE/tools-venv/bin/python)
set -euo pipefail
{
cd "$(dirname "$0")/../.."
HERE=Tools/bench
CACHE="${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}"
VLMEMBED="${VLMEMBED:-.build/release/vlmembed}"
FULL=0
if [[ "${1:-}" == "--full" ]]; then FULL=1; shift; fi
SECONDS_PER_CELL="${BENCH_SECONDS:-$([[ $FULL == 1 ]] && echo 60 || echo 10)}"
WARMUP="${BENCH_WARMUP:-$([[ $FULL == 1 ]] && echo 10 || echo 2)}"
IMAGE_SECONDS="${BENCH_IMAGE_SECONDS:-$([[ $FULL == 1 ]] && echo 300 || echo "$SECONDS_PER_CELL")}"
TIMEOUT="${BENCH_TIMEOUT:-$([[ $FULL == 1 ]] && echo 900 || echo 120)}"
TEXT_CONC="${BENCH_TEXT_CONC:-1 8 32}"
IMAGE_CONC="${BENCH_IMAGE_CONC:-4}"
CORES=$(nproc)
SERVER_THREADS="${BENCH_SERVER_THREADS:-$CORES}"

die() { echo "serve_bench: error: $*" >&2; exit 1; }
say() { echo "serve_bench: $*"; }
command -v wrk >/dev/null || die "wrk is needed (apt-get install wrk)"
command -v curl >/dev/null || die "curl is needed"
[[ -x "$VLMEMBED" ]] || die "no vlmembed binary at $VLMEMBED (swift build -c release, or set VLMEMBED)"

if [[ $FULL == 1 ]]; then
  MODEL="$CACHE/bench/syn-int8.vlmb"
  if [[ ! -f "$MODEL" ]]; then
    CKPT="${BENCH_CKPT:-$CACHE/synthetic/phi35v-8g-random}"
    PY="${VLMEMBED_PYTHON:-$CACHE/tools-venv/bin/python}"
    free_gb() { df -BG --output=avail "$1" | tail -1 | tr -dc 0-9; }
    mkdir -p "$CACHE/bench" "$CACHE/synthetic"
    if [[ ! -f "$CKPT/model.safetensors.index.json" ]]; then
      [[ -x "$PY" ]] || die "no Python at $PY (make tools-venv)"
      (( $(free_gb "$CACHE/synthetic") >= 14 )) || die "the synthetic checkpoint needs ~9 GB free (+5 GB margin) in $CACHE/synthetic"
      say "making the synthetic checkpoint $CKPT (Tools/make_synthetic_checkpoint.py --random)"
      "$PY" Tools/make_synthetic_checkpoint.py --random "$CKPT"
    fi
    (( $(free_gb "$CACHE/bench") >= 10 )) || die "the int8 bundle needs ~5 GB free (+5 GB margin) in $CACHE/bench"
    say "making $MODEL (vlmembed convert --quant int8)"
    "$VLMEMBED" convert "$CKPT" --quant int8 -o "$MODEL"
  fi
else
  MODEL="${1:-${BENCH_MODEL:-Fixtures/models/phi3_v}}"
fi
[[ -e "$MODEL" ]] || die "no model at $MODEL"

OUT="$CACHE/bench/serve-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
LOG="$OUT/server.log"

# ---- bodies ----------------------------------------------------------------------------------------------------
python3 - "$VLMEMBED" "$MODEL" "$OUT" <<'EOF'
import base64, json, os, subprocess, sys
vlmembed, model, out = sys.argv[1:4]
words = ("a small brown dog runs across the green field while two children watch from a wooden bench near the old "
         "stone bridge and the evening light turns the river gold as birds fly over quiet houses with red roofs").split()
rows = []
for k in range(64):
    seq = words[k % len(words):] + words[:k % len(words)]
    for n in range(4, 20):
        rows.append({"id": f"{k}:{n}", "text": (f"Query {k}: " if k % 2 else "") + " ".join(seq[:n])})
with open(os.path.join(out, "candidates.jsonl"), "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
p = subprocess.run([vlmembed, "tokenize", "--model", model, "--input", os.path.join(out, "candidates.jsonl"), "--json"],
                   capture_output=True, text=True, check=True)
count = {d["id"]: len(d["ids"]) for d in map(json.loads, p.stdout.splitlines())}
text = {r["id"]: r["text"] for r in rows}
chosen = []
for k in range(64):
    for n in range(4, 20):
        if count.get(f"{k}:{n}") == 16:
            chosen.append(text[f"{k}:{n}"])
            break
if len(chosen) < 16:
    sys.exit(f"serve_bench: only {len(chosen)} 16-token texts found")
with open(os.path.join(out, "text16.bodies"), "w") as f:
    for t in chosen:
        f.write(json.dumps({"model": "bench", "input": t, "encoding_format": "float"}) + "\n")
with open(os.path.join(out, "token1.bodies"), "w") as f:
    f.write(json.dumps({"model": "bench", "input": [1], "encoding_format": "float"}) + "\n")
jpeg = open("Fixtures/reference/images/example.jpg", "rb").read()
url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
with open(os.path.join(out, "image.bodies"), "w") as f:
    f.write(json.dumps({"model": "bench", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": url}}, {"type": "text", "text": "Represent the given image."}]}],
        "encoding_format": "float"}) + "\n")
print(f"serve_bench: {len(chosen)} distinct 16-token texts, e.g. {chosen[0]!r}")
EOF

# ---- server --------------------------------------------------------------------------------------------------------
"$VLMEMBED" serve --model "$MODEL" --host 127.0.0.1 --port 0 --threads "$SERVER_THREADS" --max-queue 1024 2>"$LOG" &
PID=$!
cleanup() { if kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; fi; }
trap cleanup EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../serve/server_wait.sh"
wait_for_port
LOAD_START=$(date +%s.%N)
wait_for_health
LOAD_S=$(awk -v a="$LOAD_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
# every body answers 200 with the expected token count before anything is timed
python3 - "$BASE" "$OUT" <<'EOF'
import json, sys, urllib.request
base, out = sys.argv[1:3]
for name, tokens in (("text16", 16), ("token1", 1), ("image", None)):
    for line in open(f"{out}/{name}.bodies").readlines()[:4]:  # a few: on the full model each takes seconds
        r = urllib.request.urlopen(urllib.request.Request(base + "/v1/embeddings", data=line.encode(),
                                   headers={"Content-Type": "application/json"}), timeout=600)
        usage = json.loads(r.read())["usage"]["prompt_tokens"]
        if tokens is not None and usage != tokens:
            sys.exit(f"serve_bench: a {name} body has {usage} tokens, not {tokens}")
        if name == "image":
            print(f"serve_bench: the image request is {usage} tokens")
EOF

say "machine: $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), $CORES cores; cpu pressure: $(head -1 /proc/pressure/cpu 2>/dev/null || echo n/a)"
say "model $MODEL (ready in ${LOAD_S} s after listening); server threads $SERVER_THREADS; $SECONDS_PER_CELL s per cell after ${WARMUP} s warm-up; logs in $OUT"

RESULTS="$OUT/results.jsonl"
: > "$RESULTS"
metric_snapshot() { curl -s -m 10 "$BASE/metrics"; }
rss_now() { awk '/^VmRSS:/{print $2}' "/proc/$PID/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
drain() { # wait (up to BENCH_TIMEOUT s) until the server is idle: < 5% of a core over one second. Not the
  # vlmembed_queue_depth gauge: it is not updated when a queued request is cancelled, and can stay at 1 on an idle server.
  local t0 t1
  for _ in $(seq "$TIMEOUT"); do
    t0=$(cpu_ticks); sleep 1; t1=$(cpu_ticks)
    (( t1 - t0 <= $(getconf CLK_TCK) / 20 )) && break
  done
}
cell() { # cell LABEL CONCURRENCY BODIES [PATH [SECONDS [WARMUP]]]
  local label="$1" conc="$2" bodies="$3" path="${4:-/v1/embeddings}" secs="${5:-$SECONDS_PER_CELL}" warm="${6:-$WARMUP}" threads
  threads=$(( conc < CORES ? conc : CORES ))
  if (( warm > 0 )); then
    wrk -t "$threads" -c "$conc" -d "${warm}s" --timeout "${TIMEOUT}s" -s "$HERE/serve/bodies.lua" "$BASE" -- "$bodies" "$path" >/dev/null 2>&1 || true
    drain
  fi
  metric_snapshot > "$OUT/metrics-$label-before.txt"
  wrk -t "$threads" -c "$conc" -d "${secs}s" --timeout "${TIMEOUT}s" -s "$HERE/serve/bodies.lua" "$BASE" -- "$bodies" "$path" \
    > "$OUT/wrk-$label.txt" 2>&1 || die "wrk failed in $label: $(tail -3 "$OUT/wrk-$label.txt")"
  metric_snapshot > "$OUT/metrics-$label-after.txt"
  drain
  local json; json=$(grep '^WRKJSON ' "$OUT/wrk-$label.txt" | sed 's/^WRKJSON //')
  [[ -n "$json" ]] || die "no result line from wrk in $label"
  echo "{\"label\": \"$label\", \"concurrency\": $conc, \"rss_kib\": $(rss_now), \"wrk\": $json}" >> "$RESULTS"
  say "$label c=$conc: $(echo "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.1f req/s, p50 %.2f ms, p99 %.2f ms, statuses %s" % (d["rps"], d["p50_ms"], d["p99_ms"], d["statuses"]))')"
}

for c in $TEXT_CONC; do cell "text-c$c" "$c" "$OUT/text16.bodies"; done
cell "token1-c1" 1 "$OUT/token1.bodies"
cell "health-c1" 1 - /health
for c in $IMAGE_CONC; do cell "image-c$c" "$c" "$OUT/image.bodies" /v1/embeddings "$IMAGE_SECONDS" "$([[ $FULL == 1 ]] && echo 0 || echo "$WARMUP")"; done
HWM=$(awk '/^VmHWM:/{print $2}' "/proc/$PID/status")
kill -TERM "$PID"; set +e; wait "$PID"; CODE=$?; set -e
trap - EXIT

python3 - "$OUT" "$HWM" "$CODE" "$MODEL" <<'EOF'
import json, re, sys
out, hwm, code, model = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows = [json.loads(l) for l in open(f"{out}/results.jsonl")]

def metric(label, when, name):
    text = open(f"{out}/metrics-{label}-{when}.txt").read()
    def one(suffix):
        m = re.search(rf"^{name}_{suffix}(?:\{{[^}}]*\}})? ([0-9.e+-]+)$", text, re.M)
        return float(m.group(1)) if m else 0.0
    return one("sum"), one("count")

def delta(label, name):
    s0, n0 = metric(label, "before", name)
    s1, n1 = metric(label, "after", name)
    return (s1 - s0, n1 - n0)

print()
print(f"vlmembed serve on {model}; wrk on loopback; server exit code after SIGTERM: {code}")
print(f"{'cell':<12} {'conc':>4} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'non-2xx':>7} {'errors':>6} {'inputs/pass':>11} {'RSS MiB':>8}")
by = {}
for r in rows:
    w = r["wrk"]
    by[r["label"]] = w
    s, n = delta(r["label"], "vlmembed_batch_inputs")
    per_pass = f"{s / n:.2f}" if n else "-"
    errs = sum(v for k, v in w["errors"].items() if k != "status")
    print(f"{r['label']:<12} {r['concurrency']:>4} {w['rps']:>9.1f} {w['p50_ms']:>9.2f} {w['p99_ms']:>9.2f} "
          f"{w['errors']['status']:>7} {errs:>6} {per_pass:>11} {r['rss_kib'] / 1024:>8.1f}")
print(f"server peak RSS (VmHWM): {hwm / 1024:.1f} MiB")
t1, t32 = by.get("text-c1"), by.get("text-c32")
if t1 and t32:
    print(f"packing gain (text req/s at c=32 / at c=1): {t32['rps'] / t1['rps']:.2f}x")
tok = by.get("token1-c1")
if tok:
    ds, dn = delta("token1-c1", "vlmembed_request_duration_seconds")
    qs, qn = delta("token1-c1", "vlmembed_queue_wait_seconds")
    server_ms = ds / dn * 1e3 if dn else float("nan")
    queue_ms = qs / qn * 1e3 if qn else float("nan")
    health = by.get("health-c1")
    print("1-token request ({\"input\": [1]}), c=1:")
    print(f"  HTTP (wrk)           p50 {tok['p50_ms']:.3f} ms, mean {tok['mean_ms']:.3f} ms over {tok['requests']} requests")
    print(f"  in server (metrics)  mean {server_ms:.3f} ms arrival->response, of which queue wait {queue_ms:.3f} ms")
    print(f"  forward (estimate)   <= {server_ms - queue_ms:.3f} ms (server time - queue wait; includes JSON decode/encode)")
    print(f"  outside the handler  {tok['mean_ms'] - server_ms:.3f} ms (HTTP mean - server mean: HTTP parsing, loopback, wrk); "
          f"{tok['p50_ms'] - server_ms:.3f} ms from the HTTP p50")
    if health:
        print(f"  GET /health          p50 {health['p50_ms']:.3f} ms, mean {health['mean_ms']:.3f} ms (an HTTP round trip with no model work)")
EOF
}
