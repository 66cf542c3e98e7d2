#!/usr/bin/env python3
"""The int4 methods' fidelity table (issue #20): for each quantization row, converts the tiny
reference backbones (Fixtures/models) and SmolLM2-135M (the real GGUF, dequantized) and measures
each bundle's embeddings against the fp32 forward of its source with `vlmembed verify --json`:
cosine min / median / mean(1 - cosine) over the reference cases' rows (../shared cases.json, every
row, base model) and over SmolLM2's 30 real prompts; plus the bundle size. Prints one Markdown
table and writes the raw figures as JSON.

    python3 Tools/quant/quant_table.py --vlmembed .build/release/vlmembed --smollm2 ~/.cache/vlmembed/real/SmolLM2-135M-Instruct.Q4_1.gguf
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ROWS = [("fp32", ["--quant", "f32", "--vision-quant", "f32"]), ("int8", ["--quant", "int8"]),
        ("int4 rtn (int4_sym_g32)", ["--quant", "int4", "--group-size", "32", "--method", "rtn"]),
        ("int4 search", ["--quant", "int4", "--group-size", "32", "--method", "search"]),
        ("int4 importance", ["--quant", "int4", "--group-size", "32", "--method", "importance"]),
        ("int4 gptq", ["--quant", "int4", "--group-size", "32", "--method", "gptq"]),
        ("int4 rtn asym", ["--quant", "int4", "--group-size", "32", "--asym", "--method", "rtn"]),
        ("int4 search asym", ["--quant", "int4", "--group-size", "32", "--asym", "--method", "search"]),
        ("int4 importance asym", ["--quant", "int4", "--group-size", "32", "--asym", "--method", "importance"]),
        ("int4 gptq asym", ["--quant", "int4", "--group-size", "32", "--asym", "--method", "gptq"])]


def case_requests(backbone, out):
    cases = json.load(open(os.path.join(ROOT, "Fixtures", "reference", "cases.json")))
    images = os.path.join(ROOT, "Fixtures", "reference", "images")
    lines = []
    for c in cases["cases"]:
        if c["backbone"] != backbone:
            continue
        for k, r in enumerate(c["rows"]):
            req = {"id": f"{c['id']}.{k}", "text": r["prompt"]}
            if r.get("image"):
                name = next(f for f in os.listdir(images) if os.path.splitext(f)[0] == r["image"])
                req["images"] = [os.path.join(images, name)]
            lines.append(json.dumps(req))
    open(out, "w").write("\n".join(lines) + "\n")
    return len(lines)


def smollm2_requests(out):
    info = json.load(open(os.path.join(ROOT, "Fixtures", "real", "smollm2_embeddings.json")))
    open(out, "w").write("".join(json.dumps({"id": f"p{i}", "text": p["text"]}) + "\n" for i, p in enumerate(info["prompts"])))
    return len(info["prompts"])


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)}: exit {r.returncode}\n{r.stderr}")
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vlmembed", default=os.path.join(ROOT, ".build", "release", "vlmembed"))
    ap.add_argument("--smollm2", help="SmolLM2-135M-Instruct.Q4_1.gguf (Tools/fetch_real_data.sh)")
    ap.add_argument("--json", default="quant_table.json")
    ap.add_argument("--rows", help="comma-separated row labels to run (default all)")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="quant-table-")
    models = [("phi3_v", os.path.join(ROOT, "Fixtures", "models", "phi3_v")), ("llava_next", os.path.join(ROOT, "Fixtures", "models", "llava_next"))]
    if a.smollm2:
        models.append(("SmolLM2-135M", a.smollm2))
    inputs = {}
    for name, _ in models:
        path = os.path.join(work, f"{name}.jsonl")
        n = smollm2_requests(path) if name == "SmolLM2-135M" else case_requests(name, path)
        inputs[name] = path
        print(f"{name}: {n} requests", file=sys.stderr)
    results = []
    rows = [r for r in ROWS if not a.rows or r[0] in a.rows.split(",")]
    for label, flags in rows:
        row = {"row": label, "models": {}}
        for name, src in models:
            out = os.path.join(work, f"{name}-{label.replace(' ', '_')}.vlmb")
            t0 = time.time()
            c = run([a.vlmembed, "convert", src, *flags, "-o", out])
            if c.returncode != 0:
                sys.exit(f"convert {name} {label}: {c.stderr}")
            took = time.time() - t0
            v = run([a.vlmembed, "verify", out, "--reference", src, "--input", inputs[name], "--json", "--min-cosine", "0"])
            report = json.loads(v.stdout)
            cos = sorted(p["cosine"] for p in report["probes"])
            row["models"][name] = {"min": cos[0], "median": statistics.median(cos), "mean_distance": sum(1 - c for c in cos) / len(cos),
                                   "top1": report.get("top1_agreement"), "bytes": os.path.getsize(out), "convert_s": took, "n": len(cos)}
            os.remove(out)
            print(f"{label:24s} {name:12s} min {cos[0]:.6f} median {statistics.median(cos):.6f} mean(1-cos) {row['models'][name]['mean_distance']:.2e}", file=sys.stderr)
        results.append(row)
    json.dump(results, open(a.json, "w"), indent=1)
    names = [m[0] for m in models]
    print("| method | " + " | ".join(f"{n}: min / median cosine, mean(1−cos)" for n in names) + " | " + " | ".join(f"{n} size" for n in names) + " |")
    print("|---|" + "---|" * (2 * len(names)))
    for r in results:
        cells = [f"{r['models'][n]['min']:.5f} / {r['models'][n]['median']:.5f}, {r['models'][n]['mean_distance']:.2e}" for n in names]
        sizes = [f"{r['models'][n]['bytes'] / 1e6:.2f} MB" for n in names]
        print(f"| {r['row']} | " + " | ".join(cells) + " | " + " | ".join(sizes) + " |")


if __name__ == "__main__":
    main()
