#!/usr/bin/env bash
# serve_soak.sh: a sustained mixed load on `vlmembed serve` over loopback (wrk, Tools/bench/serve/soak.lua). Not a
# test: it runs for minutes. It reports answers by status (zero 5xx expected), transport errors, the server's RSS
# after the warm-up and at the end (within 10% expected), and whether every 200 answer was correct.
#
# The mix (random per request, ~52 bodies): single texts of 3 to ~200 tokens, batches of 3-8 texts (base64
# encoding), token arrays, image requests in vLLM's chat form (JPEG, PNG, two images, image + question), and ~15%
# malformed requests (invalid JSON, a JSON null, invalid base64, an unknown content part, an empty input, a token id
# outside the vocabulary, bytes that are not an image, a token array longer than the context).
# Correctness: before the soak, each good body is sent once and every embedding in its answer is compared bit for
# bit with `vlmembed embed` of the same input; that answer's exact bytes are recorded. During the soak every 200
# answer is compared byte for byte with the recorded answer of its body (told by the echoed "model": "soak-gK"),
# and after it every good body is sent once more and compared again.
# Memory: the load runs as back-to-back wrk segments (SOAK_SEGMENT s each) with a 3 s pause after each, where the
# server's RSS is read idle: under load it swings by ~±25% with the images in flight at the sampling instant, idle it
# does not. "After warm-up" is the idle RSS after the first segment, "at the end" the idle RSS after the last one.
# VmRSS is also sampled every 5 s under load (min/max reported) and VmHWM at the end.
#
# Usage: Tools/bench/serve_soak.sh [MODEL]
#   MODEL   default $SOAK_MODEL, then the tiny Fixtures/models/phi3_v
# Environment:
#   VLMEMBED            the binary (default .build/release/vlmembed; run, never built, here)
#   SOAK_SECONDS        load duration (default 300)
#   SOAK_SEGMENT        seconds per wrk segment (default 60; the first segment is the warm-up)
#   SOAK_CONCURRENCY    connections (default 64); wrk threads = cores
#   VLMEMBED_CACHE      cache root (default ~/.cache/vlmembed); logs stay in $CACHE/bench/soak-DATE/
# Exit code: 0 when there was no 5xx, no transport error, no wrong answer, the RSS grew by at most 10% and the
# server exited 0 on SIGTERM; 1 otherwise.
set -euo pipefail
{
cd "$(dirname "$0")/../.."
HERE=Tools/bench
CACHE="${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}"
VLMEMBED="${VLMEMBED:-.build/release/vlmembed}"
MODEL="${1:-${SOAK_MODEL:-Fixtures/models/phi3_v}}"
DURATION="${SOAK_SECONDS:-300}"
SEGMENT="${SOAK_SEGMENT:-60}"
CONC="${SOAK_CONCURRENCY:-64}"
CORES=$(nproc)

die() { echo "serve_soak: error: $*" >&2; exit 1; }
say() { echo "serve_soak: $*"; }
command -v wrk >/dev/null || die "wrk is needed (apt-get install wrk)"
command -v curl >/dev/null || die "curl is needed"
[[ -x "$VLMEMBED" ]] || die "no vlmembed binary at $VLMEMBED (swift build -c release, or set VLMEMBED)"
(( SEGMENT > 0 && 2 * SEGMENT <= DURATION )) || die "SOAK_SECONDS ($DURATION) must hold at least two SOAK_SEGMENTs ($SEGMENT s)"

OUT="$CACHE/bench/soak-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
cp Fixtures/reference/images/example.jpg Fixtures/reference/images/coffee.png "$OUT/"
LOG="$OUT/server.log"

# ---- the mix and the references ---------------------------------------------------------------------------------------
python3 - "$VLMEMBED" "$MODEL" "$OUT" <<'EOF'
import base64, json, os, subprocess, sys
vlmembed, model, out = sys.argv[1:4]
words = ("the quick brown fox jumps over a lazy dog near the river bank while children play football in the park "
         "and an old man reads the morning paper on a green bench under tall trees full of singing birds").split()
def text(k, n):
    seq = words[k % len(words):] + words[:k % len(words)]
    return f"Item {k}: " + " ".join((seq * (n // len(seq) + 1))[:n])
singles = [text(k, n) for k, n in enumerate([2, 3, 5, 8, 12, 16, 20, 24, 32, 40, 48, 64, 80, 100, 120, 150] * 2)][:30]
batches = [[text(100 + 10 * b + j, 4 + 7 * j) for j in range(3 + b)] for b in range(6)]
token_texts = [text(200 + k, 6 + 9 * k) for k in range(4)]
images = [
    ("<|image_1|> Represent the given image.", ["example.jpg"], [("image", "example.jpg"), ("text", "Represent the given image.")]),
    ("<|image_1|> Represent the given image.", ["coffee.png"], [("image", "coffee.png"), ("text", "Represent the given image.")]),
    ("<|image_1|> <|image_2|> Compare the two images.", ["example.jpg", "coffee.png"],
     [("image", "example.jpg"), ("image", "coffee.png"), ("text", "Compare the two images.")]),
    ("<|image_1|> What is on the table?", ["coffee.png"], [("image", "coffee.png"), ("text", "What is on the table?")]),
]
# references: embed every input once
rows = [{"id": f"s{i}", "text": t} for i, t in enumerate(singles)]
rows += [{"id": f"b{b}.{j}", "text": t} for b, ts in enumerate(batches) for j, t in enumerate(ts)]
rows += [{"id": f"k{i}", "text": t} for i, t in enumerate(token_texts)]
rows += [{"id": f"i{i}", "text": t, "images": ims} for i, (t, ims, _) in enumerate(images)]
req = os.path.join(out, "references.jsonl")
with open(req, "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
subprocess.run([vlmembed, "embed", "--model", model, "--input", req, "-o", os.path.join(out, "references.out.jsonl")],
               check=True, capture_output=True, text=True)
tok = os.path.join(out, "token_texts.jsonl")
with open(tok, "w") as f:
    for i, t in enumerate(token_texts):
        f.write(json.dumps({"id": f"k{i}", "text": t}) + "\n")
p = subprocess.run([vlmembed, "tokenize", "--model", model, "--input", tok, "--json"], check=True, capture_output=True, text=True)
token_ids = [json.loads(l)["ids"] for l in p.stdout.splitlines()]
# good bodies, each with the reference ids of its inputs
good = []
for i, t in enumerate(singles):
    good.append(({"input": t}, [f"s{i}"]))
for b, ts in enumerate(batches):
    good.append(({"input": ts, "encoding_format": "base64"}, [f"b{b}.{j}" for j in range(len(ts))]))
for i, ids in enumerate(token_ids):
    good.append(({"input": ids, "encoding_format": "float" if i % 2 else "base64"}, [f"k{i}"]))
def url(name):
    mime = "image/jpeg" if name.endswith(".jpg") else "image/png"
    return f"data:{mime};base64," + base64.b64encode(open(os.path.join(out, name), "rb").read()).decode()
for i, (_, _, parts) in enumerate(images):
    content = [{"type": "image_url", "image_url": {"url": url(v)}} if k == "image" else {"type": "text", "text": v} for k, v in parts]
    good.append(({"messages": [{"role": "user", "content": content}], "encoding_format": "float"}, [f"i{i}"]))
with open(os.path.join(out, "good.jsonl"), "w") as f:
    for k, (body, refs) in enumerate(good):
        body = {"model": f"soak-g{k}", **body}
        f.write(json.dumps({"body": body, "refs": refs}) + "\n")
jpeg = open(os.path.join(out, "example.jpg"), "rb").read()
malformed = [
    '{"model": "soak-bad", "input": ',
    'null',
    json.dumps({"model": "soak-bad", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,%%%%"}}, {"type": "text", "text": "x"}]}]}),
    json.dumps({"model": "soak-bad", "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "AAAA"}}]}]}),
    json.dumps({"model": "soak-bad", "input": ""}),
    json.dumps({"model": "soak-bad", "input": [1, 99999999]}),
    json.dumps({"model": "soak-bad", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/jpeg;base64," + base64.b64encode(jpeg[:2000]).decode()}}, {"type": "text", "text": "x"}]}]}),
    json.dumps({"model": "soak-bad", "input": [1] * 8193}),
]
with open(os.path.join(out, "malformed.bodies"), "w") as f:
    for m in malformed:
        f.write(m + "\n")
print(f"serve_soak: {len(good)} good bodies ({len(singles)} texts, {len(batches)} batches, {len(token_ids)} token arrays, "
      f"{len(images)} image requests), {len(malformed)} malformed")
EOF

# ---- server --------------------------------------------------------------------------------------------------------
"$VLMEMBED" serve --model "$MODEL" --host 127.0.0.1 --port 0 2>"$LOG" &
PID=$!
SAMPLER=""
cleanup() {
  [[ -n "$SAMPLER" ]] && kill "$SAMPLER" 2>/dev/null || true
  if kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; fi
}
trap cleanup EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../serve/server_wait.sh"
wait_for_port
wait_for_health

# record (and verify against embed) the answer of every good body; write the mix
verify() { # verify PHASE: every good body once, each embedding vs embed; PHASE=before writes expected.txt
python3 - "$BASE" "$OUT" "$1" <<'EOF'
import base64, json, struct, sys, urllib.error, urllib.request
base, out, phase = sys.argv[1:4]
refs = {}
for line in open(f"{out}/references.out.jsonl"):
    d = json.loads(line)
    refs[d["id"]] = [struct.unpack("<I", struct.pack("<f", x))[0] for x in d["embedding"]]
def bits(e):
    if isinstance(e, str):
        raw = base64.b64decode(e)
        return list(struct.unpack(f"<{len(raw) // 4}I", raw))
    return [struct.unpack("<I", struct.pack("<f", x))[0] for x in e]
bad = 0
answers = []
expected = open(f"{out}/expected.txt").read().splitlines() if phase == "after" else None
for k, line in enumerate(open(f"{out}/good.jsonl")):
    g = json.loads(line)
    data = json.dumps(g["body"]).encode()
    try:
        r = urllib.request.urlopen(urllib.request.Request(base + "/v1/embeddings", data=data, headers={"Content-Type": "application/json"}), timeout=120)
        raw = r.read()
    except urllib.error.HTTPError as e:
        print(f"serve_soak: good body {k} ({phase}): HTTP {e.code} {e.read()[:200]!r}"); bad += 1; answers.append(""); continue
    got = [bits(d["embedding"]) for d in json.loads(raw)["data"]]
    want = [refs[i] for i in g["refs"]]
    if got != want:
        print(f"serve_soak: good body {k} ({phase}): embeddings differ from `vlmembed embed`"); bad += 1
    if expected is not None and raw.decode() != expected[k]:
        print(f"serve_soak: good body {k} ({phase}): the answer bytes changed during the soak"); bad += 1
    answers.append(raw.decode())
if phase == "before":
    with open(f"{out}/expected.txt", "w") as f:
        f.write("\n".join(answers) + "\n")
    with open(f"{out}/mix.bodies", "w") as f:
        for line in open(f"{out}/good.jsonl"):
            f.write(json.dumps(json.loads(line)["body"]) + "\n")
        for line in open(f"{out}/malformed.bodies"):
            f.write(line)
print(f"serve_soak: {phase} the soak: {len(answers) - bad} of {len(answers)} good bodies answered bit-identically to `vlmembed embed`")
sys.exit(1 if bad else 0)
EOF
}
verify before || die "the answers are wrong before the soak"
rss() { awk '/^VmRSS:/{print $2}' "/proc/$PID/status" 2>/dev/null || echo 0; }

say "machine: $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), $CORES cores; cpu pressure: $(head -1 /proc/pressure/cpu 2>/dev/null || echo n/a)"
say "soak: $DURATION s at $CONC connections on $BASE (model $MODEL), RSS sampled every 5 s; logs in $OUT"
START=$(date +%s)
( while kill -0 "$PID" 2>/dev/null; do echo "$(( $(date +%s) - START )) $(rss)"; sleep 5; done ) > "$OUT/rss.txt" &
SAMPLER=$!
RSS_START=$(rss)
: > "$OUT/wrk.txt"
: > "$OUT/rss-idle.txt"
LEFT=$DURATION
SEG=0
WRK_RC=0
while (( LEFT > 0 )); do
  d=$(( LEFT < SEGMENT ? LEFT : SEGMENT ))
  SEG=$((SEG + 1))
  set +e
  wrk -t "$CORES" -c "$CONC" -d "${d}s" --timeout 60s -s "$HERE/serve/soak.lua" "$BASE" -- "$OUT/mix.bodies" "$OUT/expected.txt" \
    >> "$OUT/wrk.txt" 2>&1
  rc=$?
  set -e
  (( rc == 0 )) || WRK_RC=$rc
  LEFT=$(( LEFT - d ))
  sleep 3
  echo "$SEG $(( $(date +%s) - START )) $(rss)" >> "$OUT/rss-idle.txt"
  say "segment $SEG ($d s): $(grep '^WRKJSON' "$OUT/wrk.txt" | tail -1 | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()[8:]); print("%d requests, %.1f req/s, p50 %.0f ms, p99 %.0f ms, statuses %s, wrong 200s %d" % (d["requests"], d["rps"], d["p50_ms"], d["p99_ms"], d["statuses"], d["wrong_200"]))'); idle RSS $(( $(rss) / 1024 )) MiB"
done
RSS_END=$(rss)
kill "$SAMPLER" 2>/dev/null || true; SAMPLER=""
ALIVE=1; kill -0 "$PID" 2>/dev/null || ALIVE=0
HEALTH=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$BASE/health" || true)
METRICS=$(curl -s -m 10 "$BASE/metrics" || true)
AFTER_OK=1; verify after || AFTER_OK=0
HWM=$(awk '/^VmHWM:/{print $2}' "/proc/$PID/status" 2>/dev/null || echo 0)
kill -TERM "$PID" 2>/dev/null || true; set +e; wait "$PID"; CODE=$?; set -e
trap - EXIT
FATAL=$(grep -ciE 'fatal error|stack overflow|segmentation|precondition failed|backtrace' "$LOG" || true)
gzip -f "$LOG"

python3 - "$OUT" "$WRK_RC" "$RSS_START" "$RSS_END" "$HWM" "$SEGMENT" "$ALIVE" "$HEALTH" "$CODE" "$FATAL" "$AFTER_OK" "$METRICS" <<'EOF'
import json, re, sys
out, wrk_rc, rss_start, rss_end, hwm, segment, alive, health, code, fatal, after_ok, metrics = sys.argv[1:13]
rss_start, rss_end, hwm = int(rss_start), int(rss_end), int(hwm)
text = open(f"{out}/wrk.txt").read()
segs = [json.loads(m) for m in re.findall(r"^WRKJSON (.*)$", text, re.M)]
if not segs:
    print(text[-2000:]); print("serve-soak: FAILED (no result from wrk)"); sys.exit(1)
requests_ = sum(w["requests"] for w in segs)
seconds = sum(w["seconds"] for w in segs)
statuses = {}
errors = {}
for w in segs:
    for k, v in w["statuses"].items():
        statuses[int(k)] = statuses.get(int(k), 0) + v
    for k, v in w["errors"].items():
        errors[k] = errors.get(k, 0) + v
correct = sum(w["correct_200"] for w in segs)
wrong = sum(w["wrong_200"] for w in segs)
wrong_sample = next((w["wrong_sample"] for w in segs if w["wrong_200"]), "")
idle = [tuple(map(int, l.split())) for l in open(f"{out}/rss-idle.txt") if len(l.split()) == 3]
after_warmup = idle[0][2] if idle else rss_start
at_end = idle[-1][2] if idle else rss_end
growth = (at_end - after_warmup) / after_warmup if after_warmup else float("inf")
loaded = [int(l.split()[1]) for l in open(f"{out}/rss.txt") if len(l.split()) == 2 and int(l.split()[1]) > 0]
counts = dict(re.findall(r'^vlmembed_requests_total\{status="(\d+)"\} (\d+)', metrics, re.M))
fivexx = sum(v for k, v in statuses.items() if k >= 500)
transport = sum(v for k, v in errors.items() if k != "status")
print()
print(f"soak: {requests_} requests in {seconds:.0f} s ({requests_ / seconds:.1f} req/s) in {len(segs)} segments; latency p50 "
      f"{min(w['p50_ms'] for w in segs):.0f}-{max(w['p50_ms'] for w in segs):.0f} ms, p99 {min(w['p99_ms'] for w in segs):.0f}-"
      f"{max(w['p99_ms'] for w in segs):.0f} ms (per segment), max {max(w['max_ms'] for w in segs):.0f} ms")
print(f"answers by status (client): {dict(sorted(statuses.items()))}; server /metrics (incl. the checks before): "
      f"{dict(sorted(counts.items(), key=lambda kv: int(kv[0])))}")
print(f"transport errors: {errors}")
print(f"200 answers checked byte for byte: {correct} correct, {wrong} wrong" + (f" (first: {wrong_sample})" if wrong else ""))
print(f"idle RSS after each segment (MiB): {[round(r / 1024, 1) for _, _, r in idle]}")
print(f"RSS: {after_warmup / 1024:.1f} MiB idle after the warm-up segment, {at_end / 1024:.1f} MiB idle at the end "
      f"({growth * 100:+.1f}%); under load {min(loaded or [0]) / 1024:.1f}-{max(loaded or [0]) / 1024:.1f} MiB; "
      f"{rss_start / 1024:.1f} MiB before the load; peak (VmHWM) {hwm / 1024:.1f} MiB")
print(f"server alive after the soak: {alive == '1'}; /health {health}; good bodies re-verified after: {after_ok == '1'}; "
      f"exit code after SIGTERM: {code}; fatal lines in its log: {fatal}")
fails = []
if wrk_rc != "0": fails.append(f"wrk exit code {wrk_rc}")
if fivexx: fails.append(f"{fivexx} 5xx")
if transport: fails.append(f"{transport} transport errors")
if wrong: fails.append(f"{wrong} wrong answers")
if growth > 0.10: fails.append(f"RSS grew {growth * 100:.1f}% after warm-up")
if alive != "1" or health != "200" or code != "0" or int(fatal) or after_ok != "1": fails.append("server health/exit")
if set(statuses) - {200, 400}: fails.append(f"unexpected statuses {sorted(set(statuses) - {200, 400})}")
print("serve-soak: " + ("FAILED: " + "; ".join(fails) if fails else "ok (no 5xx, every answer correct, RSS stable)"))
sys.exit(1 if fails else 0)
EOF
}
