#!/usr/bin/env bash
# Hostile-input probe (not part of `make test`; `make probe` runs it): builds the release binary in
# .build-probe, then runs every vlmembed command PROBE_RUNS times over generated hostile inputs
# (Tools/probe/probe.py: truncated, bit-flipped, field-overwritten and JSON-edited safetensors,
# GGUF, PyTorch zip, bundles, configs, tokenizers, adapters, requests, eval data, shards, images,
# and extreme numeric flags), each under `timeout PROBE_TIMEOUT` and `prlimit --as=PROBE_AS`.
# Prints per command: exit codes, signals, timeouts, errors that were not one line, peak RSS.
# Exits 1 when any run got a signal, timed out or printed a multi-line error.
#
#   PROBE_RUNS=5000   PROBE_SEED=1   PROBE_TIMEOUT=20   PROBE_AS=4294967296 (bytes)
#   PROBE_WORK=.build-probe/probe (scratch; kept/ holds every bad case with its command line)
#   PROBE_NO_BUILD=1  use the binary already in .build-probe
set -euo pipefail
cd "$(dirname "$0")/../.."
SWIFT=${SWIFT:-swift}
command -v prlimit >/dev/null || { echo "probe: prlimit (util-linux) is needed"; exit 2; }
if [ "${PROBE_NO_BUILD:-0}" != 1 ]; then
  $SWIFT build -c release --scratch-path .build-probe --product vlmembed 2>&1 | tail -1
fi
BIN=.build-probe/release/vlmembed
[ -f Fuzz/tiny/llama/model.safetensors ] || python3 Fuzz/make_seeds.py
exec python3 Tools/probe/probe.py --vlmembed "$BIN" --runs "${PROBE_RUNS:-5000}" --seed "${PROBE_SEED:-1}" \
  --timeout "${PROBE_TIMEOUT:-20}" --as-bytes "${PROBE_AS:-4294967296}" --work "${PROBE_WORK:-.build-probe/probe}"
