#!/usr/bin/env python3
"""Probe overhead benchmark (`make bench`; needs root).

Compiles bench/hot.rs at opt-level 2 and runs it RUNS times each: untraced,
under `./rstrace record --empty-probes` (no-op BPF programs at the same probe
sites: the kernel's trap cost alone) and under `./rstrace record`. Prints the
median ns per call of each, the overhead per call over untraced, and the ratio
rstrace overhead / empty-probe overhead (target <= 1.2x). No assertions: the
machine is shared and noisy.

    python3 bench/bench.py [CALLS] [RUNS]      (defaults 200000, 3)
"""
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
RSTRACE = os.environ.get("RSTRACE", os.path.join(ROOT, "rstrace"))
TARGET = 1.2


def env():
    e = dict(os.environ)
    e["PATH"] = os.path.expanduser("~/.cargo/bin") + os.pathsep + e.get("PATH", "")
    return e


def run(cmd):
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=ROOT, env=env(), timeout=1800)
    wall = time.monotonic() - t0
    m = re.search(r"^ns_per_call=([0-9.]+)$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        sys.exit("bench: %s failed (exit %s)\n%s%s" % (" ".join(cmd), p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
    return float(m.group(1)), wall


def session(db):
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        lost = con.execute("SELECT events_lost FROM session ORDER BY rowid DESC LIMIT 1").fetchone()
        frames = con.execute("SELECT count(*) FROM frame").fetchone()
        con.close()
        return (lost[0] if lost else None), frames[0]
    except sqlite3.Error as e:
        return "error: %s" % e, None


def main():
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    if os.geteuid() != 0:
        sys.exit("bench: needs root (uprobes, BPF)")
    if not os.access(RSTRACE, os.X_OK):
        sys.exit("bench: %s not built (make rstrace)" % RSTRACE)
    out = os.path.join(os.environ.get("RSTRACE_BUILD", os.path.join(ROOT, "build")), "bench")
    os.makedirs(out, exist_ok=True)
    binary = os.path.join(out, "hot")
    subprocess.run(["rustc", "-g", "-C", "opt-level=2", os.path.join(ROOT, "bench", "hot.rs"), "-o", binary],
                   check=True, env=env(), cwd=ROOT)
    tmp = tempfile.mkdtemp(prefix="rstrace-bench-")
    try:
        modes = [
            ("untraced", lambda db: [binary, str(calls)]),
            ("empty probes", lambda db: [RSTRACE, "record", "--empty-probes", "-o", db, "--", binary, str(calls)]),
            ("rstrace", lambda db: [RSTRACE, "record", "-o", db, "--", binary, str(calls)]),
        ]
        results = {}
        for name, mk in modes:
            nss, walls, sessions = [], [], []
            for i in range(runs):
                db = os.path.join(tmp, "%s-%d.sqlite" % (name.replace(" ", "-"), i))
                ns, wall = run(mk(db))
                nss.append(ns)
                walls.append(wall)
                if name != "untraced":
                    sessions.append(session(db))
            results[name] = (statistics.median(nss), statistics.median(walls), nss, sessions)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    base = results["untraced"][0]
    print("hot(a: u64, s: &str) -> u64, %d calls, median of %d runs (opt-level 2)" % (calls, runs))
    print("%-13s %10s %14s %10s  %s" % ("", "ns/call", "overhead/call", "wall s", "runs (ns/call)"))
    for name, (ns, wall, nss, _) in results.items():
        over = "" if name == "untraced" else "%.1f ns" % (ns - base)
        print("%-13s %10.1f %14s %10.2f  %s" % (name, ns, over, wall, " ".join("%.1f" % x for x in nss)))
    empty = results["empty probes"][0] - base
    full = results["rstrace"][0] - base
    if empty > 0:
        ratio = full / empty
        print("rstrace overhead / empty-probe overhead: %.2fx (target <= %.1fx%s)" % (
            ratio, TARGET, "" if ratio <= TARGET else ", ABOVE TARGET"))
    else:
        print("rstrace overhead / empty-probe overhead: n/a (empty-probe overhead %.1f ns <= 0)" % empty)
    for name in ("empty probes", "rstrace"):
        sess = results[name][3]
        print("%-13s events lost: %s; frames recorded: %s" % (
            name, ", ".join(str(l) for l, _ in sess), ", ".join(str(f) for _, f in sess)))


if __name__ == "__main__":
    main()
