#!/usr/bin/env bash
# Preprocessing speed, vlmembed vs the upstream Python processors, interleaved in one run, 1 thread.
# Prints one table: seconds (or MB/s) per op for each side and the ratio upstream/ours.
# Usage: Tools/bench/run_preprocess_bench.sh [ROUNDS]   (needs the tools venv: make tools-venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${1:-3}"
PY="${VLMEMBED_PYTHON:-${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}/tools-venv/bin/python}"
swift build -c release --product PreprocessBench >/dev/null
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
"$PY" - "$WORK/text.txt" <<'PY'
import json, sys
strings = [s["text"] for s in json.load(open("Fixtures/tokenizer/tokenizer_parity.json"))["strings"]]
prose = ("The quick brown fox jumps over the lazy dog. A picture of a cat sitting on a red sofa next to a window. "
         "Represent the given image with the following question: what is in the image? ")
lines = []
while sum(len(l) for l in lines) < 3_000_000:
    lines += strings + [prose * 3]
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(lines))
PY
IMG=Fixtures/reference/images/example.jpg
echo "pressure: $(head -1 /proc/pressure/cpu)"
for r in $(seq "$ROUNDS"); do
  .build/release/PreprocessBench "$PWD" "$IMG" "$WORK/text.txt" 5 > "$WORK/ours.$r.json"
  "$PY" Tools/bench/preprocess_bench.py "$PWD" "$IMG" "$WORK/text.txt" 5 > "$WORK/py.$r.json"
done
"$PY" - "$WORK" "$ROUNDS" <<'PY'
import json, sys, statistics
d, n = sys.argv[1], int(sys.argv[2])
ours = [json.load(open(f"{d}/ours.{r}.json")) for r in range(1, n + 1)]
py = [json.load(open(f"{d}/py.{r}.json")) for r in range(1, n + 1)]

med = lambda rows, k: statistics.median(r[k] for r in rows)
print("both sides 1 thread; image rows include decoding; ratio = upstream time / vlmembed time")
print(f"{'op':26} {'vlmembed':>12} {'upstream':>12} {'ratio':>8}")
t_ours = med(ours, "tokenize_mb_per_s")
for name, k in [("tokenize slow (MB/s)", "tokenize_slow_mb_per_s"), ("tokenize fast (MB/s)", "tokenize_fast_mb_per_s")]:
    print(f"{name:26} {t_ours:12.2f} {med(py, k):12.2f} {t_ours / med(py, k):7.2f}x")
for name, k in [("phi3_v 4 crops (s)", "phi3_v_4_crops_s"), ("phi3_v 16 crops (s)", "phi3_v_16_crops_s"), ("llava_next (s)", "llava_next_s")]:
    print(f"{name:26} {med(ours, k):12.4f} {med(py, k):12.4f} {med(py, k) / med(ours, k):7.2f}x")
PY
