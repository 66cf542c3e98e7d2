#!/usr/bin/env bash
# convert_bench.sh: wall time and peak RSS of quantizing the Phi-3.5-V-sized synthetic checkpoint,
# llama.cpp's `llama-quantize` next to `vlmembed convert`, measured in one run, interleaved (round 1:
# llama Q4_0, vlmembed int4, [llama Q8_0]; round 2: the same ...) so that both see the same machine load.
# Not a test: numbers depend on the machine and on what else runs; quote them as measured.
#
# Usage: Tools/bench/convert_bench.sh [VLMEMBED_BIN]
#   VLMEMBED_BIN   default .build/release/vlmembed. Its `convert` run is skipped, with a message, when the
#                  binary is missing or has no `convert` subcommand.
# Environment:
#   VLMEMBED_CACHE   cache root (default ~/.cache/vlmembed)
#   BENCH_CKPT       synthetic checkpoint (default $CACHE/synthetic/phi35v-8g-random)
#   BENCH_GGUF       its decoder as F16 GGUF (default $CACHE/gguf/phi35v-8g-random-decoder.f16.gguf;
#                    made with Tools/bench/synthetic_to_gguf.py when missing, ~7.6 GB, a few minutes)
#   LLAMA_BIN        directory of llama-quantize (default $CACHE/llama.cpp-0.3.36/bin; built with
#                    Tools/build_llama_cpp.sh when missing, ~15 min)
#   BENCH_ROUNDS     rounds (default 1)
#   BENCH_THREADS    threads for both llama-quantize and vlmembed convert (default 1)
#   BENCH_Q8         1 (default) also times llama-quantize F16 -> Q8_0; 0 skips it
#   BENCH_DORA       1 (default) also times `vlmembed convert --adapter` with a synthetic DoRA adapter in
#                    VLM2Vec's layout (Tools/bench/make_synthetic_dora.py; r 8 on every decoder qkv/o/
#                    gate_up/down and CLIP q/k/v/out projection, made under $CACHE/synthetic when missing)
#   BENCH_WARM       1 (default) reads each input once before its timed run, so every run starts from a
#                    warm page cache (the inputs are ~8 GB each: on a 24 GB machine a cold read would
#                    dominate and depend on the order); 0 skips that
# Output: one line per run, then a table: per command the best wall seconds, CPU seconds, peak RSS,
# input size and input GB/s (input bytes / wall seconds), and the ratios vlmembed / llama-quantize.
# Inputs: llama-quantize reads the F16 GGUF (decoder only); vlmembed convert reads the bf16 safetensors
# (decoder + vision tower), so GB/s is the fairer comparison than seconds.
# Outputs are written under $CACHE/bench/ and removed afterwards (also on failure or Ctrl-C).
set -euo pipefail
# One compound command, read whole before it runs: editing this file during a run cannot break the run.
{
cd "$(dirname "$0")/../.."
CACHE="${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}"
VLMEMBED="${1:-.build/release/vlmembed}"
CKPT="${BENCH_CKPT:-$CACHE/synthetic/phi35v-8g-random}"
GGUF_F16="${BENCH_GGUF:-$CACHE/gguf/phi35v-8g-random-decoder.f16.gguf}"
LLAMA_BIN="${LLAMA_BIN:-$CACHE/llama.cpp-0.3.36/bin}"
ROUNDS="${BENCH_ROUNDS:-1}"
THREADS="${BENCH_THREADS:-1}"
Q8="${BENCH_Q8:-1}"
WARM="${BENCH_WARM:-1}"
DORA="${BENCH_DORA:-1}"
ADAPTER="$CACHE/synthetic/phi35v-8g-random-dora"
OUT="$CACHE/bench"
PY="${VLMEMBED_PYTHON:-$CACHE/tools-venv/bin/python}"
[[ -x "$PY" ]] || PY=python3

die() { echo "convert_bench: error: $*" >&2; exit 1; }
say() { echo "convert_bench: $*"; }

# ---- prerequisites -----------------------------------------------------------------------------------
[[ -f "$CKPT/model.safetensors.index.json" ]] || die "no synthetic checkpoint at $CKPT (make it: $PY Tools/make_synthetic_checkpoint.py --random)"
if [[ ! -x "$LLAMA_BIN/llama-quantize" ]]; then
  say "no $LLAMA_BIN/llama-quantize: building llama.cpp (Tools/build_llama_cpp.sh native)"
  Tools/build_llama_cpp.sh native
fi
[[ -x "$LLAMA_BIN/llama-quantize" ]] || die "no $LLAMA_BIN/llama-quantize"
if [[ ! -f "$GGUF_F16" ]]; then
  say "no $GGUF_F16: writing it (Tools/bench/synthetic_to_gguf.py)"
  "$PY" Tools/bench/synthetic_to_gguf.py --checkpoint "$CKPT" -o "$GGUF_F16"
fi

if [[ "$DORA" == 1 && ! -f "$ADAPTER/adapter_model.safetensors" ]]; then
  say "no $ADAPTER: writing it (Tools/bench/make_synthetic_dora.py)"
  "$PY" Tools/bench/make_synthetic_dora.py "$CKPT" "$ADAPTER"
fi

USE_TIME=0
if [[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1; then USE_TIME=1
elif [[ "$(id -u)" == 0 ]] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null 2>&1 \
     && /usr/bin/time -v true >/dev/null 2>&1; then USE_TIME=1
else say "no GNU time: peak RSS sampled from /proc/PID/status VmHWM every 0.2 s, CPU seconds not measured"; fi

HAVE_CONVERT=0
if [[ -x "$VLMEMBED" ]]; then
  # An unknown subcommand makes ArgumentParser print the root help with status 0, so look for the
  # convert usage line rather than trusting the exit status.
  if "$VLMEMBED" convert --help 2>&1 | grep -q 'USAGE: vlmembed convert'; then HAVE_CONVERT=1
  else say "skipping vlmembed convert: $VLMEMBED has no 'convert' subcommand"; fi
else
  say "skipping vlmembed convert: no binary at $VLMEMBED (swift build -c release)"
fi

bytes_of() { stat -c %s "$1"; }
CKPT_BYTES=0
for f in "$CKPT"/*.safetensors; do CKPT_BYTES=$((CKPT_BYTES + $(bytes_of "$f"))); done
GGUF_BYTES=$(bytes_of "$GGUF_F16")

mkdir -p "$OUT"
WORK="$(mktemp -d "$OUT/.convert_bench.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

warm() { # warm FILE...: pull the inputs into the page cache
  [[ "$WARM" == 1 ]] || return 0
  cat "$@" >/dev/null
}

# measure LABEL INPUT_BYTES CMD...: run CMD, append "label wall cpu rss_kb input_bytes" to $WORK/results.
measure() {
  local label="$1" in_bytes="$2"; shift 2
  local log="$WORK/$label.log" start end wall cpu="-" rss=0
  start=$(date +%s.%N)
  if [[ $USE_TIME == 1 ]]; then
    /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$log" 2>&1 || { tail -20 "$log" >&2; die "$label failed (see above)"; }
    end=$(date +%s.%N)
    rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$WORK/time.txt")
    cpu=$(awk -F': ' '/User time/{u=$2}/System time/{s=$2}END{printf "%.1f", u+s}' "$WORK/time.txt")
  else
    "$@" >"$log" 2>&1 &
    local pid=$! v
    while kill -0 "$pid" 2>/dev/null; do
      v=$(awk '/VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
      [[ -n "$v" && "$v" -gt "$rss" ]] && rss=$v
      sleep 0.2
    done
    wait "$pid" || { tail -20 "$log" >&2; die "$label failed (see above)"; }
    end=$(date +%s.%N)
  fi
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b - a}')
  echo "$label $wall $cpu $rss $in_bytes" >>"$WORK/results"
  printf '  %-32s %8s s wall  %8s s cpu  %7.2f GB peak RSS\n' "$label" "$wall" "$cpu" "$(awk -v r="$rss" 'BEGIN{print r / 1048576}')"
}

say "llama.cpp: $LLAMA_BIN ($(head -1 "$LLAMA_BIN/BUILD_INFO" 2>/dev/null || echo 'no BUILD_INFO'))"
say "F16 GGUF: $GGUF_F16 ($(awk -v b="$GGUF_BYTES" 'BEGIN{printf "%.2f", b / 1e9}') GB); checkpoint: $CKPT ($(awk -v b="$CKPT_BYTES" 'BEGIN{printf "%.2f", b / 1e9}') GB)"
say "rounds=$ROUNDS llama-quantize threads=$THREADS warm-cache=$WARM"
for ((round = 1; round <= ROUNDS; round++)); do
  say "round $round/$ROUNDS"
  warm "$GGUF_F16"
  measure llama-quantize-Q4_0 "$GGUF_BYTES" "$LLAMA_BIN/llama-quantize" "$GGUF_F16" "$WORK/q4_0.gguf" Q4_0 "$THREADS"
  rm -f "$WORK/q4_0.gguf"
  if [[ $HAVE_CONVERT == 1 ]]; then
    warm "$CKPT"/*.safetensors
    measure vlmembed-convert-int4-g32 "$CKPT_BYTES" "$VLMEMBED" convert "$CKPT" --quant int4 --group-size 32 --threads "$THREADS" -o "$WORK/synthetic-int4.vlmb"
    rm -rf "$WORK/synthetic-int4.vlmb"
    if [[ "$DORA" == 1 ]]; then
      warm "$CKPT"/*.safetensors
      measure vlmembed-convert-int4-g32-dora "$CKPT_BYTES" "$VLMEMBED" convert "$CKPT" --adapter "$ADAPTER" --quant int4 --group-size 32 --threads "$THREADS" -o "$WORK/synthetic-int4-dora.vlmb"
      rm -rf "$WORK/synthetic-int4-dora.vlmb"
    fi
  fi
  if [[ "$Q8" == 1 ]]; then
    warm "$GGUF_F16"
    measure llama-quantize-Q8_0 "$GGUF_BYTES" "$LLAMA_BIN/llama-quantize" "$GGUF_F16" "$WORK/q8_0.gguf" Q8_0 "$THREADS"
    rm -f "$WORK/q8_0.gguf"
  fi
done

echo
awk '
  { if (!($1 in best) || $2 < best[$1]) { best[$1] = $2; cpu[$1] = $3; in_b[$1] = $5 }
    if ($4 > rss[$1]) rss[$1] = $4
    if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
  END {
    printf "%-32s %9s %9s %10s %9s %9s\n", "command (best of rounds)", "wall s", "cpu s", "peak RSS", "input GB", "in GB/s"
    for (i = 1; i <= n; i++) { k = order[i]
      printf "%-32s %9.1f %9s %8.2f GB %9.2f %9.3f\n", k, best[k], cpu[k], rss[k] / 1048576, in_b[k] / 1e9, in_b[k] / 1e9 / best[k] }
    base = "llama-quantize-Q4_0"; first = 1
    split("vlmembed-convert-int4-g32 vlmembed-convert-int4-g32-dora", ours, " ")
    for (i = 1; i <= 2; i++) { v = ours[i]
      if ((v in best) && (base in best)) {
        printf "%sratios %s / %s: wall %.2fx, peak RSS %.2fx, input GB/s %.2fx\n", (first ? "\n" : ""), v, base,
          best[v] / best[base], rss[v] / rss[base], (in_b[v] / best[v]) / (in_b[base] / best[base]); first = 0 } }
  }' "$WORK/results"
exit
}
