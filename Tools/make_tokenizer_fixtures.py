#!/usr/bin/env python3
"""Build the tokenizer test fixtures in Fixtures/tokenizer/.

Sources:
  * llama-cpp-python 0.3.36 sdist (MIT): vendor/llama.cpp/models/ggml-vocab-{phi-3,llama-spm}.gguf
    plus their .inp/.out test vectors (47 strings, ids without BOS, made with HF AutoTokenizer).
  * /work/shared/reference/tokenizer_parity.json (copied as is, if present).

Writes:
  ggml-vocab-phi-3.gguf                    (MIT, ~0.7 MB; the llama-spm GGUF is NOT copied: Llama 2 licence)
  ggml-vocab-{phi-3,llama-spm}.gguf.inp/.out
  ggml-vocab-{phi-3,llama-spm}.json        (tokens, scores, token_type, special ids, add_bos/add_eos,
                                            add_space_prefix) so Swift tests need no GGUF reader
  tokenizer_parity.json

Usage (the tools venv has gguf==0.19.0 and numpy):
  /root/.cache/vlmembed/tools-venv/bin/python Tools/make_tokenizer_fixtures.py \
      [--cache DIR] [--out Fixtures/tokenizer]

The sdist is fetched into --cache (default ~/.cache/vlmembed/sdist) with
  pip download --no-deps --no-binary llama-cpp-python llama-cpp-python==0.3.36
(`--no-binary :all:` would also force cmake/ninja to build from source during metadata
preparation, which takes many minutes; restricting it to the one package avoids that).
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile

VERSION = "0.3.36"
SDIST = f"llama_cpp_python-{VERSION}.tar.gz"
MODELS = f"llama_cpp_python-{VERSION}/vendor/llama.cpp/models/"
EXPECTED_SHA_PREFIX = {
    "ggml-vocab-phi-3.gguf": "967d7190",
    "ggml-vocab-llama-spm.gguf": "16c37245",
}


def fetch_sdist(cache: str) -> str:
    path = os.path.join(cache, SDIST)
    if not os.path.exists(path):
        os.makedirs(cache, exist_ok=True)
        subprocess.check_call([
            sys.executable, "-m", "pip", "download", "--no-deps",
            "--no-binary", "llama-cpp-python", f"llama-cpp-python=={VERSION}", "-d", cache,
        ])
    return path


def field_value(reader, key):
    f = reader.fields.get(key)
    if f is None:
        return None
    if len(f.types) and f.types[0].name == "ARRAY":
        return [f.contents(i) for i in range(len(f.data))]
    return f.contents()


def compact_float(x):
    import numpy as np

    v = float(np.format_float_positional(x, unique=True, trim="-"))
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def dump_vocab(gguf_path: str) -> dict:
    import gguf  # noqa: WPS433 (tools venv only)
    import numpy as np

    r = gguf.GGUFReader(gguf_path)
    tokens = field_value(r, "tokenizer.ggml.tokens")
    scores = field_value(r, "tokenizer.ggml.scores")
    types = field_value(r, "tokenizer.ggml.token_type")
    assert len(tokens) == len(scores) == len(types), "token arrays differ in length"
    out = {
        "model": field_value(r, "tokenizer.ggml.model"),
        "bos_token_id": field_value(r, "tokenizer.ggml.bos_token_id"),
        "eos_token_id": field_value(r, "tokenizer.ggml.eos_token_id"),
        "unknown_token_id": field_value(r, "tokenizer.ggml.unknown_token_id"),
        "padding_token_id": field_value(r, "tokenizer.ggml.padding_token_id"),
        "add_bos_token": field_value(r, "tokenizer.ggml.add_bos_token"),
        "add_eos_token": field_value(r, "tokenizer.ggml.add_eos_token"),
        "add_space_prefix": field_value(r, "tokenizer.ggml.add_space_prefix"),
        "tokens": [str(t) for t in tokens],
        # float32 values written with the shortest repr that round-trips through float32
        # (integral scores, the common case, as plain integers)
        "scores": [compact_float(np.float32(s)) for s in scores],
        "token_type": [int(t) for t in types],
    }
    for k in ("bos_token_id", "eos_token_id", "unknown_token_id", "padding_token_id"):
        if out[k] is not None:
            out[k] = int(out[k])
    for k in ("add_bos_token", "add_eos_token", "add_space_prefix"):
        if out[k] is not None:
            out[k] = bool(out[k])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=os.path.expanduser("~/.cache/vlmembed/sdist"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "Fixtures", "tokenizer"))
    ap.add_argument("--parity", default="/work/shared/reference/tokenizer_parity.json")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(args.cache, "extracted")
    os.makedirs(work, exist_ok=True)

    sdist = fetch_sdist(args.cache)
    with tarfile.open(sdist) as tf:
        for name in EXPECTED_SHA_PREFIX:
            for suffix in ("", ".inp", ".out"):
                member = tf.getmember(MODELS + name + suffix)
                data = tf.extractfile(member).read()
                with open(os.path.join(work, name + suffix), "wb") as f:
                    f.write(data)

    for name, prefix in EXPECTED_SHA_PREFIX.items():
        src = os.path.join(work, name)
        digest = hashlib.sha256(open(src, "rb").read()).hexdigest()
        assert digest.startswith(prefix), f"{name}: sha256 {digest} does not start with {prefix}"
        for suffix in (".inp", ".out"):
            shutil.copyfile(src + suffix, os.path.join(args.out, name + suffix))
        if name == "ggml-vocab-phi-3.gguf":
            shutil.copyfile(src, os.path.join(args.out, name))
        vocab = dump_vocab(src)
        stem = name[: -len(".gguf")]
        with open(os.path.join(args.out, stem + ".json"), "w", encoding="utf-8") as f:
            json.dump(vocab, f, ensure_ascii=False, separators=(",", ":"))
        print(f"{name}: {len(vocab['tokens'])} tokens, sha256 {digest[:16]}…")

    if os.path.exists(args.parity):
        shutil.copyfile(args.parity, os.path.join(args.out, "tokenizer_parity.json"))


if __name__ == "__main__":
    main()
