#!/usr/bin/env bash
# engines_bench.sh: prompt-processing speed and peak memory of vlmembed, llama.cpp and PyTorch on the same
# Phi-3.5-V-sized decoder (the synthetic checkpoint of Tools/make_synthetic_checkpoint.py --random), on this
# machine, in one run, one table. Not a test: numbers depend on the machine and on what else runs on it
# (each run records /proc/pressure/cpu avg10 just before it); quote them as measured.
#
# Engines and what is timed (the table header repeats this):
#   vlmembed   `vlmembed embed --model BUNDLE --input textN.jsonl --threads T` on the int8 and the int4
#              (group 32) bundle, and as `int4-i8in` on the int4 bundle with VLMEMBED_INT4_INPUTS=int8; a 1-token request (BOS only) is embedded in a separate process just before,
#              and s/request = wall(N) - wall(1), so load cancels (and one 1-token forward is subtracted).
#              Prompts are English text cut to exactly N vlmembed tokens, BOS included (make_bench_prompts.py).
#   llama.cpp  `llama-bench -m GGUF -p N -n 0 -t T -r 1 -o jsonl` (its own prompt-processing timer, after its
#              warm-up; random token ids) on Q8_0, Q4_0 and F16 (F16 only for N <= BENCH_F16_MAX: it is slow)
#              GGUFs of the same decoder (Tools/bench/synthetic_to_gguf.py, then llama-quantize).
#   pytorch    Tools/bench/torch_decoder_bench.py: transformers Phi3Model (decoder only), bf16 and fp32, one
#              warm forward of N random ids after one warm-up; fp32 is skipped when memory is short.
# Runs are interleaved: for each (tokens, threads) cell every engine runs once, one process at a time, in
# the order int8, Q8_0, bf16, int4, int4-i8in, Q4_0, F16, fp32. Before each vlmembed and llama.cpp run its weight file
# is read once (page cache warm). Peak RSS and CPU come from Tools/bench/bench_measure.py.
#
# Usage: Tools/bench/engines_bench.sh [--quick] [VLMEMBED_BIN]
#   --quick        128 tokens, 1 thread, vlmembed int8 + llama.cpp Q8_0 + pytorch bf16 only
#   VLMEMBED_BIN   default .build/release/vlmembed (it is run, never built, by this script)
# Environment:
#   VLMEMBED_CACHE   cache root (default ~/.cache/vlmembed)
#   BENCH_CKPT       synthetic checkpoint (default $CACHE/synthetic/phi35v-8g-random)
#   LLAMA_BIN        llama.cpp binaries (default $CACHE/llama.cpp-0.3.36/bin, the native build)
#   BENCH_LENGTHS    prompt lengths (default "128 512"; --quick: "128")
#   BENCH_THREADS    thread counts (default "1 2"; --quick: "1")
#   BENCH_RUNS       engine:format list per cell (default "vlmembed:int8 llama.cpp:Q8_0 pytorch:bf16
#                    vlmembed:int4 vlmembed:int4-i8in llama.cpp:Q4_0 llama.cpp:F16 pytorch:fp32"; --quick:
#                    the first three)
#   BENCH_F16_MAX    longest prompt for llama.cpp F16 (default 128)
# Missing artifacts are made first (each needs free disk, checked with df): the int8/int4 bundles with
# `vlmembed convert`, the F16 GGUF with synthetic_to_gguf.py, Q8_0/Q4_0 with llama-quantize.
# Output: one line per run, then the table; raw records and logs stay in $CACHE/bench/engines-DATE/.
set -euo pipefail
# One compound command, read whole before it runs: editing this file during a run cannot break the run.
{
cd "$(dirname "$0")/../.."
HERE=Tools/bench
CACHE="${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}"
QUICK=0
if [[ "${1:-}" == "--quick" ]]; then QUICK=1; shift; fi
VLMEMBED="${1:-.build/release/vlmembed}"
CKPT="${BENCH_CKPT:-$CACHE/synthetic/phi35v-8g-random}"
LLAMA_BIN="${LLAMA_BIN:-$CACHE/llama.cpp-0.3.36/bin}"
PY="${VLMEMBED_PYTHON:-$CACHE/tools-venv/bin/python}"
F16_MAX="${BENCH_F16_MAX:-128}"
if [[ $QUICK == 1 ]]; then
  LENGTHS="${BENCH_LENGTHS:-128}"; THREADS="${BENCH_THREADS:-1}"
  RUNS="${BENCH_RUNS:-vlmembed:int8 llama.cpp:Q8_0 pytorch:bf16}"
else
  LENGTHS="${BENCH_LENGTHS:-128 512}"; THREADS="${BENCH_THREADS:-1 2}"
  RUNS="${BENCH_RUNS:-vlmembed:int8 llama.cpp:Q8_0 pytorch:bf16 vlmembed:int4 vlmembed:int4-i8in llama.cpp:Q4_0 llama.cpp:F16 pytorch:fp32}"
fi
BUNDLE_int8="$CACHE/bench/syn-int8.vlmb"
BUNDLE_int4="$CACHE/bench/syn-int4.vlmb"
GGUF_F16="$CACHE/gguf/phi35v-8g-random-decoder.f16.gguf"
GGUF_Q8_0="$CACHE/gguf/phi35v-8g-random-decoder.q8_0.gguf"
GGUF_Q4_0="$CACHE/gguf/phi35v-8g-random-decoder.q4_0.gguf"

die() { echo "engines_bench: error: $*" >&2; exit 1; }
say() { echo "engines_bench: $*"; }
needs() { [[ " $RUNS " == *" $1 "* ]]; }
free_gb() { df -BG --output=avail "$1" | tail -1 | tr -dc 0-9; }
disk_for() { # disk_for DIR GB WHAT: die unless DIR's filesystem has GB + 5 GB free
  local avail; avail=$(free_gb "$1")
  (( avail >= $2 + 5 )) || die "$3 needs ~$2 GB and $1 has ${avail} GB free (keeping a 5 GB margin)"
}

# ---- prerequisites -----------------------------------------------------------------------------------
[[ -x "$PY" ]] || die "no Python at $PY (make tools-venv)"
[[ -x "$VLMEMBED" ]] || die "no vlmembed binary at $VLMEMBED (swift build -c release, or pass its path)"
[[ -f "$CKPT/model.safetensors.index.json" ]] || die "no synthetic checkpoint at $CKPT ($PY Tools/make_synthetic_checkpoint.py --random)"
[[ -x "$LLAMA_BIN/llama-bench" && -x "$LLAMA_BIN/llama-quantize" ]] || die "no llama-bench/llama-quantize in $LLAMA_BIN (Tools/build_llama_cpp.sh native)"
mkdir -p "$CACHE/bench" "$CACHE/gguf"
for q in int8 int4; do
  b="BUNDLE_$q"
  if { needs "vlmembed:$q" || needs "vlmembed:$q-i8in"; } && [[ ! -f "${!b}" ]]; then
    disk_for "$CACHE/bench" $([[ $q == int8 ]] && echo 5 || echo 3) "the $q bundle"
    say "making ${!b} (vlmembed convert --quant $q)"
    extra=(); [[ $q == int4 ]] && extra=(--group-size 32)
    "$VLMEMBED" convert "$CKPT" --quant "$q" "${extra[@]}" -o "${!b}"
  fi
done
if { needs llama.cpp:F16 || needs llama.cpp:Q8_0 || needs llama.cpp:Q4_0; } && [[ ! -f "$GGUF_F16" ]]; then
  disk_for "$CACHE/gguf" 8 "the F16 GGUF"
  say "making $GGUF_F16 (synthetic_to_gguf.py)"
  "$PY" "$HERE/synthetic_to_gguf.py" --checkpoint "$CKPT" -o "$GGUF_F16"
fi
for q in Q8_0 Q4_0; do
  g="GGUF_$q"
  if needs "llama.cpp:$q" && [[ ! -f "${!g}" ]]; then
    disk_for "$CACHE/gguf" $([[ $q == Q8_0 ]] && echo 5 || echo 3) "the $q GGUF"
    say "making ${!g} (llama-quantize $q)"
    "$LLAMA_BIN/llama-quantize" "$GGUF_F16" "${!g}.tmp" "$q" "$(nproc)" >"$CACHE/gguf/.quantize-$q.log" 2>&1 \
      || { tail -5 "$CACHE/gguf/.quantize-$q.log" >&2; rm -f "${!g}.tmp"; die "llama-quantize $q failed"; }
    mv "${!g}.tmp" "${!g}"
  fi
done

OUT="$CACHE/bench/engines-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT/req" "$OUT/logs"
RESULTS="$OUT/results.jsonl"
TOKMODEL="$BUNDLE_int8"; [[ -f "$TOKMODEL" ]] || TOKMODEL="$CKPT"
# shellcheck disable=SC2086
"$PY" "$HERE/make_bench_prompts.py" --vlmembed "$VLMEMBED" --model "$TOKMODEL" --out-dir "$OUT/req" $LENGTHS

say "machine: $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
say "vlmembed: $VLMEMBED ($("$VLMEMBED" --version 2>/dev/null || echo '?')); llama.cpp: $LLAMA_BIN ($(head -1 "$LLAMA_BIN/BUILD_INFO" 2>/dev/null | cut -c1-60))"
say "lengths: $LENGTHS; threads: $THREADS; runs per cell: $RUNS"
say "results and logs: $OUT"

warm() { cat "$1" >/dev/null; }
measure() { # measure LABEL META_JSON CMD...
  local label="$1" meta="$2"; shift 2
  "$PY" "$HERE/bench_measure.py" --label "$label" --results "$RESULTS" --log "$OUT/logs/$label.log" --meta "$meta" -- "$@" \
    || say "$label failed (log: $OUT/logs/$label.log)"
}

for n in $LENGTHS; do
  for t in $THREADS; do
    say "cell: $n tokens, $t thread(s)"
    for run in $RUNS; do
      engine="${run%%:*}"; fmt="${run#*:}"
      meta="{\"engine\": \"$engine\", \"variant\": \"$fmt\", \"tokens\": $n, \"threads\": $t"
      case "$engine" in
        vlmembed)
          # int4-i8in: the int4 bundle with VLMEMBED_INT4_INPUTS=int8 (8-bit inputs, as llama.cpp's Q4_0).
          b="BUNDLE_${fmt%-i8in}"; [[ -f "${!b:-}" ]] || die "no bundle for $fmt"
          inputs=int16; [[ "$fmt" == *-i8in ]] && inputs=int8
          warm "${!b}"
          measure "vlmembed-$fmt-n1-for$n-t$t" "{\"engine\": \"vlmembed\", \"variant\": \"$fmt\", \"tokens\": 1, \"cell_tokens\": $n, \"threads\": $t, \"role\": \"load\"}" \
            env VLMEMBED_INT4_INPUTS=$inputs "$VLMEMBED" embed --model "${!b}" --input "$OUT/req/text1.jsonl" -o "$OUT/logs/out-$fmt-1-$n-$t.jsonl" --threads "$t"
          measure "vlmembed-$fmt-n$n-t$t" "$meta, \"role\": \"run\"}" \
            env VLMEMBED_INT4_INPUTS=$inputs "$VLMEMBED" embed --model "${!b}" --input "$OUT/req/text$n.jsonl" -o "$OUT/logs/out-$fmt-$n-$t.jsonl" --threads "$t"
          ;;
        llama.cpp)
          if [[ "$fmt" == F16 ]] && (( n > F16_MAX )); then continue; fi
          g="GGUF_$fmt"; [[ -f "${!g:-}" ]] || die "no GGUF for $fmt"
          warm "${!g}"
          measure "llama-$fmt-n$n-t$t" "$meta}" "$LLAMA_BIN/llama-bench" -m "${!g}" -p "$n" -n 0 -t "$t" -r 1 -o jsonl
          ;;
        pytorch)
          measure "pytorch-$fmt-n$n-t$t" "$meta}" "$PY" "$HERE/torch_decoder_bench.py" --checkpoint "$CKPT" --tokens "$n" --threads "$t" --dtype "$fmt"
          ;;
        *) die "unknown engine in BENCH_RUNS: $run" ;;
      esac
    done
  done
done

echo
"$PY" "$HERE/engines_table.py" "$RESULTS" | tee "$OUT/table.txt"
exit
}
