#!/usr/bin/env bash
# attention_bench.sh: the avx2 blocked attention next to the generic path's sgemm + softmax + sgemm
# (OpenBLAS, right core type) on Phi-3.5-V's attention shapes, one thread, interleaved
# (attention_bench.c). Not a test: quote as measured.
# Usage: Tools/bench/attention_bench.sh [ROUNDS]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
CC="${CC:-$(dirname "$(readlink -f "$(command -v swift)")")/clang}"
OUT="${TMPDIR:-/tmp}/vlmembed-attention-bench-bin"
if [[ -z "${OPENBLAS_CORETYPE:-}" ]] && grep -m1 '^flags' /proc/cpuinfo | grep -qw avx512f; then export OPENBLAS_CORETYPE=SkylakeX; fi
"$CC" -O2 -ISources/CKernels/include Sources/CKernels/*.c Tools/bench/attention_bench.c -o "$OUT" \
  -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -lm
echo "cpu pressure: $(head -1 /proc/pressure/cpu)"
"$OUT" "$@"
