#!/usr/bin/env python3
"""Time one image request of a Phi-3-V checkpoint in PyTorch: CLIP tower on the crops, projection, decoder.

Reference point for Tools/bench/image_bench.sh. Pinned like torch_decoder_bench.py (torch 2.15.0,
transformers 4.52.3). Phi-3-V's own modelling code is not on PyPI (it ships with the checkpoint as
remote code), so the request's compute is assembled from transformers' modules with the checkpoint's
weights, the way upstream runs it:
  - transformers CLIPVisionModel (config.json `vision_config`, weights `model.vision_embed_tokens.
    img_processor.vision_model.*`) on num_crops + 1 images of 336x336 (upstream pads to that many),
    output_hidden_states=True, the second-to-last hidden state without CLS (upstream's layer_idx -2:
    all 24 layers run, as upstream runs them);
  - 2x2 patch merge to 144 tokens x 4096 and the img_projection MLP (Linear, GELU, Linear);
  - transformers Phi3Model over --tokens positions (the request's length from vlmembed's processor:
    text + image tokens) fed as inputs_embeds. The HD glue (separators, reshapes) is omitted: it is
    copies, not arithmetic.
Inputs are random with a fixed seed (the cost does not depend on the values). One short warm-up
(1 crop, 16 positions) then one timed request. Memory: MemAvailable must exceed the weights in --dtype
plus --margin-gb, else {"skipped": ...} and exit 0.

Output: one JSON line: crops, tokens, threads, dtype, load_s, warmup_s, vision_s, decoder_s, request_s,
weights_gb, versions.

Usage: torch_image_bench.py --checkpoint DIR --tokens L --crops C --threads T --dtype fp32|bf16
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_decoder_bench import common_arguments, decoder_tensors, mem_available_gb, phi3_text_config, pinned_torch  # noqa: E402

TOWER = "model.vision_embed_tokens.img_processor.vision_model."
PROJ = "model.vision_embed_tokens.img_projection."


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(ap)
    ap.add_argument("--crops", type=int, required=True)
    a = ap.parse_args()

    torch, versions, dtype = pinned_torch(a, "torch_image_bench")
    from safetensors import safe_open
    from transformers import CLIPVisionConfig, CLIPVisionModel
    from transformers.models.phi3.modeling_phi3 import Phi3Model, Phi3RotaryEmbedding

    with open(os.path.join(a.checkpoint, "config.json")) as f:
        cfg = json.load(f)
    vision_cfg = dict(cfg["vision_config"])
    vision_cfg.pop("model_type", None)
    vision_config = CLIPVisionConfig(**vision_cfg)
    vision_config._attn_implementation = "sdpa"
    config = phi3_text_config(cfg)

    with open(os.path.join(a.checkpoint, "model.safetensors.index.json")) as f:
        weight_map = json.load(f)["weight_map"]
    wanted = {n: os.path.join(a.checkpoint, s) for n, s in weight_map.items() if n.startswith((TOWER, PROJ))}
    for shard, name in decoder_tensors(a.checkpoint):
        wanted[name] = shard
    by_shard = {}
    for name, shard in wanted.items():
        by_shard.setdefault(shard, []).append(name)
    elements = 0
    for shard, names in by_shard.items():
        with safe_open(shard, framework="pt") as f:
            elements += sum(math.prod(f.get_slice(n).get_shape()) for n in names)
    weights_gb = elements * (2 if dtype == torch.bfloat16 else 4) / 2**30
    avail = mem_available_gb()
    if avail < weights_gb + a.margin_gb:
        print(json.dumps({"skipped": f"memory (needs {weights_gb:.1f}+{a.margin_gb:.1f} GiB, MemAvailable {avail:.1f} GiB)",
                          "crops": a.crops, "tokens": a.tokens, "threads": a.threads, "dtype": a.dtype, **versions}))
        return

    t0 = time.monotonic()
    with torch.device("meta"):
        tower = CLIPVisionModel(vision_config)
        decoder = Phi3Model(config)
    proj_in = 4 * vision_config.hidden_size
    projection = torch.nn.Sequential(torch.nn.Linear(proj_in, config.hidden_size), torch.nn.GELU(),
                                     torch.nn.Linear(config.hidden_size, config.hidden_size)).to(dtype)
    tower_state, decoder_state, proj_state = {}, {}, {}
    for shard, names in by_shard.items():
        with safe_open(shard, framework="pt") as f:
            for name in names:
                t = f.get_tensor(name).to(dtype)
                if name.startswith(TOWER):
                    tower_state["vision_model." + name[len(TOWER):]] = t
                elif name.startswith(PROJ):
                    proj_state[name[len(PROJ):]] = t
                else:
                    decoder_state[name[len("model."):]] = t
    tower.load_state_dict(tower_state, strict=True, assign=True)
    decoder.load_state_dict(decoder_state, strict=True, assign=True)
    projection.load_state_dict(proj_state, strict=True)
    del tower_state, decoder_state, proj_state
    decoder.rotary_emb = Phi3RotaryEmbedding(config=config)
    tower.vision_model.embeddings.register_buffer(
        "position_ids", torch.arange(tower.vision_model.embeddings.num_positions).expand((1, -1)), persistent=False)
    left = [n for m in (tower, decoder) for n, p in list(m.named_parameters()) + list(m.named_buffers()) if p.is_meta]
    if left:
        sys.exit(f"torch_image_bench: tensors left on meta: {left[:5]}")
    tower.eval(), decoder.eval(), projection.eval()
    load_s = time.monotonic() - t0

    g = torch.Generator().manual_seed(a.seed)
    side = vision_config.image_size

    def request(images, positions):
        pixels = torch.randn(images, 3, side, side, generator=g).to(dtype)
        t = time.monotonic()
        hidden = tower(pixel_values=pixels, output_hidden_states=True).hidden_states[-2][:, 1:]
        grid = int(math.isqrt(hidden.shape[1]))
        merged = hidden.reshape(images, grid // 2, 2, grid // 2, 2, -1).permute(0, 1, 3, 2, 4, 5) \
            .reshape(images, (grid // 2) ** 2, -1)
        image_tokens = projection(merged)
        vision = time.monotonic() - t
        embeds = torch.randn(1, positions, config.hidden_size, generator=g).to(dtype)
        t = time.monotonic()
        out = decoder(inputs_embeds=embeds, use_cache=False).last_hidden_state
        return vision, time.monotonic() - t, image_tokens, out

    with torch.inference_mode():
        t0 = time.monotonic()
        request(1, 16)
        warmup_s = time.monotonic() - t0
        vision_s, decoder_s, image_tokens, out = request(a.crops + 1, a.tokens)
    if not (torch.isfinite(out[0, -1].float()).all() and torch.isfinite(image_tokens.float()).all()):
        sys.exit("torch_image_bench: outputs are not finite")
    print(json.dumps({"crops": a.crops, "tokens": a.tokens, "threads": a.threads, "dtype": a.dtype,
                      "load_s": round(load_s, 3), "warmup_s": round(warmup_s, 3), "vision_s": round(vision_s, 3),
                      "decoder_s": round(decoder_s, 3), "request_s": round(vision_s + decoder_s, 3),
                      "weights_gb": round(weights_gb, 2), **versions}))


if __name__ == "__main__":
    main()
