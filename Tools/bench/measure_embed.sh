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
# Peak RSS counts the mmap'd checkpoint pages the kernel keeps resident (file-backed, reclaimable);
# RssAnon is the process's own heap (activations, fp32 tiles). Sample both while the command runs.
for kind in text image; do
  start=$(date +%s.%N)
  $BIN embed --model "$CKPT" --input "$WORK/$kind.jsonl" -o "$WORK/$kind.safetensors" --threads "$THREADS" 2>/dev/null &
  pid=$!
  anon=0; file=0
  while kill -0 "$pid" 2>/dev/null; do
    if read -r a f < <(awk '/RssAnon/{a=$2}/RssFile/{f=$2}END{print a+0, f+0}' "/proc/$pid/status" 2>/dev/null); then
      [ "${a:-0}" -gt "$anon" ] && anon=$a
      [ "${f:-0}" -gt "$file" ] && file=$f
    fi
    sleep 0.2
  done
  wait "$pid"
  end=$(date +%s.%N)
  printf "%s: %.1f s wall, peak anonymous RSS %d MB, peak file-backed (mmap) RSS %d MB\n" "$kind" "$(echo "$end - $start" | bc)" $((anon / 1024)) $((file / 1024))
done
