#!/usr/bin/env python3
"""Write a DoRA adapter for the Phi-3.5-V-sized synthetic checkpoint, laid out as VLM2Vec ships
its adapters (PEFT 0.15 keys, `use_dora`, r 8, alpha 16): lora_A / lora_B / lora_magnitude_vector
for every decoder qkv_proj, o_proj, gate_up_proj and down_proj and every CLIP encoder q/k/v/out_proj
(VLM2Vec's target_modules match both). Random fp32 values (seed 0); it exists to time and measure
`vlmembed convert --adapter` on full-size tensors (Tools/bench/convert_bench.sh), not to be a
meaningful adapter.

Usage:  python3 Tools/bench/make_synthetic_dora.py CHECKPOINT_DIR OUT_DIR
Needs: numpy, safetensors (pinned in Tools/requirements.txt).
"""
import json
import os
import sys

import numpy as np
from safetensors.numpy import save_file


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    ckpt, out = sys.argv[1], sys.argv[2]
    config = json.load(open(os.path.join(ckpt, "config.json")))
    h, ff, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    heads, kv = config["num_attention_heads"], config.get("num_key_value_heads", config["num_attention_heads"])
    qkv = h + 2 * h // heads * kv
    rank, rng = 8, np.random.default_rng(0)
    tensors = {}

    def module(path, rows, columns):
        tensors[f"base_model.model.{path}.lora_A.weight"] = rng.standard_normal((rank, columns), dtype=np.float32) / np.sqrt(columns)
        tensors[f"base_model.model.{path}.lora_B.weight"] = rng.standard_normal((rows, rank), dtype=np.float32) * 0.01
        tensors[f"base_model.model.{path}.lora_magnitude_vector"] = rng.uniform(0.5, 1.5, rows).astype(np.float32)

    for i in range(layers):
        module(f"model.layers.{i}.self_attn.qkv_proj", qkv, h)
        module(f"model.layers.{i}.self_attn.o_proj", h, h)
        module(f"model.layers.{i}.mlp.gate_up_proj", 2 * ff, h)
        module(f"model.layers.{i}.mlp.down_proj", h, ff)
    vision = "model.vision_embed_tokens.img_processor.vision_model.encoder.layers"
    for i in range(24):
        for p in ["q_proj", "k_proj", "v_proj", "out_proj"]:
            module(f"{vision}.{i}.self_attn.{p}", 1024, 1024)
    os.makedirs(out, exist_ok=True)
    save_file(tensors, os.path.join(out, "adapter_model.safetensors"), metadata={"format": "pt"})
    adapter_config = {
        "peft_type": "LORA", "r": rank, "lora_alpha": 16, "use_dora": True, "use_rslora": False,
        "fan_in_fan_out": False, "bias": "none", "lora_dropout": 0.1, "inference_mode": True,
        "target_modules": ["qkv_proj", "o_proj", "gate_up_proj", "down_proj", "q_proj", "k_proj", "v_proj", "out_proj"],
        "base_model_name_or_path": "microsoft/Phi-3.5-vision-instruct", "task_type": None,
        "modules_to_save": None, "layers_to_transform": None, "layers_pattern": None,
        "rank_pattern": {}, "alpha_pattern": {},
    }
    with open(os.path.join(out, "adapter_config.json"), "w") as f:
        json.dump(adapter_config, f, indent=1)
    print(f"wrote {out}: {len(tensors) // 3} modules, rank {rank}")


if __name__ == "__main__":
    main()
