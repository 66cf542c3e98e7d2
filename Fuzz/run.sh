#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer harness (ASan + libFuzzer, -O) and fuzzes every target in
# turn — one fuzzer process at a time — for FUZZ_SECONDS each, starting from the committed seed
# corpus (Fuzz/corpus/<target>/) and the committed regressions (Fuzz/regressions/<target>/).
# Crashing, hanging (-timeout) and memory-blowing (-rss_limit_mb, which also caps single mallocs)
# inputs are deduplicated by their top stack frames, minimised (-minimize_crash=1) when that
# works, and copied to Fuzz/regressions/<target>/, which `make test` replays.
#
#   FUZZ_SECONDS=600       seconds per target
#   FUZZ_TARGETS="a b"     targets to run (default: every folder of Fuzz/corpus)
#   FUZZ_RSS_MB=2048       -rss_limit_mb (and the malloc limit)
#   FUZZ_TIMEOUT=10        -timeout, seconds per input
#   FUZZ_WORK=.build-fuzz/work   growing corpora, raw artifacts and logs (not committed)
#   FUZZ_NO_BUILD=1        use the harness already built
#   FUZZ_CONFIG=release    build configuration of the harness: release (-O, bounds and overflow checks
#                          kept; up to ~70x the executions of debug on the numeric targets) or debug
#   FUZZ_MINIMIZE_SECONDS=60     time for minimising each distinct crash
#   FUZZ_BIN=path          another harness binary (testing this script)
#
# Prints one line per target: seconds, executions, coverage (edges) and features, corpus size,
# and crashes/timeouts/OOMs. Exits 1 when any target found one.
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-600}
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
FUZZ_WORK=${FUZZ_WORK:-.build-fuzz/work}
FUZZ_MINIMIZE_SECONDS=${FUZZ_MINIMIZE_SECONDS:-60}
SWIFT=${SWIFT:-swift}
FUZZ_CONFIG=${FUZZ_CONFIG:-release}
BIN=${FUZZ_BIN:-.build-fuzz/$FUZZ_CONFIG/vlmembed-fuzz}
TARGETS=${FUZZ_TARGETS:-$(ls Fuzz/corpus)}

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
  echo "== building the fuzz harness (.build-fuzz, -c $FUZZ_CONFIG, -sanitize=fuzzer,address)"
  VLMEMBED_FUZZ=1 $SWIFT build -c "$FUZZ_CONFIG" --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DVLMEMBED_LIBFUZZER --product vlmembed-fuzz 2>&1 \
    | grep -v "ld.gold: warning: Cannot export local symbol" | tail -3
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "fuzz harness build failed"; exit 2; }
fi
[ -x "$BIN" ] || { echo "no harness at $BIN"; exit 2; }

# Swift's own crash reporter would catch the trap before libFuzzer (and trips ASan); leaks of
# runtime caches are not bugs.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}
mkdir -p "$FUZZ_WORK"
found_any=0
summary=()

# The top frames of a crash in project code (outside the runtime, sanitizers and libFuzzer): its signature.
signature() {
  grep -E '^ *#[0-9]+ ' "$1" | grep -vE 'libclang_rt|compiler-rt|libswiftCore|libswift_|SwiftOnoneSupport|libc\.so|fuzzer::|__sanitizer|__asan|_assertionFailure|_fatalErrorMessage|LLVMFuzzer|fuzzOne|/Fuzz/(Harness|Entries)/' \
    | head -3 | sed -E 's/^ *#[0-9]+ 0x[0-9a-f]+ in //; s/ \(.*//; s/:[0-9]+:[0-9]+$//' | tr '\n' '|'
}

for t in $TARGETS; do
  [ -d "Fuzz/corpus/$t" ] || { echo "no seed corpus Fuzz/corpus/$t"; exit 2; }
  work="$FUZZ_WORK/$t"; mkdir -p "$work/corpus" "$work/artifacts" "Fuzz/regressions/$t"
  log="$work/fuzz.log"
  echo "== $t: fuzzing ${FUZZ_SECONDS}s (log $log)"
  start=$(date +%s)
  FUZZ_TARGET=$t "$BIN" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -rss_limit_mb="$FUZZ_RSS_MB" -timeout="$FUZZ_TIMEOUT" -max_total_time="$FUZZ_SECONDS" -detect_leaks=0 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" "Fuzz/corpus/$t" "Fuzz/regressions/$t" > "$log" 2>&1
  took=$(( $(date +%s) - start ))
  last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)
  execs=$(sed -nE 's/^#([0-9]+): .*/\1/p' <<< "$last")
  cov=$(sed -nE 's/.* cov: ([0-9]+) .*/\1/p' <<< "$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+) .*/\1/p' <<< "$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+) .*/\1/p' <<< "$last")
  bad=$(sed -nE 's/.*oom\/timeout\/crash: ([0-9]+\/[0-9]+\/[0-9]+).*/\1/p' <<< "$last")

  # Deduplicate the artifacts by signature, minimise one per signature, commit it as a regression.
  declare -A seen=()
  new=0
  for a in "$work"/artifacts/crash-* "$work"/artifacts/timeout-* "$work"/artifacts/oom-* "$work"/artifacts/leak-*; do
    [ -f "$a" ] || continue
    case "$a" in *.replay) continue ;; esac
    kind=$(basename "$a" | cut -d- -f1)
    replay="$a.replay"
    [ "$replay" -nt "$BIN" ] || FUZZ_TARGET=$t timeout $((FUZZ_TIMEOUT * 3)) "$BIN" -rss_limit_mb="$FUZZ_RSS_MB" -timeout="$FUZZ_TIMEOUT" \
      -detect_leaks=0 "$a" > "$replay" 2>&1
    if ! grep -qE 'ERROR: |ALARM: |out-of-memory|deadly signal' "$replay"; then
      # A timeout or OOM that a lone rerun does not reproduce (machine load): reported, not committed.
      echo "   $kind $(basename "$a") did not reproduce alone ($(grep -o 'Executed .* in [0-9]* ms' "$replay" | sed 's/.* in //')); not committed"
      continue
    fi
    sig="$kind:$(signature "$replay")"
    [ -n "${seen[$sig]:-}" ] && continue
    seen[$sig]=1
    id=$(printf '%s' "$sig" | sha1sum | cut -c1-10)
    dest="Fuzz/regressions/$t/$kind-$id"
    [ -f "$dest" ] && continue
    new=$((new + 1))
    small="$work/minimized-$kind-$id"
    if [ "$kind" = crash ] || [ "$kind" = oom ] || [ "$kind" = timeout ]; then
      FUZZ_TARGET=$t timeout $((FUZZ_MINIMIZE_SECONDS + 30)) "$BIN" -minimize_crash=1 -max_total_time="$FUZZ_MINIMIZE_SECONDS" \
        -rss_limit_mb="$FUZZ_RSS_MB" -timeout="$FUZZ_TIMEOUT" -detect_leaks=0 -exact_artifact_path="$small" "$a" > "$work/minimize-$id.log" 2>&1
    fi
    if [ -s "$small" ] && [ "$(stat -c%s "$small")" -lt "$(stat -c%s "$a")" ]; then cp "$small" "$dest"; else cp "$a" "$dest"; fi
    echo "   $kind -> $dest  ($(stat -c%s "$dest") bytes) top frames: ${sig#*:}"
  done
  unset seen
  [ "${bad:-0/0/0}" = "0/0/0" ] && [ "$new" = 0 ] || found_any=1
  line=$(printf '%-20s %5ss  execs %-9s cov %-6s ft %-7s corpus %-6s oom/timeout/crash %-9s new regressions %s' \
    "$t" "$took" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${bad:-0/0/0}" "$new")
  echo "   $line"
  summary+=("$line")
done

echo "== fuzz summary (FUZZ_SECONDS=$FUZZ_SECONDS, -rss_limit_mb=$FUZZ_RSS_MB, -timeout=$FUZZ_TIMEOUT)"
printf '%s\n' "${summary[@]}"
exit $found_any
