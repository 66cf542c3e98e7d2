#!/usr/bin/env python3
"""Run one command and append one JSON line describing it (wall, CPU, peak RSS, CPU pressure before).

Used by Tools/bench/engines_bench.sh so that every engine is measured the same way:
  wall_s         monotonic wall seconds from spawn to exit
  user_s, sys_s  CPU seconds of the process (os.wait4 rusage; the engines are single processes)
  maxrss_kb      peak resident set size from rusage (ru_maxrss): counts mmap'd weight pages that were
                 touched (file-backed, reclaimable) as well as the process's own heap
  peak_anon_kb   peak RssAnon polled from /proc/PID/status every --poll seconds (heap only, so a copy of
                 the weights in anonymous memory shows here and an mmap'd file does not)
  peak_file_kb   peak RssFile polled the same way
  psi_avg10      "some avg10" of /proc/pressure/cpu read just before the spawn (share of the last 10 s
                 in which runnable tasks waited for a CPU: high means a noisy neighbour)
The command's stdout and stderr go to --log. Exits with the command's status.

Usage: bench_measure.py --label L --results FILE --log FILE [--meta JSON] [--poll S] -- CMD ARGS...
"""
import argparse
import json
import os
import subprocess
import sys
import time


def psi_avg10():
    try:
        with open("/proc/pressure/cpu") as f:
            for line in f:
                if line.startswith("some"):
                    return float(line.split("avg10=")[1].split()[0])
    except (OSError, IndexError, ValueError):
        pass
    return None


def status_kb(pid, keys):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name in keys:
                    out[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", required=True)
    ap.add_argument("--results", required=True, help="JSON-lines file to append the record to")
    ap.add_argument("--log", required=True, help="file for the command's stdout and stderr")
    ap.add_argument("--meta", default="{}", help="JSON object merged into the record")
    ap.add_argument("--poll", type=float, default=0.1)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command after --")
    record = {"label": a.label, **json.loads(a.meta), "cmd": cmd, "log": a.log, "psi_avg10": psi_avg10()}
    peak = {"RssAnon": 0, "RssFile": 0}
    with open(a.log, "wb") as log:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            for k, v in status_kb(proc.pid, peak.keys()).items():
                peak[k] = max(peak[k], v)
            time.sleep(a.poll)
        wall = time.monotonic() - start
    rc = os.waitstatus_to_exitcode(status)
    record.update(rc=rc, wall_s=round(wall, 3), user_s=round(usage.ru_utime, 2), sys_s=round(usage.ru_stime, 2),
                  maxrss_kb=usage.ru_maxrss, peak_anon_kb=peak["RssAnon"], peak_file_kb=peak["RssFile"])
    with open(a.results, "a") as f:
        f.write(json.dumps(record) + "\n")
    print(f"  {a.label:<34} rc={rc} wall {wall:8.1f} s  cpu {usage.ru_utime + usage.ru_stime:8.1f} s  "
          f"peak RSS {usage.ru_maxrss / 1048576:5.2f} GB (anon {peak['RssAnon'] / 1048576:5.2f})  "
          f"cpu-psi-before {record['psi_avg10']}", flush=True)
    sys.exit(rc)


if __name__ == "__main__":
    main()
