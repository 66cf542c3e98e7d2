#!/usr/bin/env python3
"""Reference token ids for a byte-level BPE (GPT-2 style) GGUF vocabulary: SmolLM2-135M-Instruct.

Writes Fixtures/tokenizer/smollm2_gguf_parity.json with, for every string (the 230 of
/work/shared/reference/tokenizer_parity.json plus the hard ones below):
  hf:        transformers 4.52.3 `AutoTokenizer.from_pretrained(dir, gguf_file=name)`:
             ids (add_special_tokens=True), ids_no_special (False), and decoded =
             decode(ids_no_special, clean_up_tokenization_spaces=False)
  llama_cpp: llama.cpp's own llama-tokenize (vocab only, special tokens parsed, escapes off):
             ids (BOS/EOS per the GGUF's add_bos/add_eos) and ids_no_special (--no-bos);
             left out when the binary is absent (build it with
             `make -C ~/.cache/vlmembed/llama.cpp-0.3.36/build llama-tokenize` and copy bin/llama-tokenize)
  llama_cpp_pre: llama-tokenize's ids_no_special for the same vocabulary with tokenizer.ggml.pre
             rewritten to "gpt-2" and to "default" (vocabulary-only copies written with gguf-py),
             to check the other pre-tokenizer chains
and a `disagreements` list of the strings where hf and llama_cpp differ, and `vocabulary_only`:
the sha256 and size of the vocabulary-only GGUF gguf-py writes (general.architecture plus every
tokenizer.* key, exact types, file order, no tensors) for this GGUF and for
Fixtures/tokenizer/ggml-vocab-phi-3.gguf: what GGUFFile.vocabularyOnlyBytes() must reproduce.

Known differences (why llama_cpp is the reference when present): transformers converts a GGUF
whose general.architecture is "llama" with GGUFLlamaConverter, which ignores tokenizer.ggml.pre
(no individual-digit split for "smollm": "a  1" → a|Ġ|Ġ1 instead of a|ĠĠ|1) and
tokenizer.ggml.add_bos_token (with add_special_tokens it prepends tokens[bos_token_id] =
`<|im_start|>` although the key is false). llama.cpp follows both keys, as does SmolLM2's own
tokenizer.json (Digits(individual_digits) + ByteLevel, no BOS).

Usage (the tools venv: transformers 4.52.3, tokenizers 0.21.4, gguf 0.19.0):
  /root/.cache/vlmembed/tools-venv/bin/python Tools/make_gguf_bpe_tokenizer_reference.py \
      [--gguf ~/.cache/vlmembed/real/SmolLM2-135M-Instruct.Q4_1.gguf] \
      [--llama-tokenize ~/.cache/vlmembed/llama.cpp-0.3.36/bin/llama-tokenize] \
      [--strings /work/shared/reference/tokenizer_parity.json] \
      [--out Fixtures/tokenizer/smollm2_gguf_parity.json]
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

from real_data_reference import file_sha256  # Tools/ sibling: one pinned-file hash for all scripts

HOME_CACHE = os.path.expanduser("~/.cache/vlmembed")
PINNED = {"transformers": "4.52.3", "tokenizers": "0.21.4", "gguf": "0.19.0"}

# Hard cases of our own: digits, contractions, whitespace runs, scripts, emoji, accents, specials.
HARD = [
    "1234567890", "a  1", "x1y22z333 4444", "3.14159 -2.5e-10", "١٢٣ ٤٥", "０１２３ ＡＢＣ", "Ⅻ ½ ²³ ①②",
    "I'm you're we've they'll he'd it's don't", "I'M YOU'RE WE'VE", "'s's'ss 'll'", "rock 'n' roll, O'Neil's",
    "it’s curly’s", "a  b   c    d     e", "   leading", "trailing   ", " ", "  ", "\t\ttabs\t", "\n",
    "line1\n\nline2\r\nline3\r", " \n \n ", "\u00a0nbsp\u00a0 x", "\u3000ideographic\u3000space", "thin\u2009space\u200bzero",
    "日本語のテキストです。", "中文分词测试，标点！", "한국어 텍스트", "👍🏽👨‍👩‍👧‍👦 family 🇯🇵", "naïve café résumé Ångström",
    "e\u0301 combining a\u0308", "<|im_start|>system\nYou are helpful<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n",
    "<|endoftext|><|endoftext|>", "x<|im_end|>y <|im_start|> <repo_name>a<file_sep>b", "<|im_start < |im_start|> <|im_start|",
    " hello", "hello ", "\nhello\n", "!!!??? ... -- —", "ĠĠ Ġhello ▁piece <0x41>", "ctrl\u0001\u007f\u0085end",
    "\ufffd\ufeff", "if (x) {\n    return y;\n}\n", "snake_case camelCase kebab-case 0xDEADbeef",
]


def sha256(path):
    return file_sha256(path)


def gguf_summary(path):
    import gguf
    r = gguf.GGUFReader(path)

    def value(key):
        f = r.fields.get(key)
        if f is None:
            return None
        if f.types and f.types[0] == gguf.GGUFValueType.ARRAY:
            return len(f.data)
        return f.contents()

    return {
        "file": os.path.basename(path), "sha256": sha256(path),
        "general.architecture": value("general.architecture"),
        "tokenizer.ggml.model": value("tokenizer.ggml.model"), "tokenizer.ggml.pre": value("tokenizer.ggml.pre"),
        "tokens": value("tokenizer.ggml.tokens"), "merges": value("tokenizer.ggml.merges"),
        "add_bos_token": value("tokenizer.ggml.add_bos_token"), "add_eos_token": value("tokenizer.ggml.add_eos_token"),
    }


def write_vocabulary_only(src, dst, pre=None):
    """gguf-py's vocabulary-only copy of `src` (optionally with tokenizer.ggml.pre replaced)."""
    import gguf
    r = gguf.GGUFReader(src)
    arch = r.fields.get("general.architecture")
    if arch is None:  # gguf-py's writer always starts with general.architecture
        sys.exit(f"{src}: no general.architecture")
    w = gguf.GGUFWriter(dst, arch=arch.contents())
    for key, f in r.fields.items():
        if not key.startswith("tokenizer."):
            continue
        value = pre if (pre is not None and key == "tokenizer.ggml.pre") else f.contents()
        if f.types[0] == gguf.GGUFValueType.ARRAY:
            w.add_key_value(key, value, f.types[0], sub_type=f.types[-1])
        else:
            w.add_key_value(key, value, f.types[0])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def llama_tokenize(binary, gguf_path, text, no_bos, tmp):
    with open(tmp, "wb") as f:
        f.write(text.encode("utf-8"))
    args = [binary, "-m", gguf_path, "-f", tmp, "--no-escape", "--ids", "--log-disable"]
    if no_bos:
        args.append("--no-bos")
    out = subprocess.run(args, capture_output=True, check=True).stdout.decode().strip()
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", default=os.path.join(HOME_CACHE, "real/SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--llama-tokenize", default=os.path.join(HOME_CACHE, "llama.cpp-0.3.36/bin/llama-tokenize"))
    ap.add_argument("--strings", default="/work/shared/reference/tokenizer_parity.json")
    ap.add_argument("--phi3-vocab", default=os.path.join(os.path.dirname(__file__), "../Fixtures/tokenizer/ggml-vocab-phi-3.gguf"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "../Fixtures/tokenizer/smollm2_gguf_parity.json"))
    a = ap.parse_args()

    from importlib.metadata import version
    versions = {k: version(k) for k in PINNED}
    for k in PINNED:
        if versions[k] != PINNED[k]:
            sys.exit(f"{k} {versions[k]} is not the pinned {PINNED[k]}")
    from transformers import AutoTokenizer

    gguf_path = os.path.abspath(a.gguf)
    hf = AutoTokenizer.from_pretrained(os.path.dirname(gguf_path), gguf_file=os.path.basename(gguf_path))
    have_llama = os.access(a.llama_tokenize, os.X_OK)
    if have_llama:
        info = os.path.join(os.path.dirname(a.llama_tokenize), "BUILD_INFO")
        versions["llama.cpp"] = open(info).read().split()[0] if os.path.exists(info) else "llama-tokenize (unknown build)"
    else:
        print(f"note: {a.llama_tokenize} not found, the llama_cpp column is left out", file=sys.stderr)

    texts = [(s["text"], "tokenizer_parity") for s in json.load(open(a.strings))["strings"]]
    texts += [(t, "hard") for t in HARD]
    strings, disagreements = [], []
    with tempfile.TemporaryDirectory() as d:
        tmp = os.path.join(d, "in.txt")
        vocabulary_only = {}
        for src in (gguf_path, os.path.abspath(a.phi3_vocab)):
            dst = os.path.join(d, "vocab.gguf")
            write_vocabulary_only(src, dst)
            vocabulary_only[os.path.basename(src)] = {"sha256": sha256(dst), "bytes": os.path.getsize(dst)}
        variants = {}
        if have_llama:
            for pre in ("gpt-2", "default"):
                variants[pre] = os.path.join(d, f"pre-{pre}.gguf")
                write_vocabulary_only(gguf_path, variants[pre], pre=pre)
        for i, (text, source) in enumerate(texts):
            ids_ns = hf(text, add_special_tokens=False).input_ids
            entry = {"text": text, "source": source, "hf": {
                "ids": hf(text).input_ids, "ids_no_special": ids_ns,
                "decoded": hf.decode(ids_ns, clean_up_tokenization_spaces=False)}}
            if have_llama:
                entry["llama_cpp"] = {"ids": llama_tokenize(a.llama_tokenize, gguf_path, text, False, tmp),
                                      "ids_no_special": llama_tokenize(a.llama_tokenize, gguf_path, text, True, tmp)}
                entry["llama_cpp_pre"] = {pre: llama_tokenize(a.llama_tokenize, path, text, True, tmp)
                                          for pre, path in variants.items()}
                if entry["llama_cpp"]["ids_no_special"] != ids_ns:
                    disagreements.append(i)
            strings.append(entry)

    doc = {
        "note": ("ids of SmolLM2's GGUF vocabulary (gpt2 BPE, pre 'smollm'). hf = transformers AutoTokenizer(gguf_file=...): "
                 "ids with add_special_tokens=True/False, decoded = decode(ids_no_special, clean_up_tokenization_spaces=False). "
                 "llama_cpp = llama-tokenize (special tokens parsed; ids_no_special with --no-bos); llama_cpp_pre = "
                 "the same (--no-bos) with tokenizer.ggml.pre rewritten. vocabulary_only = sha256/size of gguf-py's "
                 "vocabulary-only copy (general.architecture + tokenizer.*). reference names the "
                 "column tests hold the Swift tokenizer to; disagreements lists the string indices where "
                 "hf.ids_no_special != llama_cpp.ids_no_special (transformers ignores tokenizer.ggml.pre and add_bos_token "
                 "for general.architecture 'llama'). Made by Tools/make_gguf_bpe_tokenizer_reference.py."),
        "gguf": gguf_summary(gguf_path), "versions": versions,
        "vocabulary_only": vocabulary_only,
        "reference": "llama_cpp" if have_llama else "hf", "disagreements": disagreements, "strings": strings,
    }
    out = os.path.abspath(a.out)
    head = {k: v for k, v in doc.items() if k != "strings"}
    with open(out, "w", encoding="utf-8") as f:  # one string per line: small and diff-friendly
        f.write(json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "strings": [\n')
        f.write(",\n".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in strings))
        f.write("\n ]\n}\n")
    json.load(open(out, encoding="utf-8"))
    print(f"{out}: {len(strings)} strings, {len(disagreements)} hf/llama.cpp disagreements, "
          f"{os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()
