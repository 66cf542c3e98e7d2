#!/usr/bin/env python3
"""Writes the fuzz seed corpora (Fuzz/corpus/<target>/) and the tiny model they and the probe use.

Python 3 standard library only. Run from anywhere: `python3 Fuzz/make_seeds.py [--bundles VLMEMBED]`.
Seeds are small valid files (plus a few of the committed corrupt fixtures): copied from Fixtures/,
or generated here — a 1-layer llama model with a 400-token vocabulary cut from the Phi-3-V
fixture tokenizer, as an HF folder (Fuzz/tiny/llama, also used by Tools/probe/probe.sh), as a
GGUF, and (with --bundles PATH_TO_VLMEMBED) converted to int8/int4 .vlmb bundles.
Deterministic: rerunning rewrites the same bytes.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Fixtures")
CORPUS = os.path.join(ROOT, "Fuzz", "corpus")
TINY = os.path.join(ROOT, "Fuzz", "tiny")
VOCAB = 400
MAX_SEED = 64 * 1024


def out(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def copy(target, path, name=None):
    if os.path.getsize(path) <= MAX_SEED:
        with open(path, "rb") as f:
            out(target, name or os.path.basename(path), f.read())


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# ---------------------------------------------------------------- tiny tokenizer (tokenizer.json)

def tiny_tokenizer_json():
    with open(os.path.join(FIX, "models/phi3_v/tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    model = tok["model"]
    vocab = {k: v for k, v in model["vocab"].items() if v < VOCAB}
    merges = []
    for m in model["merges"]:
        a, b = m.split(" ", 1) if isinstance(m, str) else m
        if a in vocab and b in vocab and (a + b) in vocab:
            merges.append(m)
    model["vocab"] = vocab
    model["merges"] = merges
    tok["added_tokens"] = [t for t in tok["added_tokens"] if t["id"] < VOCAB]
    return tok


# ---------------------------------------------------------------- protobuf (tokenizer.model)

def read_varint(b, i):
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if not c & 0x80:
            return r, i


def fields(b):
    i = 0
    while i < len(b):
        key, i = read_varint(b, i)
        n, t = key >> 3, key & 7
        if t == 0:
            v, i = read_varint(b, i)
        elif t == 1:
            v, i = b[i:i + 8], i + 8
        elif t == 5:
            v, i = b[i:i + 4], i + 4
        elif t == 2:
            ln, i = read_varint(b, i)
            v, i = b[i:i + ln], i + ln
        else:
            raise ValueError("wire type %d" % t)
        yield n, t, v


def varint(v):
    o = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        if v:
            o.append(c | 0x80)
        else:
            o.append(c)
            return bytes(o)


def field(n, t, v):
    key = varint(n << 3 | t)
    if t == 0:
        return key + varint(v)
    if t == 2:
        return key + varint(len(v)) + v
    return key + v


def tiny_sentencepiece(src, keep):
    with open(src, "rb") as f:
        b = f.read()
    o = bytearray()
    pieces = 0
    for n, t, v in fields(b):
        if n == 1:
            pieces += 1
            if pieces > keep:
                continue
        o += field(n, t, v)
    return bytes(o)


# ---------------------------------------------------------------- safetensors / GGUF writers

def safetensors(tensors, metadata=None):
    header, data = {}, bytearray()
    if metadata:
        header["__metadata__"] = metadata
    for name, shape, values in tensors:
        raw = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = compact(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + bytes(data)


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf_value(v):
    if isinstance(v, bool):
        return struct.pack("<I", 7) + struct.pack("<?", v)
    if isinstance(v, int):
        return struct.pack("<I", 4) + struct.pack("<I", v)          # UINT32
    if isinstance(v, float):
        return struct.pack("<I", 6) + struct.pack("<f", v)          # FLOAT32
    if isinstance(v, str):
        return struct.pack("<I", 8) + gguf_string(v)
    if isinstance(v, list):
        first = v[0]
        if isinstance(first, str):
            body = b"".join(gguf_string(x) for x in v)
            t = 8
        elif isinstance(first, float):
            body = b"".join(struct.pack("<f", x) for x in v)
            t = 6
        else:
            body = b"".join(struct.pack("<i", x) for x in v)
            t = 5
        return struct.pack("<I", 9) + struct.pack("<IQ", t, len(v)) + body
    raise TypeError(v)


def gguf(kv, tensors, alignment=32):
    """tensors: (name, shape outermost-first, f32 values)."""
    o = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv)))
    for k, v in kv:
        o += gguf_string(k) + gguf_value(v)
    offset, blobs = 0, []
    for name, shape, values in tensors:
        o += gguf_string(name) + struct.pack("<I", len(shape))
        for d in reversed(shape):
            o += struct.pack("<Q", d)
        o += struct.pack("<IQ", 0, offset)                         # F32
        raw = struct.pack("<%df" % len(values), *values)
        raw += b"\0" * (-len(raw) % alignment)
        blobs.append(raw)
        offset += len(raw)
    o += b"\0" * (-len(o) % alignment)
    return bytes(o) + b"".join(blobs)


def values(n, seed):
    x = seed
    r = []
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        r.append(((x >> 8) % 2001 - 1000) / 10000.0)
    return r


# ---------------------------------------------------------------- the tiny llama model

H, I, HEADS = 16, 32, 2


def llama_tensors(hf_names=True):
    t = []
    if hf_names:
        t.append(("model.embed_tokens.weight", [VOCAB, H]))
        p = "model.layers.0."
        t += [(p + "input_layernorm.weight", [H]), (p + "self_attn.q_proj.weight", [H, H]),
              (p + "self_attn.k_proj.weight", [H, H]), (p + "self_attn.v_proj.weight", [H, H]),
              (p + "self_attn.o_proj.weight", [H, H]), (p + "post_attention_layernorm.weight", [H]),
              (p + "mlp.gate_proj.weight", [I, H]), (p + "mlp.up_proj.weight", [I, H]), (p + "mlp.down_proj.weight", [H, I])]
        t.append(("model.norm.weight", [H]))
    else:
        t.append(("token_embd.weight", [VOCAB, H]))
        b = "blk.0."
        t += [(b + "attn_norm.weight", [H]), (b + "attn_q.weight", [H, H]), (b + "attn_k.weight", [H, H]),
              (b + "attn_v.weight", [H, H]), (b + "attn_output.weight", [H, H]), (b + "ffn_norm.weight", [H]),
              (b + "ffn_gate.weight", [I, H]), (b + "ffn_up.weight", [I, H]), (b + "ffn_down.weight", [H, I])]
        t.append(("output_norm.weight", [H]))
    out_ = []
    for k, (name, shape) in enumerate(t):
        n = 1
        for d in shape:
            n *= d
        v = [1.0] * n if name.endswith("norm.weight") else values(n, k + 1)
        out_.append((name, shape, v))
    return out_


LLAMA_CONFIG = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": H, "intermediate_size": I,
    "num_hidden_layers": 1, "num_attention_heads": HEADS, "num_key_value_heads": HEADS, "vocab_size": VOCAB,
    "max_position_embeddings": 128, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu",
    "bos_token_id": 1, "eos_token_id": 2,
}


def write_tiny_model(tok):
    d = os.path.join(TINY, "llama")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        f.write(json.dumps(LLAMA_CONFIG, indent=1) + "\n")
    with open(os.path.join(d, "model.safetensors"), "wb") as f:
        f.write(safetensors(llama_tensors(), {"format": "pt"}))
    with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
        f.write(compact(tok))
    return d


def gguf_vocab_kv(tok):
    vocab = sorted(tok["model"]["vocab"].items(), key=lambda kv: kv[1])
    tokens = [k for k, _ in vocab]
    types = [3 if k in ("<unk>", "<s>", "</s>") else (6 if k.startswith("<0x") else 1) for k in tokens]
    return [("tokenizer.ggml.model", "llama"), ("tokenizer.ggml.tokens", tokens),
            ("tokenizer.ggml.scores", [float(-i) for i in range(len(tokens))]), ("tokenizer.ggml.token_type", types),
            ("tokenizer.ggml.bos_token_id", 1), ("tokenizer.ggml.eos_token_id", 2), ("tokenizer.ggml.unknown_token_id", 0)]


def gguf_bpe_vocab_kv():
    tokens = ["<|endoftext|>"] + [chr(c) for c in range(33, 127)] + ["Ġ", "Ġt", "he", "Ġthe", "in", "Ġa"]
    merges = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a"]
    return [("tokenizer.ggml.model", "gpt2"), ("tokenizer.ggml.pre", "smollm"), ("tokenizer.ggml.tokens", tokens),
            ("tokenizer.ggml.token_type", [3] + [1] * (len(tokens) - 1)), ("tokenizer.ggml.merges", merges),
            ("tokenizer.ggml.bos_token_id", 0), ("tokenizer.ggml.eos_token_id", 0)]


def llama_gguf(tok):
    kv = [("general.architecture", "llama"), ("general.name", "tiny"), ("llama.block_count", 1),
          ("llama.embedding_length", H), ("llama.feed_forward_length", I), ("llama.attention.head_count", HEADS),
          ("llama.attention.head_count_kv", HEADS), ("llama.context_length", 128),
          ("llama.attention.layer_norm_rms_epsilon", 1e-5), ("llama.rope.freq_base", 10000.0)] + gguf_vocab_kv(tok)
    return gguf(kv, llama_tensors(hf_names=False))


# ---------------------------------------------------------------- the corpora

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundles", metavar="VLMEMBED", help="a vlmembed binary: also convert the tiny model to bundles")
    args = ap.parse_args()

    tok = tiny_tokenizer_json()
    model_dir = write_tiny_model(tok)
    tiny_gguf = llama_gguf(tok)
    with open(os.path.join(TINY, "llama.gguf"), "wb") as f:
        f.write(tiny_gguf)

    # safetensors
    for n in ["ok_tiny.safetensors", "ok_edge.safetensors", "st_overlap.safetensors", "st_gap.safetensors",
              "st_shape_overflow.safetensors", "st_nbytes_overflow.safetensors", "st_metadata_not_string.safetensors"]:
        copy("safetensors", os.path.join(FIX, "corrupt", n))
    copy("safetensors", os.path.join(FIX, "adapters/conv1d_fan_in_fan_out/adapter_model.safetensors"), "adapter.safetensors")
    out("safetensors", "tiny_llama.safetensors", safetensors(llama_tensors()[:3], {"format": "pt"}))
    out("safetensors", "dtypes.safetensors", b"")  # replaced below
    hdr = {"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}, "b": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [4, 8]},
           "c": {"dtype": "I64", "shape": [1], "data_offsets": [8, 16]}, "d": {"dtype": "BOOL", "shape": [], "data_offsets": [16, 17]},
           "e": {"dtype": "U8", "shape": [0, 3], "data_offsets": [17, 17]}}
    h = compact(hdr).encode()
    out("safetensors", "dtypes.safetensors", struct.pack("<Q", len(h)) + h + bytes(range(17)))

    # gguf
    for n in ["ok_tiny.gguf", "gguf_ne_overflow.gguf", "gguf_array_count_absurd.gguf", "gguf_misaligned_offset.gguf"]:
        copy("gguf", os.path.join(FIX, "corrupt", n))
    for n in ["metadata.gguf", "dequant_a32.gguf"]:
        copy("gguf", os.path.join(FIX, "gguf", n))
    out("gguf", "tiny_llama.gguf", tiny_gguf) if len(tiny_gguf) <= MAX_SEED else None

    # pickle: data.pkl of the torch fixtures; torch_zip: the small checkpoints
    for n in sorted(os.listdir(os.path.join(FIX, "torch"))):
        p = os.path.join(FIX, "torch", n)
        if not n.endswith(".bin") or os.path.getsize(p) > MAX_SEED:
            continue
        if n.startswith(("state_dict", "hostile_os_system_p2", "legacy", "big_endian", "bad_view", "huge_expand", "zip64", "deflated")):
            copy("torch_zip", p)
        try:
            with zipfile.ZipFile(p) as z:
                for e in z.namelist():
                    if e.endswith("data.pkl"):
                        out("pickle", n.replace(".bin", ".pkl"), z.read(e))
        except zipfile.BadZipFile:
            out("pickle", n.replace(".bin", ".pkl"), open(p, "rb").read())
    for n in ["ok_torch.bin", "zip_truncated.bin", "zip_disallowed_global.bin"]:
        copy("torch_zip", os.path.join(FIX, "corrupt", n))

    # config.json
    copy("config", os.path.join(FIX, "models/phi3_v/config.json"), "phi3_v.json")
    copy("config", os.path.join(FIX, "models/llava_next/config.json"), "llava_next.json")
    out("config", "llama.json", compact(LLAMA_CONFIG))
    phi3 = dict(LLAMA_CONFIG, architectures=["Phi3ForCausalLM"], model_type="phi3", original_max_position_embeddings=64,
                rope_scaling={"type": "longrope", "short_factor": [1.0] * 4, "long_factor": [2.0] * 4})
    out("config", "phi3.json", compact(phi3))

    # preprocessor_config.json
    copy("preprocessor_config", os.path.join(FIX, "models/phi3_v/preprocessor_config.json"), "phi3_v.json")
    copy("preprocessor_config", os.path.join(FIX, "models/llava_next/preprocessor_config.json"), "llava_next.json")
    out("preprocessor_config", "crops1.json", compact({"num_crops": 1, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}))

    # adapter_config.json
    for d in sorted(os.listdir(os.path.join(FIX, "adapters"))):
        p = os.path.join(FIX, "adapters", d, "adapter_config.json")
        if os.path.exists(p):
            copy("adapter_config", p, d + ".json")
    out("adapter_config", "patterns.json", compact({"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": ".*(q|v)_proj",
                                                    "rank_pattern": {"qkv_proj": 4, "layers\\.1\\..*": 2},
                                                    "alpha_pattern": {"down_proj": 3.5}, "use_rslora": True}))

    # tokenizers
    out("tokenizer_json", "tiny_bpe.json", compact(tok))
    bl = {"version": "1.0", "added_tokens": [{"id": 0, "content": "<|endoftext|>", "special": True, "single_word": False,
                                               "lstrip": False, "rstrip": False, "normalized": False}],
          "normalizer": None, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
          "post_processor": None, "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
          "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None, "end_of_word_suffix": None,
                    "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                    "vocab": dict([("<|endoftext|>", 0)] + [(chr(c), i + 1) for i, c in enumerate(range(33, 127))] +
                                  [("Ġ", 95), ("Ġt", 96), ("he", 97), ("Ġthe", 98)]),
                    "merges": ["Ġ t", "h e", "Ġt he"]}}
    out("tokenizer_json", "tiny_bytelevel.json", compact(bl))
    out("tokenizer_model", "tiny_spm.model", tiny_sentencepiece(os.path.join(FIX, "models/llava_next/tokenizer.model"), VOCAB))
    copy("added_tokens", os.path.join(FIX, "models/llava_next/added_tokens.json"))
    out("added_tokens", "two.json", compact({"<image>": 32000, "<pad>": 32001, "<|image_1|>": 32002}))
    out("gguf_vocab", "spm.gguf", gguf(gguf_vocab_kv(tok), []))
    out("gguf_vocab", "bpe.gguf", gguf(gguf_bpe_vocab_kv(), []))
    out("tokenizer_text", "hello.txt", "Hello world")
    out("tokenizer_text", "prompt.txt", "<|user|>\n<|image_1|>\nRepresent the given image.<|end|>\n<|assistant|>\n")
    out("tokenizer_text", "mixed.txt", "  héllo\twörld ✓ 日本語 \U0001F600 <s></s><unk> <image> 0x41 \u00a0\u200b\r\n")

    # requests
    copy("requests", os.path.join(FIX, "demo/requests.jsonl"))
    out("requests", "mixed.jsonl", '{"id":"q1","text":"<|image_1|> Represent the given image.","images":["cat.jpg"]}\n'
                                   '\n{"id":7,"text":"plain"}\n{"text":"no id","images":null}\n')

    # eval rows, catalog, shards
    for n in sorted(os.listdir(os.path.join(FIX, "eval_smoke"))):
        if n.endswith(".jsonl"):  # the first 3 rows: long inputs make the fuzzer slow (String splitting)
            with open(os.path.join(FIX, "eval_smoke", n), "rb") as f:
                out("eval_rows", n, b"".join(f.readlines()[:3]))
    out("eval_rows", "images.jsonl", compact({"qry_text": "<|image_1|> what", "qry_img_path": "a.png", "tgt_text": ["x", "y"],
                                              "tgt_img_path": ["", "a.png"]}) + "\n\n" + compact({"qry_text": "q", "tgt_text": ["z"]}) + "\n")
    copy("eval_catalog", os.path.join(FIX, "eval_smoke/datasets.json"))
    out("eval_catalog", "one.json", compact({"fuzz": {"meta_task": "retrieval", "split": "OOD"}}))
    shard = {"format": "vlmembed-eval-partial", "version": 1, "shard": {"index": 0, "count": 1},
             "model": {"backbone": "phi3_v", "identity": "abc"}, "limit": None,
             "datasets": [{"name": "smoke_cls", "meta_task": "classification", "split": "IND", "file_sha256": "00" * 32,
                           "selected_rows": 3, "lines": [1, 2], "top": [0, 1], "skipped_lines": [3]}]}
    out("eval_shards", "one_of_one.json", compact(shard))
    shard2 = dict(shard, compare_model={"backbone": "phi3_v", "identity": "def"})
    shard2["datasets"] = [dict(shard["datasets"][0], compare_top=[1, 0])]
    out("eval_shards", "compare.json", compact(shard2))

    # images
    for sub in ["png", "jpeg"]:
        for n in sorted(os.listdir(os.path.join(FIX, "images", sub))):
            p = os.path.join(FIX, "images", sub, n)
            if os.path.getsize(p) <= 4096:
                copy("image", p)

    # bundles (need a vlmembed binary)
    if args.bundles:
        for quant in ["int8", "int4"]:
            dst = os.path.join(TINY, "llama_%s.vlmb" % quant)
            subprocess.run([args.bundles, "convert", model_dir, "--quant", quant, "-o", dst], check=True,
                           stdout=subprocess.DEVNULL)
            copy("bundle", dst, "tiny_llama_%s.vlmb" % quant)

    for t in os.listdir(CORPUS):
        os.makedirs(os.path.join(ROOT, "Fuzz", "regressions", t), exist_ok=True)
        keep = os.path.join(ROOT, "Fuzz", "regressions", t, ".gitkeep")
        open(keep, "a").close()


if __name__ == "__main__":
    main()
