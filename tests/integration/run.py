#!/usr/bin/env python3
"""Integration tests: trace the fixtures with ./rstrace and compare the database
with what the fixtures print about their own calls (see oracle.py).

    sudo python3 tests/integration/run.py [-v] [FILTER...]

FILTER keeps the variants whose label contains it (e.g. scalars-O0, values).
-v prints every WRONG value (default: the first 25 per variant); -u also
lists the unknown values with the tracer's reason.
RSTRACE=path picks another tracer binary. Python 3 standard library only;
needs root.
"""
import concurrent.futures
import os
import re
import subprocess
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

# Minimum % of exact values per fixture and opt-level (issue B: 95 at O0, 80 at O2),
# always with zero WRONG values and the right call tree. Not 100 at O0: rustc omits
# DW_AT_type for a function returning () and one returning a unit struct alike, so such
# returns are reported unknown rather than guessed. scalars.rs discards its results on
# purpose: LLVM then drops the return values and rstrace must say unknown, not guess.
THRESHOLDS = {
    "demo": {0: 95, 2: 80},
    "scalars": {0: 95, 2: 80},
    "values": {0: 95, 2: 80},
    "values2": {0: 95, 2: 80},
    "threads": {0: 95, 2: 80},
    "panics": {0: 95, 2: 80},
    "recursion": {0: 95, 2: 80},
}

# (fixture, opt-level, extra rustc flags, label suffix)
VARIANTS = [
    ("demo", 0, [], ""),
    ("demo", 2, [], ""),
    ("scalars", 0, [], ""),
    ("scalars", 2, [], ""),
    ("scalars", 0, ["-C", "dwarf-version=5"], "-dwarf5"),
    ("scalars", 2, ["-C", "dwarf-version=5"], "-dwarf5"),
    ("values", 0, [], ""),
    ("values", 2, [], ""),
    ("values", 0, ["-C", "dwarf-version=5"], "-dwarf5"),
    ("values", 2, ["-C", "dwarf-version=5"], "-dwarf5"),
    ("values2", 0, [], ""),
    ("values2", 2, [], ""),
    ("threads", 0, [], ""),
    ("threads", 2, [], ""),
    ("panics", 0, [], ""),
    ("panics", 2, [], ""),
    ("recursion", 0, [], ""),
    ("recursion", 2, [], ""),
]

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RSTRACE = os.environ.get("RSTRACE", os.path.join(ROOT, "rstrace"))
OUT = os.path.join(os.environ.get("RSTRACE_BUILD", os.path.join(ROOT, "build")), "it")
RUN_TIMEOUT = 60
TRACE_TIMEOUT = 300
MAX_WRONG_SHOWN = 25

passed = failed = 0
figures = []  # (label, exact, unknown, wrong, pct, note)


def report(ok, label, what, details=()):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print("%-4s %s %s" % ("ok" if ok else "FAIL", label, what))
    for d in details:
        print("       " + d)
    sys.stdout.flush()


def env():
    e = dict(os.environ)
    e["RUST_BACKTRACE"] = "0"
    e["PATH"] = os.path.expanduser("~/.cargo/bin") + os.pathsep + e.get("PATH", "")
    return e


def compile_fixture(fixture, opt, flags, binary):
    src = os.path.join(ROOT, "tests", "fixtures", fixture + ".rs")
    cmd = ["rustc", "-g", "-C", "opt-level=%d" % opt] + flags + [src, "-o", binary]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env(), cwd=ROOT)
    return p.returncode, " ".join(cmd) + "\n" + p.stderr


def run(cmd, timeout):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, env=env(), cwd=ROOT, timeout=timeout)
        out, err, rc = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        err = (e.stderr or b"").decode("utf-8", "replace") + "\n<timeout after %ds>" % timeout
        rc = None
    return out, err, rc, time.monotonic() - t0


_TID = re.compile(r"^(@(?:call|ret|unwound)):(\d+)\t", re.M)


def normalize_tids(text):
    """Renumber the tids of oracle lines by first appearance (they differ per run)."""
    seen = {}

    def sub(m):
        n = seen.setdefault(m.group(2), len(seen))
        return "%s:T%d\t" % (m.group(1), n)

    return _TID.sub(sub, text)


def first_diff(a, b):
    al, bl = a.splitlines(), b.splitlines()
    for i in range(max(len(al), len(bl))):
        x = al[i] if i < len(al) else "<end of output>"
        y = bl[i] if i < len(bl) else "<end of output>"
        if x != y:
            return ["first difference at stdout line %d:" % (i + 1), "  untraced: %r" % x, "  traced:   %r" % y]
    return []


def tail(text, n=8):
    lines = text.rstrip().splitlines()
    return ["  | " + l for l in lines[-n:]]


def check_fib(label, otrees, dtrees):
    """Every fib(n >= 2) frame's children are exactly fib(n-1), fib(n-2)."""
    fib = next((n.name for roots in otrees.values() for _, n in oracle.preorder(roots) if n.name.endswith("::fib")), None)
    if fib is None:
        return

    def fib_roots(trees):
        out = []
        for roots in trees.values():
            for _, n in oracle.preorder(roots):
                if n.name == fib and (n.parent is None or n.parent.name != fib):
                    out.append(n)
        return out

    oroots, droots = fib_roots(otrees), fib_roots(dtrees)
    errs = []
    if len(oroots) != len(droots):
        errs.append("%d outermost %s calls expected, %d recorded" % (len(oroots), fib, len(droots)))
    memo = {0: 0, 1: 1}

    def fibv(n):
        if n not in memo:
            memo[n] = fibv(n - 1) + fibv(n - 2)
        return memo[n]

    def walk(d, n):
        if len(errs) > 10:
            return
        arg = next((a for a in (d.args or []) if isinstance(a, dict) and a.get("name") == "n"), None)
        if arg and isinstance(arg.get("value"), str) and arg["value"] != str(n):
            errs.append("frame %d: expected %s(n=%d), got n=%s" % (d.line, fib, n, arg["value"]))
        kids = d.children
        want = [n - 1, n - 2] if n >= 2 else []
        if len(kids) != len(want) or any(k.name != fib for k in kids):
            errs.append("frame %d %s(n=%d): children %s, expected %s" % (
                d.line, fib, n, [k.name for k in kids] or "none", ["%s(n=%d)" % (fib, w) for w in want] or "none"))
            return
        for k, w in zip(kids, want):
            walk(k, w)

    total = sum(2 * fibv(int(dict(o.args)["n"]) + 1) - 1 for o in oroots)
    for o, d in zip(oroots, droots):
        walk(d, int(dict(o.args)["n"]))
    report(not errs, label, "fib shape (%d %s frames)" % (total, fib), errs)


def check_threads(label, otrees, dtrees, db):
    errs = []
    for fid in db.order:
        fr = db.frames[fid]
        p = db.frames.get(fr["parent_id"]) if fr["parent_id"] is not None else None
        if p is not None and p["thread_id"] != fr["thread_id"]:
            errs.append("frame %d (%s, tid %d) has parent %d (%s) on tid %d" % (fid, fr["name"], fr["thread_id"], p["id"], p["name"], p["thread_id"]))
    nodes = [n for roots in dtrees.values() for _, n in oracle.preorder(roots)]
    mains = {n.row["thread_id"] for n in nodes if n.name == "threads::main"}
    workers = [n for n in nodes if n.name == "threads::worker"]
    tids = {w.row["thread_id"] for w in workers}
    if len(workers) != 4 or len(tids) != 4:
        errs.append("%d worker frames on %d threads, expected 4 on 4" % (len(workers), len(tids)))
    if tids & mains:
        errs.append("worker frames on the main thread %s" % sorted(tids & mains))
    for w in workers:
        steps = [c for c in w.children if c.name == "threads::step" and c.row["thread_id"] == w.row["thread_id"]]
        if len(steps) != 50 or len(w.children) != 50:
            errs.append("worker frame %d (tid %d): %d step children on its thread, %d children in all, expected 50" % (
                w.line, w.row["thread_id"], len(steps), len(w.children)))
        wid = next((a.get("value") for a in (w.args or []) if isinstance(a, dict) and a.get("name") == "id"), None)
        for i, s in enumerate(steps):
            vals = {a.get("name"): a.get("value") for a in (s.args or []) if isinstance(a, dict)}
            if isinstance(vals.get("i"), str) and vals["i"] != str(i):
                errs.append("worker frame %d: step #%d has i=%s" % (w.line, i, vals["i"]))
            if isinstance(wid, str) and isinstance(vals.get("id"), str) and vals["id"] != wid:
                errs.append("worker frame %d (id=%s): step #%d has id=%s" % (w.line, wid, i, vals["id"]))
    report(not errs, label, "threads: 4 workers x 50 steps, no cross-thread parents", errs[:20])


def check_variant(fixture, opt, label, binary, build_result):
    print("== %s (%s)" % (label, os.path.relpath(binary, ROOT)))
    rc, log = build_result
    if rc != 0:
        report(False, label, "build", log.splitlines()[-15:])
        return
    out0, err0, rc0, _ = run([binary], RUN_TIMEOUT)
    db_path = binary + ".sqlite"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db_path + suffix):
            os.unlink(db_path + suffix)
    out1, err1, rc1, secs = run([RSTRACE, "record", "-o", db_path, "--", binary], TRACE_TIMEOUT)

    # 1. Output and exit status pass through.
    errs = []
    if normalize_tids(out0) != normalize_tids(out1):
        errs += first_diff(normalize_tids(out0), normalize_tids(out1))
    if rc0 != rc1:
        errs.append("exit status: untraced %s, rstrace %s" % (rc0, rc1))
    if errs:
        errs += ["rstrace stderr:"] + tail(err1)
    report(not errs, label, "stdout and exit status (%s) pass through  [traced run %.1fs]" % (rc0, secs), errs)

    otrees, perrs = oracle.parse_oracle(out1 if "@call" in out1 else out0)
    if perrs:
        report(False, label, "oracle lines parse", perrs[:10])
        return
    if not os.path.exists(db_path):
        report(False, label, "database written", ["no %s; rstrace exit %s; stderr:" % (db_path, rc1)] + tail(err1))
        return
    try:
        db = oracle.Db(db_path)
    except Exception as e:  # noqa: BLE001
        report(False, label, "database readable", [repr(e)])
        return

    # Session: events lost, exit status.
    s = db.session
    errs = []
    if s.get("events_lost") != 0:
        errs.append("session.events_lost = %r" % s.get("events_lost"))
    if rc0 is not None and s.get("exit_status") != rc0:
        errs.append("session.exit_status = %r, program exited %s" % (s.get("exit_status"), rc0))
    report(not errs, label, "session: events_lost = 0, exit_status", errs)

    serrs = db.sanity()
    report(not serrs, label, "frame table consistent (parents, threads, entry order)",
           serrs[:10] + (["... %d more" % (len(serrs) - 10)] if len(serrs) > 10 else []))

    # 2. Call tree shape.
    names = {n.name for roots in otrees.values() for _, n in oracle.preorder(roots)}
    dtrees = db.trees(names)
    shape_errs, pairs = [], []
    if list(otrees) == [None]:
        # Untagged oracle: one thread, the one of the first oracle frame.
        main_tid = min(dtrees, key=lambda t: dtrees[t][0].line) if dtrees else None
        e, m = oracle.compare_trees(otrees[None], dtrees.get(main_tid, []))
        shape_errs += e
        pairs += m
        for t, roots in dtrees.items():
            if t != main_tid:
                shape_errs.append("%d oracle-function frames on an unexpected thread %d, first %s (frame %d)" % (
                    oracle.node_count(roots), t, roots[0].name, roots[0].line))
    else:
        for t in sorted(set(otrees) | set(dtrees), key=lambda k: (k is None, k or 0)):
            e, m = oracle.compare_trees(otrees.get(t, []), dtrees.get(t, []))
            shape_errs += ["tid %s: %s" % (t, x) for x in e]
            pairs += m
    if shape_errs:
        recorded = {n for n in db.function_names}
        absent = sorted(names - recorded)
        if absent:
            shape_errs.append("oracle functions not in the function table: %s" % ", ".join(absent[:15]))
            own = sorted(n for n in recorded if n.startswith(fixture + "::") or ("<%s::" % fixture) in n)
            shape_errs.append("function table has: %s" % ", ".join(own[:30]))
    nframes = sum(oracle.node_count(r) for r in otrees.values())
    report(not shape_errs, label, "call tree matches the oracle (%d frames)" % nframes, shape_errs[:30])

    # 3. Values.
    counts = {"exact": 0, "unknown": 0, "wrong": 0}
    wrong, unknown = [], []
    for o, d in pairs:
        for verdict, what, exp, got in oracle.compare_values(o, d):
            counts[verdict] += 1
            if verdict == "unknown":
                unknown.append("unknown %s -O%d %s %s: expected %s, got %s  (frame %d)" % (fixture, opt, o.name, what, exp, got, d.line))
            if verdict == "wrong":
                wrong.append("WRONG %s -O%d %s %s: expected %s, got %s  (frame %d)" % (fixture, opt, o.name, what, exp, got, d.line))
    total = sum(counts.values())
    pct = 100.0 * counts["exact"] / total if total else 0.0
    need = THRESHOLDS.get(fixture, {}).get(opt)
    note = "" if not shape_errs else " (on the %d frames before the tree differs)" % len(pairs)
    figures.append((label, counts["exact"], counts["unknown"], counts["wrong"], pct, note))
    errs = list(wrong if VERBOSE else wrong[:MAX_WRONG_SHOWN])
    if len(wrong) > len(errs):
        errs.append("... %d more WRONG values (-v shows all)" % (len(wrong) - len(errs)))
    if SHOW_UNKNOWN:
        errs += unknown
    ok = not wrong and total > 0
    if need is not None and pct < need:
        ok = False
        errs.append("%.1f%% exact, below the required %d%%" % (pct, need))
    report(ok, label, "values: %d exact, %d unknown, %d wrong (%.1f%% exact)%s%s" % (
        counts["exact"], counts["unknown"], counts["wrong"], pct,
        "  [needs %d%%]" % need if need is not None else "", note), errs)

    check_fib(label, otrees, dtrees)
    if fixture == "threads":
        check_threads(label, otrees, dtrees, db)
    if fixture == "panics":
        check_panics(label, db_path)
    if fixture == "recursion":
        check_recursion(label, db_path)


def check_panics(label, db_path):
    """Each panic is a row naming the frame it happened in, its message and location."""
    con = sqlite3.connect(db_path)
    rows = con.execute("select f.name, p.message, p.location, fr.status, fr.ret from panic p "
                       "join frame fr on fr.id = p.frame_id join function f on f.id = fr.function_id "
                       "order by p.id").fetchall()
    con.close()
    src = open(os.path.join(ROOT, "tests", "fixtures", "panics.rs")).read().splitlines()
    line = next(i + 1 for i, t in enumerate(src) if "panic!(" in t)
    col = src[line - 1].index("panic!(") + 1
    where = "panics.rs:%d:%d" % (line, col)
    errs = ["%r, expected the panic at %s" % (r, where) for r in rows
            if r[0] != "panics::risky" or r[1] != "risky(3) failed" or not (r[2] or "").endswith(where)
            or r[3] != "unwound" or r[4] is not None]
    if len(rows) != 3:
        errs.append("%d panic rows, expected 3" % len(rows))
    report(not errs, label, "panic table: 3 panics in panics::risky with message and location", errs)


def check_recursion(label, db_path):
    """500 nested depth() frames, each the parent of the next; frames open at exit say so."""
    con = sqlite3.connect(db_path)
    rows = con.execute("select fr.id, fr.parent_id, fr.args from frame fr join function f on "
                       "f.id = fr.function_id where f.name = 'recursion::depth' order by fr.id").fetchall()
    opened = con.execute("select f.name, fr.status, fr.exit_ns, fr.ret from frame fr join function f on "
                         "f.id = fr.function_id where f.name in ('recursion::shutdown', 'recursion::finish', "
                         "'recursion::main')").fetchall()
    con.close()
    errs = []
    if len(rows) != 501:
        errs.append("%d depth frames, expected 501" % len(rows))
    for prev, cur in zip(rows, rows[1:]):
        if cur[1] != prev[0]:
            errs.append("depth frame %d has parent %s, expected %d" % (cur[0], cur[1], prev[0]))
            break
    for name, status, exit_ns, ret in opened:
        if status != "open" or exit_ns is not None or ret is not None:
            errs.append("%s: status %s, exit_ns %s, ret %s; expected open and NULL" % (name, status, exit_ns, ret))
    report(not errs, label, "recursion: 500 levels nested; frames open at exit marked open", errs[:10])


def main():
    global VERBOSE, SHOW_UNKNOWN
    args = sys.argv[1:]
    VERBOSE = "-v" in args
    SHOW_UNKNOWN = "-u" in args
    filters = [a for a in args if a not in ("-v", "-u")]
    if os.geteuid() != 0:
        print("tests/integration/run.py: needs root (uprobes, BPF); run it as root (CI does).")
        return 1
    variants = [(f, o, fl, "%s-O%d%s" % (f, o, suf)) for f, o, fl, suf in VARIANTS]
    if filters:
        variants = [v for v in variants if any(x in v[3] for x in filters)]
    if not os.access(RSTRACE, os.X_OK):
        print("FAIL %s not built (make rstrace)" % RSTRACE)
        print("0 passed, 1 failed")
        return 1
    os.makedirs(OUT, exist_ok=True)
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
        builds = {v[3]: pool.submit(compile_fixture, v[0], v[1], v[2], os.path.join(OUT, v[3])) for v in variants}
        for fixture, opt, _, label in variants:
            check_variant(fixture, opt, label, os.path.join(OUT, label), builds[label].result())
    print("== figures (exact / unknown / wrong)")
    for label, e, u, w, pct, note in figures:
        print("  %-20s values: %d exact, %d unknown, %d wrong (%.1f%% exact)%s" % (label, e, u, w, pct, note))
    print("time %.0fs" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


VERBOSE = SHOW_UNKNOWN = False
if __name__ == "__main__":
    sys.exit(main())
