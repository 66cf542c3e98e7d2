#!/usr/bin/env python3
"""Writes the PyTorch-checkpoint test fixtures in Fixtures/torch/.

Pinned versions: torch==2.15.0, numpy==2.4.6 (Python 3.11).
Run from the repository root:

    /root/.cache/vlmembed/tools-venv/bin/python Tools/make_torch_fixtures.py

Output is deterministic (fixed seed, fixed zip timestamps), except legacy.bin, whose legacy
format names storages by memory address. Files written:

  state_dict.bin       torch.save of a nested state dict covering every dtype, strided
                       views, shared storages, a scalar, an empty tensor, a Parameter,
                       an nn.Module state_dict (OrderedDict + BUILD of _metadata) and
                       non-tensor leaves (protocol 2, the torch.save default)
  state_dict_p4.bin    the same object saved with pickle_protocol=4 (STACK_GLOBAL, FRAME, MEMOIZE)
  zip64.bin            the state_dict.bin records rewritten with ZIP64 central directory records
  expected.json        per tensor, in pickle order: name, dtype, shape, contiguous LE bytes in hex;
                       plus the non-tensor leaves
  legacy.bin           torch.save(..., _use_new_zipfile_serialization=False) (unsupported format)
  big_endian.bin       state_dict.bin records with byteorder "big"
  deflated.bin         state_dict.bin records with data.pkl deflate-compressed
  no_data_pkl.bin      a zip with only byteorder/version records
  bad_storage_size.bin a storage whose persistent id claims more elements than its blob holds
  bad_view.bin         a tensor whose offset/size reach past its storage
  missing_blob.bin     a persistent id naming a data/<key> record that does not exist
  huge_expand.bin      a valid but zero-strided 2^20 x 2^20 view of a 4-element storage (4 TiB if copied)
  hostile_*.bin        data.pkl calls a forbidden global (os.system, builtins.eval, ...). These
                       pickles are assembled opcode by opcode and are NEVER unpickled here. Each
                       payload would create the marker file below if it ever ran.
"""
import collections
import io
import json
import os
import struct
import zipfile
import zlib

import numpy as np
import torch

MARKER = "/tmp/vlmembed_torch_fixture_pwned"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "torch")
PREFIX = "state_dict"


def state_dict():
    g = torch.Generator().manual_seed(1234)

    def randn(*shape, dtype=torch.float32):
        return torch.randn(*shape, generator=g).to(dtype)

    base = torch.arange(12, dtype=torch.float32) * 0.5 - 1.0
    linear = torch.nn.Linear(3, 2)
    with torch.no_grad():
        linear.weight.copy_(randn(2, 3))
        linear.bias.copy_(randn(2))
    sd = collections.OrderedDict()
    sd["bf16"] = randn(3, 4, dtype=torch.bfloat16)
    sd["f16"] = randn(5, dtype=torch.float16)
    sd["f32"] = randn(2, 3)
    sd["f64"] = randn(4, dtype=torch.float64)
    sd["i64"] = torch.randint(-(2**40), 2**40, (3,), generator=g, dtype=torch.int64)
    sd["i32"] = torch.randint(-(2**30), 2**30, (2, 2), generator=g, dtype=torch.int32)
    sd["i16"] = torch.randint(-(2**15), 2**15, (3,), generator=g, dtype=torch.int16)
    sd["i8"] = torch.randint(-128, 128, (6,), generator=g, dtype=torch.int8)
    sd["u8"] = torch.randint(0, 256, (2, 3), generator=g, dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True, True, False])
    sd["u16"] = torch.randint(0, 2**15, (4,), generator=g, dtype=torch.int32).to(torch.uint16)
    sd["f8e4m3"] = randn(4).to(torch.float8_e4m3fn)
    sd["nested"] = {
        "layer": {"weight": randn(2, 2), "bias": randn(2, dtype=torch.float16)},
        "scale": torch.tensor(2.5),
    }
    sd["transposed"] = randn(3, 5).t()  # non-contiguous, strides (1, 5)
    sd["shared_whole"] = base.view(3, 4)  # these three share one storage
    sd["shared_slice"] = base[4:10].view(2, 3)  # storage offset 4
    sd["shared_strided"] = base[1::3]  # offset 1, stride 3
    sd["expanded"] = torch.tensor([1.0, 2.0, 3.0]).expand(2, 3)  # stride (0, 1)
    sd["scalar"] = torch.tensor(3.25)
    sd["empty"] = torch.zeros(0, 3)
    sd["param"] = torch.nn.Parameter(randn(2))
    sd["module"] = linear.state_dict()  # OrderedDict with _metadata (BUILD)
    sd["step"] = 7
    sd["name"] = "fixture"
    sd["lr"] = 0.5
    sd["big"] = 2**70
    sd["flags"] = [1, 2, None, True]
    return sd


def flatten(obj, prefix, tensors, leaves):
    for k, v in obj.items():
        name = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, torch.Tensor):
            tensors.append((name, v))
        elif isinstance(v, dict):
            flatten(v, name, tensors, leaves)
        else:
            leaves[name] = v


DTYPE_NAMES = {
    torch.bfloat16: "BF16", torch.float16: "F16", torch.float32: "F32", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL", torch.uint16: "U16", torch.float8_e4m3fn: "F8_E4M3",
}


def expected_json(sd):
    tensors, leaves = [], {}
    flatten(sd, "", tensors, leaves)
    out = []
    for name, t in tensors:
        t = t.detach()
        raw = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
        out.append({"name": name, "dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "hex": raw.hex()})
    jl = {k: (str(v) if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 2**63 else v)
          for k, v in leaves.items()}
    return {"tensors": out, "leaves": jl}


# ---------------------------------------------------------------- zip writing

def zip_records(path):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def write_zip(path, records, compress=()):
    """Plain zip with stored entries (names in `compress` are deflated) and fixed timestamps."""
    with zipfile.ZipFile(path, "w") as z:
        for name, data in records:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if name in compress else zipfile.ZIP_STORED
            z.writestr(info, data)


def write_zip64(path, records):
    """Stored entries, 64-byte aligned data, with every size/offset in the central directory
    moved into ZIP64 extra fields and a ZIP64 end-of-central-directory record + locator."""
    out = bytearray()
    central = bytearray()
    for name, data in records:
        nb = name.encode()
        crc = zlib.crc32(data)
        offset = len(out)
        # local header: sizes in a ZIP64 extra field, padded so the data is 64-byte aligned
        extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        pad = (-(offset + 30 + len(nb) + len(extra) + 4)) % 64
        extra += struct.pack("<HH", 0xFB, pad) + b"Z" * pad
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc,
                           0xFFFFFFFF, 0xFFFFFFFF, len(nb), len(extra)) + nb + extra
        out += data
        cextra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc,
                               0xFFFFFFFF, 0xFFFFFFFF, len(nb), len(cextra), 0, 0, 0, 0,
                               0xFFFFFFFF) + nb + cextra
    cd_offset = len(out)
    out += central
    z64_offset = len(out)
    n = len(records)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, z64_offset, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path, "wb") as f:
        f.write(out)


# ---------------------------------------------------------------- hand-assembled pickles

def op_global(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def op_unicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def op_short_unicode(s):
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def call_p2(module, name, arg):
    """PROTO 2: GLOBAL module name; (arg,); REDUCE; STOP."""
    return b"\x80\x02" + op_global(module, name) + op_unicode(arg) + b"\x85R."


def call_p0(module, name, arg):
    """Protocol 0: GLOBAL, MARK, STRING 'arg', TUPLE, REDUCE, STOP."""
    return op_global(module, name) + b"(S" + repr(arg).encode() + b"\ntR."


def call_p4(module, name, arg):
    """PROTO 4 framed: STACK_GLOBAL from two short strings, (arg,), REDUCE, STOP."""
    body = (op_short_unicode(module) + b"\x94" + op_short_unicode(name) + b"\x94\x93\x94"
            + op_short_unicode(arg) + b"\x94\x85\x94R\x94.")
    return b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body


def touch_cmd():
    return f"touch {MARKER}"


HOSTILE = {
    # name: (module, attribute, argument)
    "os_system": ("os", "system", touch_cmd()),
    "posix_system": ("posix", "system", touch_cmd()),
    "builtins_eval": ("builtins", "eval", f"__import__('os').system('{touch_cmd()}')"),
    "builtins_exec": ("builtins", "exec", f"import os; os.system('{touch_cmd()}')"),
    "subprocess_popen": ("subprocess", "Popen", touch_cmd()),
    "builtin_getattr": ("__builtin__", "getattr", "system"),
    "torch_load": ("torch", "load", MARKER),
}


def hostile_records(pickle_bytes, prefix="archive"):
    return [
        (f"{prefix}/data.pkl", pickle_bytes),
        (f"{prefix}/byteorder", b"little"),
        (f"{prefix}/version", b"3\n"),
    ]


def tensor_pickle(storage_numel, blob_key, offset, size, stride):
    """A one-tensor state dict {'w': FloatStorage tensor}, assembled by hand (protocol 2)."""
    def tup(items):
        return b"(" + b"".join(items) + b"t"

    def binint(v):
        return b"J" + struct.pack("<i", v)

    pid = tup([op_unicode("storage"), op_global("torch", "FloatStorage"), op_unicode(blob_key),
               op_unicode("cpu"), binint(storage_numel)])
    args = tup([pid + b"Q", binint(offset), tup([binint(s) for s in size]),
                tup([binint(s) for s in stride]), b"\x89",
                op_global("collections", "OrderedDict") + b")R"])
    return (b"\x80\x02}(" + op_unicode("w") + op_global("torch._utils", "_rebuild_tensor_v2")
            + args + b"Ru.")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    sd = state_dict()
    p = lambda n: os.path.join(OUT, n)

    torch.save(sd, p("state_dict.bin"))
    torch.save(sd, p("state_dict_p4.bin"), pickle_protocol=4)
    with open(p("expected.json"), "w") as f:
        json.dump(expected_json(sd), f, indent=1)
        f.write("\n")
    torch.save({"w": torch.ones(2)}, p("legacy.bin"), _use_new_zipfile_serialization=False)

    records = zip_records(p("state_dict.bin"))
    write_zip64(p("zip64.bin"), records)
    big = [(n, b"big" if n.endswith("/byteorder") else d) for n, d in records]
    write_zip(p("big_endian.bin"), big)
    write_zip(p("deflated.bin"), records, compress={n for n, _ in records if n.endswith("data.pkl")})
    write_zip(p("no_data_pkl.bin"), [(n, d) for n, d in records if n.endswith(("byteorder", "version"))])

    blob = struct.pack("<4f", 1, 2, 3, 4)
    def one_tensor(name, pkl, key="0"):
        write_zip(p(name), hostile_records(pkl) + [("archive/data/" + key, blob)])
    one_tensor("bad_storage_size.bin", tensor_pickle(100, "0", 0, [4], [1]))
    one_tensor("bad_view.bin", tensor_pickle(4, "0", 2, [2, 2], [2, 1]))
    one_tensor("missing_blob.bin", tensor_pickle(4, "7", 0, [4], [1]))
    one_tensor("huge_expand.bin", tensor_pickle(4, "0", 0, [1 << 20, 1 << 20], [0, 0]))

    for name, (mod, attr, arg) in HOSTILE.items():
        write_zip(p(f"hostile_{name}_p2.bin"), hostile_records(call_p2(mod, attr, arg)))
        write_zip(p(f"hostile_{name}_p4.bin"), hostile_records(call_p4(mod, attr, arg)))
    write_zip(p("hostile_os_system_p0.bin"), hostile_records(call_p0("os", "system", touch_cmd())))
    # A real tensor first, then os.system inside the dict: refused mid-stream.
    nested = tensor_pickle(4, "0", 0, [4], [1])[:-2]  # drop SETITEMS + STOP
    nested += op_unicode("x") + op_global("os", "system") + op_unicode(touch_cmd()) + b"\x85Ru."
    one_tensor("hostile_nested_p2.bin", nested)

    # Sanity checks that do not unpickle anything hostile.
    # (torch's weights_only unpickler rejects FRAME, so the protocol-4 file, which this script
    # just wrote with torch.save itself, is loaded with the full unpickler.)
    for n, wo in (("state_dict.bin", True), ("state_dict_p4.bin", False), ("zip64.bin", True)):
        loaded = torch.load(p(n), weights_only=wo)
        assert torch.equal(loaded["shared_strided"], sd["shared_strided"]), n
    assert zip_records(p("zip64.bin")) == records
    assert not os.path.exists(MARKER)
    total = sum(os.path.getsize(p(n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files ({total} bytes) to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
