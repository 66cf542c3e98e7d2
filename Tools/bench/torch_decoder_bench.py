#!/usr/bin/env python3
"""Time one warm forward of the Phi-3 decoder of a Phi-3-V checkpoint in PyTorch (prompt processing).

Reference point for Tools/bench/engines_bench.sh. Pinned: torch 2.15.0 and transformers 4.52.3 (the
tools venv); other versions are refused unless --any-version, since the numbers are quoted next to them.

What runs: transformers' Phi3Model (no lm_head: the embedding is a hidden state, as in vlmembed) built
from the text fields of the folder's config.json, with the checkpoint's `model.*` weights except
`model.vision_embed_tokens.*` (the CLIP tower is not used by a text request). The model is built on the
meta device and the weights are assigned as read (safetensors), cast to --dtype, so memory is the weights
once. SDPA attention, use_cache=False, torch.inference_mode(). Input: N token ids drawn uniformly from the
vocabulary with a fixed seed, the first one BOS (the cost of a forward does not depend on the ids).
One warm-up forward of the same length, then one timed forward.

Memory: before loading, MemAvailable (/proc/meminfo) must exceed the decoder's bytes in --dtype plus
--margin-gb; otherwise prints {"skipped": "memory ..."} and exits 0 without loading.

Output: one JSON line on stdout: tokens, threads, dtype, load_s, warmup_s, forward_s, tokens_per_s,
weights_gb, versions.

Usage: torch_decoder_bench.py --checkpoint DIR --tokens N --threads T --dtype bf16|fp32 [--margin-gb G]
"""
import argparse
import json
import math
import os
import sys
import time


def mem_available_gb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1048576
    return 0.0


def decoder_tensors(checkpoint):
    """(shard path, tensor name) of every decoder tensor, from the index."""
    with open(os.path.join(checkpoint, "model.safetensors.index.json")) as f:
        weight_map = json.load(f)["weight_map"]
    names = sorted(n for n in weight_map
                   if n.startswith("model.") and not n.startswith("model.vision_embed_tokens."))
    return [(os.path.join(checkpoint, weight_map[n]), n) for n in names]


def common_arguments(ap):
    """The options every PyTorch bench takes (checkpoint, tokens, threads, dtype, memory margin, seed)."""
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--tokens", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--dtype", choices=["bf16", "fp32"], required=True)
    ap.add_argument("--margin-gb", type=float, default=1.5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--any-version", action="store_true")


def pinned_torch(a, tool):
    """Imports torch, checks the pinned versions (torch 2.15.0, transformers 4.52.3; exits otherwise
    unless --any-version), sets the thread count; returns (torch, versions, torch dtype)."""
    import torch
    import transformers
    versions = {"torch": torch.__version__, "transformers": transformers.__version__}
    if not a.any_version and (not torch.__version__.startswith("2.15.0") or transformers.__version__ != "4.52.3"):
        sys.exit(f"{tool}: pinned torch 2.15.0 + transformers 4.52.3, found {versions} (--any-version to run anyway)")
    torch.set_num_threads(a.threads)
    return torch, versions, {"bf16": torch.bfloat16, "fp32": torch.float32}[a.dtype]


def phi3_text_config(cfg):
    """transformers' Phi3Config (sdpa attention) from a Phi-3-V config.json dict, without its vision keys."""
    from transformers.models.phi3.configuration_phi3 import Phi3Config
    cfg = dict(cfg)
    for key in ("embd_layer", "img_processor", "vision_config", "auto_map", "architectures", "model_type",
                "_name_or_path", "_vlmembed_synthetic", "transformers_version", "torch_dtype"):
        cfg.pop(key, None)
    config = Phi3Config(**cfg)
    config._attn_implementation = "sdpa"
    return config


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(ap)
    a = ap.parse_args()

    torch, versions, dtype = pinned_torch(a, "torch_decoder_bench")
    from safetensors import safe_open
    from transformers.models.phi3.modeling_phi3 import Phi3Model, Phi3RotaryEmbedding

    with open(os.path.join(a.checkpoint, "config.json")) as f:
        config = phi3_text_config(json.load(f))

    by_shard = {}
    for shard, name in decoder_tensors(a.checkpoint):
        by_shard.setdefault(shard, []).append(name)
    elements = 0
    for shard, names in by_shard.items():
        with safe_open(shard, framework="pt") as f:
            elements += sum(math.prod(f.get_slice(n).get_shape()) for n in names)
    weights_gb = elements * (2 if dtype == torch.bfloat16 else 4) / 2**30
    avail = mem_available_gb()
    if avail < weights_gb + a.margin_gb:
        print(json.dumps({"skipped": f"memory (needs {weights_gb:.1f}+{a.margin_gb:.1f} GiB, MemAvailable {avail:.1f} GiB)",
                          "tokens": a.tokens, "threads": a.threads, "dtype": a.dtype, **versions}))
        return

    t0 = time.monotonic()
    with torch.device("meta"):
        model = Phi3Model(config)
    state = {}
    for shard, names in by_shard.items():
        with safe_open(shard, framework="pt") as f:
            for name in names:
                state[name[len("model."):]] = f.get_tensor(name).to(dtype)
    model.load_state_dict(state, strict=True, assign=True)
    del state
    model.rotary_emb = Phi3RotaryEmbedding(config=config)  # non-persistent buffers: rebuild off meta
    meta = [n for n, p in list(model.named_parameters()) + list(model.named_buffers()) if p.is_meta]
    if meta:
        sys.exit(f"torch_decoder_bench: tensors left on meta: {meta[:5]}")
    model.eval()
    load_s = time.monotonic() - t0

    g = torch.Generator().manual_seed(a.seed)
    ids = torch.randint(0, config.vocab_size, (1, a.tokens), generator=g)
    ids[0, 0] = config.bos_token_id
    with torch.inference_mode():
        t0 = time.monotonic()
        model(input_ids=ids, use_cache=False)
        warmup_s = time.monotonic() - t0
        t0 = time.monotonic()
        out = model(input_ids=ids, use_cache=False).last_hidden_state
        forward_s = time.monotonic() - t0
    if not torch.isfinite(out[0, -1].float()).all():
        sys.exit("torch_decoder_bench: last hidden state is not finite")
    print(json.dumps({"tokens": a.tokens, "threads": a.threads, "dtype": a.dtype, "load_s": round(load_s, 3),
                      "warmup_s": round(warmup_s, 3), "forward_s": round(forward_s, 3),
                      "tokens_per_s": round(a.tokens / forward_s, 3), "weights_gb": round(weights_gb, 2), **versions}))


if __name__ == "__main__":
    main()
