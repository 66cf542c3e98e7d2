#!/usr/bin/env python3
"""Convert the upstream MMEB-eval parquet release to `vlmembed eval`'s data layout.

The release (Hugging Face dataset `TIGER-Lab/MMEB-eval`, split `test`) has one folder per dataset
holding parquet files with the columns `qry_text`, `qry_img_path`, `tgt_text` (list) and
`tgt_img_path` (list); candidate 0 is the ground truth. Its images come separately
(`images.zip`; unpacked, the row paths are relative to its image folder). This writes

    OUT/<Dataset>.jsonl   one {"qry_text", "qry_img_path", "tgt_text", "tgt_img_path"} object per row,
                          rows and candidates in the release's order, missing paths as ""
    OUT/images            a symlink to --images, when given (else pass --images to `vlmembed eval`)

Usage (pinned: pyarrow==26.0.1; nothing else beyond the standard library):

    python3 -m venv /tmp/mmeb && /tmp/mmeb/bin/pip install pyarrow==26.0.1
    /tmp/mmeb/bin/python Tools/eval/convert_mmeb_parquet.py SRC OUT [--images DIR] [--datasets A,B]
    /tmp/mmeb/bin/python Tools/eval/convert_mmeb_parquet.py --self-test

SRC is the dataset snapshot: SRC/<Dataset>/*.parquet (all files of a folder, in name order, are
one dataset). Bad rows (wrong column types, candidate lists of different lengths) stop the
conversion with the dataset and row number. `--self-test` round-trips Fixtures/eval_smoke through
parquet and checks the result equals the original rows.
"""
import argparse
import glob
import json
import os
import shutil
import sys
import tempfile

PYARROW_VERSION = "26.0.1"
COLUMNS = ("qry_text", "qry_img_path", "tgt_text", "tgt_img_path")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def load_pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        sys.exit(f"convert_mmeb_parquet: needs pyarrow=={PYARROW_VERSION} (pip install pyarrow=={PYARROW_VERSION})")
    if pyarrow.__version__ != PYARROW_VERSION:
        print(f"convert_mmeb_parquet: warning: tested with pyarrow {PYARROW_VERSION}, have {pyarrow.__version__}", file=sys.stderr)
    return pyarrow


def fail(dataset, row, problem):
    sys.exit(f"convert_mmeb_parquet: {dataset} row {row}: {problem}")


def convert_row(dataset, number, r):
    qt, qi, tt, ti = (r.get(c) for c in COLUMNS)
    if not isinstance(qt, str):
        fail(dataset, number, "qry_text is not a string")
    if qi is not None and not isinstance(qi, str):
        fail(dataset, number, "qry_img_path is not a string")
    if not isinstance(tt, list) or not all(isinstance(t, str) for t in tt):
        fail(dataset, number, "tgt_text is not a list of strings")
    if ti is None:
        ti = [""] * len(tt)
    if not isinstance(ti, list) or len(ti) != len(tt):
        fail(dataset, number, f"tgt_img_path does not match tgt_text's {len(tt)} candidates")
    if not tt:
        fail(dataset, number, "no candidates")
    return {"qry_text": qt, "qry_img_path": qi or "", "tgt_text": tt, "tgt_img_path": [p or "" for p in ti]}


def convert_dataset(pa, name, files, out):
    rows = []
    for f in files:
        table = pa.parquet.read_table(f)
        missing = [c for c in COLUMNS if c not in table.column_names and c != "tgt_img_path"]
        if missing:
            sys.exit(f"convert_mmeb_parquet: {f}: missing column(s) {', '.join(missing)}")
        for r in table.to_pylist():
            rows.append(convert_row(name, len(rows) + 1, r))
    path = os.path.join(out, name + ".jsonl")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return len(rows)


def convert(src, out, images=None, names=None):
    pa = load_pyarrow()
    found = {}
    for d in sorted(os.listdir(src)):
        files = sorted(glob.glob(os.path.join(src, d, "*.parquet")))
        if files:
            found[d] = files
    if names:
        absent = [n for n in names if n not in found]
        if absent:
            sys.exit(f"convert_mmeb_parquet: {src}: no parquet files for {', '.join(absent)}")
        found = {n: found[n] for n in names}
    if not found:
        sys.exit(f"convert_mmeb_parquet: {src}: no <dataset>/*.parquet folders")
    os.makedirs(out, exist_ok=True)
    for name, files in found.items():
        n = convert_dataset(pa, name, files, out)
        print(f"{name}: {n} rows → {os.path.join(out, name + '.jsonl')}")
    if images:
        link = os.path.join(out, "images")
        if not os.path.lexists(link):
            os.symlink(os.path.abspath(images), link)
            print(f"images → {os.path.abspath(images)}")


def self_test():
    pa = load_pyarrow()
    smoke = os.path.join(ROOT, "Fixtures", "eval_smoke")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "release")
        names = sorted(f[:-6] for f in os.listdir(smoke) if f.endswith(".jsonl"))
        originals = {}
        for name in names:
            with open(os.path.join(smoke, name + ".jsonl"), encoding="utf-8") as f:
                originals[name] = [json.loads(line) for line in f if line.strip()]
            rows = originals[name]
            # Write the first row on its own file to exercise multi-file datasets, and use None for "".
            os.makedirs(os.path.join(src, name))
            for i, part in enumerate((rows[:1], rows[1:])):
                table = pa.table({
                    "qry_text": [r["qry_text"] for r in part],
                    "qry_img_path": [r["qry_img_path"] or None for r in part],
                    "tgt_text": [r["tgt_text"] for r in part],
                    "tgt_img_path": [[p or None for p in r["tgt_img_path"]] for r in part],
                })
                pa.parquet.write_table(table, os.path.join(src, name, f"test-{i:05d}-of-00002.parquet"))
        out = os.path.join(tmp, "out")
        convert(src, out, images=os.path.join(smoke, "images"))
        for name in names:
            with open(os.path.join(out, name + ".jsonl"), encoding="utf-8") as f:
                got = [json.loads(line) for line in f]
            if got != originals[name]:
                sys.exit(f"self-test: {name}: converted rows differ from the originals")
        if not os.path.isfile(os.path.join(out, "images", "coffee.jpg")):
            sys.exit("self-test: the images link does not reach the images")
        shutil.rmtree(src)
    print(f"self-test passed ({len(names)} datasets round-tripped through parquet)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src", nargs="?")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--images", help="the unpacked image folder the row paths are relative to")
    ap.add_argument("--datasets", help="comma-separated dataset names (default: all)")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    if not args.src or not args.out:
        ap.error("SRC and OUT are required")
    convert(args.src, args.out, args.images, args.datasets.split(",") if args.datasets else None)


if __name__ == "__main__":
    main()
