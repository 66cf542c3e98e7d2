#!/usr/bin/env bash
# gemm_bench.sh: the avx2 int16 integer product next to OpenBLAS sgemm (right core type) on one
# shape, one thread, interleaved (gemm_bench.c). Not a test: quote as measured.
# Usage: Tools/bench/gemm_bench.sh [M K N [ROUNDS]]   (default 512 3072 9216 5: Phi-3 qkv_proj at 512 tokens)
set -euo pipefail
cd "$(dirname "$0")/../.."
CC="${CC:-$(dirname "$(readlink -f "$(command -v swift)")")/clang}"
OUT="${TMPDIR:-/tmp}/vlmembed-gemm-bench"
if [[ -z "${OPENBLAS_CORETYPE:-}" ]] && grep -m1 '^flags' /proc/cpuinfo | grep -qw avx512f; then export OPENBLAS_CORETYPE=SkylakeX; fi
"$CC" -O2 -ISources/CKernels/include Sources/CKernels/*.c Tools/bench/gemm_bench.c -o "$OUT" \
  -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -lm
echo "cpu pressure: $(head -1 /proc/pressure/cpu)"
"$OUT" "$@"
