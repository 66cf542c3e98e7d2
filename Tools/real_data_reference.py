#!/usr/bin/env python3
"""real_data_reference.py: reference facts for the real GGUF checkpoints, written as small JSON fixtures.

For each real GGUF fetched by Tools/fetch_real_data.sh (SmolLM2-135M-Instruct Q4_1, Gemma-3-270M Q4_K_M),
this reads the file with gguf-py and writes Fixtures/real/<file name without .gguf>.json containing:

  file:      name, byte size, sha256
  format:    GGUF version, architecture, alignment, data-section offset, tensor count, KV count,
             parameter count (sum of elements), histogram of ggml types
  kv:        every key with its value type; scalar values in full, strings up to 256 bytes in full
             (longer ones as length + sha256), arrays as element type + count
  tensors:   in file order, one entry each:
               name, shape (PyTorch order: outermost first, i.e. reversed GGUF ne), ne (GGUF order),
               ggml type name and id, offset (relative to the data section, as stored in the tensor info),
               n_bytes, raw_sha256 (the stored bytes), sha256 (the dequantized tensor as float32
               little-endian C-order bytes, via gguf.quants.dequantize), first4 (the first 4
               dequantized floats, for debugging)

The Swift GGUF reader/dequantizer tests compare against these files; the big GGUFs stay in the cache.

Pinned versions (Tools/requirements.txt): gguf==0.19.0, numpy==2.4.6.
The input files must match the sha256 pins in Tools/fetch_real_data.sh; other inputs are refused.

Usage:
  Tools/fetch_real_data.sh models
  $VENV/bin/python Tools/real_data_reference.py [--cache DIR] [--out DIR]
    --cache  default ${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}; inputs are read from <cache>/real/
    --out    default <repo>/Fixtures/real
  VENV is ${VLMEMBED_CACHE:-$HOME/.cache/vlmembed}/tools-venv, created by `make tools-venv`
  (python3 -m venv $VENV && $VENV/bin/pip install -r Tools/requirements.txt).

Deterministic: the output depends only on the input bytes and the pinned gguf-py/numpy versions.
No network.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

try:
    import gguf
    from gguf import GGUFReader, GGUFValueType
    from gguf.quants import dequantize
except ImportError as e:  # pragma: no cover
    sys.exit(f"real_data_reference: cannot import gguf ({e}); create the venv: make tools-venv")

# name -> sha256 of the whole file (same pins as Tools/fetch_real_data.sh)
INPUTS = {
    "SmolLM2-135M-Instruct.Q4_1.gguf": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    "gemma-3-270m-q4_k_m.gguf": "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
}
EXPECTED_GGUF_PY = "0.19.0"
MAX_INLINE_STRING = 256


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def kv_entry(field) -> dict:
    """Describe one KV field: type and value (arrays: element type and count only)."""
    vtype = GGUFValueType(field.types[0])
    if vtype == GGUFValueType.ARRAY:
        etype = GGUFValueType(field.types[1]) if len(field.types) > 1 else None
        return {"type": "ARRAY", "element_type": etype.name if etype else None, "count": len(field.data)}
    if vtype == GGUFValueType.STRING:
        raw = bytes(field.parts[field.data[0]])
        if len(raw) <= MAX_INLINE_STRING:
            return {"type": "STRING", "value": raw.decode("utf-8")}
        return {"type": "STRING", "length": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    value = field.parts[field.data[0]].tolist()[0]
    if vtype == GGUFValueType.BOOL:
        value = bool(value)
    elif vtype in (GGUFValueType.FLOAT32, GGUFValueType.FLOAT64):
        value = float(value)
    else:
        value = int(value)
    return {"type": vtype.name, "value": value}


def describe(path: Path, sha: str) -> dict:
    reader = GGUFReader(path)
    version = int(reader.fields["GGUF.version"].parts[-1][0])
    kv = {}
    for name, field in reader.fields.items():
        if name.startswith("GGUF."):  # gguf-py's pseudo-fields for the header
            continue
        kv[name] = kv_entry(field)
    arch = kv.get("general.architecture", {}).get("value")

    tensors = []
    type_hist: dict[str, int] = {}
    n_params = 0
    raw_all = reader.data  # np.memmap of the whole file
    for t in reader.tensors:
        ne = [int(x) for x in t.shape]
        shape = list(reversed(ne))
        qtype = t.tensor_type
        raw = np.asarray(raw_all[t.data_offset:t.data_offset + t.n_bytes])
        if raw.nbytes != t.n_bytes:
            raise SystemExit(f"{path.name}: tensor {t.name} runs past end of file")
        deq = dequantize(t.data, qtype)
        deq = np.ascontiguousarray(deq, dtype="<f4")
        if list(deq.shape) != shape:
            raise SystemExit(f"{path.name}: {t.name}: dequantized shape {deq.shape} != {shape}")
        flat = deq.reshape(-1)
        tensors.append({
            "name": t.name,
            "shape": shape,
            "ne": ne,
            "type": qtype.name,
            "type_id": int(qtype),
            "offset": int(t.data_offset - reader.data_offset),
            "n_bytes": int(t.n_bytes),
            "raw_sha256": hashlib.sha256(raw.tobytes()).hexdigest(),
            "sha256": hashlib.sha256(flat.tobytes()).hexdigest(),
            "first4": [float(x) for x in flat[:4]],
        })
        type_hist[qtype.name] = type_hist.get(qtype.name, 0) + 1
        n_params += int(t.n_elements)

    return {
        "generator": "Tools/real_data_reference.py",
        "gguf_py": gguf_version(),
        "numpy": np.__version__,
        "file": {"name": path.name, "size": path.stat().st_size, "sha256": sha},
        "format": {
            "gguf_version": version,
            "architecture": arch,
            "alignment": int(reader.alignment),
            "data_offset": int(reader.data_offset),
            "tensor_count": len(tensors),
            "kv_count": len(kv),
            "parameter_count": n_params,
            "types": dict(sorted(type_hist.items())),
        },
        "kv": kv,
        "tensors": tensors,
    }


def gguf_version() -> str:
    try:
        from importlib.metadata import version
        return version("gguf")
    except Exception:  # pragma: no cover
        return getattr(gguf, "__version__", "unknown")


def dump(doc: dict, out: Path) -> None:
    """Readable but compact: top level indented, one line per tensor and per KV."""
    lines = ["{"]
    keys = list(doc)
    for i, k in enumerate(keys):
        comma = "," if i + 1 < len(keys) else ""
        v = doc[k]
        if k == "tensors":
            lines.append(f'  "{k}": [')
            for j, t in enumerate(v):
                lines.append("    " + json.dumps(t, ensure_ascii=False) + ("," if j + 1 < len(v) else ""))
            lines.append("  ]" + comma)
        elif k == "kv":
            lines.append(f'  "{k}": {{')
            items = list(v.items())
            for j, (kk, vv) in enumerate(items):
                lines.append(f"    {json.dumps(kk)}: {json.dumps(vv, ensure_ascii=False)}"
                             + ("," if j + 1 < len(items) else ""))
            lines.append("  }" + comma)
        else:
            lines.append(f'  "{k}": {json.dumps(v, ensure_ascii=False)}{comma}')
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # sanity
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)


def main() -> int:
    repo = Path(__file__).resolve().parent.parent
    cache_default = Path(os.environ.get("VLMEMBED_CACHE", Path.home() / ".cache" / "vlmembed"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=cache_default)
    ap.add_argument("--out", type=Path, default=repo / "Fixtures" / "real")
    args = ap.parse_args()

    if gguf_version() != EXPECTED_GGUF_PY:
        print(f"real_data_reference: warning: gguf {gguf_version()} installed, pinned {EXPECTED_GGUF_PY}",
              file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, want in INPUTS.items():
        path = args.cache / "real" / name
        if not path.is_file():
            print(f"real_data_reference: error: {path} missing; run Tools/fetch_real_data.sh models",
                  file=sys.stderr)
            return 1
        t0 = time.monotonic()
        sha = file_sha256(path)
        if sha != want:
            print(f"real_data_reference: error: {path} has sha256 {sha}, pinned {want}", file=sys.stderr)
            return 1
        doc = describe(path, sha)
        out = args.out / (name.removesuffix(".gguf") + ".json")
        dump(doc, out)
        f = doc["format"]
        print(f"wrote {out}  ({f['architecture']}, {f['tensor_count']} tensors, "
              f"{f['parameter_count']:,} params, types {f['types']}, {time.monotonic() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
