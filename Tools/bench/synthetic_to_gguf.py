#!/usr/bin/env python3
"""Write the Phi-3 decoder of a Phi-3-V safetensors checkpoint as an F16 GGUF of llama.cpp arch `phi3`.

Made for the Phi-3.5-V-sized synthetic checkpoint of Tools/make_synthetic_checkpoint.py (sharded bf16,
Phi-3-V tensor names), so that llama.cpp's llama-quantize / llama-bench can be timed on the same weights
that `vlmembed convert` reads (Tools/bench/convert_bench.sh). Only the decoder is written: the CLIP tower
and the HD projector (`model.vision_embed_tokens.*`) are dropped, as llama.cpp has no Phi-3-V vision
support (spec/architectures.md §E.1).

Layout (spec/architectures.md §E.2, and llama.cpp's own Phi3MiniModel converter in the pinned sdist):
  model.embed_tokens              -> token_embd.weight            F16
  model.layers.N.input_layernorm  -> blk.N.attn_norm.weight       F32
  ...self_attn.qkv_proj           -> blk.N.attn_qkv.weight        F16 (fused, not permuted)
  ...self_attn.o_proj             -> blk.N.attn_output.weight     F16
  ...post_attention_layernorm     -> blk.N.ffn_norm.weight        F32
  ...mlp.gate_up_proj             -> blk.N.ffn_up.weight          F16 (fused gate|up)
  ...mlp.down_proj                -> blk.N.ffn_down.weight        F16
  model.norm                      -> output_norm.weight           F32
  lm_head                         -> output.weight                F16
  config rope_scaling factors     -> rope_factors_long.weight / rope_factors_short.weight  F32 [head_dim/2]
KV pairs phi3.* come from config.json; tokenizer.ggml.* (and tokenizer.chat_template) are copied from
llama.cpp's ggml-vocab-phi-3.gguf (a vocab-only GGUF shipped in the llama-cpp-python sdist) so that the
llama.cpp tools accept the file. Its token count must equal the checkpoint's vocab rows (32064).

Streaming: every tensor is declared first (GGUFWriter.add_tensor_info), then header, KV and tensor-info
blocks are written, then each tensor's data is converted bf16 -> f16/f32 in chunks of --chunk-mib read
with pread and appended (GGUFWriter.write_tensor_data with a chunked source): never a whole tensor or
the model in memory (measured on the 7.64 GB output: peak RSS 0.36 GB, 2 min wall, 7.64 GB written).
GGUFWriter.add_tensor would keep every array until write_tensors_to_file, and its lazy path needs
gguf's LazyNumpyTensor graphs; the header-first API used here is the simplest streaming form. Output
goes to OUT.tmp, then is renamed.

Usage:
  Tools/bench/synthetic_to_gguf.py [--checkpoint DIR] [--vocab GGUF] [-o OUT] [--chunk-mib N]
Defaults (CACHE = ${VLMEMBED_CACHE:-~/.cache/vlmembed}):
  --checkpoint $CACHE/synthetic/phi35v-8g-random
  --vocab      first present of $CACHE/real/tokenizers/ggml-vocab-phi-3.gguf (Tools/fetch_real_data.sh
               tokenizers), $CACHE/llama.cpp-0.3.36-src/.../models/ggml-vocab-phi-3.gguf
               (Tools/build_llama_cpp.sh), $CACHE/sdist/extracted/ggml-vocab-phi-3.gguf
  -o           $CACHE/gguf/phi35v-8g-random-decoder.f16.gguf   (~7.6 GB)
Needs: numpy, gguf 0.19.0 (Tools/requirements.txt; run with the tools venv python).
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np

import gguf

CACHE = os.environ.get("VLMEMBED_CACHE", os.path.expanduser("~/.cache/vlmembed"))
VOCAB_CANDIDATES = [
    os.path.join(CACHE, "real/tokenizers/ggml-vocab-phi-3.gguf"),
    os.path.join(CACHE, "llama.cpp-0.3.36-src/llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-phi-3.gguf"),
    os.path.join(CACHE, "sdist/extracted/ggml-vocab-phi-3.gguf"),
]
LAYER_NAMES = [  # (HF suffix under model.layers.N., GGUF suffix under blk.N.)
    ("input_layernorm.weight", "attn_norm.weight"),
    ("self_attn.qkv_proj.weight", "attn_qkv.weight"),
    ("self_attn.o_proj.weight", "attn_output.weight"),
    ("post_attention_layernorm.weight", "ffn_norm.weight"),
    ("mlp.gate_up_proj.weight", "ffn_up.weight"),
    ("mlp.down_proj.weight", "ffn_down.weight"),
]


class ConversionError(Exception):
    """One-line error naming the file and the problem."""

    def __init__(self, path, problem):
        super().__init__(f"{path}: {problem}")


class SafetensorsTensor:
    """Location of one tensor inside a safetensors shard (no data read)."""

    def __init__(self, path, name, entry, data_start):
        self.path, self.name = path, name
        self.dtype, self.shape = entry["dtype"], list(entry["shape"])
        begin, end = entry["data_offsets"]
        self.offset, self.nbytes = data_start + begin, end - begin
        self.count = math.prod(self.shape)
        if self.dtype not in ("BF16", "F16", "F32"):
            raise ConversionError(path, f"tensor {name} has dtype {self.dtype}; expected BF16, F16 or F32")
        if self.count * {"BF16": 2, "F16": 2, "F32": 4}[self.dtype] != self.nbytes:
            raise ConversionError(path, f"tensor {name} byte size {self.nbytes} does not match shape {self.shape}")


def read_safetensors_header(path):
    """Map tensor name -> SafetensorsTensor for one shard, reading only the JSON header."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ConversionError(path, "file shorter than the 8-byte safetensors header length")
        (length,) = struct.unpack("<Q", raw)
        if length > 100_000_000:
            raise ConversionError(path, f"safetensors header length {length} is implausible")
        header = json.loads(f.read(length))
    header.pop("__metadata__", None)
    return {name: SafetensorsTensor(path, name, entry, 8 + length) for name, entry in header.items()}


def checkpoint_tensors(directory):
    """Map tensor name -> SafetensorsTensor over a sharded (index.json) or single-file checkpoint."""
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.exists(index):
        shards = sorted(set(json.load(open(index))["weight_map"].values()))
    elif os.path.exists(os.path.join(directory, "model.safetensors")):
        shards = ["model.safetensors"]
    else:
        raise ConversionError(directory, "no model.safetensors.index.json or model.safetensors")
    tensors = {}
    for shard in shards:
        tensors.update(read_safetensors_header(os.path.join(directory, shard)))
    return tensors


class ChunkedConvertedTensor:
    """Tensor data converted to `out_dtype` on the fly; offers the two members GGUFWriter.write_tensor_data uses.

    `nbytes` is the converted size; `tofile(f)` reads the source in chunks with pread, converts and writes.
    """

    def __init__(self, source, out_dtype, chunk_elements):
        self.source, self.out_dtype, self.chunk = source, np.dtype(out_dtype), chunk_elements
        self.nbytes = source.count * self.out_dtype.itemsize

    def _to_float32(self, raw):
        if self.source.dtype == "BF16":
            return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        if self.source.dtype == "F16":
            return np.frombuffer(raw, dtype="<f2").astype(np.float32)
        return np.frombuffer(raw, dtype="<f4")

    def tofile(self, fout):
        width = self.source.nbytes // self.source.count
        fd = os.open(self.source.path, os.O_RDONLY)
        try:
            done = 0
            while done < self.source.count:
                n = min(self.chunk, self.source.count - done)
                raw = os.pread(fd, n * width, self.source.offset + done * width)
                if len(raw) != n * width:
                    raise ConversionError(self.source.path, f"tensor {self.source.name} data is truncated")
                values = self._to_float32(raw)
                if self.out_dtype == np.float16 and not np.all(np.isfinite(values.astype(np.float16))):
                    raise ConversionError(self.source.path, f"tensor {self.source.name} overflows float16")
                fout.write(values.astype(self.out_dtype).tobytes())
                done += n
        finally:
            os.close(fd)


class ArrayTensor:
    """Small in-memory tensor (rope factors) with the same interface."""

    def __init__(self, values):
        self.values = np.asarray(values, dtype=np.float32)
        self.nbytes = self.values.nbytes

    def tofile(self, fout):
        fout.write(self.values.tobytes())


def tensor_plan(config, tensors, checkpoint, chunk_elements):
    """[(gguf name, ggml shape-in-numpy-order, numpy dtype, data source)] in output order."""
    layers = config["num_hidden_layers"]
    mapping = [("model.embed_tokens.weight", "token_embd.weight")]
    for i in range(layers):
        mapping += [(f"model.layers.{i}.{hf}", f"blk.{i}.{gg}") for hf, gg in LAYER_NAMES]
    mapping += [("model.norm.weight", "output_norm.weight"), ("lm_head.weight", "output.weight")]
    plan = []
    for hf, gg in mapping:
        if hf not in tensors:
            raise ConversionError(checkpoint, f"missing tensor {hf}")
        src = tensors[hf]
        out_dtype = np.float16 if len(src.shape) >= 2 else np.float32
        plan.append((gg, src.shape, out_dtype, ChunkedConvertedTensor(src, out_dtype, chunk_elements)))
    scaling = config.get("rope_scaling") or {}
    head_dim = config["hidden_size"] // config["num_attention_heads"]
    if scaling.get("long_factor"):
        for key, name in (("long_factor", "rope_factors_long.weight"), ("short_factor", "rope_factors_short.weight")):
            factors = scaling.get(key) or []
            if len(factors) != head_dim // 2:
                raise ConversionError(checkpoint, f"rope_scaling.{key} has {len(factors)} values; expected {head_dim // 2}")
            plan.append((name, [head_dim // 2], np.float32, ArrayTensor(factors)))
    return plan


def add_phi3_parameters(writer, config, checkpoint):
    """phi3.* KV pairs, as llama.cpp's Phi3MiniModel converter writes them."""
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    max_pos = config["max_position_embeddings"]
    orig = config.get("original_max_position_embeddings", max_pos)
    writer.add_name(os.path.basename(os.path.normpath(checkpoint)) + " (decoder)")
    writer.add_context_length(max_pos)
    writer.add_rope_scaling_orig_ctx_len(orig)
    writer.add_embedding_length(hidden)
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(config.get("num_key_value_heads", heads))
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    writer.add_rope_dimension_count(hidden // heads)
    writer.add_rope_freq_base(config.get("rope_theta", 10000.0))
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    writer.add_sliding_window(config.get("sliding_window") or 0)
    scaling = config.get("rope_scaling") or {}
    kind = (scaling.get("type") or scaling.get("rope_type") or "").lower()
    if scaling.get("long_factor"):
        if kind not in ("su", "longrope"):
            raise ConversionError(checkpoint, f"rope_scaling type '{kind}' is not su/longrope")
        scale = max_pos / orig
        writer.add_rope_scaling_attn_factors(math.sqrt(1 + math.log(scale) / math.log(orig)) if scale > 1 else 1.0)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)


def copy_tokenizer(writer, vocab_path, n_vocab):
    """Copy tokenizer.ggml.* and tokenizer.chat_template from a vocab-only GGUF (strings kept as raw bytes)."""
    reader = gguf.GGUFReader(vocab_path)
    tokens = reader.fields.get("tokenizer.ggml.tokens")
    if tokens is None:
        raise ConversionError(vocab_path, "no tokenizer.ggml.tokens")
    if len(tokens.data) != n_vocab:
        raise ConversionError(vocab_path, f"{len(tokens.data)} tokens but the checkpoint has {n_vocab} embedding rows")
    for key, field in reader.fields.items():
        if not key.startswith("tokenizer."):
            continue
        vtype = field.types[0]
        if vtype == gguf.GGUFValueType.ARRAY:
            sub = field.types[1]
            if sub == gguf.GGUFValueType.STRING:
                value = [bytes(field.parts[i]) for i in field.data]
            else:
                value = [field.parts[i].tolist()[0] for i in field.data]
            writer.add_key_value(key, value, vtype, sub_type=sub)
        elif vtype == gguf.GGUFValueType.STRING:
            writer.add_key_value(key, bytes(field.parts[field.data[0]]), vtype)
        else:
            writer.add_key_value(key, field.parts[field.data[0]].tolist()[0], vtype)


def default_vocab():
    for path in VOCAB_CANDIDATES:
        if os.path.exists(path):
            return path
    sys.exit("synthetic_to_gguf: no ggml-vocab-phi-3.gguf found; run Tools/fetch_real_data.sh tokenizers "
             "or Tools/build_llama_cpp.sh, or pass --vocab")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", default=os.path.join(CACHE, "synthetic/phi35v-8g-random"))
    parser.add_argument("--vocab", default=None)
    parser.add_argument("-o", "--output", default=os.path.join(CACHE, "gguf/phi35v-8g-random-decoder.f16.gguf"))
    parser.add_argument("--chunk-mib", type=int, default=32, help="source bytes converted per step")
    args = parser.parse_args()
    vocab = args.vocab or default_vocab()
    try:
        config = json.load(open(os.path.join(args.checkpoint, "config.json")))
        tensors = checkpoint_tensors(args.checkpoint)
        plan = tensor_plan(config, tensors, args.checkpoint, max(1, args.chunk_mib << 20) // 2)
        n_vocab = tensors["model.embed_tokens.weight"].shape[0]

        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        tmp = args.output + ".tmp"
        writer = gguf.GGUFWriter(tmp, "phi3")
        add_phi3_parameters(writer, config, args.checkpoint)
        copy_tokenizer(writer, vocab, n_vocab)
        for name, shape, dtype, source in plan:
            writer.add_tensor_info(name, shape, np.dtype(dtype), source.nbytes)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        start, written = time.time(), 0
        for k, (name, _, _, source) in enumerate(plan, 1):
            writer.write_tensor_data(source)
            written += source.nbytes
            if k % 24 == 0 or k == len(plan):
                print(f"  {k}/{len(plan)} tensors, {written / 1e9:.2f} GB, {time.time() - start:.0f} s", flush=True)
        writer.close()
        os.replace(tmp, args.output)
    except ConversionError as error:
        sys.exit(f"synthetic_to_gguf: {error}")
    print(f"{args.output}: {len(plan)} tensors, {os.path.getsize(args.output) / 1e9:.2f} GB (phi3, F16)")


if __name__ == "__main__":
    main()
