#!/usr/bin/env python3
"""Make a Phi-3.5-V-sized synthetic checkpoint: real tensor names and shapes, bf16, sharded.

32-layer Phi-3 decoder (hidden 3072, intermediate 8192, vocab 32064, fused qkv/gate_up), the CLIP
ViT-L/14-336 tower (24 layers, 1024 wide) and the HD projector: ~4.15 B parameters, ~8.3 GB,
written as shards of at most 5 GB with model.safetensors.index.json, config.json (real
Phi-3.5-vision config values, LongRoPE factors included), preprocessor_config.json and the
Phi-3 tokenizer.json copied from Fixtures/models/phi3_v.

Modes:
  --sparse   headers only; tensor data are holes (seconds; for header-only `inspect` timing)
  --random   random bf16 weights of small magnitude, streamed tensor by tensor (never more than one
             tensor in memory)

Usage:  python3 Tools/make_synthetic_checkpoint.py --random [OUT_DIR]
Default OUT_DIR: ${VLMEMBED_CACHE:-~/.cache/vlmembed}/synthetic/phi35v-8g-{sparse,random}
Needs: numpy (pinned in Tools/requirements.txt). Deterministic (seed 0).
"""
import json
import os
import shutil
import struct
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHORT = [1.08, 1.1, 1.1300000000000001, 1.2800000000000002, 1.3100000000000003, 1.4500000000000004, 1.4500000000000004,
         1.9500000000000008, 2.030000000000001, 2.4299999999999926, 2.5699999999999896, 2.9499999999999815, 3.729999999999965,
         3.869999999999962, 4.189999999999955, 4.43999999999995, 4.6399999999999455, 4.979999999999938, 5.159999999999934,
         5.279999999999932, 5.759999999999922, 5.889999999999919, 5.889999999999919, 5.969999999999917, 6.089999999999915,
         6.2799999999999105, 6.7699999999999, 6.8899999999998975, 7.109999999999893, 7.129999999999892, 7.179999999999891,
         7.289999999999889, 7.339999999999888, 7.559999999999883, 7.619999999999882, 7.69999999999988, 7.879999999999876,
         7.879999999999876, 7.879999999999876, 7.939999999999875, 7.949999999999875, 7.979999999999874, 8.19999999999987,
         8.439999999999864, 8.469999999999864, 8.589999999999861, 8.809999999999857, 8.999999999999853]
LONG = [1.0800000429153442, 1.1100000143051147, 1.1399999856948853, 1.340000033378601, 1.5899999141693115, 1.600000023841858,
        1.6200000047683716, 2.620000123977661, 3.2300000190734863, 3.2300000190734863, 4.789999961853027, 7.400000095367432,
        7.700000286102295, 9.09000015258789, 12.199999809265137, 17.670000076293945, 24.46000099182129, 28.57000160217285,
        30.420001983642578, 30.840002059936523, 32.590003967285156, 32.93000411987305, 42.320003509521484, 44.96000289916992,
        50.340003967285156, 50.45000457763672, 57.55000305175781, 57.93000411987305, 58.21000289916992, 60.1400032043457,
        62.61000442504883, 62.62000274658203, 62.71000289916992, 63.1400032043457, 63.1400032043457, 63.77000427246094,
        63.93000411987305, 63.96000289916992, 63.970001220703125, 64.02999877929688, 64.06999969482422, 64.08000183105469,
        64.12000274658203, 64.41000366210938, 64.4800033569336, 64.51000213623047, 64.52999877929688, 64.83999633789062]


def tensors():
    """(name, shape) in checkpoint order."""
    H, I, V, L = 3072, 8192, 32064, 32
    out = [("model.embed_tokens.weight", [V, H])]
    for i in range(L):
        p = f"model.layers.{i}."
        out += [(p + "input_layernorm.weight", [H]), (p + "self_attn.qkv_proj.weight", [3 * H, H]),
                (p + "self_attn.o_proj.weight", [H, H]), (p + "post_attention_layernorm.weight", [H]),
                (p + "mlp.gate_up_proj.weight", [2 * I, H]), (p + "mlp.down_proj.weight", [H, I])]
    out += [("model.norm.weight", [H]), ("lm_head.weight", [V, H])]
    C, CI = 1024, 4096
    v = "model.vision_embed_tokens.img_processor.vision_model."
    out += [(v + "embeddings.class_embedding", [C]), (v + "embeddings.patch_embedding.weight", [C, 3, 14, 14]),
            (v + "embeddings.position_embedding.weight", [577, C]), (v + "pre_layrnorm.weight", [C]), (v + "pre_layrnorm.bias", [C])]
    for l in range(24):
        p = v + f"encoder.layers.{l}."
        out += [(p + "layer_norm1.weight", [C]), (p + "layer_norm1.bias", [C])]
        for m in ["q_proj", "k_proj", "v_proj", "out_proj"]:
            out += [(p + f"self_attn.{m}.weight", [C, C]), (p + f"self_attn.{m}.bias", [C])]
        out += [(p + "layer_norm2.weight", [C]), (p + "layer_norm2.bias", [C]), (p + "mlp.fc1.weight", [CI, C]),
                (p + "mlp.fc1.bias", [CI]), (p + "mlp.fc2.weight", [C, CI]), (p + "mlp.fc2.bias", [C])]
    out += [(v + "post_layernorm.weight", [C]), (v + "post_layernorm.bias", [C])]
    e = "model.vision_embed_tokens."
    out += [(e + "glb_GN", [1, 1, 4 * C]), (e + "sub_GN", [1, 1, 1, 4 * C]), (e + "img_projection.0.weight", [H, 4 * C]),
            (e + "img_projection.0.bias", [H]), (e + "img_projection.2.weight", [H, H]), (e + "img_projection.2.bias", [H])]
    return out


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def shard(items, limit=5_000_000_000):
    shards, cur, size = [], [], 0
    for name, shape in items:
        b = 2 * numel(shape)
        if cur and size + b > limit:
            shards.append(cur)
            cur, size = [], 0
        cur.append((name, shape))
        size += b
    shards.append(cur)
    return shards


def random_bf16(rng, shape, name):
    n = numel(shape)
    if name.endswith("layernorm.weight") or name.endswith("norm.weight") or "layer_norm" in name and name.endswith("weight"):
        return np.full(n, 0x3F80, dtype=np.uint16)  # 1.0
    bits = rng.integers(0, 1 << 16, size=n, dtype=np.uint16)
    # sign and 7 mantissa bits random; exponent 2^-7 .. 2^-6 → |w| in [0.0078, 0.031]
    exp = np.where(bits & 0x0100, 0x3C00, 0x3C80).astype(np.uint16)
    return (bits & 0x807F) | exp


def write_shard(path, items, mode, rng):
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for name, shape in items:
        b = 2 * numel(shape)
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [off, off + b]}
        off += b
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        if mode == "sparse":
            f.truncate(8 + len(hb) + off)
        else:
            for name, shape in items:
                f.write(random_bf16(rng, shape, name).tobytes())
    os.replace(tmp, path)
    return off


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    mode = "sparse" if "--sparse" in sys.argv else "random" if "--random" in sys.argv else None
    if mode is None:
        sys.exit("usage: make_synthetic_checkpoint.py (--sparse | --random) [OUT_DIR]")
    cache = os.environ.get("VLMEMBED_CACHE", os.path.expanduser("~/.cache/vlmembed"))
    out = args[0] if args else os.path.join(cache, "synthetic", f"phi35v-8g-{mode}")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    groups = shard(tensors())
    weight_map, total = {}, 0
    for k, items in enumerate(groups, 1):
        name = f"model-{k:05d}-of-{len(groups):05d}.safetensors"
        total += write_shard(os.path.join(out, name), items, mode, rng)
        for t, _ in items:
            weight_map[t] = name
        print(f"wrote {name} ({len(items)} tensors)", flush=True)
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=1)
    cfg = json.load(open(os.path.join(REPO, "Fixtures/models/phi3_v/config.json")))
    cfg.pop("vision_config", None)
    cfg.update({"hidden_size": 3072, "intermediate_size": 8192, "num_hidden_layers": 32, "num_attention_heads": 32,
                "num_key_value_heads": 32, "max_position_embeddings": 131072, "original_max_position_embeddings": 4096,
                "sliding_window": 262144, "rope_scaling": {"type": "su", "short_factor": SHORT, "long_factor": LONG}})
    cfg["img_processor"]["image_dim_out"] = 1024
    json.dump(cfg, open(os.path.join(out, "config.json"), "w"), indent=1)
    for f in ["preprocessor_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]:
        shutil.copy(os.path.join(REPO, "Fixtures/models/phi3_v", f), out)
    print(f"{out}: {len(groups)} shards, {total / 1e9:.2f} GB of tensor data ({mode})")


if __name__ == "__main__":
    main()
