#!/usr/bin/env python3
"""Recompute `vlmembed eval`'s scores with numpy from the embeddings it dumped, and compare.

    python3 Tools/eval/check_precision_at_1.py --data DIR --dump F.safetensors --report R.json [--dump2 G.safetensors]

R.json is `vlmembed eval --json` output of the run that wrote F (`--dump-embeddings F`). For every
dataset in the dump this script reads the data rows itself (DIR/NAME.jsonl, at the line numbers
the dump lists), finds each row's query and candidate embeddings by their (text, image path)
input, scores the candidates by dot product in float64, takes np.argmax (first maximum wins, as
upstream), and checks Precision@1 against the report. With a compared model (its embeddings under
`compare/NAME/...` in F, or the main tensors of a second dump G) it also checks the compared
model's P@1 and the fraction of queries whose top-1 choice changed, per dataset and overall.

Needs only Python 3 and numpy (Debian: python3-numpy); reads safetensors by hand. Prints one line
per check and exits 1 on the first mismatch.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, d in header.items():
        assert d["dtype"] == "F32", f"{path}: {name} is {d['dtype']}, expected F32"
        begin, end = d["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(d["shape"])
    return tensors, metadata


def read_rows(path):
    rows = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if line.strip():
                try:
                    rows[number] = json.loads(line)
                except json.JSONDecodeError:
                    pass  # a malformed line is never among the evaluated ones
    return rows


def picks(rows, lines, query_inputs, queries, target_inputs, targets):
    """The candidate index each evaluated row picks."""
    where = {tuple(k): i for i, k in enumerate(target_inputs)}
    out = []
    for i, line in enumerate(lines):
        row = rows[line]
        query = [row["qry_text"], row.get("qry_img_path") or ""]
        if list(query_inputs[i]) != query:
            sys.exit(f"line {line}: the dump's query input {query_inputs[i]!r} is not the row's {query!r}")
        images = row.get("tgt_img_path") or [""] * len(row["tgt_text"])
        idx = [where[(t, p or "")] for t, p in zip(row["tgt_text"], images)]
        scores = targets[idx].astype(np.float64) @ queries[i].astype(np.float64)
        out.append(int(np.argmax(scores)))
    return np.array(out, dtype=np.int64)


def check(label, got, expected):
    if expected is None or not math.isclose(got, expected, rel_tol=0, abs_tol=1e-12):
        sys.exit(f"MISMATCH {label}: numpy {got!r}, report {expected!r}")
    print(f"ok {label}: {got:.6f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--dump2")
    args = ap.parse_args()
    tensors, meta = read_safetensors(args.dump)
    other = read_safetensors(args.dump2)[0] if args.dump2 else None
    with open(args.report, encoding="utf-8") as f:
        report = json.load(f)
    names = [k[: -len("/queries")] for k in tensors if k.endswith("/queries") and not k.startswith("compare/")]
    if not names:
        sys.exit("the dump holds no datasets")
    compared = other is not None or any(k.startswith("compare/") for k in tensors)
    if compared and "compare" not in report:
        sys.exit("the dump has a compared model but the report has no \"compare\" section")
    changed_total, queries_total = 0, 0
    for name in names:
        rows = read_rows(os.path.join(args.data, name + ".jsonl"))
        lines = json.loads(meta[name + "/lines"])
        qin, tin = json.loads(meta[name + "/query_inputs"]), json.loads(meta[name + "/target_inputs"])
        a = picks(rows, lines, qin, tensors[name + "/queries"], tin, tensors[name + "/targets"])
        entry = report["datasets"][name]
        if entry["queries"] != len(lines):
            sys.exit(f"MISMATCH {name} queries: dump {len(lines)}, report {entry['queries']}")
        check(f"{name} P@1", float(np.mean(a == 0)), entry["precision_at_1"])
        if compared:
            src, prefix = (other, "") if other is not None else (tensors, "compare/")
            b = picks(rows, lines, qin, src[prefix + name + "/queries"], tin, src[prefix + name + "/targets"])
            centry = report["compare"]["datasets"][name]
            check(f"{name} P@1 (compared model)", float(np.mean(b == 0)), centry["precision_at_1"])
            changed = int(np.sum(a != b))
            check(f"{name} top-1 changed", changed / len(lines), centry["changed_top1"])
            changed_total += changed
            queries_total += len(lines)
    if compared and set(names) == set(report["datasets"]):
        check("overall top-1 changed", changed_total / queries_total, report["compare"]["changed_top1"])
    print(f"all checks passed ({len(names)} datasets)")


if __name__ == "__main__":
    main()
