#!/usr/bin/env python3
"""Generate the GGUF test fixtures in Fixtures/gguf/ (deterministic).

Pinned versions: gguf==0.19.0, numpy (2.x; tested with 2.4.6), Python 3.11.
The reference outputs come from gguf-py itself (`gguf.GGUFWriter`,
`gguf.quants.dequantize`, `gguf.quants.quantize`), so the Swift tests check
our reader, dequantizer and quantizers bit-exactly against gguf-py.

Run from the repository root:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install gguf==0.19.0 numpy
    /tmp/venv/bin/python Tools/make_gguf_fixtures.py
    # (the project's tools venv: /root/.cache/vlmembed/tools-venv/bin/python)

Outputs (all little-endian):
  dequant_a32.gguf / dequant_a64.gguf
      one tensor per (type, shape); random but valid blocks (random bytes, fp16
      scale fields set to random finite fp16 values); alignment 32 (default, no
      general.alignment key) and 64 (general.alignment = 64).
  dequant_a32.expected.f32 / dequant_a64.expected.f32
      gguf.quants.dequantize() of every tensor, as raw f32, concatenated in
      tensor order (each tensor contributes its element count).
  metadata.gguf
      one KV of every value type, arrays (incl. strings, bools, arrays of
      arrays); values mirrored in Tests/TensorFormatsTests/GGUFMetadataTests.swift.
  quant_input.f32           random f32 rows (QUANT_ROWS x QUANT_COLS) plus edge rows
  quant_q8_0.bin, quant_q4_0.bin
      gguf.quants.quantize(input, Q8_0 / Q4_0) bytes.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys

import numpy as np

import gguf
from gguf import GGMLQuantizationType as T
from gguf import GGUFValueType as V

EXPECTED_GGUF = "0.19.0"
SEED = 20240607
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "gguf")

# numpy shapes (outermost first); ggml ne order is the reverse: (2,256) -> ne=[256,2].
SHAPES = [(2, 256), (3, 512), (1, 1024), (2, 2, 256)]

# Byte offsets of the fp16 scale fields inside one block, per quantized type.
FP16_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
    T.IQ4_NL: [0], T.IQ4_XS: [0],
}
TYPES = [T.F32, T.F16, T.BF16] + list(FP16_FIELDS)

QUANT_ROWS, QUANT_COLS = 12, 256


def finite_f16_bits(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random binary16 bit patterns that are neither inf nor NaN (subnormals included)."""
    bits = rng.integers(0, 1 << 16, size=n, dtype=np.uint32).astype(np.uint16)
    bad = (bits & 0x7C00) == 0x7C00
    bits[bad] &= np.uint16(0xBFFF)  # clear the top exponent bit -> finite
    return bits


def make_tensor(rng: np.random.Generator, qtype: T, shape: tuple[int, ...]):
    """Returns (array to hand to GGUFWriter.add_tensor, raw_dtype or None, dequantized f32)."""
    if qtype == T.F32:
        data = (rng.standard_normal(shape) * 3).astype(np.float32)
        return data, None, gguf.quants.dequantize(data, T.F32)
    if qtype == T.F16:
        data = finite_f16_bits(rng, int(np.prod(shape))).reshape(shape).view(np.float16)
        return data, None, gguf.quants.dequantize(data, T.F16)
    if qtype == T.BF16:
        bits = rng.integers(0, 1 << 16, size=int(np.prod(shape)), dtype=np.uint32).astype(np.uint16)
        bits[(bits & 0x7F80) == 0x7F80] &= np.uint16(0xBFFF)  # finite
        raw = bits.reshape(shape).view(np.uint8)
        return raw, T.BF16, gguf.quants.dequantize(raw, T.BF16)
    block, tsize = gguf.GGML_QUANT_SIZES[qtype]
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    nblocks = rows * cols // block
    blocks = rng.integers(0, 256, size=(nblocks, tsize), dtype=np.uint16).astype(np.uint8)
    for off in FP16_FIELDS[qtype]:
        blocks[:, off:off + 2] = finite_f16_bits(rng, nblocks).view(np.uint8).reshape(nblocks, 2)
    raw = blocks.reshape(*shape[:-1], cols // block * tsize)
    out = gguf.quants.dequantize(raw, qtype)
    assert out.dtype == np.float32 and out.shape == shape, (qtype, out.shape)
    return raw, qtype, out


def write_dequant_file(name: str, alignment: int | None, seed: int) -> None:
    rng = np.random.default_rng(seed)
    path = os.path.join(OUT, name + ".gguf")
    w = gguf.GGUFWriter(path, arch="fixture")
    if alignment is not None:
        w.add_custom_alignment(alignment)
    w.add_uint32("general.quantization_version", 2)
    w.add_string("general.name", name)
    expected = []
    for qtype in TYPES:
        for shape in SHAPES:
            if qtype in (T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K, T.IQ4_XS) and shape[-1] % 256:
                continue
            data, raw_dtype, deq = make_tensor(rng, qtype, shape)
            tname = f"{qtype.name.lower()}.{'x'.join(map(str, shape))}"
            w.add_tensor(tname, data, raw_dtype=raw_dtype)
            expected.append(np.ascontiguousarray(deq, dtype="<f4").ravel())
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    np.concatenate(expected).astype("<f4").tofile(os.path.join(OUT, name + ".expected.f32"))


def write_metadata_file() -> None:
    path = os.path.join(OUT, "metadata.gguf")
    w = gguf.GGUFWriter(path, arch="metatest")
    w.add_key_value("test.u8", 200, V.UINT8)
    w.add_key_value("test.i8", -100, V.INT8)
    w.add_key_value("test.u16", 60000, V.UINT16)
    w.add_key_value("test.i16", -30000, V.INT16)
    w.add_key_value("test.u32", 4000000000, V.UINT32)
    w.add_key_value("test.i32", -2000000000, V.INT32)
    w.add_key_value("test.f32", 0.1, V.FLOAT32)
    w.add_key_value("test.bool_true", True, V.BOOL)
    w.add_key_value("test.bool_false", False, V.BOOL)
    w.add_key_value("test.string", "héllo, GGUF ✓", V.STRING)
    w.add_key_value("test.empty_string", "", V.STRING)
    w.add_key_value("test.u64", 18000000000000000000, V.UINT64)
    w.add_key_value("test.i64", -9000000000000000000, V.INT64)
    w.add_key_value("test.f64", -2.5e-300, V.FLOAT64)
    w.add_key_value("test.arr_i32", [1, -2, 3], V.ARRAY, sub_type=V.INT32)
    w.add_key_value("test.arr_u8", [0, 127, 255], V.ARRAY, sub_type=V.UINT8)
    w.add_key_value("test.arr_f32", [0.5, -1.25, 3.0e38], V.ARRAY, sub_type=V.FLOAT32)
    w.add_key_value("test.arr_bool", [True, False, True], V.ARRAY, sub_type=V.BOOL)
    w.add_key_value("test.arr_str", ["a", "", "ünïcode", "tokens ▁x"], V.ARRAY, sub_type=V.STRING)
    w.add_key_value("test.arr_arr", [[1, 2], [3], [4, 5, 6]], V.ARRAY)  # inner arrays of INT32
    w.add_key_value("test.arr_arr_str", [["x", "y"], ["z"]], V.ARRAY)
    w.add_key_value("test.arr_f64", [1.0, -0.0], V.ARRAY, sub_type=V.FLOAT64)
    w.add_tensor("tiny", np.arange(4, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_quant_refs() -> None:
    rng = np.random.default_rng(SEED + 7)
    x = (rng.standard_normal((QUANT_ROWS, QUANT_COLS)) *
         np.exp(rng.uniform(-6, 6, size=(QUANT_ROWS, 1)))).astype(np.float32)
    # Edge rows: all zeros; exact rounding ties for Q8_0 (max 127 -> d = 1) and Q4_0 (max -8 -> d = 1);
    # a repeated |max| with both signs (first occurrence wins); tiny values (1/d must stay finite).
    x[0] = 0
    ties = np.array([127, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, -126.5, 3.5] + [0.25] * 22, dtype=np.float32)
    x[1, :32] = ties
    q4ties = np.array([-8, -7.5, -6.5, 6.5, 7.5, 7.49, -0.5, 0.5, 1.5, -1.5] + [0.0] * 22, dtype=np.float32)
    x[1, 32:64] = q4ties
    x[1, 64:96] = np.array([3, -3] + [1] * 30, dtype=np.float32)
    x[1, 96:128] = np.array([-3, 3] + [1] * 30, dtype=np.float32)
    x[2] = (rng.standard_normal(QUANT_COLS) * 1e-33).astype(np.float32)
    x[3] = (rng.standard_normal(QUANT_COLS) * 6e4).astype(np.float32)
    x.astype("<f4").tofile(os.path.join(OUT, "quant_input.f32"))
    for qtype, fname in ((T.Q8_0, "quant_q8_0.bin"), (T.Q4_0, "quant_q4_0.bin")):
        q = gguf.quants.quantize(x, qtype)
        assert q.dtype == np.uint8
        q.tofile(os.path.join(OUT, fname))


def main() -> None:
    version = importlib.metadata.version("gguf")
    if version != EXPECTED_GGUF:
        sys.exit(f"gguf=={EXPECTED_GGUF} required, found {version}")
    os.makedirs(OUT, exist_ok=True)
    write_dequant_file("dequant_a32", None, SEED)
    write_dequant_file("dequant_a64", 64, SEED + 1)
    write_metadata_file()
    write_quant_refs()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
