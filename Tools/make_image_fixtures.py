#!/usr/bin/env python3
"""Generate the image decoding / resampling fixtures in Fixtures/images/.

Pinned environment (see Tools/requirements.txt): pillow==11.2.1, numpy, torch==2.15.0,
safetensors. Run from anywhere:

    ~/.cache/vlmembed/tools-venv/bin/python Tools/make_image_fixtures.py

Everything is deterministic (fixed seeds, hand-written PNG encoder so the bit depth,
colour type and interlacing of every test PNG is exactly what we ask for).

Outputs (all under Fixtures/images/):
  png/<name>.png            test PNGs of every colour type / bit depth / interlace
  jpeg/<name>.jpg           small JPEGs (4:2:0, 4:2:2, 4:4:4, progressive, gray, CMYK)
  bad/*                     truncated / corrupt / oversized-header / non-image files
  expected/<name>.rgb       Pillow's Image.open(p).convert("RGB") bytes (raw, row-major)
  resize/<name>.png         8-bit RGB resize inputs (noise and gradients)
  torch/bicubic.safetensors torch F.interpolate(bicubic) inputs and outputs (f32)
  torch/smooth_672x1008.png uint8 source of the realistic Phi-3-V global-view case
  manifest.json             decode / resize / torch case tables (sizes, sha256 of outputs)
"""
import hashlib
import io
import json
import os
import struct
import sys
import zlib

import numpy as np
import PIL
import torch
from PIL import Image
from safetensors.numpy import save_file

assert PIL.__version__ == "11.2.1", f"need pillow 11.2.1, have {PIL.__version__}"

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "Fixtures", "images")
REF = os.path.abspath(os.path.join(ROOT, "..", "shared", "reference", "images"))

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def mkdirs():
    for d in ("png", "jpeg", "bad", "expected", "resize", "torch"):
        os.makedirs(os.path.join(OUT, d), exist_ok=True)


# ---------------------------------------------------------------- PNG writer
def chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def pack_rows(samples: np.ndarray, depth: int) -> list:
    """samples: H x W x C integer array -> list of packed scanlines (no filter byte)."""
    h, w, c = samples.shape
    rows = []
    for y in range(h):
        s = samples[y].reshape(-1)
        if depth == 16:
            rows.append(s.astype(">u2").tobytes())
        elif depth == 8:
            rows.append(s.astype(np.uint8).tobytes())
        else:
            per = 8 // depth
            out = bytearray((len(s) * depth + 7) // 8)
            for i, v in enumerate(s):
                out[i // per] |= int(v) << (8 - depth * (i % per + 1))
            rows.append(bytes(out))
    return rows


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, samples, color_type, depth, palette=None, trns=None, interlace=False, extra=b""):
    h, w = samples.shape[:2]
    raw = bytearray()
    if interlace:
        for x0, y0, dx, dy in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue
            for i, r in enumerate(pack_rows(sub, depth)):
                raw += bytes([0]) + r
    else:
        for i, r in enumerate(pack_rows(samples, depth)):
            # alternate filter 0 and filter 1 (Sub) to exercise unfiltering
            if i % 2 == 1:
                bpp = max(1, (depth * samples.shape[2]) // 8)
                f = bytearray(r)
                for j in range(len(r) - 1, bpp - 1, -1):
                    f[j] = (r[j] - r[j - bpp]) & 0xFF
                raw += bytes([1]) + bytes(f)
            else:
                raw += bytes([0]) + r
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
    if palette is not None:
        data += chunk(b"PLTE", bytes(np.asarray(palette, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        data += chunk(b"tRNS", trns)
    data += chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)
    return data


def pillow_rgb(path) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGB")


def make_pngs(manifest):
    rng = np.random.default_rng(1234)
    W, H = 37, 23
    cases = []

    def noise(c, depth):
        return rng.integers(0, 1 << depth, size=(H, W, c), dtype=np.int64)

    def add(name, samples, ct, depth, **kw):
        p = os.path.join(OUT, "png", name + ".png")
        write_png(p, samples, ct, depth, **kw)
        cases.append(name)

    add("rgb8", noise(3, 8), 2, 8)
    add("rgb16", noise(3, 16), 2, 16)
    add("rgba8", noise(4, 8), 6, 8)
    add("rgba16", noise(4, 16), 6, 16)
    add("l8", noise(1, 8), 0, 8)
    # 16-bit gray: mix of values below and above 255 (Pillow's I;16 -> RGB clips)
    g16 = noise(1, 16)
    g16[: H // 2] = rng.integers(0, 512, size=(H // 2, W, 1))
    add("l16", g16, 0, 16)
    add("la8", noise(2, 8), 4, 8)
    add("la16", noise(2, 16), 4, 16)
    for d in (1, 2, 4):
        add(f"l{d}", noise(1, d), 0, d)
    for d in (1, 2, 4, 8):
        n = 1 << d
        pal = rng.integers(0, 256, size=(n, 3))
        add(f"p{d}", noise(1, d), 3, d, palette=pal)
    # short palette (indices stay in range), with a tRNS chunk that convert("RGB") ignores
    pal = rng.integers(0, 256, size=(200, 3))
    add("p8_short_trns", rng.integers(0, 200, size=(H, W, 1)), 3, 8, palette=pal,
        trns=bytes(rng.integers(0, 256, size=50, dtype=np.uint8)))
    add("rgb8_trns", noise(3, 8), 2, 8, trns=struct.pack(">HHH", 10, 20, 30))
    add("l8_trns", noise(1, 8), 0, 8, trns=struct.pack(">H", 7))
    # gAMA = 1.0 and an sRGB-unrelated cHRM-free file: no gamma correction may be applied
    add("rgb8_gamma", noise(3, 8), 2, 8, extra=chunk(b"gAMA", struct.pack(">I", 100000)))
    add("rgb8_interlaced", noise(3, 8), 2, 8, interlace=True)
    add("rgba16_interlaced", noise(4, 16), 6, 16, interlace=True)
    add("p4_interlaced", noise(1, 4), 3, 4, palette=rng.integers(0, 256, size=(16, 3)), interlace=True)
    add("l16_interlaced", g16, 0, 16, interlace=True)
    add("l1_interlaced", noise(1, 1), 0, 1, interlace=True)
    # odd sizes
    one = rng.integers(0, 256, size=(1, 1, 3))
    write_png(os.path.join(OUT, "png", "rgb8_1x1.png"), one, 2, 8)
    cases.append("rgb8_1x1")
    tall = rng.integers(0, 256, size=(9, 1, 3))
    write_png(os.path.join(OUT, "png", "rgb8_1x9_interlaced.png"), tall, 2, 8, interlace=True)
    cases.append("rgb8_1x9_interlaced")

    decode = []
    for name in cases:
        p = os.path.join(OUT, "png", name + ".png")
        rgb = pillow_rgb(p)
        b = rgb.tobytes()
        with open(os.path.join(OUT, "expected", name + ".rgb"), "wb") as f:
            f.write(b)
        decode.append({"file": f"png/{name}.png", "width": rgb.width, "height": rgb.height,
                       "expected": f"expected/{name}.rgb", "sha256": sha(b)})
    manifest["decode_png"] = decode


def make_jpegs(manifest):
    rng = np.random.default_rng(99)
    W, H = 61, 43
    yy, xx = np.mgrid[0:H, 0:W]
    base = np.stack([(xx * 4) % 256, (yy * 6) % 256, ((xx + yy) * 3) % 256], -1).astype(np.float64)
    base += rng.normal(0, 20, size=base.shape)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    jpeg_cases = []

    def save(name, im, **kw):
        p = os.path.join(OUT, "jpeg", name + ".jpg")
        im.save(p, "JPEG", **kw)
        jpeg_cases.append(name)

    save("s420", img, quality=85, subsampling=2)
    save("s422", img, quality=85, subsampling=1)
    save("s444", img, quality=90, subsampling=0)
    save("progressive", img, quality=80, progressive=True)
    save("gray", img.convert("L"), quality=85)
    save("odd_1x1", img.crop((0, 0, 1, 1)), quality=85)
    save("restart", img, quality=75, restart_marker_blocks=2)
    # CMYK (Adobe, inverted): we refuse it with a clear error; no expected output stored
    img.convert("CMYK").save(os.path.join(OUT, "jpeg", "cmyk.jpg"), "JPEG", quality=85)

    decode = []
    for name in jpeg_cases:
        p = os.path.join(OUT, "jpeg", name + ".jpg")
        rgb = pillow_rgb(p)
        b = rgb.tobytes()
        with open(os.path.join(OUT, "expected", "jpeg_" + name + ".rgb"), "wb") as f:
            f.write(b)
        decode.append({"file": f"jpeg/{name}.jpg", "width": rgb.width, "height": rgb.height,
                       "expected": f"expected/jpeg_{name}.rgb", "sha256": sha(b)})
    manifest["decode_jpeg"] = decode


def make_bad(manifest):
    good_png = open(os.path.join(OUT, "png", "rgb8.png"), "rb").read()
    good_jpg = open(os.path.join(OUT, "jpeg", "s420.jpg"), "rb").read()
    with open(os.path.join(OUT, "bad", "truncated.png"), "wb") as f:
        f.write(good_png[: len(good_png) // 2])
    with open(os.path.join(OUT, "bad", "truncated_header.png"), "wb") as f:
        f.write(good_png[:20])
    with open(os.path.join(OUT, "bad", "truncated.jpg"), "wb") as f:
        f.write(good_jpg[: len(good_jpg) // 2])
    with open(os.path.join(OUT, "bad", "truncated_header.jpg"), "wb") as f:
        f.write(good_jpg[:40])
    bad_crc = bytearray(good_png)
    bad_crc[29] ^= 0xFF  # inside IHDR CRC
    with open(os.path.join(OUT, "bad", "bad_ihdr_crc.png"), "wb") as f:
        f.write(bytes(bad_crc))
    with open(os.path.join(OUT, "bad", "not_an_image.png"), "wb") as f:
        f.write(b"hello, this is plain text and not an image at all\n")
    with open(os.path.join(OUT, "bad", "empty.jpg"), "wb") as f:
        f.write(b"")
    # 100000 x 100000 RGB PNG header: IHDR + IEND only
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    with open(os.path.join(OUT, "bad", "huge.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    # 65000 x 65000 baseline JPEG header: SOI, SOF0, EOI
    sof = struct.pack(">BHHB", 8, 65000, 65000, 3) + bytes([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])
    with open(os.path.join(OUT, "bad", "huge.jpg"), "wb") as f:
        f.write(b"\xff\xd8" + b"\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof + b"\xff\xd9")
    manifest["bad"] = sorted(os.listdir(os.path.join(OUT, "bad")))


# ------------------------------------------------------------ reference images
def phi3_size(w, h, num_crops=4):
    """Phi-3-V HD transform: (transposed?, new_w, new_h) in the (possibly transposed) frame."""
    trans = w < h
    if trans:
        w, h = h, w
    ratio = w / h
    s = 1
    while s * np.ceil(s / ratio) <= num_crops:
        s += 1
    s -= 1
    new_w = int(s * 336)
    new_h = int(new_w / ratio)
    return trans, new_w, new_h


PINPOINTS = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]


def llava_size(w, h):
    best, best_eff, best_waste = None, 0, float("inf")
    for ph, pw in PINPOINTS:
        sc = min(pw / w, ph / h)
        dw, dh = int(w * sc), int(h * sc)
        eff = min(dw * dh, w * h)
        waste = ph * pw - eff
        if eff > best_eff or (eff == best_eff and waste < best_waste):
            best, best_eff, best_waste = (ph, pw), eff, waste
    ph, pw = best
    sw, sh = pw / w, ph / h
    if sw < sh:
        return pw, min(int(np.ceil(h * sw)), ph)
    return min(int(np.ceil(w * sh)), pw), ph


def make_reference(manifest):
    """Decode hashes of the shared reference images, plus processor-size resize cases."""
    decode, resize = [], []
    names = ["coffee.png", "example_small.png", "gray.png", "rgba.png", "tiny.png",
             "example.jpg", "large.jpg", "tall.jpg", "wide.jpg"]
    for n in names:
        rgb = pillow_rgb(os.path.join(REF, n))
        decode.append({"file": n, "width": rgb.width, "height": rgb.height, "sha256": sha(rgb.tobytes())})
        # Resize inputs: PNGs decode exactly; for JPEGs use Pillow's decode of example.jpg only.
        if n.endswith(".jpg") and n != "example.jpg":
            continue
        src = n if n.endswith(".png") else "decoded/example.decoded.png"
        w, h = rgb.size
        trans, nw, nh = phi3_size(w, h)
        t = rgb.transpose(Image.Transpose.TRANSPOSE) if trans else rgb
        if trans:
            resize.append({"source": src, "op": "transpose", "width": t.width, "height": t.height,
                           "sha256": sha(t.tobytes())})
        out = t.resize((nw, nh), Image.BILINEAR)
        resize.append({"source": src, "transpose": trans, "op": "bilinear", "width": nw, "height": nh,
                       "sha256": sha(out.tobytes()), "why": "phi3_v num_crops=4"})
        tw, th = llava_size(w, h)
        out = rgb.resize((tw, th), Image.BICUBIC)
        resize.append({"source": src, "transpose": False, "op": "bicubic", "width": tw, "height": th,
                       "sha256": sha(out.tobytes()), "why": "llava best-fit"})
        out = rgb.resize((336, 336), Image.BICUBIC)
        resize.append({"source": src, "transpose": False, "op": "bicubic", "width": 336, "height": 336,
                       "sha256": sha(out.tobytes()), "why": "llava base squash"})
        # num_crops=16 sizes too (VLM2Vec default elsewhere)
        trans16, nw16, nh16 = phi3_size(w, h, 16)
        t16 = rgb.transpose(Image.Transpose.TRANSPOSE) if trans16 else rgb
        out = t16.resize((nw16, nh16), Image.BILINEAR)
        resize.append({"source": src, "transpose": trans16, "op": "bilinear", "width": nw16, "height": nh16,
                       "sha256": sha(out.tobytes()), "why": "phi3_v num_crops=16"})
    manifest["decode_reference"] = decode
    return resize


def make_resize(manifest, ref_cases):
    rng = np.random.default_rng(7)
    inputs = {
        "noise_64x48": rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8),
        "noise_1x17": rng.integers(0, 256, size=(17, 1, 3), dtype=np.uint8),
        "noise_17x1": rng.integers(0, 256, size=(1, 17, 3), dtype=np.uint8),
        "noise_1x1": rng.integers(0, 256, size=(1, 1, 3), dtype=np.uint8),
        "noise_301x7": rng.integers(0, 256, size=(7, 301, 3), dtype=np.uint8),
    }
    yy, xx = np.mgrid[0:90, 0:120]
    grad = np.stack([xx * 2, yy * 2, (xx + yy)], -1)
    grad = np.clip(grad + (((xx // 7 + yy // 5) % 2) * 60)[..., None], 0, 255).astype(np.uint8)
    inputs["grad_120x90"] = grad
    for name, arr in inputs.items():
        Image.fromarray(arr, "RGB").save(os.path.join(OUT, "resize", name + ".png"))
    sizes = {
        "noise_64x48": [(64, 48), (32, 24), (31, 23), (128, 96), (100, 37), (7, 200), (1, 1), (1, 48),
                        (64, 1), (63, 48), (64, 49), (13, 5), (21, 16), (65, 47), (640, 3)],
        "noise_1x17": [(5, 5), (1, 3), (3, 17), (1, 40)],
        "noise_17x1": [(5, 5), (3, 1), (40, 1), (17, 2)],
        "noise_1x1": [(1, 1), (3, 2), (7, 1)],
        "noise_301x7": [(3, 7), (300, 7), (301, 1), (17, 40), (1000, 2)],
        "grad_120x90": [(60, 45), (37, 29), (240, 180), (333, 77), (119, 91), (45, 120)],
    }
    cases = []
    for name, lst in sizes.items():
        im = Image.fromarray(inputs[name], "RGB")
        for (w, h) in lst:
            for op, flt in (("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC)):
                out = im.resize((w, h), flt)
                cases.append({"source": f"resize/{name}.png", "transpose": False, "op": op,
                              "width": w, "height": h, "sha256": sha(out.tobytes())})
        t = im.transpose(Image.Transpose.TRANSPOSE)
        cases.append({"source": f"resize/{name}.png", "op": "transpose", "width": t.width,
                      "height": t.height, "sha256": sha(t.tobytes())})
    manifest["resize"] = cases
    manifest["resize_reference"] = ref_cases


def normalize(u8_hwc: np.ndarray) -> np.ndarray:
    """torchvision ToTensor + Normalize in fp32 -> CHW float32."""
    x = torch.from_numpy(u8_hwc).permute(2, 0, 1).contiguous().to(torch.float32).div(255)
    m = torch.tensor(MEAN).view(3, 1, 1)
    s = torch.tensor(STD).view(3, 1, 1)
    return ((x - m) / s).numpy()


def make_torch(manifest):
    torch.manual_seed(0)
    tensors, cases = {}, []
    rng = np.random.default_rng(5)

    def run(name, x, out_h, out_w):
        t = torch.from_numpy(x)[None]
        y = torch.nn.functional.interpolate(t, size=(out_h, out_w), mode="bicubic",
                                            align_corners=False, antialias=False)[0].numpy()
        tensors[name + ".in"] = np.ascontiguousarray(x)
        tensors[name + ".out"] = np.ascontiguousarray(y)
        cases.append({"name": name, "channels": x.shape[0], "in": list(x.shape[1:]), "out": [out_h, out_w]})

    for k in (1, 2, 3, 4):
        for kw in (1, 2, 3, 4):
            x = normalize(rng.integers(0, 256, size=(7 * k, 5 * kw, 3), dtype=np.uint8))
            run(f"int_{k}x{kw}", x, 7, 5)
    for (ih, iw, oh, ow) in [(13, 17, 7, 9), (10, 10, 23, 31), (5, 3, 16, 16), (29, 31, 11, 7),
                             (1, 9, 4, 4), (50, 37, 33, 33), (3, 100, 3, 7)]:
        x = rng.normal(0, 1.5, size=(3, ih, iw)).astype(np.float32)
        run(f"ratio_{ih}x{iw}_to_{oh}x{ow}", x, oh, ow)
    # realistic Phi-3-V global view: 672x1008 HD image (hc=2, wc=3) -> 336x336
    yy, xx = np.mgrid[0:672, 0:1008]
    smooth = np.stack([128 + 100 * np.sin(xx / 37.0 + yy / 53.0),
                       128 + 100 * np.cos(xx / 23.0 - yy / 41.0),
                       (xx * 255 // 1007 + yy // 8) % 256], -1)
    smooth = np.clip(smooth, 0, 255).astype(np.uint8)
    smooth[300:372, :] = 255  # a white band, like the Phi pad
    Image.fromarray(smooth, "RGB").save(os.path.join(OUT, "torch", "smooth_672x1008.png"), optimize=True)
    x = normalize(smooth)
    t = torch.from_numpy(x)[None]
    y = torch.nn.functional.interpolate(t, size=(336, 336), mode="bicubic", align_corners=False)[0].numpy()
    tensors["phi_global.out"] = np.ascontiguousarray(y)
    cases.append({"name": "phi_global", "channels": 3, "in": [672, 1008], "out": [336, 336],
                  "source": "torch/smooth_672x1008.png"})
    save_file(tensors, os.path.join(OUT, "torch", "bicubic.safetensors"))
    manifest["torch_bicubic"] = cases


def main():
    mkdirs()
    manifest = {"pillow": PIL.__version__, "torch": torch.__version__, "numpy": np.__version__}
    from PIL import features
    manifest["pillow_libjpeg_turbo"] = features.version("libjpeg_turbo")
    make_pngs(manifest)
    make_jpegs(manifest)
    make_bad(manifest)
    ref_cases = make_reference(manifest)
    make_resize(manifest, ref_cases)
    make_torch(manifest)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    sys.exit(main())
