#!/usr/bin/env bash
# Peak RSS and wall time of `vlmembed embed` on a Phi-3.5-V-sized checkpoint (issue: fp32 reference
# forward, memory). Makes the synthetic checkpoint if missing (Tools/make_synthetic_checkpoint.py --random),
# then embeds (1) one ~512-token text request and (2) one image request (phi3_v, 4 crops), each in its
# own process under /usr/bin/time. Not a test: numbers depend on the machine; quote them as measured.
#
# Usage: Tools/bench/measure_embed.sh [CHECKPOINT_DIR] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE="${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}"
CKPT="${1:-$CACHE/synthetic/phi35v-8g-random}"
THREADS="${2:-$(nproc)}"
[ -f "$CKPT/model.safetensors.index.json" ] || python3 Tools/make_synthetic_checkpoint.py --random "$CKPT"
swift build -c release >/dev/null
BIN=.build/release/vlmembed
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 - "$WORK" <<'PY'
import json, sys
words = ("the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches "
         "in the old town square near the river ").split()
text = " ".join(words[i % len(words)] for i in range(440))
d = sys.argv[1]
open(d + "/text.jsonl", "w").write(json.dumps({"id": "text512", "text": text}) + "\n")
open(d + "/image.jsonl", "w").write(json.dumps({"id": "image4", "text": "<|image_1|> Represent the given image.",
      "images": ["%s/Fixtures/reference/images/example.jpg" % __import__("os").getcwd()]}) + "\n")
PY
$BIN tokenize --model "$CKPT" --input "$WORK/text.jsonl" --json | python3 -c 'import json,sys; print("text request tokens:", len(json.loads(sys.stdin.readline())["ids"]))'
for kind in text image; do
  /usr/bin/time -f "$kind: %e s wall, peak RSS %M KB" $BIN embed --model "$CKPT" --input "$WORK/$kind.jsonl" \
      -o "$WORK/$kind.safetensors" --threads "$THREADS" 2>&1 | grep -v "info vlmembed"
done
