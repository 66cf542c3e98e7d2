#!/usr/bin/env python3
"""Hostile-input probe: runs every vlmembed command over generated hostile inputs and counts what happens.

Python 3 standard library only; called by Tools/probe/probe.sh (which builds the release binary).
Each run takes one valid base case (a command line over small valid files: the tiny llama model of
Fuzz/tiny, its GGUF and bundles, the Phi-3-V/LLaVA-NeXT fixtures, images, requests, eval data) and
replaces one of its inputs with a hostile version of that file — truncated, bit-flipped, an 8-byte
header field overwritten with an extreme value, or (JSON) one value replaced with an extreme one;
bundles get their manifest checksum and length recomputed half the time, as an attacker would — or
replaces one numeric flag with an extreme value. Every run is under `timeout` and `prlimit --as`.

Per command it prints: runs, exit codes, signals, timeouts, errors that were not exactly one line
(ArgumentParser's usage errors, exit 64, are not counted as such), and the peak RSS seen. Cases with a signal, a timeout or a multi-line error are kept under
WORK/kept/ with the command line (kept.txt) so they can be replayed.
"""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time
from collections import Counter, defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "Fixtures")
TINY = os.path.join(ROOT, "Fuzz", "tiny")

U64 = [0, 1, 2, 3, 7, 63, 64, 255, 256, 4095, 65535, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**40, 2**53,
       2**62, 2**63 - 1, 2**63, 2**64 - 64, 2**64 - 1]
JSON_NUMBERS = [0, -1, 1, 2, 3, 1000, 10**6, 2**31 - 1, 2**31, 2**32, 10**12, 2**53 + 1, 2**62, 2**63 - 1,
                -(2**63), 1e308, -1e308, 1e-320, 0.5, -0.0]
JSON_OTHER = [None, True, "", "x" * 70000, "(.*)*Z", "(a+)+$", "\u001b[31mred\u001b[0m", "../../etc/passwd",
              "/dev/zero", "a\u0000b", [], [0], [2**31, 2**31], [[336, 10**9]], {}, {"a": {"b": {}}}]
FLAG_VALUES = ["0", "-1", "1", "3", "64", "1000", "2147483647", "2147483648", "4294967296", "9223372036854775807",
               "9223372036854775808", "-9223372036854775808", "1e9", "abc", ""]


# ---------------------------------------------------------------------------------------- mutators

def mutate_bytes(data, rng, header=4096):
    data = bytearray(data)
    kind = rng.choice(["truncate", "flip", "flip", "field", "field", "splice"])
    if not data:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))), "random"
    if kind == "truncate":
        cut = rng.choice([rng.randrange(len(data)), rng.randrange(min(len(data), header))])
        return bytes(data[:cut]), "truncate@%d" % cut
    if kind == "flip":
        n = rng.choice([1, 1, 2, 4, 8])
        lim = len(data) if rng.random() < 0.3 else min(len(data), header)
        for _ in range(n):
            i = rng.randrange(lim)
            data[i] ^= 1 << rng.randrange(8)
        return bytes(data), "flip%d" % n
    if kind == "field":
        lim = min(len(data), header)
        if lim < 8:
            return bytes(data[:-1]), "truncate1"
        i = rng.randrange(0, lim - 7)
        width = rng.choice([4, 8])
        if i + width > len(data):
            width = 4
        v = rng.choice(U64) & ((1 << (8 * width)) - 1)
        data[i:i + width] = v.to_bytes(width, "little")
        return bytes(data), "field%d@%d=%d" % (width, i, v)
    # splice: delete or duplicate a chunk
    i = rng.randrange(len(data))
    n = rng.randrange(1, 64)
    if rng.random() < 0.5:
        del data[i:i + n]
        return bytes(data), "delete%d@%d" % (n, i)
    data[i:i] = data[i:i + n]
    return bytes(data), "dup%d@%d" % (n, i)


def json_paths(v, path=()):
    yield path, v
    if isinstance(v, dict):
        for k, x in v.items():
            yield from json_paths(x, path + (k,))
    elif isinstance(v, list):
        for k, x in enumerate(v[:64]):
            yield from json_paths(x, path + (k,))


def set_path(v, path, new):
    if not path:
        return new
    parent = v
    for k in path[:-1]:
        parent = parent[k]
    parent[path[-1]] = new
    return v


def mutate_json_value(v, rng):
    paths = list(json_paths(v))
    nums = [p for p, x in paths if isinstance(x, (int, float)) and not isinstance(x, bool)]
    if nums and rng.random() < 0.6:
        p = rng.choice(nums)
        new = rng.choice(JSON_NUMBERS)
        return set_path(v, p, new), "%s=%r" % ("/".join(map(str, p)), new)
    p, x = rng.choice(paths)
    if isinstance(x, dict) and x and rng.random() < 0.3:
        k = rng.choice(list(x))
        del x[k]
        return v, "del %s/%s" % ("/".join(map(str, p)), k)
    if isinstance(x, list) and x and rng.random() < 0.3:
        x.extend(x * rng.choice([1, 10, 100]))
        return v, "grow %s" % "/".join(map(str, p))
    new = rng.choice(JSON_OTHER + JSON_NUMBERS)
    return set_path(v, p, new), "%s=%s" % ("/".join(map(str, p)), repr(new)[:40])


def mutate_json(data, rng, lines=False):
    if rng.random() < 0.25:
        return mutate_bytes(data, rng, header=len(data))
    text = data.decode("utf-8", "replace")
    try:
        if lines:
            rows = [l for l in text.split("\n") if l.strip()]
            i = rng.randrange(len(rows))
            v, what = mutate_json_value(json.loads(rows[i]), rng)
            rows[i] = json.dumps(v, ensure_ascii=rng.random() < 0.5)
            if rng.random() < 0.1:
                rows = rows * 1000
            return ("\n".join(rows) + "\n").encode(), "line%d %s" % (i + 1, what)
        v, what = mutate_json_value(json.loads(text), rng)
        return json.dumps(v).encode(), what
    except (ValueError, IndexError, TypeError, KeyError):
        return mutate_bytes(data, rng, header=len(data))


def mutate_safetensors(data, rng):
    if rng.random() < 0.5 or len(data) < 8:
        return mutate_bytes(data, rng)
    n = struct.unpack("<Q", data[:8])[0]
    try:
        header = json.loads(data[8:8 + n])
    except ValueError:
        return mutate_bytes(data, rng)
    v, what = mutate_json_value(header, rng)
    h = json.dumps(v).encode()
    return struct.pack("<Q", len(h)) + h + data[8 + n:], "header " + what


def mutate_gguf(data, rng):
    """Half the time: overwrite the value after a metadata key (counts, lengths, ids) with an extreme one."""
    keys = [m for m in re.finditer(rb"(llama|phi3|clip|tokenizer\.ggml|general)\.[a-z_.]+", data[:65536])]
    if keys and rng.random() < 0.5:
        m = rng.choice(keys)
        at = m.end()
        if at + 4 <= len(data):
            vtype = struct.unpack("<I", data[at:at + 4])[0]
            width = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8, 9: 12}.get(vtype)
            if width:
                b = bytearray(data)
                v = rng.choice(U64)
                if vtype == 9:   # array: element type, then the u64 count
                    b[at + 8:at + 16] = (v & (2**64 - 1)).to_bytes(8, "little")
                    return bytes(b), "%s count=%d" % (m.group().decode(), v)
                b[at + 4:at + 4 + width] = (v & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
                return bytes(b), "%s=%d" % (m.group().decode(), v)
    return mutate_bytes(data, rng, header=min(len(data), 65536))


def fix_bundle(data):
    if len(data) < 128:
        return data
    b = bytearray(data)
    b[40:48] = struct.pack("<Q", len(b))
    off, ln = struct.unpack("<QQ", bytes(b[16:32]))
    if off <= len(b) and ln <= len(b) - off:
        b[48:80] = hashlib.sha256(bytes(b[off:off + ln])).digest()
    return bytes(b)


def mutate_bundle(data, rng):
    if len(data) >= 128 and rng.random() < 0.5:
        off, ln = struct.unpack("<QQ", data[16:32])
        manifest = data[off:off + ln]
        try:
            m = json.loads(manifest)
            v, what = mutate_json_value(m, rng)
            new = json.dumps(v, separators=(",", ":")).encode()
            if len(new) <= ln:
                new += b" " * (ln - len(new))
                out = data[:off] + new + data[off + ln:]
                return fix_bundle(out), "manifest " + what + " (checksum fixed)"
        except ValueError:
            pass
    out, what = mutate_bytes(data, rng, header=min(len(data), 8192))
    if rng.random() < 0.5:
        return fix_bundle(out), what + " (checksum fixed)"
    return out, what


def mutator_for(name):
    if name.endswith(".safetensors"):
        return mutate_safetensors
    if name.endswith(".gguf"):
        return mutate_gguf
    if name.endswith(".vlmb"):
        return mutate_bundle
    if name.endswith(".jsonl"):
        return lambda d, r: mutate_json(d, r, lines=True)
    if name.endswith(".json"):
        return mutate_json
    return mutate_bytes


# ---------------------------------------------------------------------------------------- cases

class Case:
    """A command over named inputs; `target` is the input replaced by a hostile version (a file in
    `files`, or a flag in `flags`)."""

    def __init__(self, command, argv, files, target, flags=()):
        self.command, self.argv, self.files, self.target, self.flags = command, argv, files, target, flags


def link_dir(src, dst, replace=None):
    """A folder whose files are symlinks into `src`, except `replace` (name → bytes)."""
    os.makedirs(dst, exist_ok=True)
    for n in os.listdir(src):
        if replace and n in replace:
            continue
        os.symlink(os.path.join(src, n), os.path.join(dst, n))
    for n, data in (replace or {}).items():
        with open(os.path.join(dst, n), "wb") as f:
            f.write(data)
    return dst


def read(p):
    with open(p, "rb") as f:
        return f.read()


def base_cases(base):
    """(command, make(work, rng) → (argv, description)) for every command and hostile input kind."""
    llama = os.path.join(TINY, "llama")
    gguf = os.path.join(TINY, "llama.gguf")
    b8 = os.path.join(base, "llama_int8.vlmb")
    b4 = os.path.join(base, "llama_int4.vlmb")
    phi3v = os.path.join(FIX, "models/phi3_v")
    llava = os.path.join(FIX, "models/llava_next")
    png = os.path.join(FIX, "images/png/rgb8.png")
    jpg = os.path.join(FIX, "images/jpeg/s420.jpg")
    torch_bin = os.path.join(FIX, "torch/state_dict.bin")
    adapter = os.path.join(FIX, "adapters/phi3_patterns")
    reqs = os.path.join(base, "requests.jsonl")
    img_reqs = os.path.join(base, "image_requests.jsonl")
    data = os.path.join(base, "eval")
    shards = os.path.join(base, "shards")

    def mutated(path, rng):
        d, what = mutator_for(path)(read(path), rng)
        return d, what

    def file_case(src, suffix=None):
        def make(work, rng):
            d, what = mutated(src, rng)
            p = os.path.join(work, suffix or os.path.basename(src))
            with open(p, "wb") as f:
                f.write(d)
            return p, what
        return make

    def dir_case(src, name):
        def make(work, rng):
            d, what = mutated(os.path.join(src, name), rng)
            return link_dir(src, os.path.join(work, "model"), {name: d}), name + ": " + what
        return make

    out = lambda w, ext: os.path.join(w, "out" + ext)
    cases = []

    def add(command, make_input, argv_of):
        cases.append((command, make_input, argv_of))

    # inspect / export over every checkpoint kind and bundles
    for src in [os.path.join(llama, "model.safetensors"), gguf, torch_bin, b8, b4]:
        add("inspect", file_case(src), lambda p, w: ["inspect", p])
        add("inspect --json", file_case(src), lambda p, w: ["inspect", p, "--json"])
        if not src.endswith(".vlmb"):
            add("export", file_case(src), lambda p, w: ["export", p, "--format", "safetensors", "-o", out(w, ".safetensors")])
    # config.json / preprocessor_config.json / tokenizers of a model folder
    for name in ["config.json", "tokenizer.json"]:
        add("inspect --graph", dir_case(llama, name), lambda p, w: ["inspect", "--graph", p])
        add("convert", dir_case(llama, name), lambda p, w: ["convert", p, "--quant", "int8", "-o", out(w, ".vlmb")])
        add("embed", dir_case(llama, name), lambda p, w: ["embed", "--model", p, "--input", reqs, "-o", out(w, ".jsonl")])
        add("tokenize", dir_case(llama, name), lambda p, w: ["tokenize", "--model", p, "--text", "Hello world <s>"])
    add("inspect --graph", file_case(gguf), lambda p, w: ["inspect", "--graph", p])
    add("tokenize", file_case(gguf), lambda p, w: ["tokenize", "--model", p, "--text", "Hello world"])
    add("embed", file_case(gguf), lambda p, w: ["embed", "--model", p, "--input", reqs, "-o", out(w, ".jsonl")])
    add("convert", file_case(gguf), lambda p, w: ["convert", p, "--quant", "int4", "-o", out(w, ".vlmb")])
    for name in ["config.json", "preprocessor_config.json"]:
        add("inspect --graph", dir_case(phi3v, name), lambda p, w: ["inspect", "--graph", p])
        add("preprocess", dir_case(phi3v, name), lambda p, w: ["preprocess", "--model", p, "--image", png, "-o", out(w, ".safetensors")])
        add("preprocess", dir_case(llava, name), lambda p, w: ["preprocess", "--model", p, "--image", jpg, "-o", out(w, ".safetensors")])
    for name in ["tokenizer.model", "added_tokens.json"]:
        def make_spm(work, rng, n=name):
            d, what = mutated(os.path.join(llava, n), rng)
            m = os.path.join(work, "model")
            os.makedirs(m)
            for f in ["config.json", "tokenizer.model", "added_tokens.json", "special_tokens_map.json"]:
                if f != n:
                    os.symlink(os.path.join(llava, f), os.path.join(m, f))
            with open(os.path.join(m, n), "wb") as f:
                f.write(d)
            return m, n + ": " + what
        add("tokenize", make_spm, lambda p, w: ["tokenize", "--model", p, "--text", "<image> Hello"])
    # adapters
    for name in ["adapter_config.json", "adapter_model.safetensors"]:
        add("inspect --graph", dir_case(adapter, name), lambda p, w: ["inspect", "--graph", phi3v, "--adapter", p])
        add("convert", dir_case(adapter, name), lambda p, w: ["convert", phi3v, "--adapter", p, "--quant", "int8", "-o", out(w, ".vlmb")])
    # bundles
    for b in [b8, b4]:
        add("embed", file_case(b), lambda p, w: ["embed", "--model", p, "--input", reqs, "-o", out(w, ".jsonl")])
        add("verify", file_case(b), lambda p, w: ["verify", p, "--reference", llama, "--input", reqs])
        add("tokenize", file_case(b), lambda p, w: ["tokenize", "--model", p, "--text", "Hello"])
    # requests
    add("embed", file_case(reqs), lambda p, w: ["embed", "--model", llama, "--input", p, "-o", out(w, ".jsonl")])
    add("embed", file_case(reqs), lambda p, w: ["embed", "--model", b8, "--input", p, "-o", out(w, ".safetensors")])
    add("tokenize", file_case(reqs), lambda p, w: ["tokenize", "--model", llama, "--input", p, "--json"])
    add("verify", file_case(reqs), lambda p, w: ["verify", b8, "--reference", llama, "--input", p])
    # images
    for img in [png, jpg, os.path.join(FIX, "images/png/p4_interlaced.png"), os.path.join(FIX, "images/jpeg/progressive.jpg")]:
        add("preprocess", file_case(img), lambda p, w: ["preprocess", "--model", phi3v, "--image", p, "-o", out(w, ".safetensors")])
        add("preprocess", file_case(img), lambda p, w: ["preprocess", "--model", llava, "--image", p, "-o", out(w, ".safetensors")])

    def image_request(work, rng):
        src = png if rng.random() < 0.5 else jpg
        d, what = mutated(src, rng)
        p = os.path.join(work, "img" + os.path.splitext(src)[1])
        with open(p, "wb") as f:
            f.write(d)
        r = os.path.join(work, "r.jsonl")
        with open(r, "w") as f:
            f.write(json.dumps({"id": "i", "text": "<|image_1|> Represent the given image.", "images": [p]}) + "\n")
        return r, "image " + what
    add("embed", image_request, lambda p, w: ["embed", "--model", phi3v, "--input", p, "-o", out(w, ".jsonl")])
    # calibration (convert --method importance|gptq): hostile request files, images and importance files
    add("convert", file_case(reqs), lambda p, w: ["convert", llama, "--quant", "int4", "--method", "importance", "--calibration", p,
                                                  "-o", out(w, ".vlmb")])
    add("convert", file_case(reqs), lambda p, w: ["convert", llama, "--quant", "int4", "--method", "gptq", "--calibration", p,
                                                  "-o", out(w, ".vlmb")])
    add("convert", image_request, lambda p, w: ["convert", phi3v, "--quant", "int4", "--method", "importance", "--calibration", p,
                                                "-o", out(w, ".vlmb")])
    add("convert", file_case(os.path.join(base, "importance.safetensors")),
        lambda p, w: ["convert", llama, "--quant", "int4", "--method", "importance", "--importance", p, "-o", out(w, ".vlmb")])
    # eval rows, catalog, shards
    for name in ["text.jsonl", "datasets.json"]:
        def make_eval(work, rng, n=name):
            d, what = mutated(os.path.join(data, n), rng)
            return link_dir(data, os.path.join(work, "data"), {n: d}), n + ": " + what
        add("eval", make_eval, lambda p, w: ["eval", "--model", llama, "--data", p, "--no-cache"])

    def make_shard(work, rng):
        names = sorted(os.listdir(shards))
        n = rng.choice(names)
        d, what = mutated(os.path.join(shards, n), rng)
        return link_dir(shards, os.path.join(work, "shards"), {n: d}), n + ": " + what
    add("eval --merge", make_shard, lambda p, w: ["eval", "--merge", p])

    # numeric flags
    def flag_value(work, rng):
        v = rng.choice(FLAG_VALUES)
        return v, "flag " + v
    add("flags", flag_value, lambda v, w: ["embed", "--model", llama, "--input", reqs, "--threads", v, "-o", out(w, ".jsonl")])
    add("flags", flag_value, lambda v, w: ["preprocess", "--model", phi3v, "--image", png, "--crops", v, "-o", out(w, ".safetensors")])
    add("flags", flag_value, lambda v, w: ["convert", llama, "--quant", "int4", "--group-size", v, "-o", out(w, ".vlmb")])
    add("flags", flag_value, lambda v, w: ["convert", llama, "--quant", "int4", "--method", v, "-o", out(w, ".vlmb")])
    add("flags", flag_value, lambda v, w: ["eval", "--model", llama, "--data", data, "--no-cache", "--limit", v])
    add("flags", flag_value, lambda v, w: ["eval", "--model", llama, "--data", data, "--no-cache", "--shard", v + "/" + v,
                                                "-o", os.path.join(w, "shard.json")])
    add("flags", flag_value, lambda v, w: ["verify", b8, "--reference", llama, "--threads", v, "--input", reqs])
    return cases


def prepare(vlmembed, base):
    """Bundles, requests, a text-only eval dataset and two shard results of the tiny llama model."""
    os.makedirs(base, exist_ok=True)
    llama = os.path.join(TINY, "llama")
    for q in ["int8", "int4"]:
        p = os.path.join(base, "llama_%s.vlmb" % q)
        if not os.path.exists(p):
            subprocess.run([vlmembed, "convert", llama, "--quant", q, "-o", p], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(base, "requests.jsonl"), "w") as f:
        f.write('{"id":"a","text":"Hello world"}\n{"id":"b","text":"A cup of espresso on a saucer"}\n{"text":"third"}\n')
    importance = os.path.join(base, "importance.safetensors")
    if not os.path.exists(importance):
        subprocess.run([vlmembed, "convert", llama, "--quant", "int4", "--method", "importance", "--calibration",
                        os.path.join(base, "requests.jsonl"), "--save-importance", importance, "-o", os.path.join(base, "imp.vlmb")],
                       check=True, stdout=subprocess.DEVNULL)
    data = os.path.join(base, "eval")
    os.makedirs(os.path.join(data, "images"), exist_ok=True)
    with open(os.path.join(data, "text.jsonl"), "w") as f:
        for i in range(4):
            f.write(json.dumps({"qry_text": "query %d about cats" % i, "qry_img_path": "",
                                "tgt_text": ["cat %d" % i, "dog", "espresso"], "tgt_img_path": ["", "", ""]}) + "\n")
    with open(os.path.join(data, "datasets.json"), "w") as f:
        json.dump({"text": {"meta_task": "retrieval", "split": "OOD"}}, f)
    shards = os.path.join(base, "shards")
    if not os.path.isdir(shards):
        os.makedirs(shards)
        for i in range(2):
            subprocess.run([vlmembed, "eval", "--model", llama, "--data", data, "--no-cache", "--shard", "%d/2" % i, "-o", shards],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---------------------------------------------------------------------------------------- runner

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vlmembed", required=True)
    ap.add_argument("--runs", type=int, default=5000)
    ap.add_argument("--work", default=os.path.join(ROOT, ".build-probe", "probe"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=20)
    ap.add_argument("--as-bytes", default=str(4 * 2**30))
    args = ap.parse_args()

    work_root = os.path.abspath(args.work)
    base = os.path.join(work_root, "base")
    prepare(os.path.abspath(args.vlmembed), base)
    cases = base_cases(base)
    kept = os.path.join(work_root, "kept")
    shutil.rmtree(kept, ignore_errors=True)
    os.makedirs(kept)
    run_dir = os.path.join(work_root, "run")
    env = dict(os.environ, VLMEMBED_CACHE=os.path.join(work_root, "cache"), NO_COLOR="1")

    stats = defaultdict(lambda: {"runs": 0, "exit": Counter(), "signal": Counter(), "timeout": 0, "multiline": 0, "rss": 0})
    kept_log = open(os.path.join(kept, "kept.txt"), "w")
    started = time.time()
    for i in range(args.runs):
        rng = random.Random(args.seed * 1_000_003 + i)
        command, make_input, argv_of = cases[i % len(cases)]
        shutil.rmtree(run_dir, ignore_errors=True)
        os.makedirs(run_dir)
        try:
            inp, what = make_input(run_dir, rng)
        except Exception as e:  # a mutator problem, not a vlmembed one
            print("probe: cannot make case %d (%s): %s" % (i, command, e), file=sys.stderr)
            continue
        argv = [os.path.abspath(args.vlmembed)] + argv_of(inp, run_dir)
        full = ["timeout", "-k", "5", str(args.timeout), "prlimit", "--as=" + args.as_bytes, "--"] + argv
        p = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=run_dir)
        err = p.stderr.read()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        rc = p.returncode
        s = stats[command]
        s["runs"] += 1
        s["rss"] = max(s["rss"], usage.ru_maxrss)
        lines = [l for l in err.decode("utf-8", "replace").replace("\r", "\n").split("\n") if l.strip()]
        bad = None
        if rc == 124 or rc == 137:
            s["timeout"] += 1
            bad = "timeout"
        elif rc > 128 or rc < 0:
            sig = rc - 128 if rc > 128 else -rc
            s["signal"][sig] += 1
            bad = "signal %d" % sig
        else:
            s["exit"][rc] += 1
            # ArgumentParser's usage errors (exit 64: a flag value that is not a number at all)
            # print the usage block by design; they are counted under exit code 64 only.
            usage = rc == 64 and any(l.lstrip().startswith("Usage:") for l in lines)
            # Exit 1 with nothing on stderr is a verdict (verify: parity or checksums failed, report on stdout).
            verdict = rc == 1 and not lines
            if rc != 0 and len(lines) != 1 and not usage and not verdict:
                s["multiline"] += 1
                bad = "%d-line error" % len(lines)
        if bad:
            dst = os.path.join(kept, "%05d" % i)
            shutil.copytree(run_dir, dst, symlinks=True)
            kept_log.write("%05d %s [%s] %s\n    %s\n    %s\n" % (i, command, bad, what, " ".join(argv),
                                                                   " | ".join(lines[-3:])[:300]))
            kept_log.flush()
        if (i + 1) % 250 == 0:
            print("probe: %d/%d runs, %.0fs" % (i + 1, args.runs, time.time() - started), file=sys.stderr, flush=True)
    shutil.rmtree(run_dir, ignore_errors=True)

    print("%-16s %6s  %-34s %-16s %8s %10s %8s" % ("command", "runs", "exit codes", "signals", "timeouts", "multi-line", "peak RSS"))
    tot = Counter()
    for command in sorted(stats):
        s = stats[command]
        ex = " ".join("%d:%d" % kv for kv in sorted(s["exit"].items()))
        sg = " ".join("%d:%d" % kv for kv in sorted(s["signal"].items())) or "-"
        print("%-16s %6d  %-34s %-16s %8d %10d %7dM" % (command, s["runs"], ex, sg, s["timeout"], s["multiline"], s["rss"] // 1024))
        tot["runs"] += s["runs"]
        tot["signals"] += sum(s["signal"].values())
        tot["timeouts"] += s["timeout"]
        tot["multiline"] += s["multiline"]
    print("total: %d runs, %d signals, %d timeouts, %d multi-line errors in %.0fs; kept cases: %s" % (
        tot["runs"], tot["signals"], tot["timeouts"], tot["multiline"], time.time() - started, kept))
    return 1 if tot["signals"] or tot["timeouts"] or tot["multiline"] else 0


if __name__ == "__main__":
    sys.exit(main())
