#!/usr/bin/env python3
"""make_corrupt_fixtures.py: small broken (and a few valid control) checkpoint files for reader tests.

Writes into Fixtures/corrupt/ (the directory is recreated; it must be empty or hold a previous
manifest.json):
  *.safetensors, *.gguf, *.bin      single-file cases
  <case>/model.safetensors.index.json (+ shards)   sharded-index cases, one directory each
  manifest.json                     every case: path, format, expect ("error" | "ok"), error_contains,
                                    description; plus "phrases", the condition each phrase stands for

Every case starts from a valid tiny file built here (safetensors, GGUF v3, PyTorch zip with a
hand-written protocol-2 data.pkl) and breaks exactly one thing where possible. A reader under test must
reject each "error" case with a message containing error_contains (case-insensitive substring) without
crashing, hanging or allocating absurd amounts of memory, and must accept each "ok" control.

The expected phrases are stable key phrases, one per *detectable condition* (not per way of making
it): a file truncated inside the safetensors header, for example, is indistinguishable from a header
length that points past EOF, so both expect "header length". See manifest["phrases"].

Dependencies: none beyond the Python 3.9+ standard library. If numpy/safetensors/gguf/torch are
importable (the tools venv, Tools/requirements.txt), a cross-check runs at the end: the "ok" controls
must load with the reference libraries, and the script prints which "error" cases those libraries
accept anyway (informational: they are more lenient than our reader in places).

Usage:
  python3 Tools/make_corrupt_fixtures.py [--out DIR]      (default <repo>/Fixtures/corrupt)
  $VENV/bin/python Tools/make_corrupt_fixtures.py         (same, plus the cross-check)
  VENV = ${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}/tools-venv, created by `make tools-venv`.

Deterministic (fixed bytes, fixed zip timestamps); no network.
"""
from __future__ import annotations

import argparse
import io
import json
import shutil
import struct
import sys
import zipfile
from pathlib import Path

# --------------------------------------------------------------------------------------------------
# phrases: one per condition a reader detects

PHRASES = {
    "empty": "the file is 0 bytes long",
    "truncated": "fewer bytes than a fixed-size field needs (safetensors: file < 8 bytes; GGUF: EOF inside "
                 "the header, a KV or a tensor info, including a string or array whose length runs past EOF; "
                 "zip: a local-file header is present but the central directory/end record is cut off)",
    "header length": "safetensors: 8 + header length > file size",
    "exceeds": "safetensors: header length > 100,000,000 (checked before the file-size check)",
    "UTF-8": "safetensors: header is not valid UTF-8",
    "invalid JSON": "header / index is not parseable JSON (including a 0-length header)",
    "JSON object": "safetensors: header is valid JSON but not an object starting with '{'",
    "dtype": "safetensors: tensor entry without a dtype",
    "unknown dtype": "safetensors: dtype string not in the safetensors Dtype enum",
    "negative": "safetensors: negative dimension in a shape",
    "overflow": "element count or byte count overflows 64-bit arithmetic",
    "__metadata__": "safetensors: __metadata__ is not a map of string to string",
    "data_offsets": "safetensors: data_offsets begin > end",
    "overlap": "safetensors: a tensor starts before the previous one (in offset order) ends",
    "gap": "safetensors: a tensor starts after the previous one ends (or the first does not start at 0)",
    "byte length": "safetensors: end - begin != prod(shape) * dtype size",
    "out of bounds": "tensor data run past the end of the file (safetensors: last end > data size; "
                     "GGUF: offset + nbytes > data size)",
    "trailing": "safetensors: bytes after the last tensor",
    "magic": "GGUF: the first 4 bytes are not 'GGUF'",
    "version": "GGUF: version not 2 or 3 (includes byte-swapped/big-endian files)",
    "count": "GGUF: tensor count, KV count or array element count cannot fit in the remaining bytes",
    "value type": "GGUF: KV value type id outside 0...12",
    "alignment": "GGUF: general.alignment is 0 or not a power of two",
    "unknown ggml type": "GGUF: tensor ggml type id unknown or removed",
    "dimensions": "GGUF: n_dims > 4",
    "block": "GGUF: ne[0] is not a multiple of the type's block size",
    "aligned": "GGUF: tensor offset not a multiple of the alignment",
    "duplicate": "GGUF: a key or a tensor name appears twice",
    "not found": "a shard file named by the index, or a zip record named by data.pkl, does not exist",
    "not present": "index weight_map names a tensor that its shard does not contain",
    "weight_map": "index JSON has no weight_map object",
    "shard name": "index names a shard that is not a plain file name in the index's directory",
    "data.pkl": "zip archive without a */data.pkl record",
    "zip": "a .bin that is neither a zip archive nor a legacy torch pickle",
    "legacy": "legacy (pre-1.6, non-zip) torch.save format, not supported",
    "compressed": "a zip record the reader must mmap is compressed (torch writes STORED records only)",
    "global": "data.pkl references a pickle GLOBAL outside the allow-list",
}

CASES: list[dict] = []


def add(out: Path, rel: str, data: bytes, fmt: str, phrase: str | None, desc: str) -> None:
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    record(rel, fmt, phrase, desc)


def record(rel: str, fmt: str, phrase: str | None, desc: str) -> None:
    if phrase is not None and phrase not in PHRASES:
        raise SystemExit(f"unknown phrase {phrase!r}")
    CASES.append({
        "path": rel,
        "format": fmt,
        "expect": "ok" if phrase is None else "error",
        "error_contains": phrase,
        "description": desc,
    })


# --------------------------------------------------------------------------------------------------
# safetensors

def st_raw(header: bytes, data: bytes, declared_len: int | None = None) -> bytes:
    n = len(header) if declared_len is None else declared_len
    return struct.pack("<Q", n) + header + data


def st_header(entries: dict, metadata: dict | None = {"format": "pt"}, pad8: bool = True) -> bytes:
    obj = {}
    if metadata is not None:
        obj["__metadata__"] = metadata
    obj.update(entries)
    h = json.dumps(obj, separators=(",", ":")).encode()
    if pad8:
        h += b" " * ((8 - len(h) % 8) % 8)
    return h


F32_A = struct.pack("<4f", 1.0, -2.0, 0.5, 3.25)          # 16 bytes
F16_B = struct.pack("<4e", 1.0, 2.0, -1.0, 0.0)          # 8 bytes


def st_valid() -> tuple[bytes, bytes, bytes]:
    """The base file: a F32 [2,2] then b F16 [4], contiguous, header padded to 8."""
    entries = {
        "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
        "b": {"dtype": "F16", "shape": [4], "data_offsets": [16, 24]},
    }
    h = st_header(entries)
    data = F32_A + F16_B
    return st_raw(h, data), h, data


def st_with(entries: dict, data: bytes, metadata: dict | None = {"format": "pt"}) -> bytes:
    return st_raw(st_header(entries, metadata), data)


def make_safetensors(out: Path) -> None:
    valid, h, data = st_valid()
    S = "safetensors"

    add(out, "ok_tiny.safetensors", valid, S, None, "valid control: a F32 [2,2], b F16 [4]")
    # valid edge cases: unpadded header (so data start is not 8-aligned), scalar, empty tensor, BF16
    edge_entries = {
        "scalar": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]},
        "empty": {"dtype": "F32", "shape": [0, 3], "data_offsets": [4, 4]},
        "bf": {"dtype": "BF16", "shape": [3], "data_offsets": [4, 10]},
        "i8": {"dtype": "I8", "shape": [1], "data_offsets": [10, 11]},
    }
    edge = st_raw(st_header(edge_entries, pad8=False),
                  struct.pack("<f", 7.0) + bytes.fromhex("803f0040c0c0") + b"\x05")
    assert (8 + len(st_header(edge_entries, pad8=False))) % 8 != 0
    add(out, "ok_edge.safetensors", edge, S, None,
        "valid control: header not padded (data start unaligned), scalar [], empty [0,3], BF16 [3], I8 [1]")

    add(out, "st_empty.safetensors", b"", S, "empty", "0-byte file")
    add(out, "st_trunc_in_length.safetensors", valid[:5], S, "truncated",
        "cut inside the 8-byte header length (5 bytes)")
    add(out, "st_trunc_in_header.safetensors", valid[:8 + len(h) // 2], S, "header length",
        "cut in the middle of the JSON header: 8 + N > file size")
    add(out, "st_trunc_after_header.safetensors", valid[:8 + len(h)], S, "out of bounds",
        "cut exactly after the header: no tensor data at all")
    add(out, "st_trunc_in_data.safetensors", valid[:-5], S, "out of bounds",
        "cut 5 bytes before the end, inside tensor b")
    add(out, "st_header_len_past_eof.safetensors", st_raw(h, data, declared_len=4096), S, "header length",
        "header length 4096 in a 104-byte file")
    add(out, "st_header_len_too_large.safetensors", st_raw(h, data, declared_len=100_000_001), S, "exceeds",
        "header length 100,000,001 (> 100 MB limit)")
    add(out, "st_header_len_u64max.safetensors", st_raw(h, data, declared_len=2**64 - 1), S, "exceeds",
        "header length 2^64-1 (8 + N wraps in u64)")
    add(out, "st_header_len_zero.safetensors", st_raw(b"", data, declared_len=0), S, "invalid JSON",
        "header length 0: empty header text")

    bad_json = b'{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},'  # unterminated
    bad_json += b" " * ((8 - len(bad_json) % 8) % 8)
    add(out, "st_invalid_json.safetensors", st_raw(bad_json, F32_A), S, "invalid JSON",
        "header JSON is cut off (unterminated object)")
    arr = b'[{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}]'
    arr += b" " * ((8 - len(arr) % 8) % 8)
    add(out, "st_header_not_object.safetensors", st_raw(arr, F32_A), S, "JSON object",
        "header is a JSON array, does not start with '{'")
    lead = b'  {"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}'
    lead += b" " * ((8 - len(lead) % 8) % 8)
    add(out, "st_header_leading_space.safetensors", st_raw(lead, F32_A), S, "JSON object",
        "header starts with spaces before '{' (valid JSON, but the spec requires '{' first)")
    nonutf = b'{"\xff\xfe":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}'
    nonutf += b" " * ((8 - len(nonutf) % 8) % 8)
    add(out, "st_header_not_utf8.safetensors", st_raw(nonutf, F32_A), S, "UTF-8",
        "tensor name contains bytes FF FE (not UTF-8)")

    add(out, "st_offsets_out_of_bounds.safetensors", st_with({
        "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
        "b": {"dtype": "F32", "shape": [268435456], "data_offsets": [16, 16 + 2**30]},
    }, F32_A + F16_B), S, "out of bounds",
        "b claims [16, 16+2^30) (shape consistent) but only 8 data bytes follow a")
    add(out, "st_overlap.safetensors", st_with({
        "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
        "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]},
    }, F32_A + F16_B), S, "overlap", "a [0,16) and b [8,24) overlap")
    add(out, "st_gap.safetensors", st_with({
        "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
        "b": {"dtype": "F16", "shape": [4], "data_offsets": [20, 28]},
    }, F32_A + b"\0" * 4 + F16_B), S, "gap", "4 unused bytes between a [0,16) and b [20,28)")
    add(out, "st_gap_at_start.safetensors", st_with({
        "a": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]},
    }, b"\0" * 8 + F32_A), S, "gap", "the only tensor starts at 8, not 0")
    add(out, "st_trailing_bytes.safetensors", valid + b"\0" * 8, S, "trailing",
        "valid file plus 8 bytes after the last tensor")
    add(out, "st_shape_bytes_mismatch.safetensors", st_with({
        "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]},
        "b": {"dtype": "F16", "shape": [4], "data_offsets": [12, 20]},
    }, F32_A[:12] + F16_B), S, "byte length", "a F32 [2,2] needs 16 bytes, offsets give 12 (contiguous)")
    add(out, "st_dtype_size_mismatch.safetensors", st_with({
        "a": {"dtype": "F64", "shape": [2, 2], "data_offsets": [0, 16]},
        "b": {"dtype": "F16", "shape": [4], "data_offsets": [16, 24]},
    }, F32_A + F16_B), S, "byte length", "a declared F64 [2,2] (32 bytes) over 16 bytes")
    add(out, "st_shape_overflow.safetensors", st_with({
        "a": {"dtype": "F32", "shape": [2**32, 2**32], "data_offsets": [0, 16]},
    }, F32_A), S, "overflow", "shape [2^32, 2^32]: element count 2^64 overflows int64/uint64")
    add(out, "st_nbytes_overflow.safetensors", st_with({
        "a": {"dtype": "F32", "shape": [2**61, 2], "data_offsets": [0, 16]},
    }, F32_A), S, "overflow", "shape [2^61, 2] F32: 2^62 elements fit, but 2^64 bytes overflow")
    add(out, "st_negative_dim.safetensors", st_with({
        "a": {"dtype": "F32", "shape": [-1, 4], "data_offsets": [0, 16]},
    }, F32_A), S, "negative", "shape [-1, 4]")
    add(out, "st_unknown_dtype.safetensors", st_with({
        "a": {"dtype": "X9", "shape": [2, 2], "data_offsets": [0, 16]},
    }, F32_A), S, "unknown dtype", "dtype \"X9\"")
    add(out, "st_missing_dtype.safetensors", st_with({
        "a": {"shape": [2, 2], "data_offsets": [0, 16]},
    }, F32_A), S, "dtype", "tensor entry without a dtype key")
    add(out, "st_metadata_not_string.safetensors", st_with({
        "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
    }, F32_A, metadata={"format": "pt", "step": 5}), S, "__metadata__",
        "__metadata__ {\"format\":\"pt\",\"step\":5}: a non-string value")
    add(out, "st_begin_after_end.safetensors", st_with({
        "b": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
        "a": {"dtype": "F32", "shape": [4], "data_offsets": [16, 0]},
    }, F32_A), S, "data_offsets", "a has data_offsets [16, 0] (begin > end)")


# --------------------------------------------------------------------------------------------------
# GGUF (hand-built so that every field can be broken)

GGUF_STRING, GGUF_ARRAY, GGUF_U8, GGUF_U32 = 8, 9, 0, 4
T_F32, T_Q8_0 = 0, 8


def g_str(s: bytes | str, declared_len: int | None = None) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b) if declared_len is None else declared_len) + b


def g_kv_str(key: str, val: str, declared_len: int | None = None) -> bytes:
    return g_str(key) + struct.pack("<I", GGUF_STRING) + g_str(val, declared_len)


def g_kv_u32(key: str, val: int) -> bytes:
    return g_str(key) + struct.pack("<I", GGUF_U32) + struct.pack("<I", val)


def g_tensor_info(name: str, ne: list[int], ggml_type: int, offset: int) -> bytes:
    return (g_str(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", x) for x in ne)
            + struct.pack("<I", ggml_type) + struct.pack("<Q", offset))


def q8_0_block(values: list[float]) -> bytes:
    amax = max(abs(v) for v in values)
    d = amax / 127.0
    q = [int(round(v / d)) if d else 0 for v in values]
    return struct.pack("<e", d) + struct.pack("<32b", *q)


T0 = struct.pack("<8f", *[float(i) - 3.5 for i in range(8)])                       # F32 ne [4, 2]
T1 = q8_0_block([((i * 7) % 32 - 16) / 8.0 for i in range(32)])                      # Q8_0 ne [32]


def gguf(*, magic: bytes = b"GGUF", version: int = 3, n_tensors: int | None = None, n_kv: int | None = None,
         kvs: list[bytes] | None = None, infos: list[bytes] | None = None, data: bytes | None = None,
         align: int = 32) -> bytes:
    if kvs is None:
        kvs = [g_kv_str("general.architecture", "llama"), g_kv_u32("general.alignment", 32),
               g_kv_u32("general.quantization_version", 2)]
    if infos is None:
        infos = [g_tensor_info("t.f32", [4, 2], T_F32, 0), g_tensor_info("t.q8", [32], T_Q8_0, 32)]
    if data is None:
        data = T0 + T1 + b"\0" * 30       # t.f32 [0,32) ; t.q8 [32,66) padded to 96
    head = (magic + struct.pack("<I", version)
            + struct.pack("<Q", len(infos) if n_tensors is None else n_tensors)
            + struct.pack("<Q", len(kvs) if n_kv is None else n_kv)
            + b"".join(kvs) + b"".join(infos))
    pad = (align - len(head) % align) % align if infos else 0
    return head + b"\0" * pad + data


def make_gguf(out: Path) -> None:
    G = "gguf"
    valid = gguf()
    add(out, "ok_tiny.gguf", valid, G, None,
        "valid control: GGUF v3, 3 KVs, t.f32 F32 ne [4,2], t.q8 Q8_0 ne [32], alignment 32")
    add(out, "gguf_empty.gguf", b"", G, "empty", "0-byte file")
    add(out, "gguf_bad_magic.gguf", gguf(magic=b"GGUG"), G, "magic", "magic 'GGUG'")
    add(out, "gguf_version1.gguf", gguf(version=1), G, "version", "version 1 (u32 counts; unsupported)")
    add(out, "gguf_version4.gguf", gguf(version=4), G, "version", "version 4 (unknown)")
    add(out, "gguf_version_big_endian.gguf", gguf(version=3 << 24), G, "version",
        "version bytes 00 00 00 03 (a big-endian file read as little-endian)")
    add(out, "gguf_trunc_in_header.gguf", valid[:12], G, "truncated", "cut after 12 bytes, inside tensor_count")
    add(out, "gguf_tensor_count_absurd.gguf", gguf(n_tensors=2**62), G, "count", "tensor_count 2^62")
    add(out, "gguf_kv_count_absurd.gguf", gguf(n_kv=2**62), G, "count", "kv_count 2^62")
    kvs = [g_kv_str("general.architecture", "llama", declared_len=2**40), g_kv_u32("general.alignment", 32)]
    add(out, "gguf_string_len_past_eof.gguf", gguf(kvs=kvs), G, "truncated",
        "general.architecture value string claims 2^40 bytes")
    kvs = [g_str("general.architecture", declared_len=10**12)]
    add(out, "gguf_key_len_past_eof.gguf", gguf(kvs=kvs, infos=[], data=b""), G, "truncated",
        "first KV key string claims 10^12 bytes")
    arr = (g_str("tokenizer.ggml.token_type") + struct.pack("<I", GGUF_ARRAY) + struct.pack("<I", GGUF_U8)
           + struct.pack("<Q", 2**62) + b"\x01\x01")
    add(out, "gguf_array_count_absurd.gguf",
        gguf(kvs=[g_kv_str("general.architecture", "llama"), arr]), G, "count",
        "UINT8 array with element count 2^62")
    # truncated inside the KV section: cut in the middle of the second KV
    kv_end0 = 24 + len(g_kv_str("general.architecture", "llama"))
    add(out, "gguf_trunc_in_kv.gguf", valid[:kv_end0 + 10], G, "truncated",
        "cut inside the second KV (general.alignment key)")
    kv_total = 24 + sum(len(k) for k in [g_kv_str("general.architecture", "llama"),
                                         g_kv_u32("general.alignment", 32),
                                         g_kv_u32("general.quantization_version", 2)])
    add(out, "gguf_trunc_in_tensor_info.gguf", valid[:kv_total + 13], G, "truncated",
        "cut inside the first tensor info")
    bad_type_kv = g_str("general.architecture") + struct.pack("<I", 13) + g_str("llama")
    add(out, "gguf_bad_value_type.gguf", gguf(kvs=[bad_type_kv]), G, "value type", "KV value type 13")
    add(out, "gguf_alignment_not_pow2.gguf",
        gguf(kvs=[g_kv_str("general.architecture", "llama"), g_kv_u32("general.alignment", 48)], align=48),
        G, "alignment", "general.alignment = 48")
    add(out, "gguf_alignment_zero.gguf",
        gguf(kvs=[g_kv_str("general.architecture", "llama"), g_kv_u32("general.alignment", 0)]),
        G, "alignment", "general.alignment = 0")
    add(out, "gguf_duplicate_key.gguf",
        gguf(kvs=[g_kv_str("general.architecture", "llama"), g_kv_str("general.architecture", "phi3")]),
        G, "duplicate", "general.architecture twice")
    add(out, "gguf_duplicate_tensor.gguf",
        gguf(infos=[g_tensor_info("t.f32", [4, 2], T_F32, 0), g_tensor_info("t.f32", [4, 2], T_F32, 32)],
             data=T0 + T0), G, "duplicate", "tensor name t.f32 twice")
    add(out, "gguf_unknown_ggml_type.gguf",
        gguf(infos=[g_tensor_info("t.f32", [4, 2], 99, 0), g_tensor_info("t.q8", [32], T_Q8_0, 32)]),
        G, "unknown ggml type", "t.f32 has ggml type 99")
    add(out, "gguf_removed_ggml_type.gguf",
        gguf(infos=[g_tensor_info("t.f32", [4, 2], T_F32, 0), g_tensor_info("t.q8", [32], 4, 32)]),
        G, "unknown ggml type", "t.q8 has ggml type 4 (removed Q4_2)")
    add(out, "gguf_n_dims_7.gguf",
        gguf(infos=[g_tensor_info("t.f32", [4, 2, 1, 1, 1, 1, 1], T_F32, 0),
                    g_tensor_info("t.q8", [32], T_Q8_0, 32)]), G, "dimensions", "t.f32 has n_dims 7")
    add(out, "gguf_ne_overflow.gguf",
        gguf(infos=[g_tensor_info("t.f32", [2**32, 2**32], T_F32, 0),
                    g_tensor_info("t.q8", [32], T_Q8_0, 32)]), G, "overflow",
        "t.f32 ne [2^32, 2^32]: element count 2^64")
    add(out, "gguf_block_mismatch.gguf",
        gguf(infos=[g_tensor_info("t.f32", [4, 2], T_F32, 0), g_tensor_info("t.q8", [30], T_Q8_0, 32)]),
        G, "block", "t.q8 Q8_0 with ne[0] = 30 (block size 32)")
    add(out, "gguf_misaligned_offset.gguf",
        gguf(infos=[g_tensor_info("t.f32", [4, 2], T_F32, 0), g_tensor_info("t.q8", [32], T_Q8_0, 33)],
             data=T0 + b"\0" + T1 + b"\0" * 29), G, "aligned", "t.q8 at offset 33 with alignment 32")
    add(out, "gguf_tensor_past_eof.gguf",
        gguf(infos=[g_tensor_info("t.f32", [4, 2], T_F32, 0), g_tensor_info("t.q8", [32], T_Q8_0, 32 * 1024)]),
        G, "out of bounds", "t.q8 at offset 32768 of a 96-byte data section")
    add(out, "gguf_trunc_in_data.gguf", valid[:len(valid) - 60], G, "out of bounds",
        "file cut inside t.q8's data")


# --------------------------------------------------------------------------------------------------
# sharded safetensors index

def index_json(weight_map: dict, total_size: int) -> bytes:
    return (json.dumps({"metadata": {"total_size": total_size}, "weight_map": weight_map}, indent=2) + "\n").encode()


def make_index(out: Path) -> None:
    I = "safetensors-index"
    s1 = st_with({"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, F32_A)
    s2 = st_with({"b": {"dtype": "F16", "shape": [4], "data_offsets": [0, 8]}}, F16_B)
    n1, n2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
    idx = "model.safetensors.index.json"

    def shard_dir(name: str, weight_map: dict | None, shards: dict, phrase: str | None, desc: str,
                  raw_index: bytes | None = None) -> None:
        d = out / name
        d.mkdir(parents=True, exist_ok=True)
        for fn, data in shards.items():
            (d / fn).write_bytes(data)
        (d / idx).write_bytes(raw_index if raw_index is not None else index_json(weight_map, 24))
        record(f"{name}/{idx}", I, phrase, desc)

    shard_dir("ok_shard", {"a": n1, "b": n2}, {n1: s1, n2: s2}, None,
              "valid control: 2 shards, a in shard 1, b in shard 2")
    shard_dir("shard_missing", {"a": n1, "b": n2}, {n1: s1}, "not found",
              f"weight_map names {n2}, which is absent")
    shard_dir("shard_name_absent", {"a": n1, "b": n2, "c": n2}, {n1: s1, n2: s2}, "not present",
              f"weight_map says c is in {n2}, which holds only b")
    shard_dir("shard_path_traversal", {"a": n1, "b": "../ok_shard/" + n2}, {n1: s1}, "shard name",
              "weight_map names ../ok_shard/model-00002-of-00002.safetensors (escapes the directory)")
    shard_dir("shard_no_weight_map", None, {n1: s1}, "weight_map", "index has metadata but no weight_map",
              raw_index=b'{"metadata": {"total_size": 16}}\n')
    shard_dir("shard_index_invalid_json", None, {n1: s1}, "invalid JSON", "index JSON is cut off",
              raw_index=index_json({"a": n1}, 16)[:30])
    shard_dir("shard_index_empty", None, {n1: s1}, "empty", "0-byte index file", raw_index=b"")


# --------------------------------------------------------------------------------------------------
# PyTorch zip checkpoints (torch.save format, hand-written so the bytes are fixed)

def p_global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def p_str(s: str) -> bytes:
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def p_int(i: int) -> bytes:
    return b"K" + bytes([i]) if 0 <= i < 256 else b"J" + struct.pack("<i", i)


def p_tuple(items: list[bytes]) -> bytes:
    return b"(" + b"".join(items) + b"t"


def state_dict_pickle(tensors: list[tuple[str, str, str, list[int]]]) -> bytes:
    """Protocol-2 pickle of OrderedDict{name: tensor}; tensors: (name, storage class, key, shape)."""
    out = b"\x80\x02" + p_global("collections", "OrderedDict") + b")R("
    for name, storage, key, shape in tensors:
        numel = 1
        for s in shape:
            numel *= s
        stride, acc = [], 1
        for s in reversed(shape):
            stride.insert(0, acc)
            acc *= s
        out += p_str(name) + p_global("torch._utils", "_rebuild_tensor_v2")
        out += b"("                                                    # args of _rebuild_tensor_v2
        out += p_tuple([p_str("storage"), p_global("torch", storage), p_str(key), p_str("cpu"), p_int(numel)])
        out += b"Q"                                                    # BINPERSID
        out += p_int(0) + p_tuple([p_int(s) for s in shape]) + p_tuple([p_int(s) for s in stride])
        out += b"\x89" + p_global("collections", "OrderedDict") + b")R"   # requires_grad, hooks
        out += b"tR"
    return out + b"u."


def torch_zip(records: list[tuple[str, bytes]], compress: set[str] = frozenset(), prefix: str = "archive") -> bytes:
    """Zip like torch.save: STORED records, data records' payload aligned to 64 bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, payload in records:
            full = f"{prefix}/{name}"
            zi = zipfile.ZipInfo(full, date_time=(1980, 1, 1, 0, 0, 0))
            zi.create_system = 0
            zi.external_attr = 0
            zi.compress_type = zipfile.ZIP_DEFLATED if name in compress else zipfile.ZIP_STORED
            if name.startswith("data/") and name not in compress:
                here = buf.tell() + 30 + len(full.encode())
                extra_len = (64 - (here + 4) % 64) % 64 + 4     # 4-byte extra-field header + padding
                zi.extra = struct.pack("<HH", 0x4655, extra_len - 4) + b"\0" * (extra_len - 4)  # 'FU' pad
            z.writestr(zi, payload)
    return buf.getvalue()


W_BYTES = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)


def make_zip(out: Path) -> None:
    B = "torch-zip"
    pkl = state_dict_pickle([("w", "FloatStorage", "0", [2, 2])])
    base = [("data.pkl", pkl), ("byteorder", b"little"), ("data/0", W_BYTES), ("version", b"3\n")]
    valid = torch_zip(base)
    add(out, "ok_torch.bin", valid, B, None, "valid control: torch.save-style zip, OrderedDict{w: float32 [2,2]}")
    add(out, "bin_empty.bin", b"", B, "empty", "0-byte file")
    add(out, "zip_no_data_pkl.bin",
        torch_zip([("data.pickle", pkl), ("byteorder", b"little"), ("data/0", W_BYTES), ("version", b"3\n")]),
        B, "data.pkl", "valid zip whose pickle record is named data.pickle")
    add(out, "zip_truncated.bin", valid[: len(valid) * 2 // 3], B, "truncated",
        "the first 2/3 of ok_torch.bin: starts with PK\\x03\\x04, no central directory")
    add(out, "bin_not_zip.bin", b"this is not a checkpoint, just text\n" * 2, B, "zip", "plain text")
    legacy = (b"\x80\x02\x8a\x0a" + (0x1950A86A20F9469CFC6C).to_bytes(10, "little") + b".")
    add(out, "bin_legacy_format.bin", legacy + b"\x80\x02M\xe9\x03.", B, "legacy",
        "legacy torch.save stream: pickled magic number 0x1950a86a20f9469cfc6c, protocol 1001")
    add(out, "zip_missing_storage.bin",
        torch_zip([("data.pkl", pkl), ("byteorder", b"little"), ("version", b"3\n")]), B, "not found",
        "data.pkl references storage key 0 but there is no archive/data/0")
    add(out, "zip_compressed_storage.bin", torch_zip(base, compress={"data/0"}), B, "compressed",
        "archive/data/0 is DEFLATE-compressed")
    evil = b"\x80\x02" + p_global("builtins", "print") + p_tuple([p_str("vlmembed corrupt fixture")]) + b"R."
    add(out, "zip_disallowed_global.bin",
        torch_zip([("data.pkl", evil), ("byteorder", b"little"), ("version", b"3\n")]), B, "global",
        "data.pkl calls builtins.print (harmless, but not on any allow-list)")


# --------------------------------------------------------------------------------------------------
# optional cross-check against the reference Python libraries

def cross_check(out: Path) -> int:
    failures = 0
    lenient = []
    try:
        from safetensors import safe_open
    except ImportError:
        safe_open = None
    try:
        from gguf import GGUFReader
        from gguf.quants import dequantize
    except ImportError:
        GGUFReader = None
    try:
        import torch
    except ImportError:
        torch = None

    def load(case) -> None:
        p = out / case["path"]
        fmt = case["format"]
        if fmt == "safetensors":
            with safe_open(str(p), "np") as f:
                for k in f.keys():
                    f.get_tensor(k)
        elif fmt == "gguf":
            r = GGUFReader(str(p))
            for t in r.tensors:
                dequantize(t.data, t.tensor_type)
        elif fmt == "safetensors-index":
            idx = json.loads(p.read_text())
            wm = idx["weight_map"]
            for name, shard in wm.items():
                with safe_open(str(p.parent / shard), "np") as f:
                    f.get_tensor(name)
        elif fmt == "torch-zip":
            torch.load(str(p), weights_only=True, map_location="cpu")

    have = {"safetensors": safe_open is not None, "safetensors-index": safe_open is not None,
            "gguf": GGUFReader is not None, "torch-zip": torch is not None}
    checked = 0
    for case in CASES:
        if not have[case["format"]]:
            continue
        checked += 1
        try:
            load(case)
            ok, err = True, None
        except BaseException as e:  # noqa: BLE001 - reference libraries raise anything
            if isinstance(e, KeyboardInterrupt):
                raise
            ok, err = False, f"{type(e).__name__}: {str(e)[:100]}"
        if case["expect"] == "ok" and not ok:
            print(f"  FAIL control {case['path']}: {err}")
            failures += 1
        elif case["expect"] == "error" and ok:
            lenient.append(case["path"])
    if checked:
        print(f"cross-check with reference libraries: {checked} cases, {failures} control failures")
        if lenient:
            print("  accepted by the reference Python library although our reader must reject them:")
            for p in lenient:
                print(f"    {p}")
    else:
        print("cross-check skipped (safetensors/gguf/torch not importable)")
    return failures


def main() -> int:
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=repo / "Fixtures" / "corrupt")
    ap.add_argument("--no-check", action="store_true", help="skip the reference-library cross-check")
    args = ap.parse_args()
    out: Path = args.out
    if out.exists():
        if any(out.iterdir()) and not (out / "manifest.json").exists():
            print(f"make_corrupt_fixtures: refusing to clear {out}: not empty and no manifest.json", file=sys.stderr)
            return 1
        shutil.rmtree(out)
    out.mkdir(parents=True)

    make_safetensors(out)
    make_gguf(out)
    make_index(out)
    make_zip(out)

    manifest = {
        "generator": "Tools/make_corrupt_fixtures.py",
        "match": "error_contains is a case-insensitive substring of the reader's error message; "
                 "expect \"ok\" cases are valid controls that must load",
        "phrases": PHRASES,
        "cases": CASES,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    n_err = sum(c["expect"] == "error" for c in CASES)
    print(f"wrote {len(CASES)} cases ({n_err} error, {len(CASES) - n_err} ok) to {out}, {total} bytes")
    if total > 200_000:
        print("make_corrupt_fixtures: error: fixtures exceed 200 KB", file=sys.stderr)
        return 1
    if not args.no_check and cross_check(out):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
