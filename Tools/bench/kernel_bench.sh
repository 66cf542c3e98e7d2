#!/usr/bin/env bash
# kernel_bench.sh: vlmembed's C kernels (Sources/CKernels) next to OpenBLAS (right core type), one
# thread, interleaved, best of R rounds. Not a test: quote as measured.
#   gemm       the avx2 integer products (int8 with int16 inputs; int4 in groups of 32 with int16
#              inputs and with the int8 inputs the product path uses) vs sgemm on one shape (gemm_bench.c; default 512 3072 9216: Phi-3 qkv_proj at 512 tokens);
#              on AVX-512 CPUs also the avx512 path's int8 and int4-with-int8-inputs products, and
#              with AVX512-VNNI the measured vpdpbusd/vpdpwssd zmm peak and each product's fraction of it (isa_peak.c)
#   attention  the avx2 blocked attention vs sgemm + softmax + sgemm on Phi-3.5-V's attention
#              shapes (attention_bench.c)
# Usage: Tools/bench/kernel_bench.sh [gemm [M K N [ROUNDS]] | attention [ROUNDS]]   (default: both, defaults)
set -euo pipefail
cd "$(dirname "$0")/../.."
CC="${CC:-$(dirname "$(readlink -f "$(command -v swift)")")/clang}"
if [[ -z "${OPENBLAS_CORETYPE:-}" ]] && grep -m1 '^flags' /proc/cpuinfo | grep -qw avx512f; then export OPENBLAS_CORETYPE=SkylakeX; fi
run() {
  local name="$1"; shift
  local out="${TMPDIR:-/tmp}/vlmembed-${name}-bench-bin"
  "$CC" -O2 -ISources/CKernels/include Sources/CKernels/*.c "Tools/bench/${name}_bench.c" Tools/bench/isa_peak.c -o "$out" \
    -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -lm
  echo "== ${name}; cpu pressure: $(head -1 /proc/pressure/cpu)"
  "$out" "$@"
}
case "${1:-all}" in
  gemm) shift; run gemm "$@" ;;
  attention) shift; run attention "$@" ;;
  all) run gemm; run attention ;;
  *) echo "usage: $0 [gemm [M K N [ROUNDS]] | attention [ROUNDS]]" >&2; exit 2 ;;
esac
