#!/usr/bin/env python3
"""Tracing cost benchmark (`make bench`; needs root). No assertions: the
machine is shared and noisy, so every figure is a median and every cost a
ratio to baselines measured in the same run.

1. Per call, for three functions of bench/hot.rs (opt-level 2): a leaf whose
   first instruction is push (the kernel emulates it), a leaf that starts with
   another instruction (single-stepped), a function that may panic. Rows: no
   probes; an empty uprobe + uretprobe; an empty uprobe at the entry and on
   every ret; empty programs at rstrace's own sites (record --empty-probes);
   rstrace record; bpftrace printing the same arguments and return value.
   Then rstrace's overhead as a ratio of each baseline's overhead.
2. Attach and detach of generated programs with 1,000 and 10,000 functions
   (record -p, SIGINT): uprobe_multi, and per-probe perf events
   (RSTRACE_ATTACH=perf) on a smaller program, extrapolated per probe.
3. The consumer alone (bench/ingest.c): events/s through decode, call
   stacks and SQLite, without uprobes.

    python3 bench/bench.py [CALLS] [RUNS]      (defaults 200000, 3)

BENCH_SKIP=percall,attach,ingest,bpftrace skips parts; BENCH_PERF_FUNCS
(default 20) sizes the perf-event baseline (0: skip; each probe takes
~0.2-0.6 s to remove there).
"""
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import gen  # noqa: E402

RSTRACE = os.environ.get("RSTRACE", os.path.join(ROOT, "rstrace"))
BUILD = os.environ.get("RSTRACE_BUILD", os.path.join(ROOT, "build"))
OUT = os.path.join(BUILD, "bench")
SKIP = set(filter(None, os.environ.get("BENCH_SKIP", "").split(",")))
LDLIBS = ["-lbpf", "-lelf", "-lz", "-ldwarf", "-lsqlite3", "-liberty", "-lcapstone", "-lm"]
FUNCS = [("push", "leaf_push", "leaf, starts with push"),
         ("nopush", "leaf_nopush", "leaf, no push"),
         ("panicky", "may_panic", "may panic")]


def env():
    e = dict(os.environ)
    e["PATH"] = os.path.expanduser("~/.cargo/bin") + os.pathsep + e.get("PATH", "")
    e["RUST_BACKTRACE"] = "0"
    return e


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, env=env(), cwd=ROOT, **kw)


def run_ns(cmd):
    """The program's own ns per call (it times its loop), or None with why."""
    p = sh(cmd, stdin=subprocess.DEVNULL, timeout=1800)
    m = re.search(r"^ns_per_call=([0-9.]+)$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        return None, "exit %s: %s" % (p.returncode, (p.stderr or p.stdout)[-300:].strip())
    return float(m.group(1)), None


# ---- 1. per call ------------------------------------------------------------

def segments(binary):
    """(vaddr, offset, size) of the executable PT_LOADs."""
    out = sh(["readelf", "-lW", binary]).stdout
    segs = []
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LOAD" and "E" in f[6:-1]:
            segs.append((int(f[2], 16), int(f[1], 16), int(f[4], 16)))
    return segs


def file_off(segs, addr):
    for va, off, size in segs:
        if va <= addr < va + size:
            return addr - va + off
    raise ValueError("0x%x outside the executable segments" % addr)


def func_info(binary, name):
    """Mangled symbol, entry file offset, ret file offsets, first instruction."""
    syms = sh(["nm", "-S", binary]).stdout
    m = re.search(r"^([0-9a-f]+) ([0-9a-f]+) [tT] (_ZN3hot\d+%s17h[0-9a-f]+E)$" % name, syms, re.M)
    if not m:
        sys.exit("bench: symbol hot::%s not found" % name)
    addr, size, sym = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
    dis = sh(["objdump", "-d", "--no-show-raw-insn", "--start-address=0x%x" % addr,
              "--stop-address=0x%x" % (addr + size), binary]).stdout
    insns = [l for l in dis.splitlines() if re.match(r"^\s+[0-9a-f]+:\t", l)]
    rets = [int(l.split(":")[0], 16) for l in insns if re.search(r"\tret[q]?\s*$", l)]
    first = re.sub(r"\s+", " ", insns[0].split("\t", 1)[1]).strip() if insns else "?"
    segs = segments(binary)
    return sym, file_off(segs, addr), [file_off(segs, r) for r in rets], first


def tracefs_for_bpftrace():
    """bpftrace 0.17 removes its uprobes through tracefs: mount it for the run. Returns unmount()."""
    if os.path.exists("/sys/kernel/tracing/uprobe_events"):
        return lambda: None
    if subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"]).returncode:
        return lambda: None
    return lambda: subprocess.run(["umount", "/sys/kernel/tracing"])


def per_call(calls, runs, tmp):
    binary = os.path.join(OUT, "hot")
    sh(["rustc", "-g", "-C", "opt-level=2", os.path.join(ROOT, "bench", "hot.rs"), "-o", binary], check=True)
    empty = os.path.join(OUT, "emptyprobe")
    sh(["cc", "-O2", "-Wall", "-Werror", os.path.join(ROOT, "bench", "emptyprobe.c"), "-o", empty, "-lbpf"],
       check=True)
    bpftrace = shutil.which("bpftrace") if "bpftrace" not in SKIP else None
    umount = tracefs_for_bpftrace() if bpftrace else (lambda: None)
    results = {}
    try:
        for mode, name, what in FUNCS:
            sym, entry, rets, first = func_info(binary, name)
            prog = [binary, mode, str(calls)]
            db = os.path.join(tmp, "%s.sqlite" % mode)
            rows = [
                ("no probes", prog),
                ("uprobe + uretprobe", [empty, binary, "-e", str(entry), "-r", str(entry), "--"] + prog),
                ("entry + ret uprobes", [empty, binary, "-e", str(entry)] +
                 sum((["-e", str(r)] for r in rets), []) + ["--"] + prog),
                ("rstrace sites, empty", [RSTRACE, "record", "-q", "--empty-probes", "-o", db, "--"] + prog),
                ("rstrace record", [RSTRACE, "record", "-q", "--max-rate", "0", "-o", db, "--"] + prog),
            ]
            if bpftrace:
                script = ('uprobe:%s:%s { printf("%%lu %%s\\n", arg0, str(arg1, arg2)); } '
                          'uretprobe:%s:%s { printf("%%lu\\n", retval); }' % (binary, sym, binary, sym))
                rows.append(("bpftrace printf", [bpftrace, "-q", "-o", os.path.join(tmp, "bt.out"), "-c",
                                                 " ".join(prog), "-e", script]))
            res = []
            for label, cmd in rows:
                vals, why = [], None
                for _ in range(runs):
                    ns, why = run_ns(cmd)
                    if ns is None:
                        break
                    vals.append(ns)
                res.append((label, statistics.median(vals) if vals else None, vals, why))
            results[mode] = (what, first, len(rets), res)
    finally:
        umount()
    print("== per call: %d calls, median of %d runs (hot.rs, opt-level 2)" % (calls, runs))
    for mode, name, _ in FUNCS:
        what, first, nrets, res = results[mode]
        base = res[0][1]
        print("\nhot::%s(a: u64, s: &str) -> u64 — %s; first instruction: %s; %d ret" % (
            name, what, first, nrets))
        print("  %-22s %10s %12s %13s   %s" % ("", "ns/call", "overhead", "rstrace/this", "runs"))
        over = {label: (ns - base if ns is not None and base is not None else None) for label, ns, _, _ in res}
        mine = over.get("rstrace record")
        for label, ns, vals, why in res:
            if ns is None:
                print("  %-22s %10s   %s" % (label, "n/a", why))
                continue
            o = over[label]
            ratio = "%.2fx" % (mine / o) if label not in ("no probes", "rstrace record") and mine and o and o > 0 \
                else ""
            print("  %-22s %10.1f %12s %13s   %s" % (label, ns, "" if label == "no probes" else "%.1f ns" % o,
                                                   ratio, " ".join("%.1f" % v for v in vals)))
    if not bpftrace:
        print("\n(bpftrace row skipped: %s)" % ("BENCH_SKIP" if "bpftrace" in SKIP else "apt-get install bpftrace"))


# ---- 2. attach / detach -----------------------------------------------------

def attach_detach(n, mode_env, tmp):
    src = os.path.join(OUT, "gen%d.rs" % n)
    binary = os.path.join(OUT, "gen%d" % n)
    if gen.write(n, src) or not os.path.exists(binary):
        sh(["rustc", "-g", "-C", "opt-level=0", src, "-o", binary], check=True)
    db = os.path.join(tmp, "attach-%d.sqlite" % n)
    prog = subprocess.Popen([binary, "stdin", "100"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    prog.stdout.readline()
    t0 = time.monotonic()
    tr = subprocess.Popen([RSTRACE, "record", "-q", "-p", str(prog.pid), "-o", db], env=dict(env(), **mode_env),
                          stderr=subprocess.PIPE, text=True)
    # recording once the session row is there (written right after attaching)
    while tr.poll() is None:
        try:
            con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
            ok = con.execute("select count(*) from frame").fetchone()[0] > 0
            con.close()
            if ok:
                break
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    ready = time.monotonic() - t0
    t1 = time.monotonic()
    tr.send_signal(signal.SIGINT)
    tr.wait(timeout=7200)
    gone = time.monotonic() - t1
    prog.stdin.close()
    prog.wait(timeout=60)
    con = sqlite3.connect(db)
    row = con.execute("select attach_mode, probes, attach_ns, detach_ns from session").fetchone()
    con.close()
    return row, ready, gone


def attach(tmp):
    print("\n== attach / detach (record -p, then SIGINT; generated programs, opt-level 0)")
    print("  %-8s %-13s %7s %11s %11s %14s %16s" % ("funcs", "mode", "probes", "attach", "detach",
                                                    "start->frames", "SIGINT->exit"))
    perf_n = int(os.environ.get("BENCH_PERF_FUNCS", "20"))
    runs = [(1000, {}), (10000, {})] + ([(perf_n, {"RSTRACE_ATTACH": "perf"})] if perf_n > 0 else [])
    for n, menv in runs:
        (mode, probes, a_ns, d_ns), ready, gone = attach_detach(n, menv, tmp)
        print("  %-8d %-13s %7d %9.1f ms %9.1f ms %12.2f s %14.2f s" % (n, mode, probes, a_ns / 1e6, d_ns / 1e6,
                                                                       ready, gone))
        if mode == "perf_event" and probes:
            pa, pd = a_ns / probes, d_ns / probes
            print("  %-8s perf_event per probe: attach %.2f ms, detach %.0f ms; extrapolated: 1,000 functions "
                  "(~2,000 probes) attach %.0f s, detach %.0f s; 10,000: attach %.0f s, detach %.0f s" % (
                      "", pa / 1e6, pd / 1e6, 2000 * pa / 1e9, 2000 * pd / 1e9, 20000 * pa / 1e9,
                      20000 * pd / 1e9))
    print("  (attach/detach: session.attach_ns/detach_ns, rstrace's own clock around creating / closing the "
          "links; start->frames includes reading DWARF)")


# ---- 3. ingest ----------------------------------------------------------------

def ingest(tmp):
    binary = os.path.join(OUT, "ingest")
    objs = [os.path.join(BUILD, "user", f) for f in sorted(os.listdir(os.path.join(BUILD, "user")))
            if f.endswith(".o") and f != "main.o"]
    p = sh(["cc", "-O2", "-g", "-Iinclude", "-Iuser", "-I" + BUILD, "-I/usr/include/libdwarf", "-D_GNU_SOURCE",
            os.path.join(ROOT, "bench", "ingest.c")] + objs + ["-o", binary] + LDLIBS)
    if p.returncode:
        print("\n== ingest: cannot build bench/ingest.c:\n" + p.stderr[-1000:])
        return
    print("\n== consumer alone (bench/ingest.c: hot(a: u64, s: &str) entry+exit records, no uprobes), median of 3")
    stages = {}
    for i in range(3):
        db = os.path.join(tmp, "ingest-%d.sqlite" % i)
        out = sh([binary, db, "2000000"]).stdout
        for m in re.finditer(r"stage=(\S+) events=(\d+) seconds=([0-9.]+) events_per_s=(\d+) store_s=([0-9.]+) "
                             r"close_s=([0-9.]+)", out):
            stages.setdefault(m.group(1), []).append((float(m.group(4)), float(m.group(5)), float(m.group(3)),
                                                      float(m.group(6))))
    for name, vals in stages.items():
        eps = statistics.median(v[0] for v in vals)
        store = statistics.median(v[1] / v[2] for v in vals) if vals[0][2] else 0
        close = statistics.median(v[3] for v in vals)
        print("  %-22s %10.0f events/s%s" % (name, eps, "" if name == "decode" else
                                             "   (SQLite commits %.0f%% of it; at the end, indexes + views + "
                                             "checkpoint of 1M frames: %.2f s)" % (100 * store, close)))


def main():
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    if os.geteuid() != 0:
        sys.exit("bench: needs root (uprobes, BPF)")
    if not os.access(RSTRACE, os.X_OK):
        sys.exit("bench: %s not built (make rstrace)" % RSTRACE)
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="rstrace-bench-")
    try:
        if "percall" not in SKIP:
            per_call(calls, runs, tmp)
        if "attach" not in SKIP:
            attach(tmp)
        if "ingest" not in SKIP:
            ingest(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
