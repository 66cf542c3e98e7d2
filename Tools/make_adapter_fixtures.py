#!/usr/bin/env python3
"""Make PEFT adapter fixtures on the tiny models, and PEFT's own merge_and_unload results.

PEFT injects adapters by module name, so each backbone is rebuilt as a plain torch skeleton whose
named_modules() paths and nn.Linear shapes equal the checkpoint's tensor names (Fixtures/models/*).
Adapters get deterministic non-zero lora_A/lora_B (and DoRA magnitudes), are saved with
save_pretrained, merged with merge_and_unload() in fp32, and the merged weights of every touched
module are written as merged.safetensors (fp32, checkpoint names) beside the adapter.

Pinned: torch==2.15.0, peft==0.15.2, transformers==4.52.3, safetensors==0.8.0 (Tools/requirements.txt).
Usage: python Tools/make_adapter_fixtures.py   (from the repo root; writes Fixtures/adapters/*)
"""
import json
import os
import shutil
import sys

# PEFT writes target_modules in set order: fix the hash seed so regenerated configs are identical.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import peft
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file, save_file
from transformers.pytorch_utils import Conv1D

assert peft.__version__ == "0.15.2", peft.__version__
torch.manual_seed(0)
torch.set_num_threads(1)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "Fixtures", "adapters")


def checkpoint(model):
    d = os.path.join(REPO, "Fixtures", "models", model)
    idx = json.load(open(os.path.join(d, "model.safetensors.index.json")))
    sd = {}
    for shard in sorted(set(idx["weight_map"].values())):
        sd.update(load_file(os.path.join(d, shard)))
    return {k: v.float() for k, v in sd.items()}


def skeleton(sd):
    """nn.Linear at every module path whose .weight is 2-D (embeddings excluded)."""
    root = torch.nn.Module()
    for name, w in sd.items():
        if not name.endswith(".weight") or w.dim() != 2 or name.endswith("embed_tokens.weight") or ".embeddings." in name:
            continue
        path = name[: -len(".weight")].split(".")
        parent = root
        for p in path[:-1]:
            if not hasattr(parent, p):
                parent.add_module(p, torch.nn.Module())
            parent = getattr(parent, p)
        bias = (".".join(path) + ".bias") in sd
        lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=bias)
        with torch.no_grad():
            lin.weight.copy_(w)
            if bias:
                lin.bias.copy_(sd[".".join(path) + ".bias"])
        parent.add_module(path[-1], lin)
    return root


def randomize(model, gen):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_A" in name or "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.2)
            elif "lora_magnitude_vector" in name:
                p.mul_(1 + 0.1 * torch.randn(p.shape, generator=gen))
            elif "modules_to_save" in name:
                p.add_(torch.randn(p.shape, generator=gen) * 0.05)


def make(name, model_name, config, bin_copy=False):
    sd = checkpoint(model_name)
    base = skeleton(sd)
    pm = get_peft_model(base, config)
    randomize(pm, torch.Generator().manual_seed(len(name)))
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    pm.save_pretrained(d)
    if bin_copy:
        tmp = d + ".bin.tmp"
        pm.save_pretrained(tmp, safe_serialization=False)
        shutil.copy(os.path.join(tmp, "adapter_model.bin"), os.path.join(d, "adapter_model.bin"))
        shutil.rmtree(tmp)
    merged = pm.merge_and_unload()
    msd = merged.state_dict()
    touched = {k: v.contiguous() for k, v in msd.items() if k in sd and not torch.equal(v, sd[k])}
    assert touched, name
    save_file(touched, os.path.join(d, "merged.safetensors"), metadata={"format": "pt"})
    for f in ["README.md"]:
        p = os.path.join(d, f)
        if os.path.exists(p):
            os.remove(p)
    print(f"{name}: {len(touched)} merged tensors")
    return {"name": name, "base": model_name, "merged_tensors": len(touched)}


def make_conv1d():
    """fan_in_fan_out only applies to transformers' Conv1D (weight stored (in, out))."""
    torch.manual_seed(1)
    root = torch.nn.Module()
    h = torch.nn.Module()
    root.add_module("h", h)
    h.add_module("c_attn", Conv1D(12, 8))  # nf=12 outputs, nx=8 inputs: weight [8, 12]
    h.add_module("c_fc", Conv1D(16, 8))
    base = {k: v.detach().clone() for k, v in root.state_dict().items()}
    pm = get_peft_model(root, LoraConfig(r=4, lora_alpha=8, target_modules=["c_attn", "c_fc"], fan_in_fan_out=True))
    randomize(pm, torch.Generator().manual_seed(7))
    d = os.path.join(OUT, "conv1d_fan_in_fan_out")
    shutil.rmtree(d, ignore_errors=True)
    pm.save_pretrained(d)
    save_file(base, os.path.join(d, "base.safetensors"), metadata={"format": "pt"})
    merged = pm.merge_and_unload().state_dict()
    save_file({k: v.contiguous() for k, v in merged.items() if k.endswith("weight")}, os.path.join(d, "merged.safetensors"), metadata={"format": "pt"})
    if os.path.exists(os.path.join(d, "README.md")):
        os.remove(os.path.join(d, "README.md"))
    print("conv1d_fan_in_fan_out written")


def merge_reference(model):
    """PEFT's merge of the reference set's DoRA adapter (Fixtures/adapters/reference/<model>_adapter)."""
    from peft import PeftModel
    sd = checkpoint(model)
    d = os.path.join(OUT, "reference", f"{model}_adapter")
    pm = PeftModel.from_pretrained(skeleton(sd), d)
    n_lora = sum(1 for k, _ in pm.named_parameters() if "lora_B" in k)
    merged = pm.merge_and_unload().state_dict()
    touched = {k: v.contiguous() for k, v in merged.items() if k in sd and not torch.equal(v, sd[k])}
    assert len(touched) == n_lora, (model, len(touched), n_lora)
    save_file(touched, os.path.join(OUT, "reference", f"{model}_merged.safetensors"), metadata={"format": "pt"})
    print(f"reference {model}: {len(touched)} merged tensors")


def main():
    os.makedirs(OUT, exist_ok=True)
    merge_reference("phi3_v")
    merge_reference("llava_next")
    made = [
        make("phi3_lora", "phi3_v", LoraConfig(r=4, lora_alpha=8, target_modules=["qkv_proj", "o_proj", "gate_up_proj", "down_proj"]), bin_copy=True),
        make("phi3_rslora", "phi3_v", LoraConfig(r=4, lora_alpha=8, use_rslora=True, target_modules=["qkv_proj", "q_proj", "out_proj"])),
        make("phi3_patterns", "phi3_v", LoraConfig(r=4, lora_alpha=8, target_modules=["qkv_proj", "down_proj"], rank_pattern={"qkv_proj": 2},
                                                   alpha_pattern={"down_proj": 32}, layers_to_transform=[0, 2], layers_pattern="layers")),
        make("llava_modules_to_save", "llava_next", LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], modules_to_save=["linear_2"])),
        make("llava_regex_dora", "llava_next", LoraConfig(r=4, lora_alpha=16, use_dora=True, target_modules=r".*language_model.*\.(q_proj|v_proj|down_proj)")),
    ]
    make_conv1d()
    json.dump({"generator": "Tools/make_adapter_fixtures.py", "peft": peft.__version__, "torch": torch.__version__, "fixtures": made},
              open(os.path.join(OUT, "manifest.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
