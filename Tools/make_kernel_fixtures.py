#!/usr/bin/env python3
"""Generate the fp32 kernel parity fixtures in Fixtures/kernels/ (deterministic).

Pinned versions: torch==2.15.0 (CPU kernels), numpy 2.x, safetensors 0.8.x.
Run from the repository root:

    /root/.cache/vlmembed/tools-venv/bin/python Tools/make_kernel_fixtures.py

Every reference is computed the way upstream (transformers / the Phi-3-V remote code)
computes it, in fp32, single-threaded. Tensors use the Swift kernels' layouts:
activations are [rows x width] row-major, attention q/k/v/out are [L x heads*head_dim].

Outputs (safetensors, total < 3 MB):
  norms.safetensors        RMSNorm (LlamaRMSNorm/Phi3RMSNorm, eps 1e-5), F.layer_norm (eps 1e-5), F.normalize
  activations.safetensors  exact GELU, quick_gelu, SiLU(gate)*up, softmax rows (plain and causal-masked)
  rope.safetensors         cos/sin tables (Mistral default rope; Phi-3-V Su/LongRoPE) and rotated q/k
  attention.safetensors    eager attention: causal GQA (L37 h4 kv2 d16) and CLIP (L300 h8 d64, no mask)
  linear.safetensors       y = x W^T + b with W stored as BF16, F16, F32 (raw weights included)
"""
import json
import math
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

assert torch.__version__.split("+")[0] == "2.15.0", f"pinned torch==2.15.0, found {torch.__version__}"
torch.set_num_threads(1)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Fixtures", "kernels")
PHI_CONFIG = "/work/shared/reference/phi3_v/config.json"
FINFO_MIN = torch.finfo(torch.float32).min


def gen(seed):
    return torch.Generator().manual_seed(seed)


def randn(g, *shape, scale=1.0):
    return torch.randn(*shape, generator=g, dtype=torch.float32) * scale


def save(name, tensors):
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    path = os.path.join(OUT, name)
    save_file(tensors, path, metadata={"format": "pt"})  # a single key keeps the header byte-stable
    os.chmod(path, 0o644)


# ---------------------------------------------------------------- norms
def rms_norm(x, weight, eps):
    """transformers' LlamaRMSNorm / Phi3RMSNorm forward."""
    input_dtype = x.dtype
    h = x.to(torch.float32)
    variance = h.pow(2).mean(-1, keepdim=True)
    h = h * torch.rsqrt(variance + eps)
    return weight * h.to(input_dtype)


def make_norms():
    g = gen(1)
    out = {}
    for w in (64, 3072):
        rows = 6
        x = randn(g, rows, w) * torch.tensor([1.0, 1e-3, 30.0, 0.5, 3.0, 1.0]).unsqueeze(1)
        x[5] += 4.0  # an offset row
        weight = 1.0 + randn(g, w, scale=0.1)
        out[f"rms{w}.x"] = x
        out[f"rms{w}.weight"] = weight
        out[f"rms{w}.y"] = rms_norm(x, weight, 1e-5)
    x = randn(g, 7, 1024) * 2.0 + torch.linspace(-3, 5, 7).unsqueeze(1)
    weight = 1.0 + randn(g, 1024, scale=0.2)
    bias = randn(g, 1024, scale=0.1)
    out["ln.x"] = x
    out["ln.weight"] = weight
    out["ln.bias"] = bias
    out["ln.y"] = F.layer_norm(x, (1024,), weight, bias, eps=1e-5)
    v = randn(g, 4096, scale=0.7)
    out["l2.x"] = v
    out["l2.y"] = F.normalize(v, p=2, dim=-1)
    save("norms.safetensors", out)


# ---------------------------------------------------------------- activations
def make_activations():
    g = gen(2)
    x = torch.cat([torch.linspace(-12, 12, 4001), randn(g, 3000, scale=3.0),
                   torch.tensor([0.0, -0.0, 1e-30, -1e-30, 1e-7, -1e-7, 30.0, -30.0, 88.0, -88.0, 100.0, -100.0])])
    up = randn(g, x.numel(), scale=2.0)
    out = {
        "x": x,
        "gelu": F.gelu(x),  # approximate="none": exact erf GELU
        "quick_gelu": x * torch.sigmoid(1.702 * x),  # transformers QuickGELUActivation
        "silu_up": up,
        "silu_mul": F.silu(x) * up,  # act_fn(gate_proj(x)) * up_proj(x)
    }
    s = torch.cat([randn(g, 4, 577, scale=4.0), torch.full((1, 577), 80.0) + randn(g, 1, 577),
                   torch.zeros(1, 577)])
    out["softmax.x"] = s
    out["softmax.y"] = torch.softmax(s, dim=-1, dtype=torch.float32)
    c = randn(g, 37, 37, scale=3.0)
    mask = torch.full((37, 37), FINFO_MIN).triu(1)
    out["softmax_causal.x"] = c
    out["softmax_causal.y"] = torch.softmax(c + mask, dim=-1, dtype=torch.float32)
    save("activations.safetensors", out)


# ---------------------------------------------------------------- RoPE
def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary(q, cos, sin):
    """apply_rotary_pos_emb for one tensor: q [H, L, d], cos/sin [L, d]."""
    return (q * cos) + (rotate_half(q) * sin)


def mistral_rope(dim, base, position_ids):
    """MistralRotaryEmbedding (rope_type "default"): __init__ inv_freq, then forward."""
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).to(dtype=torch.float) / dim))
    inv_freq_expanded = inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
    position_ids_expanded = position_ids[:, None, :].float()
    freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    attention_scaling = 1.0
    return inv_freq, emb.cos() * attention_scaling, emb.sin() * attention_scaling


def phi3_su_rope(dim, base, short_factor, long_factor, original_max, max_pos, position_ids):
    """Phi3SuScaledRotaryEmbedding.forward (Phi-3-V remote code)."""
    seq_len = torch.max(position_ids) + 1
    if seq_len > original_max:
        ext_factors = torch.tensor(long_factor, dtype=torch.float32)
    else:
        ext_factors = torch.tensor(short_factor, dtype=torch.float32)
    inv_freq_shape = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim
    inv_freq = 1.0 / (ext_factors * base**inv_freq_shape)
    inv_freq_expanded = inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
    position_ids_expanded = position_ids[:, None, :].float()
    freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    scale = max_pos / original_max
    scaling_factor = 1.0 if scale <= 1.0 else math.sqrt(1 + math.log(scale) / math.log(original_max))
    return inv_freq, emb.cos() * scaling_factor, emb.sin() * scaling_factor


def sampled_positions(g, dense, top):
    """0..dense-1, 64 random positions below `top`, and top itself (which sets seq_len = top+1)."""
    rnd = torch.randint(dense, top, (64,), generator=g)
    return torch.cat([torch.arange(dense), rnd.sort().values, torch.tensor([top])]).to(torch.int64)


REAL_SHORT = [1.08, 1.1, 1.1300000000000001, 1.2800000000000002, 1.3100000000000003, 1.4500000000000004, 1.4500000000000004, 1.9500000000000008, 2.030000000000001, 2.4299999999999926, 2.5699999999999896, 2.9499999999999815, 3.729999999999965, 3.869999999999962, 4.189999999999955, 4.43999999999995, 4.6399999999999455, 4.979999999999938, 5.159999999999934, 5.279999999999932, 5.759999999999922, 5.889999999999919, 5.889999999999919, 5.969999999999917, 6.089999999999915, 6.2799999999999105, 6.7699999999999, 6.8899999999998975, 7.109999999999893, 7.129999999999892, 7.179999999999891, 7.289999999999889, 7.339999999999888, 7.559999999999883, 7.619999999999882, 7.69999999999988, 7.879999999999876, 7.879999999999876, 7.879999999999876, 7.939999999999875, 7.949999999999875, 7.979999999999874, 8.19999999999987, 8.439999999999864, 8.469999999999864, 8.589999999999861, 8.809999999999857, 8.999999999999853]  # noqa: E501
REAL_LONG = [1.0800000429153442, 1.1100000143051147, 1.1399999856948853, 1.340000033378601, 1.5899999141693115, 1.600000023841858, 1.6200000047683716, 2.620000123977661, 3.2300000190734863, 3.2300000190734863, 4.789999961853027, 7.400000095367432, 7.700000286102295, 9.09000015258789, 12.199999809265137, 17.670000076293945, 24.46000099182129, 28.57000160217285, 30.420001983642578, 30.840002059936523, 32.590003967285156, 32.93000411987305, 42.320003509521484, 44.96000289916992, 50.340003967285156, 50.45000457763672, 57.55000305175781, 57.93000411987305, 58.21000289916992, 60.1400032043457, 62.61000442504883, 62.62000274658203, 62.71000289916992, 63.1400032043457, 63.1400032043457, 63.77000427246094, 63.93000411987305, 63.96000289916992, 63.970001220703125, 64.02999877929688, 64.06999969482422, 64.08000183105469, 64.12000274658203, 64.41000366210938, 64.4800033569336, 64.51000213623047, 64.52999877929688, 64.83999633789062]  # noqa: E501


def make_rope():
    g = gen(3)
    out = {}

    def put(name, positions, inv, cos, sin):
        out[f"{name}.positions"] = positions.to(torch.int32)
        out[f"{name}.inv_freq"] = inv
        out[f"{name}.cos"] = cos[0]
        out[f"{name}.sin"] = sin[0]

    # Mistral default RoPE, theta 1e6.
    p = torch.arange(37, dtype=torch.int64)
    put("mistral_d16", p, *mistral_rope(16, 1e6, p[None]))
    p = sampled_positions(g, 64, 32767)
    put("mistral_d128", p, *mistral_rope(128, 1e6, p[None]))

    # Phi-3-V Su/LongRoPE, the tiny reference config (d = 64/4 = 16, orig 256, max 8192).
    with open(PHI_CONFIG) as f:
        cfg = json.load(f)
    rs = cfg["rope_scaling"]
    d = cfg["hidden_size"] // cfg["num_attention_heads"]
    orig, mx, base = cfg["original_max_position_embeddings"], cfg["max_position_embeddings"], cfg["rope_theta"]
    out["phi_tiny.short_factor"] = torch.tensor(rs["short_factor"], dtype=torch.float32)
    out["phi_tiny.long_factor"] = torch.tensor(rs["long_factor"], dtype=torch.float32)
    p = torch.arange(256, dtype=torch.int64)  # seq_len 256 <= 256: short
    put("phi_tiny_short", p, *phi3_su_rope(d, base, rs["short_factor"], rs["long_factor"], orig, mx, p[None]))
    p = torch.arange(300, dtype=torch.int64)  # seq_len 300 > 256: long
    put("phi_tiny_long", p, *phi3_su_rope(d, base, rs["short_factor"], rs["long_factor"], orig, mx, p[None]))

    # Phi-3.5-V real factors (architectures.md Appendix 1), d 96, orig 4096, max 131072.
    out["phi_real.short_factor"] = torch.tensor(REAL_SHORT, dtype=torch.float32)
    out["phi_real.long_factor"] = torch.tensor(REAL_LONG, dtype=torch.float32)
    p = sampled_positions(g, 64, 4095)  # seq_len 4096: short
    put("phi_real_short", p, *phi3_su_rope(96, 10000.0, REAL_SHORT, REAL_LONG, 4096, 131072, p[None]))
    p = sampled_positions(g, 64, 131071)  # seq_len 131072: long
    put("phi_real_long", p, *phi3_su_rope(96, 10000.0, REAL_SHORT, REAL_LONG, 4096, 131072, p[None]))

    # The rotation: q [L, H*d] with the tiny Phi long table and the Mistral d16 table.
    for name, heads in (("phi_tiny_long", 4), ("mistral_d16", 4)):
        cos, sin = out[f"{name}.cos"], out[f"{name}.sin"]
        L = cos.shape[0]
        q = randn(g, L, heads * 16)
        qh = q.view(L, heads, 16).transpose(0, 1)  # [H, L, d]
        out[f"{name}.q"] = q
        out[f"{name}.q_rot"] = apply_rotary(qh, cos, sin).transpose(0, 1).reshape(L, heads * 16)
    save("rope.safetensors", out)


# ---------------------------------------------------------------- attention
def repeat_kv(x, n_rep):
    b, h, L, d = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(b, h, n_rep, L, d).reshape(b, h * n_rep, L, d)


def eager_attention(q, k, v, heads, kv_heads, d, scaling, causal):
    """transformers' eager_attention_forward on [L, H*d] inputs; returns [L, H*d]."""
    L = q.shape[0]
    query = q.view(1, L, heads, d).transpose(1, 2)
    key = repeat_kv(k.view(1, L, kv_heads, d).transpose(1, 2), heads // kv_heads)
    value = repeat_kv(v.view(1, L, kv_heads, d).transpose(1, 2), heads // kv_heads)
    attn_weights = torch.matmul(query, key.transpose(2, 3)) * scaling
    if causal:
        mask = torch.full((L, L), FINFO_MIN).triu(1)[None, None]
        attn_weights = attn_weights + mask
    attn_weights = F.softmax(attn_weights, dim=-1, dtype=torch.float32).to(query.dtype)
    attn_output = torch.matmul(attn_weights, value)
    return attn_output.transpose(1, 2).contiguous().reshape(L, heads * d)


def make_attention():
    g = gen(4)
    out = {}
    L, H, KV, D = 37, 4, 2, 16
    q, k, v = randn(g, L, H * D, scale=1.5), randn(g, L, KV * D, scale=1.5), randn(g, L, KV * D)
    out.update({"gqa.q": q, "gqa.k": k, "gqa.v": v,
                "gqa.out": eager_attention(q, k, v, H, KV, D, D**-0.5, causal=True)})
    # CLIP style: inputs stored as F16 (exactly representable) to keep the fixture small.
    L, H, D = 300, 8, 64
    q, k, v = (randn(g, L, H * D, scale=s).half() for s in (1.0, 1.0, 1.0))
    out.update({"clip.q": q, "clip.k": k, "clip.v": v,
                "clip.out": eager_attention(q.float(), k.float(), v.float(), H, H, D, D**-0.5, causal=False)})
    save("attention.safetensors", out)


# ---------------------------------------------------------------- linear
def make_linear():
    g = gen(5)
    n, cin, cout = 5, 96, 80
    x = randn(g, n, cin)
    w = randn(g, cout, cin, scale=0.2)
    b = randn(g, cout, scale=0.5)
    out = {"x": x, "bias": b}
    for name, dt in (("bf16", torch.bfloat16), ("f16", torch.float16), ("f32", torch.float32)):
        wq = w.to(dt)
        out[f"w_{name}"] = wq
        out[f"y_{name}"] = F.linear(x, wq.float())
        out[f"yb_{name}"] = F.linear(x, wq.float(), b)
        out[f"y1_{name}"] = F.linear(x[:1], wq.float(), b)
    save("linear.safetensors", out)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    make_norms()
    make_activations()
    make_rope()
    make_attention()
    make_linear()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {OUT} ({total / 1e6:.2f} MB)")
    assert total < 3_000_000
