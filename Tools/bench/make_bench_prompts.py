#!/usr/bin/env python3
"""Write text embedding requests whose vlmembed token count (BOS included) is exactly N.

For Tools/bench/engines_bench.sh: the prompt is a prefix of a fixed English passage (repeated as often as
needed), cut to the word count whose tokenization by `vlmembed tokenize --model MODEL --json` has N ids;
when no word count lands exactly on N, the longest shorter prefix is padded with " the" (one token each
for the Llama/Phi-3 SentencePiece vocabulary) and checked again. All candidate prefixes are tokenized in
one call. Each output file holds one request {"id": "textN", "text": ...}; the count is printed.

Usage: make_bench_prompts.py --vlmembed BIN --model MODEL --out-dir DIR N [N ...]
Writes DIR/textN.jsonl for each N, and DIR/text1.jsonl (empty text: the BOS token only, for timing load).
"""
import argparse
import json
import os
import subprocess
import sys

PASSAGE = (
    "On the morning the survey ship reached the northern coast, the crew found the harbour frozen and the "
    "lighthouse dark. Nobody had reported the failure, so the captain sent two engineers ashore with a sled, "
    "a crate of spare lamps and enough fuel for three days. They followed the old telegraph poles across the "
    "dunes, counting them aloud to keep their bearings in the snow, and reached the tower just before noon. "
    "Inside, the keeper's logbook stopped in the middle of a sentence about migrating geese. The stove was "
    "cold, the clock had run down, and a half-finished model of a steam engine stood on the kitchen table. "
    "While one engineer replaced the burner and trimmed the wicks, the other climbed to the gallery and "
    "scanned the bay with binoculars. Far to the east a column of smoke rose from a fishing hut, thin and "
    "steady, the only sign of life for miles. By evening the lamp turned again, throwing its long white "
    "beam over the ice, and the ship answered with three short blasts of its horn. "
)


def tokenize_counts(binary, model, texts, workdir):
    path = os.path.join(workdir, ".prompt_candidates.jsonl")
    with open(path, "w") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": str(i), "text": t}) + "\n")
    try:
        out = subprocess.run([binary, "tokenize", "--model", model, "--input", path, "--json"],
                             check=True, capture_output=True, text=True).stdout
    finally:
        os.remove(path)
    counts = {}
    for line in out.splitlines():
        if line.strip():
            row = json.loads(line)
            counts[int(row["id"])] = len(row["ids"])
    if len(counts) != len(texts):
        sys.exit(f"make_bench_prompts: {binary} tokenize returned {len(counts)} rows for {len(texts)} texts")
    return [counts[i] for i in range(len(texts))]


def exact_prompt(binary, model, n, workdir):
    words = PASSAGE.split()
    while len(words) < 2 * n:
        words += PASSAGE.split()
    prefixes = [" ".join(words[:w]) for w in range(1, 2 * n + 1)]
    counts = tokenize_counts(binary, model, prefixes, workdir)
    exact = [i for i, c in enumerate(counts) if c == n]
    if exact:
        return prefixes[exact[-1]], n
    shorter = [i for i, c in enumerate(counts) if c < n]
    if not shorter:
        sys.exit(f"make_bench_prompts: no prefix shorter than {n} tokens")
    base = prefixes[shorter[-1]]
    pads = [base + " the" * k for k in range(1, n - counts[shorter[-1]] + 3)]
    pad_counts = tokenize_counts(binary, model, pads, workdir)
    for text, c in zip(pads, pad_counts):
        if c == n:
            return text, n
    sys.exit(f"make_bench_prompts: could not build a prompt of exactly {n} tokens")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vlmembed", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("lengths", nargs="+", type=int)
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    with open(os.path.join(a.out_dir, "text1.jsonl"), "w") as f:
        f.write(json.dumps({"id": "text1", "text": ""}) + "\n")
    checks = [("text1", "")]
    for n in a.lengths:
        text, _ = exact_prompt(a.vlmembed, a.model, n, a.out_dir)
        with open(os.path.join(a.out_dir, f"text{n}.jsonl"), "w") as f:
            f.write(json.dumps({"id": f"text{n}", "text": text}) + "\n")
        checks.append((f"text{n}", text))
    # Re-tokenize the written prompts: the count printed is the one the embed calls will see.
    counts = tokenize_counts(a.vlmembed, a.model, [t for _, t in checks], a.out_dir)
    for (name, _), c in zip(checks, counts):
        want = 1 if name == "text1" else int(name[4:])
        if c != want:
            sys.exit(f"make_bench_prompts: {name} has {c} tokens, expected {want}")
        print(f"make_bench_prompts: {name}.jsonl: {c} tokens (BOS included)")


if __name__ == "__main__":
    main()
