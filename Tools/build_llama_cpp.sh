#!/usr/bin/env bash
# build_llama_cpp.sh: build llama.cpp's llama-quantize, llama-embedding and llama-bench from the pinned
# llama-cpp-python 0.3.36 sdist (its vendor/llama.cpp), into a cache outside the repo. Used by the
# comparison benchmarks in Tools/bench/ (convert_bench.sh) and by Tools/bench/synthetic_to_gguf.py checks.
#
# Usage:
#   Tools/build_llama_cpp.sh            # same as "native"
#   Tools/build_llama_cpp.sh native     # GGML_NATIVE=ON: -march=native (whatever this CPU has)
#   Tools/build_llama_cpp.sh avx2       # GGML_NATIVE=OFF, GGML_AVX2/FMA/F16C=ON, no AVX-512/AMX: a
#                                       # portable x86-64 build, comparable across machines
#   Tools/build_llama_cpp.sh all        # both
#
# Output (CACHE = ${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}):
#   $CACHE/llama.cpp-0.3.36/bin/{llama-quantize,llama-embedding,llama-bench}        (native)
#   $CACHE/llama.cpp-0.3.36-avx2/bin/{llama-quantize,llama-embedding,llama-bench}   (avx2)
#   $CACHE/llama.cpp-0.3.36-src/                the extracted sdist (shared by both variants)
#   $CACHE/llama.cpp-0.3.36{,-avx2}/build/       cmake build trees (safe to delete once bin/ exists)
# The binaries are linked statically against libllama/libggml (BUILD_SHARED_LIBS=OFF), so bin/ is
# self-contained. Each variant's bin/BUILD_INFO records the cmake flags and compiler used.
#
# Idempotent: a variant whose bin/ holds all three binaries and a BUILD_INFO matching the current flags
# is skipped. Delete the variant directory to force a rebuild.
#
# Sdist: taken from $CACHE/sdist/ or $CACHE/real/downloads/ (where Tools/fetch_real_data.sh puts it) when
# it has the pinned sha256; otherwise downloaded from PyPI with `pip download --no-deps --no-binary
# llama-cpp-python` (see Tools/fetch_real_data.sh for why not `--no-binary :all:`) and checked.
#
# Compiler: the clang of the Swift toolchain ($(dirname $(readlink -f $(which swift)))/clang), or $CC/$CXX
# when both are set. GCC 12 (Debian 12's default) crashes compiling ggml's x86 AMX/AVX-512 paths.
# Build tool: cmake (installed with apt-get when missing and running as root) and make, -j2 by default
# ($LLAMA_BUILD_JOBS overrides). OpenMP off (the Swift toolchain ships no libomp; ggml then uses its own
# thread pool), OpenSSL/CURL off (no downloads), tests/server off. Takes ~10–15 min per variant on 2 cores.
#
# Machine note: the development machines are AMD EPYC (clang's -march=native resolves to znver3) with
# AVX2+FMA+F16C and no AVX-512/AMX, so both variants use the AVX2 kernel paths there. Even so, measured
# on 2026-11-26, llama-bench pp128 -t 1 on the 7.6 GB phi3 F16 GGUF ran ~2x faster with "native"
# (7.0-10.3 t/s) than with "avx2" (3.5-4.5 t/s; same code, generic x86-64 tuning plus the listed -m
# flags): quote llama.cpp numbers from the native build, and use avx2 only for cross-machine parity.
set -euo pipefail

VERSION=0.3.36
SDIST=llama_cpp_python-$VERSION.tar.gz
SDIST_SHA=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e   # PyPI, computed 2026-11-26
TARGETS=(llama-quantize llama-embedding llama-bench llama-tokenize)

CACHE="${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}"
SRC_ROOT="$CACHE/llama.cpp-$VERSION-src"
SRC="$SRC_ROOT/llama_cpp_python-$VERSION/vendor/llama.cpp"
JOBS="${LLAMA_BUILD_JOBS:-2}"

die() { echo "build_llama_cpp: error: $*" >&2; exit 1; }
say() { echo "build_llama_cpp: $*"; }

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}
has_sha() { [[ -f "$1" ]] && [[ "$(sha256_of "$1")" == "$2" ]]; }

pick_python() {
  if [[ -n "${VLMEMBED_PYTHON:-}" ]]; then PY="$VLMEMBED_PYTHON"
  elif [[ -x "$CACHE/tools-venv/bin/python" ]]; then PY="$CACHE/tools-venv/bin/python"
  else PY="$(command -v python3 || true)"; fi
  [[ -n "$PY" ]] || die "no python3 found (set VLMEMBED_PYTHON)"
  "$PY" -m pip --version >/dev/null 2>&1 || die "$PY has no pip (create the venv: make tools-venv)"
}

# sdist_path: print the path of the pinned sdist, downloading it into $CACHE/sdist when absent.
sdist_path() {
  local c
  for c in "$CACHE/sdist/$SDIST" "$CACHE/real/downloads/$SDIST"; do
    if has_sha "$c" "$SDIST_SHA"; then echo "$c"; return; fi
  done
  pick_python
  mkdir -p "$CACHE/sdist"
  local tmp; tmp="$(mktemp -d "$CACHE/sdist/.pip.XXXXXX")"
  say "downloading $SDIST from PyPI" >&2
  if ! "$PY" -m pip download --no-deps --disable-pip-version-check --no-input -q -d "$tmp" \
      --no-binary llama-cpp-python "llama-cpp-python==$VERSION" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2; rm -rf "$tmp" "$tmp.log"; die "pip download llama-cpp-python==$VERSION failed"
  fi
  [[ -f "$tmp/$SDIST" ]] || { rm -rf "$tmp" "$tmp.log"; die "pip download did not produce $SDIST"; }
  local got; got="$(sha256_of "$tmp/$SDIST")"
  [[ "$got" == "$SDIST_SHA" ]] || { rm -rf "$tmp" "$tmp.log"; die "sha256 mismatch for $SDIST: got $got, pinned $SDIST_SHA"; }
  mv -f "$tmp/$SDIST" "$CACHE/sdist/$SDIST"
  rm -rf "$tmp" "$tmp.log"
  echo "$CACHE/sdist/$SDIST"
}

extract_source() {
  [[ -f "$SRC/CMakeLists.txt" && -f "$SRC_ROOT/.extracted" ]] && return
  local archive; archive="$(sdist_path)"
  rm -rf "$SRC_ROOT"; mkdir -p "$SRC_ROOT"
  say "extracting $archive"
  tar -xzf "$archive" -C "$SRC_ROOT" || die "cannot extract $archive"
  [[ -f "$SRC/CMakeLists.txt" ]] || die "$archive has no vendor/llama.cpp/CMakeLists.txt"
  echo "$SDIST_SHA" >"$SRC_ROOT/.extracted"
}

ensure_cmake() {
  command -v cmake >/dev/null 2>&1 && return
  [[ "$(id -u)" == 0 ]] || die "cmake not found (install it: apt-get install cmake)"
  say "installing cmake with apt-get"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q cmake >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q cmake >/dev/null || die "apt-get install cmake failed"
  fi
}

pick_compiler() {
  if [[ -n "${CC:-}" && -n "${CXX:-}" ]]; then return; fi
  local swift; swift="$(command -v swift || true)"
  [[ -n "$swift" ]] || die "no swift on PATH (its clang is the compiler used here); or set CC and CXX"
  local dir; dir="$(dirname "$(readlink -f "$swift")")"
  [[ -x "$dir/clang" && -x "$dir/clang++" ]] || die "no clang/clang++ beside $swift"
  CC="$dir/clang"; CXX="$dir/clang++"
}

# build_variant NAME CMAKE_FLAGS...: configure and build TARGETS into $CACHE/llama.cpp-$VERSION<suffix>.
build_variant() {
  local name="$1"; shift
  local suffix=""; [[ "$name" == native ]] || suffix="-$name"
  local root="$CACHE/llama.cpp-$VERSION$suffix"
  local flags=(
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_TOOLS=ON
    -DLLAMA_OPENSSL=OFF -DGGML_OPENMP=OFF -DGGML_CCACHE=OFF
    "$@"
  )
  local info="sdist=$SDIST sha256=$SDIST_SHA
cc=$CC ($("$CC" --version | head -1))
flags=${flags[*]}"
  local t missing=0
  for t in "${TARGETS[@]}"; do [[ -x "$root/bin/$t" ]] || missing=1; done
  if [[ $missing == 0 && -f "$root/bin/BUILD_INFO" && "$(cat "$root/bin/BUILD_INFO")" == "$info" ]]; then
    say "$name: up to date in $root/bin"; return
  fi
  say "$name: configuring in $root/build"
  mkdir -p "$root/build"
  CC="$CC" CXX="$CXX" cmake -S "$SRC" -B "$root/build" "${flags[@]}" >"$root/build/configure.log" 2>&1 \
    || { tail -30 "$root/build/configure.log" >&2; die "$name: cmake configure failed (log: $root/build/configure.log)"; }
  say "$name: building ${TARGETS[*]} with -j$JOBS (log: $root/build/build.log)"
  local start=$SECONDS
  cmake --build "$root/build" --config Release -j "$JOBS" --target "${TARGETS[@]}" >"$root/build/build.log" 2>&1 \
    || { tail -30 "$root/build/build.log" >&2; die "$name: build failed (log: $root/build/build.log)"; }
  mkdir -p "$root/bin"
  for t in "${TARGETS[@]}"; do
    [[ -x "$root/build/bin/$t" ]] || die "$name: build produced no $root/build/bin/$t"
    cp -f "$root/build/bin/$t" "$root/bin/$t.tmp" && mv -f "$root/bin/$t.tmp" "$root/bin/$t"
  done
  printf '%s\n' "$info" >"$root/bin/BUILD_INFO"
  say "$name: built in $((SECONDS - start)) s -> $root/bin"
}

main() {
  local what="${1:-native}"
  case "$what" in
    native|avx2|all) ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown variant '$what' (native | avx2 | all)" ;;
  esac
  ensure_cmake
  pick_compiler
  extract_source
  if [[ "$what" == native || "$what" == all ]]; then
    build_variant native -DGGML_NATIVE=ON
  fi
  if [[ "$what" == avx2 || "$what" == all ]]; then
    build_variant avx2 -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
      -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF \
      -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
  fi
}

main "$@"
