#!/usr/bin/env python3
"""Upstream side of the preprocessing benchmark: the Python processors VLM2Vec uses, single thread.

- LLaVA-NeXT: transformers' slow LlavaNextImageProcessor (use_fast=False) from Fixtures/models/llava_next.
- Phi-3-V: its processor is remote code that is not on PyPI, so its image path is re-stated here with
  the same library calls upstream makes (PIL transpose, the PIL BILINEAR resize torchvision's
  F.resize calls for PIL input, white pad, ToTensor/Normalize as torch ops, torch bicubic interpolate
  for the global view, reshape/permute into crops, zero-pad to num_crops + 1).
- Tokenizer: transformers' slow LlamaTokenizer on LLaVA's tokenizer.model (legacy), plus the fast one.
Decoding (Image.open(...).convert("RGB")) is inside every image timing, as on our side.
Pinned: transformers==4.52.3, pillow==11.2.1, torch==2.15.0, sentencepiece==0.2.3 (Tools/requirements.txt).
Usage: preprocess_bench.py REPO_ROOT IMAGE TEXT_FILE [RUNS]   → one JSON object
"""
import json
import math
import sys
import time

import numpy as np
import torch
from PIL import Image
from transformers import LlamaTokenizer, LlamaTokenizerFast, LlavaNextImageProcessor

torch.set_num_threads(1)
root, image, text_file = sys.argv[1:4]
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 5
MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(3, 1, 1)
STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(3, 1, 1)


def timed(n, fn):
    fn()
    t = []
    for _ in range(n):
        s = time.perf_counter()
        fn()
        t.append(time.perf_counter() - s)
    return sorted(t)[len(t) // 2]


def phi3v(path, num_crops):
    img = Image.open(path).convert("RGB")
    w, h = img.size
    trans = w < h
    if trans:
        img = img.transpose(Image.TRANSPOSE)
        w, h = img.size
    ratio = w / h
    scale = 1
    while scale * math.ceil(scale / ratio) <= num_crops:
        scale += 1
    scale -= 1
    new_w = int(scale * 336)
    new_h = int(new_w / ratio)
    img = img.resize((new_w, new_h), Image.BILINEAR)
    tar = int(math.ceil(new_h / 336) * 336)
    top = int((tar - new_h) / 2)
    canvas = Image.new("RGB", (new_w, tar), (255, 255, 255))
    canvas.paste(img, (0, top))
    img = canvas.transpose(Image.TRANSPOSE) if trans else canvas
    x = torch.from_numpy(np.array(img)).permute(2, 0, 1).contiguous().float().div(255)
    x = (x - MEAN) / STD
    glb = torch.nn.functional.interpolate(x.unsqueeze(0), size=(336, 336), mode="bicubic")
    H, W = x.shape[1], x.shape[2]
    crops = x.reshape(1, 3, H // 336, 336, W // 336, 336).permute(0, 2, 4, 1, 3, 5).reshape(-1, 3, 336, 336)
    out = torch.cat([glb, crops], 0)
    if out.shape[0] < num_crops + 1:
        out = torch.cat([out, torch.zeros(num_crops + 1 - out.shape[0], 3, 336, 336)], 0)
    return out


lines = open(text_file, encoding="utf-8").read().split("\n")
nbytes = sum(len(l.encode()) + 1 for l in lines)
slow = LlamaTokenizer(root + "/Fixtures/models/llava_next/tokenizer.model", legacy=True, add_prefix_space=True)
fast = LlamaTokenizerFast.from_pretrained(root + "/Fixtures/models/llava_next")
llava = LlavaNextImageProcessor.from_pretrained(root + "/Fixtures/models/llava_next")
result = {
    "tokenize_slow_mb_per_s": nbytes / 1e6 / timed(max(1, runs // 2), lambda: [slow(l).input_ids for l in lines]),
    "tokenize_fast_mb_per_s": nbytes / 1e6 / timed(max(1, runs // 2), lambda: [fast(l).input_ids for l in lines]),
    "phi3_v_4_crops_s": timed(runs, lambda: phi3v(image, 4)),
    "phi3_v_16_crops_s": timed(runs, lambda: phi3v(image, 16)),
    "llava_next_s": timed(runs, lambda: llava(Image.open(image).convert("RGB"), return_tensors="pt")),
}
print(json.dumps(result, sort_keys=True))
