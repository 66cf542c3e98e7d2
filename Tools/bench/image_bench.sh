#!/usr/bin/env bash
# image_bench.sh: one Phi-3-V image request (one JPEG + a question, num_crops 4 and 16) end to end
# — vision tower on the crops, projection, decoder over text + image tokens — in vlmembed and in
# PyTorch, on the Phi-3.5-V-sized synthetic checkpoint, interleaved, one table. Not a test: quote
# the numbers as measured (each run records /proc/pressure/cpu avg10 just before it).
#
# Engines:
#   vlmembed  `vlmembed embed --model BUNDLE --input image.jsonl --threads T` on the int8 / int4 bundle
#             (made by engines_bench.sh; `int4-i8in`: the int4 bundle with VLMEMBED_INT4_INPUTS=int8;
#             `int4v4`, `int4v4-i8in`: decoder and CLIP tower both int4 g32, made here on first use);
#             s/request = wall(image request) - wall(1-token text request),
#             both in fresh processes, so load cancels. Preprocessing (JPEG decode, HD crops) is included.
#   pytorch   Tools/bench/torch_image_bench.py: transformers CLIPVisionModel + projection + Phi3Model with
#             the checkpoint's weights, fp32 (and bf16), on as many crops and positions as vlmembed's
#             processor makes for this request; s/request = vision_s + decoder_s of its timed request.
# Usage: Tools/bench/image_bench.sh [VLMEMBED_BIN]
# Environment: VLMEMBED_CACHE, BENCH_CKPT (as engines_bench.sh); BENCH_THREADS (default "1");
#   BENCH_IMAGE_RUNS (default "vlmembed:int8 pytorch:fp32 vlmembed:int4 vlmembed:int4-i8in pytorch:bf16");
#   BENCH_IMAGE (default Fixtures/reference/images/example.jpg, 800x600); BENCH_CROPS (num_crops values,
#   default "4 16": VLM2Vec's 4 and Phi-3.5-V's single-image 16, via `--crops`).
set -euo pipefail
# One compound command, read whole before it runs: editing this file during a run cannot break the run.
{
cd "$(dirname "$0")/../.."
HERE=Tools/bench
CACHE="${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}"
VLMEMBED="${1:-.build/release/vlmembed}"
CKPT="${BENCH_CKPT:-$CACHE/synthetic/phi35v-8g-random}"
PY="${VLMEMBED_PYTHON:-$CACHE/tools-venv/bin/python}"
THREADS="${BENCH_THREADS:-1}"
RUNS="${BENCH_IMAGE_RUNS:-vlmembed:int8 pytorch:fp32 vlmembed:int4 vlmembed:int4-i8in pytorch:bf16}"
IMAGE="${BENCH_IMAGE:-Fixtures/reference/images/example.jpg}"
CROPS_LIST="${BENCH_CROPS:-4 16}"
die() { echo "image_bench: error: $*" >&2; exit 1; }
say() { echo "image_bench: $*"; }
[[ -x "$PY" ]] || die "no Python at $PY (make tools-venv)"
[[ -x "$VLMEMBED" ]] || die "no vlmembed binary at $VLMEMBED"
[[ -f "$IMAGE" ]] || die "no image at $IMAGE"
[[ -f "$CKPT/model.safetensors.index.json" ]] || die "no synthetic checkpoint at $CKPT"

OUT="$CACHE/bench/image-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT/req" "$OUT/logs"
RESULTS="$OUT/results.jsonl"
cp "$IMAGE" "$OUT/req/image.jpg"
PROMPT="<|image_1|> Represent the given image with the following question: What is in the image?"
printf '{"id": "image", "text": "%s", "images": ["image.jpg"]}\n' "$PROMPT" > "$OUT/req/image.jsonl"
BUNDLE="$CACHE/bench/syn-int8.vlmb"
[[ -f "$BUNDLE" ]] || die "no $BUNDLE (run Tools/bench/engines_bench.sh first: it makes the bundles)"
echo '{"id": "text1", "text": ""}' > "$OUT/req/text1.jsonl"   # BOS only: times load (as engines_bench.sh)
if [[ " $RUNS " == *" vlmembed:int4v4"* && ! -f "$CACHE/bench/syn-int4v4.vlmb" ]]; then
  say "making $CACHE/bench/syn-int4v4.vlmb (vlmembed convert --quant int4 --vision-quant int4 --group-size 32)"
  "$VLMEMBED" convert "$CKPT" --quant int4 --vision-quant int4 --group-size 32 -o "$CACHE/bench/syn-int4v4.vlmb"
fi
say "threads: $THREADS; crops: $CROPS_LIST; runs: $RUNS"
say "results and logs: $OUT"

measure() { # measure LABEL META_JSON CMD...
  local label="$1" meta="$2"; shift 2
  "$PY" "$HERE/bench_measure.py" --label "$label" --results "$RESULTS" --log "$OUT/logs/$label.log" --meta "$meta" -- "$@" \
    || say "$label failed (log: $OUT/logs/$label.log)"
}
for c in $CROPS_LIST; do
  "$VLMEMBED" preprocess --model "$BUNDLE" --image "$OUT/req/image.jpg" --text "$PROMPT" --crops "$c" -o "$OUT/req/pre-$c.safetensors"
  read -r TOKENS CROPS < <("$PY" -c "
import sys; from safetensors.numpy import load_file
t = load_file(sys.argv[1]); ids = t['input_ids']; pv = t['pixel_values']
print(ids.shape[-1], pv.shape[1] - 1)" "$OUT/req/pre-$c.safetensors")
  say "request: $IMAGE, num_crops $c: $TOKENS positions, $CROPS crops + global view"
  for t in $THREADS; do
    for run in $RUNS; do
      engine="${run%%:*}"; fmt="${run#*:}"
      meta="{\"engine\": \"$engine\", \"variant\": \"$fmt\", \"threads\": $t, \"tokens\": $TOKENS, \"crops\": $CROPS"
      case "$engine" in
        vlmembed)
          # int4-i8in: the int4 bundle with VLMEMBED_INT4_INPUTS=int8 (as engines_bench.sh).
          b="$CACHE/bench/syn-${fmt%-i8in}.vlmb"; [[ -f "$b" ]] || { say "no $b: skipped"; continue; }
          inputs=int16; [[ "$fmt" == *-i8in ]] && inputs=int8
          cat "$b" >/dev/null
          measure "vlmembed-$fmt-text1-c$c-t$t" "$meta, \"role\": \"load\"}" \
            env VLMEMBED_INT4_INPUTS=$inputs "$VLMEMBED" embed --model "$b" --input "$OUT/req/text1.jsonl" -o "$OUT/logs/out-$fmt-text1-$c-$t.jsonl" --threads "$t"
          measure "vlmembed-$fmt-image-c$c-t$t" "$meta, \"role\": \"run\"}" \
            env VLMEMBED_INT4_INPUTS=$inputs "$VLMEMBED" embed --model "$b" --input "$OUT/req/image.jsonl" --crops "$c" -o "$OUT/logs/out-$fmt-image-$c-$t.jsonl" --threads "$t"
          ;;
        pytorch)
          measure "pytorch-$fmt-image-c$c-t$t" "$meta}" "$PY" "$HERE/torch_image_bench.py" --checkpoint "$CKPT" \
            --tokens "$TOKENS" --crops "$CROPS" --threads "$t" --dtype "$fmt"
          ;;
        *) die "unknown engine in BENCH_IMAGE_RUNS: $run" ;;
      esac
    done
  done
done

echo
"$PY" - "$RESULTS" "$OUT/logs" <<'PY' | tee "$OUT/table.txt"
import json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def logjson(label):
    for line in reversed(open(os.path.join(sys.argv[2], label + ".log")).read().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}
table = {}
for r in rows:
    m = r; key = (m.get("crops"), m.get("threads"), m.get("engine"), m.get("variant"))
    if m.get("engine") == "vlmembed":
        table.setdefault(key, {})[m.get("role")] = r
    else:
        table.setdefault(key, {})["run"] = r
print(f"{'crops':>5} {'threads':>7} {'engine':<9} {'variant':<9} {'s/request':>10} {'vision s':>9} {'peak RSS GB':>11} {'psi':>5}")
res = {}
for (c, t, e, v), d in sorted(table.items(), key=lambda kv: kv[0]):
    run = d.get("run")
    if not run or run.get("rc") != 0:
        print(f"{c:>5} {t:>7} {e:<9} {v:<9} {'failed':>10}"); continue
    vision = ""
    if e == "vlmembed":
        s = run["wall_s"] - d["load"]["wall_s"] if "load" in d else None
    else:
        j = logjson(run["label"])
        if "skipped" in j:
            print(f"{c:>5} {t:>7} {e:<9} {v:<9} {'skipped':>10}  {j['skipped']}"); continue
        s = j.get("request_s"); vision = f"{j.get('vision_s', 0):.1f}"
    res[(c, t, e, v)] = s
    print(f"{c:>5} {t:>7} {e:<9} {v:<9} {s:>10.2f} {vision:>9} {run['maxrss_kb'] / 1048576:>11.2f} {run.get('psi_avg10', 0) or 0:>5.1f}")
print()
for (c, t, e, v), s in sorted(res.items(), key=lambda kv: kv[0]):
    if e != "vlmembed" or not s:
        continue
    for (c2, t2, e2, v2), s2 in sorted(res.items(), key=lambda kv: kv[0]):
        if c2 == c and t2 == t and e2 == "pytorch" and s2:
            print(f"{c} crops, threads {t}: vlmembed {v} is {s2 / s:.2f}x PyTorch {v2} (s/request {s:.2f} vs {s2:.2f})")
PY
exit
}
