#!/usr/bin/env python3
"""Make tiny GGUF "twins" of the reference models with llama.cpp's own converters (pinned sdist).

The twins let tests check that our GGUF reader/loader sees llama.cpp's layout of the same weights as the
HF reference checkpoints (spec/architectures.md §E): tensor names, ggml shape order, Q/K permutation of
the llama arch, fused phi3 tensors, F16/Q8_0 storage, KV pairs, tokenizer arrays.

Outputs (Fixtures/gguf_twins/ by default):
  llava_next-text-<type>.gguf   arch `llama`: the Mistral language model of reference/llava_next
  llava_next-mmproj-<mtype>.gguf arch `clip`: its CLIP tower + projector + image_newline (legacy
                                llava_surgery_v2.py + convert_image_encoder_to_gguf.py path)
  phi3_v-text-<type>.gguf       arch `phi3`: the Phi-3 decoder of reference/phi3_v (vision dropped)
  manifest.json                 file -> sha256, bytes, source, converter command line
<type> from --phi3-text-types / --llava-text-types (f32, f16, q8_0), <mtype> from --mmproj-types (f32, f16).
A text twin is dominated by its 32064-row vocab matrices plus ~0.9 MB of tokenizer arrays. By default
lm_head is dropped before conversion (config tie_word_embeddings = true, so llama.cpp reuses token_embd
as its output, and the converted file has no output.weight): embeddings never read it, and it halves
the files. --keep-lm-head keeps it. Measured bytes without lm_head (with it, in parentheses):
  phi3_v f16 5,079,616 (9,183,872), q8_0 3,040,576 (5,220,992); llava f16 3,901,376 (6,979,584);
  mmproj f16 232,096, f32 371,488. llava's q8_0 is mostly F16 (hidden 48 is not a multiple of 32).
The committed set (fits the ~60 MB Fixtures budget as .xz, 8.3 MB): `--xz` with the defaults
(phi3 f16,q8_0; llava f16; mmproj f16). Tests unpack them with `xz -dc`.

What each path needs (every converter runs with this script's Python, i.e. the tools venv, and with
PYTHONPATH = the sdist's gguf-py, so the legacy scripts' plain `import gguf` gets the same gguf-py that
convert_hf_to_gguf.py puts on sys.path itself):
  * llava_next text: llama.cpp's convert_hf_to_gguf.py does not register LlavaNextForConditionalGeneration
    for the text part, so the language model is extracted into a plain HF MistralForCausalLM folder
    (tensors `language_model.model.*` -> `model.*`, `language_model.lm_head.weight` -> `lm_head.weight`;
    config.json = the reference text_config; tokenizer.model/json, added_tokens.json and the tokenizer
    configs copied) and converted with `convert_hf_to_gguf.py --outtype <type>`.
  * llava_next mmproj: convert_hf_to_gguf.py --mmproj has no LLaVA-1.6 class either; the sdist's documented
    path is tools/mtmd/legacy-models/llava_surgery_v2.py -C (writes llava.clip + llava.projector next to a
    copy of the checkpoint), then a "vit" folder (llava.clip as pytorch_model.bin, a CLIPVisionModel
    config.json = reference vision_config + image_grid_pinpoints, mm_patch_merge_type spatial_unpad,
    image_aspect_ratio anyres, vision_feature_layer) and convert_image_encoder_to_gguf.py
    --clip-model-is-vision --llava-projector (image mean/std passed from preprocessor_config.json).
    Only f16/f32 exist for the mmproj (the converter has no quantized output).
  * phi3_v text: convert_hf_to_gguf.py registers Phi3ForCausalLM, not Phi3VForCausalLM, so the decoder is
    extracted into an HF Phi3ForCausalLM folder (architectures/model_type relabelled, vision config keys
    and `model.vision_embed_tokens.*` dropped). Its vocab code needs a SentencePiece tokenizer.model, which
    the reference does not ship (only tokenizer.json): one is rebuilt from llama.cpp's ggml-vocab-phi-3.gguf
    (the Phi-3 SentencePiece pieces/scores/types, ids < 32000; ids 0-2 restored to unk/control) and
    checked piece by piece against the reference tokenizer.json before use.
Each text twin is then loaded by llama.cpp's llama-embedding when Tools/build_llama_cpp.sh has built it
(skipped otherwise), and every F32 twin's token_embd/output are compared with the reference tensors.

Usage: Tools/make_gguf_twins.py [-o DIR] [--phi3-text-types LIST] [--llava-text-types LIST]
                                [--mmproj-types LIST] [--keep-work DIR]      (LIST: comma list, may be empty)
Needs: the llama-cpp-python 0.3.36 sdist (found or downloaded by Tools/build_llama_cpp.sh, which also
extracts it to $CACHE/llama.cpp-0.3.36-src), torch, transformers, safetensors, sentencepiece, numpy
(Tools/requirements.txt). Rerunning should give identical bytes (compare manifest.json sha256).
"""
import argparse
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("VLMEMBED_CACHE", os.path.expanduser("~/.cache/vlmembed"))
VERSION = "0.3.36"
SDIST = f"llama_cpp_python-{VERSION}.tar.gz"
SDIST_SHA = "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
SRC_ROOT = os.path.join(CACHE, f"llama.cpp-{VERSION}-src")
LLAMA = os.path.join(SRC_ROOT, f"llama_cpp_python-{VERSION}", "vendor", "llama.cpp")
LLAMA_BIN = os.environ.get("LLAMA_BIN", os.path.join(CACHE, f"llama.cpp-{VERSION}", "bin"))
REFERENCE = os.environ.get("VLMEMBED_REFERENCE", "/work/shared/reference")
TOKENIZER_FILES = ["tokenizer.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                   "added_tokens.json", "generation_config.json"]


def fail(problem):
    sys.exit(f"make_gguf_twins: {problem}")


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ensure_llama_source():
    """Extract the pinned sdist to SRC_ROOT (the same place Tools/build_llama_cpp.sh uses) if needed."""
    if os.path.exists(os.path.join(LLAMA, "convert_hf_to_gguf.py")):
        return
    for candidate in (os.path.join(CACHE, "sdist", SDIST), os.path.join(CACHE, "real", "downloads", SDIST)):
        if os.path.exists(candidate) and sha256_of(candidate) == SDIST_SHA:
            print(f"extracting {candidate}", flush=True)
            os.makedirs(SRC_ROOT, exist_ok=True)
            with tarfile.open(candidate) as tar:
                tar.extractall(SRC_ROOT, filter="data")
            with open(os.path.join(SRC_ROOT, ".extracted"), "w") as f:
                f.write(SDIST_SHA + "\n")
            return
    fail(f"no {SDIST} with the pinned sha256 in {CACHE}/sdist: run Tools/build_llama_cpp.sh (it downloads it)")


def run(args, cwd=None, log=None):
    """Run a converter; on failure print its output tail and stop."""
    env = dict(os.environ, PYTHONPATH=os.path.join(LLAMA, "gguf-py"))
    env.pop("NO_LOCAL_GGUF", None)
    result = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if log:
        with open(log, "w") as f:
            f.write(result.stdout)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:])
        fail(f"{os.path.basename(args[1])} failed with status {result.returncode}")
    return result.stdout


# ---- HF sub-model extraction ---------------------------------------------------------------------------

def load_reference_tensors(model_dir):
    from safetensors.torch import load_file
    index = json.load(open(os.path.join(model_dir, "model.safetensors.index.json")))
    tensors = {}
    for shard in sorted(set(index["weight_map"].values())):
        tensors.update(load_file(os.path.join(model_dir, shard)))
    return tensors


def save_hf_folder(out_dir, config, tensors, tokenizer_source):
    from safetensors.torch import save_file
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(out_dir, "model.safetensors"),
              metadata={"format": "pt"})
    for name in TOKENIZER_FILES:
        if os.path.exists(os.path.join(tokenizer_source, name)):
            shutil.copy(os.path.join(tokenizer_source, name), out_dir)


def extract_llava_language_model(reference, out_dir, keep_lm_head):
    """HF MistralForCausalLM folder from the llava_next reference's language_model.*."""
    config = json.load(open(os.path.join(reference, "config.json")))
    text = dict(config["text_config"])
    text.update({"architectures": ["MistralForCausalLM"], "model_type": "mistral",
                 "torch_dtype": config.get("torch_dtype", "bfloat16"), "tie_word_embeddings": not keep_lm_head})
    text.setdefault("bos_token_id", 1)
    text.setdefault("eos_token_id", 2)
    tensors = {}
    for name, value in load_reference_tensors(reference).items():
        if name.startswith("language_model.model."):
            tensors["model." + name[len("language_model.model."):]] = value
        elif name == "language_model.lm_head.weight":
            tensors["lm_head.weight"] = value
    if "lm_head.weight" not in tensors or "model.embed_tokens.weight" not in tensors:
        fail(f"{reference}: no language_model.* tensors (expected the transformers 4.52 LlavaNext layout)")
    if not keep_lm_head:
        del tensors["lm_head.weight"]
    save_hf_folder(out_dir, text, tensors, reference)


def extract_phi3_decoder(reference, out_dir, vocab_gguf, keep_lm_head):
    """HF Phi3ForCausalLM folder from the phi3_v reference, plus a rebuilt SentencePiece tokenizer.model."""
    config = json.load(open(os.path.join(reference, "config.json")))
    for key in ("embd_layer", "img_processor", "vision_config", "auto_map"):
        config.pop(key, None)
    config.update({"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "tie_word_embeddings": not keep_lm_head})
    tensors = {k: v for k, v in load_reference_tensors(reference).items()
               if not k.startswith("model.vision_embed_tokens.") and (keep_lm_head or k != "lm_head.weight")}
    save_hf_folder(out_dir, config, tensors, reference)
    write_sentencepiece_model(vocab_gguf, os.path.join(reference, "tokenizer.json"),
                              os.path.join(out_dir, "tokenizer.model"))


# ---- SentencePiece model rebuilt from a llama.cpp vocab GGUF ---------------------------------------------
# Minimal protobuf wire encoding of sentencepiece_model.proto's ModelProto (no protobuf package needed):
# ModelProto{1: repeated SentencePiece{1: piece, 2: score, 3: type}, 2: TrainerSpec, 3: NormalizerSpec}.

def _varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field_bytes(number, payload):
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _field_varint(number, value):
    return _varint(number << 3) + _varint(value)


def _field_float(number, value):
    return _varint(number << 3 | 5) + struct.pack("<f", value)


def write_sentencepiece_model(vocab_gguf, tokenizer_json, out_path):
    """BPE tokenizer.model with byte fallback from the base (non-added) pieces of a phi-3 vocab GGUF."""
    import gguf
    reader = gguf.GGUFReader(vocab_gguf)
    fields = reader.fields
    tokens = [bytes(fields["tokenizer.ggml.tokens"].parts[i]).decode("utf-8") for i in fields["tokenizer.ggml.tokens"].data]
    scores = [float(fields["tokenizer.ggml.scores"].parts[i][0]) for i in fields["tokenizer.ggml.scores"].data]
    types = [int(fields["tokenizer.ggml.token_type"].parts[i][0]) for i in fields["tokenizer.ggml.token_type"].data]
    hf = json.load(open(tokenizer_json))
    base = {piece: i for piece, i in hf["model"]["vocab"].items()}
    n = len(base)
    if n > len(tokens):
        fail(f"{vocab_gguf}: {len(tokens)} tokens, fewer than the {n} base pieces of {tokenizer_json}")
    for piece, i in base.items():
        if tokens[i] != piece:
            fail(f"{vocab_gguf}: token {i} is {tokens[i]!r}, {tokenizer_json} has {piece!r}")
    # The vocab GGUF carries the converter's added-token overrides on ids 0-2; restore SentencePiece's own.
    unk, bos, eos = 0, 1, 2
    pieces = bytearray()
    for i in range(n):
        kind, score = types[i], scores[i]
        if i == unk:
            kind, score = 2, 0.0
        elif i in (bos, eos):
            kind, score = 3, 0.0
        pieces += _field_bytes(1, _field_bytes(1, tokens[i].encode("utf-8")) + _field_float(2, score) + _field_varint(3, kind))
    trainer = _field_varint(3, 2) + _field_varint(4, n) + _field_varint(35, 1)  # BPE, vocab_size, byte_fallback
    trainer += _field_varint(40, unk) + _field_varint(41, bos) + _field_varint(42, eos)
    trainer += _varint(43 << 3) + _varint((1 << 64) - 1)  # pad_id = -1 (int32 as 10-byte varint)
    normalizer = _field_bytes(1, b"identity") + _field_varint(3, 1) + _field_varint(4, 0)
    with open(out_path, "wb") as f:
        f.write(bytes(pieces) + _field_bytes(2, trainer) + _field_bytes(3, normalizer))
    check_sentencepiece_model(out_path, tokenizer_json)


def check_sentencepiece_model(model_path, tokenizer_json):
    """The rebuilt model must tokenize a few strings like the reference tokenizer.json does."""
    import sentencepiece
    from tokenizers import Tokenizer
    sp = sentencepiece.SentencePieceProcessor(model_file=model_path)
    hf = Tokenizer.from_file(tokenizer_json)
    for text in ["Hello world", "Represent the given image with the following question: what is in it?",
                 "naïve café 東京 🙂 \t tabs", "  leading spaces and 1234567 digits"]:
        ours = sp.encode(text)
        theirs = [i for i in hf.encode(text, add_special_tokens=False).ids]
        if ours != theirs:
            fail(f"{model_path}: rebuilt SentencePiece model tokenizes {text!r} as {ours}, tokenizer.json as {theirs}")


# ---- conversions ---------------------------------------------------------------------------------------

def convert_text(hf_dir, out_path, outtype, work):
    run([sys.executable, os.path.join(LLAMA, "convert_hf_to_gguf.py"), hf_dir, "--outtype", outtype,
         "--outfile", out_path], log=os.path.join(work, os.path.basename(out_path) + ".log"))
    return f"convert_hf_to_gguf.py <extracted HF folder> --outtype {outtype}"


def convert_llava_mmproj(reference, work, out_dir, mtypes):
    copy = os.path.join(work, "llava_next_copy")
    shutil.copytree(reference, copy)
    for root, _, files in os.walk(copy):
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    os.chmod(copy, 0o755)
    legacy = os.path.join(LLAMA, "tools", "mtmd", "legacy-models")
    run([sys.executable, os.path.join(legacy, "llava_surgery_v2.py"), "-C", "-m", copy],
        log=os.path.join(work, "llava_surgery_v2.log"))
    vit = os.path.join(work, "vit")
    os.makedirs(vit, exist_ok=True)
    shutil.copy(os.path.join(copy, "llava.clip"), os.path.join(vit, "pytorch_model.bin"))
    shutil.copy(os.path.join(copy, "llava.projector"), vit)
    config = json.load(open(os.path.join(reference, "config.json")))
    vision = dict(config["vision_config"])
    vision.update({"architectures": ["CLIPVisionModel"], "model_type": "clip_vision_model",
                   "image_grid_pinpoints": config["image_grid_pinpoints"], "mm_patch_merge_type": "spatial_unpad",
                   "image_aspect_ratio": "anyres", "vision_feature_layer": config["vision_feature_layer"],
                   "_name_or_path": config.get("_name_or_path", "llava_next")})
    with open(os.path.join(vit, "config.json"), "w") as f:
        json.dump(vision, f, indent=1)
    pre = json.load(open(os.path.join(reference, "preprocessor_config.json")))
    commands = {}
    for mtype in mtypes:
        out = os.path.join(work, f"mmproj-{mtype}")
        args = [sys.executable, os.path.join(legacy, "convert_image_encoder_to_gguf.py"), "-m", vit,
                "--llava-projector", os.path.join(vit, "llava.projector"), "--output-dir", out,
                "--clip-model-is-vision", "--image-mean", *map(str, pre["image_mean"]),
                "--image-std", *map(str, pre["image_std"])]
        if mtype == "f32":
            args.append("--use-f32")
        run(args, log=os.path.join(work, f"mmproj-{mtype}.log"))
        target = os.path.join(out_dir, f"llava_next-mmproj-{mtype}.gguf")
        shutil.move(os.path.join(out, f"mmproj-model-{mtype}.gguf"), target)
        commands[os.path.basename(target)] = ("llava_surgery_v2.py -C; convert_image_encoder_to_gguf.py "
                                              "--clip-model-is-vision --llava-projector" + (" --use-f32" if mtype == "f32" else ""))
    return commands


# ---- checks --------------------------------------------------------------------------------------------

def check_loads_in_llama_cpp(path, work):
    """llama-embedding must load the twin and embed a short prompt (skipped without the built tools)."""
    binary = os.path.join(LLAMA_BIN, "llama-embedding")
    if not os.path.exists(binary):
        return "not checked (no llama-embedding; run Tools/build_llama_cpp.sh)"
    result = subprocess.run([binary, "-m", path, "-p", "Hello world", "-t", "1", "-c", "512", "--pooling", "last",
                             "--embd-output-format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with open(os.path.join(work, os.path.basename(path) + ".llama-embedding.log"), "w") as f:
        f.write(result.stderr + result.stdout)
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-3000:])
        fail(f"{path}: llama-embedding failed with status {result.returncode}")
    vector = json.loads(result.stdout)["data"][0]["embedding"]
    return f"llama-embedding ok ({len(vector)}-dim)"


def check_f32_matches_reference(path, reference_tensors, pairs):
    """Vocab matrices of an F32 twin equal the reference bf16 tensors exactly (no permutation applies)."""
    import gguf
    import numpy as np
    twin = {t.name: t for t in gguf.GGUFReader(path).tensors}
    for hf_name, gguf_name in pairs:
        expected = reference_tensors[hf_name].float().numpy()
        got = np.asarray(twin[gguf_name].data, dtype=np.float32).reshape(expected.shape)
        if not np.array_equal(expected, got):
            fail(f"{path}: {gguf_name} differs from reference {hf_name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--out", default=os.path.join(REPO, "Fixtures", "gguf_twins"))
    parser.add_argument("--phi3-text-types", default="f16,q8_0", help="comma list of f32, f16, q8_0 (may be empty)")
    parser.add_argument("--llava-text-types", default="f16", help="comma list of f32, f16, q8_0 (may be empty)")
    parser.add_argument("--keep-lm-head", action="store_true",
                        help="keep lm_head (output.weight); by default it is dropped (config tie_word_embeddings) to halve the twins")
    parser.add_argument("--xz", action="store_true", help="also write NAME.gguf.xz and remove NAME.gguf (what Fixtures/ commits)")
    parser.add_argument("--mmproj-types", default="f16", help="comma list of f32, f16 (may be empty)")
    parser.add_argument("--keep-work", default=None, help="keep the extracted HF folders and logs here")
    args = parser.parse_args()
    text_types = {"phi3_v": [t for t in args.phi3_text_types.split(",") if t],
                  "llava_next": [t for t in args.llava_text_types.split(",") if t]}
    mmproj_types = [t for t in args.mmproj_types.split(",") if t]
    if not set(sum(text_types.values(), [])) <= {"f32", "f16", "q8_0"} or not set(mmproj_types) <= {"f32", "f16"}:
        fail("--phi3-text-types/--llava-text-types take f32,f16,q8_0 and --mmproj-types f32,f16")
    ensure_llama_source()
    sys.path.insert(0, os.path.join(LLAMA, "gguf-py"))
    vocab_gguf = os.path.join(LLAMA, "models", "ggml-vocab-phi-3.gguf")
    os.makedirs(args.out, exist_ok=True)
    work = args.keep_work or tempfile.mkdtemp(prefix="gguf_twins.")
    os.makedirs(work, exist_ok=True)
    manifest = {}
    try:
        llava_ref = os.path.join(REFERENCE, "llava_next")
        phi3_ref = os.path.join(REFERENCE, "phi3_v")
        keep = args.keep_lm_head
        jobs = [("llava_next", llava_ref, lambda d: extract_llava_language_model(llava_ref, d, keep),
                 [("language_model.model.embed_tokens.weight", "token_embd.weight")]
                 + ([("language_model.lm_head.weight", "output.weight")] if keep else [])),
                ("phi3_v", phi3_ref, lambda d: extract_phi3_decoder(phi3_ref, d, vocab_gguf, keep),
                 [("model.embed_tokens.weight", "token_embd.weight")] + ([("lm_head.weight", "output.weight")] if keep else []))]
        for model, reference, extract, pairs in jobs:
            if not text_types[model]:
                continue
            hf_dir = os.path.join(work, f"{model}_text_hf")
            extract(hf_dir)
            reference_tensors = load_reference_tensors(reference)
            for outtype in text_types[model]:
                target = os.path.join(args.out, f"{model}-text-{outtype}.gguf")
                command = convert_text(hf_dir, target, outtype, work)
                if outtype == "f32":
                    check_f32_matches_reference(target, reference_tensors, pairs)
                manifest[os.path.basename(target)] = {"source": f"reference/{model}", "converter": command,
                                                      "llama_cpp_check": check_loads_in_llama_cpp(target, work)}
                print(f"{target}: {os.path.getsize(target)} bytes; {manifest[os.path.basename(target)]['llama_cpp_check']}", flush=True)
        for name, command in (convert_llava_mmproj(llava_ref, work, args.out, mmproj_types) if mmproj_types else {}).items():
            manifest[name] = {"source": "reference/llava_next", "converter": command}
            print(f"{os.path.join(args.out, name)}: {os.path.getsize(os.path.join(args.out, name))} bytes", flush=True)
    finally:
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    for name, entry in manifest.items():
        path = os.path.join(args.out, name)
        entry.update({"bytes": os.path.getsize(path), "sha256": sha256_of(path)})
        if args.xz:
            import lzma
            with open(path, "rb") as src, lzma.open(path + ".xz", "wb", preset=9 | lzma.PRESET_EXTREME) as dst:
                shutil.copyfileobj(src, dst)
            entry["xz_bytes"] = os.path.getsize(path + ".xz")
            os.remove(path)
    entry_doc = {"generator": "Tools/make_gguf_twins.py", "llama_cpp": f"llama-cpp-python {VERSION} sdist (sha256 {SDIST_SHA})",
                 "files": dict(sorted(manifest.items()))}
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(entry_doc, f, indent=1)
        f.write("\n")
    total = sum(e.get("xz_bytes", e["bytes"]) for e in manifest.values())
    print(f"{args.out}: {len(manifest)} twins, {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
