#!/usr/bin/env python3
"""Print the table of Tools/bench/engines_bench.sh from its results.jsonl (records of bench_measure.py).

Records carry engine, variant, tokens, threads and role in their meta fields:
  vlmembed   role "load" (a 1-token request: BOS only) and role "run" (the N-token request), two processes.
             s/request = wall(run) - wall(load): load (mmap, checksums, tokenizer) cancels; the 1-token
             forward is subtracted too, so tok/s = N / s is slightly optimistic (by at most that forward).
  llama.cpp  llama-bench -p N -n 0 -r 1 -o jsonl in the log: s/request = avg_ns, tok/s = avg_ts (its own
             timer around the prompt batch, after its warm-up run; random token ids).
  pytorch    torch_decoder_bench.py JSON in the log: s/request = forward_s (one warm forward after one
             warm-up; random token ids), or {"skipped": ...}.
Ratios: tok/s over llama.cpp's tok/s for the same tokens and threads at the matching format (int8 -> Q8_0,
int4 and int4-i8in -> Q4_0, pytorch -> F16 when measured, else Q8_0); the reference is named in the cell.
Peak RSS: ru_maxrss of the process (touched mmap'd weight pages count), and peak RssAnon (heap only).
cpu/wall: process CPU seconds over wall seconds, a contention indicator (vlmembed: its N-token process).

Usage: engines_table.py RESULTS.jsonl
"""
import json
import sys

MATCH = {"int8": "Q8_0", "int4": "Q4_0", "int4-i8in": "Q4_0", "Q8_0": "Q8_0", "Q4_0": "Q4_0", "F16": "F16", "bf16": "F16", "fp32": "F16"}


def json_lines(path):
    out = []
    try:
        with open(path, errors="replace") as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    try:
                        out.append(json.loads(line))
                    except json.JSONDecodeError:
                        pass
    except OSError:
        pass
    return out


def gb(kb):
    return f"{kb / 1048576:.2f}" if kb else "-"


def main():
    records = json_lines(sys.argv[1])
    rows = []          # dicts: engine variant tokens threads s tps wall rss anon psi note
    loads = {}
    for r in records:
        if r.get("engine") == "vlmembed" and r.get("role") == "load":
            loads[(r["variant"], r["cell_tokens"], r["threads"])] = r
    for r in records:
        key = (r.get("engine"), r.get("variant"), r.get("tokens"), r.get("threads"))
        row = {"engine": key[0], "variant": key[1], "tokens": key[2], "threads": key[3], "s": None, "tps": None,
               "wall": r["wall_s"], "cpuw": (r["user_s"] + r["sys_s"]) / r["wall_s"] if r["wall_s"] else 0, "rss": r["maxrss_kb"], "anon": r["peak_anon_kb"], "psi": [r.get("psi_avg10")],
               "note": "", "load": None}
        if r.get("rc") != 0:
            row["note"] = f"failed rc={r.get('rc')} (see {r['log']})"
        elif r["engine"] == "vlmembed":
            if r.get("role") == "load":
                continue
            load = loads.get((r["variant"], r["tokens"], r["threads"]))
            if load and load.get("rc") == 0:
                row["s"] = r["wall_s"] - load["wall_s"]
                row["load"] = load["wall_s"]
                row["psi"].append(load.get("psi_avg10"))
                row["rss"] = max(row["rss"], load["maxrss_kb"])
                if row["s"] <= 0:
                    row["s"], row["note"] = None, "run not slower than load: noise"
            else:
                row["note"] = "no load measurement"
        elif r["engine"] == "llama.cpp":
            res = [j for j in json_lines(r["log"]) if "avg_ts" in j and j.get("n_prompt") == r["tokens"]]
            if res:
                row["s"], row["tps"] = res[0]["avg_ns"] / 1e9, res[0]["avg_ts"]
            else:
                row["note"] = "no llama-bench result in log"
        elif r["engine"] == "pytorch":
            res = json_lines(r["log"])
            res = res[-1] if res else {}
            if "skipped" in res:
                row["note"] = "skipped: " + res["skipped"]
            elif "forward_s" in res:
                row["s"], row["load"] = res["forward_s"], res.get("load_s")
            else:
                row["note"] = "no result in log"
        if row["s"] and row["tps"] is None:
            row["tps"] = row["tokens"] / row["s"]
        rows.append(row)

    ref = {(r["variant"], r["tokens"], r["threads"]): r["tps"] for r in rows if r["engine"] == "llama.cpp" and r["tps"]}
    print("What is timed: vlmembed = wall(N-token embed call) - wall(1-token call) [two processes, load cancels];")
    print("llama.cpp = llama-bench's own prompt-processing timer (pp N, after its warm-up); pytorch = one warm")
    print("Phi3Model forward after one warm-up. 'wall' = whole process incl. load. Peak RSS counts touched mmap")
    print("pages; 'anon' = peak RssAnon (heap). psi = /proc/pressure/cpu some avg10 (%) just before each run;")
    print("cpu/wall = process CPU s / wall s (about the thread count when the cores were free; lower = contention).")
    print("llama-bench runs the prompt twice (warm-up + timed), so its wall is load + 2 passes. vlmembed gets real")
    print("text of exactly N tokens (BOS incl.); llama.cpp and pytorch get N random ids (cost does not depend on ids).")
    hdr = f"{'engine':<10} {'format':<9} {'tok':>4} {'thr':>3} {'s/request':>10} {'tok/s':>8} {'vs llama.cpp':>14} " \
          f"{'load s':>7} {'wall s':>7} {'cpu/wall':>8} {'RSS GB':>7} {'anon GB':>7} {'psi':>9}"
    print(hdr)
    print("-" * len(hdr))
    for r in sorted(rows, key=lambda r: (r["tokens"], r["threads"])):
        ratio = ""
        want = MATCH.get(r["variant"])
        name = want if ref.get((want, r["tokens"], r["threads"])) else "Q8_0"
        base = ref.get((name, r["tokens"], r["threads"]))
        if r["engine"] == "llama.cpp":
            ratio = "(reference)" if r["tps"] else ""
        elif r["tps"] and base:
            ratio = f"{r['tps'] / base:.2f}x {name}"
        psi = "/".join(f"{p:.0f}" for p in r["psi"] if p is not None)
        s = f"{r['s']:.2f}" if r["s"] else "-"
        tps = f"{r['tps']:.2f}" if r["tps"] else "-"
        load = f"{r['load']:.1f}" if r["load"] else "-"
        print(f"{r['engine']:<10} {r['variant']:<9} {r['tokens']:>4} {r['threads']:>3} {s:>10} {tps:>8} {ratio:>14} "
              f"{load:>7} {r['wall']:>7.1f} {r['cpuw']:>8.2f} {gb(r['rss']):>7} {gb(r['anon']):>7} {psi:>9}"
              + (f"  {r['note']}" if r["note"] else ""))


if __name__ == "__main__":
    main()
