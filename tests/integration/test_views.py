#!/usr/bin/env python3
"""Tests of the commands that read a trace: rstrace tree, report, export and the
FireDBG-compatible views (issue F).

    python3 tests/integration/test_views.py [-v] [FILTER...]

Two kinds of traces:
  - a synthetic database written here with exact timestamps (unwound, open,
    Err, tail-call frames, two threads, a panic table): outputs compared
    byte for byte with tests/golden/views-synthetic-*.txt;
  - fixtures recorded with ./rstrace record (needs root): tree and report
    compared with tests/golden/*-O0.txt after masking durations and tids, the
    Chrome JSON checked against the trace-event rules and the frame table,
    the SVGs rasterised with rsvg-convert (Debian: librsvg2-bin), the FireDBG
    views checked to give the same call tree as `frame`.

UPDATE_GOLDEN=1 rewrites the golden files from the current output (review the
diff). RSTRACE=path picks another binary. Python 3 standard library only.
Prints `N passed, N failed` last; exits non-zero on failure.
"""
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RSTRACE = os.environ.get("RSTRACE", os.path.join(ROOT, "rstrace"))
GOLDEN = os.path.join(ROOT, "tests", "golden")
OUT = os.path.join(os.environ.get("RSTRACE_BUILD", os.path.join(ROOT, "build")), "views")
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
VERBOSE = False

passed = failed = 0


def report(ok, what, details=()):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print("%-4s %s" % ("ok" if ok else "FAIL", what))
    if ok and not VERBOSE:
        return
    for d in list(details)[: None if VERBOSE else 25]:
        for l in str(d).splitlines():
            print("       " + l)
    sys.stdout.flush()


def env():
    e = dict(os.environ)
    e["PATH"] = os.path.expanduser("~/.cargo/bin") + os.pathsep + e.get("PATH", "")
    e["RUST_BACKTRACE"] = "0"
    e.pop("NO_COLOR", None)
    return e


def rstrace(*args, timeout=120):
    p = subprocess.run([RSTRACE] + list(args), capture_output=True, env=env(), cwd=ROOT, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def diff_lines(want, got):
    wl, gl = want.splitlines(), got.splitlines()
    out = []
    for i in range(max(len(wl), len(gl))):
        w = wl[i] if i < len(wl) else "<end>"
        g = gl[i] if i < len(gl) else "<end>"
        if w != g:
            out += ["line %d:" % (i + 1), "  want: %r" % w, "  got:  %r" % g]
            if len(out) > 12:
                break
    return out


def golden(name, text, what):
    path = os.path.join(GOLDEN, name)
    if UPDATE:
        os.makedirs(GOLDEN, exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        report(True, "%s (golden %s rewritten)" % (what, name))
        return
    if not os.path.exists(path):
        report(False, what, ["no golden file %s: run with UPDATE_GOLDEN=1 and review it" % path])
        return
    with open(path) as f:
        want = f.read()
    report(want == text, "%s matches tests/golden/%s" % (what, name),
           diff_lines(want, text) + ["(UPDATE_GOLDEN=1 rewrites it if the change is intended)"])


# --- masking for recorded traces: durations and tids vary per run ---

_DUR = re.compile(r"^ *(\d+(?:\.\d+)? (?:ns|us|ms|s))(?= \[)", re.M)
_TID = re.compile(r"\[ *(\d+)\]")
_THREAD = re.compile(r"^# thread (\d+)", re.M)
_REPORT_DUR = re.compile(r" *\d+(?:\.\d+)? (?:ns|us|ms|s)\b")


def mask_tree(text):
    text = text.replace(ROOT + "/", "<root>/")  # panic locations are absolute paths
    text = _DUR.sub(lambda m: " " * (len(m.group(0)) - 1) + "D", text)
    seen = {}

    def tid(m):
        return "[T%d]" % seen.setdefault(m.group(1), len(seen))

    text = _TID.sub(tid, text)
    return _THREAD.sub(lambda m: "# thread T%d" % seen.setdefault(m.group(1), len(seen)), text)


def mask_report(text):
    # the match takes the column's padding along, so the columns keep their width
    return "\n".join(_REPORT_DUR.sub(lambda m: " " * (len(m.group(0)) - 1) + "D", l)
                     for l in text.splitlines()) + "\n"


# --- the synthetic trace ---

SCHEMA = """
CREATE TABLE session(id INTEGER PRIMARY KEY, command TEXT, binary TEXT, pid INTEGER,
 start_ns INTEGER, end_ns INTEGER, exit_status INTEGER, events INTEGER,
 events_lost INTEGER, events_truncated INTEGER, tool_version TEXT);
CREATE TABLE function(id INTEGER PRIMARY KEY, name TEXT NOT NULL, crate TEXT, file TEXT,
 line INTEGER, linkage_name TEXT, address INTEGER, probe_address INTEGER);
CREATE TABLE thread(tid INTEGER PRIMARY KEY, name TEXT, first_ns INTEGER, last_ns INTEGER);
CREATE TABLE frame(id INTEGER PRIMARY KEY, parent_id INTEGER, thread_id INTEGER NOT NULL,
 function_id INTEGER NOT NULL, entry_ns INTEGER NOT NULL, exit_ns INTEGER,
 args TEXT NOT NULL, ret TEXT, status TEXT);
CREATE INDEX frame_parent ON frame(parent_id);
CREATE INDEX frame_function ON frame(function_id);
CREATE INDEX frame_thread ON frame(thread_id, entry_ns);
"""
T0 = 1_700_000_000_000_000_000  # ns since the epoch


def arg(name, typ, value, **extra):
    d = {"name": name, "type": typ, "value": value}
    d.update(extra)
    return d


def ret(typ, value, **extra):
    d = {"type": typ, "value": value}
    d.update(extra)
    return json.dumps(d)


FUNCS = [
    (1, "syn::main", 1),
    (2, "syn::parse", 10),
    (3, "syn::helper", 20),
    (4, "syn::boom", 30),
    (5, "syn::worker", 40),
    (6, "<syn::A as syn::T>::go", 50),
]
# id, parent, tid, function, entry, exit, args, ret, status (times relative to T0)
FRAMES = [
    (1, None, 100, 1, 1000, 100000, [], ret("()", "()"), "returned"),
    (2, 1, 100, 2, 2000, 5000, [arg("s", "&str", '"42"')],
     ret("core::result::Result<u32, core::num::error::ParseIntError>", "Ok(42)"), "returned"),
    (3, 2, 100, 3, 3000, 4000, [arg("x", "u32", "1")], ret("u32", "2"), "returned"),
    (4, 1, 100, 2, 6000, 9000, [arg("s", "&str", '"x"')],
     ret("core::result::Result<u32, core::num::error::ParseIntError>",
         "Err(ParseIntError { kind: InvalidDigit })"), "returned"),
    (5, None, 200, 5, 5500, None, [arg("id", "u32", "1")], None, "open"),
    (6, 5, 200, 3, 6000, 7000, [arg("x", "u32", "7")], ret("u32", "14"), "returned"),
    (7, 1, 100, 4, 10000, None, [arg("n", "u32", "3")], None, "unwound"),
    (8, 7, 100, 3, 11000, None, [arg("x", "u32", "3")], None, "unwound"),
    (9, 5, 200, 3, 8000, 9000, [arg("x", "u32", "8")], None, "tail_call"),
    (10, 1, 100, 3, 20000, 21000, [arg("x", "u32", "5")],
     ret("u32", None, error="no caller reads the return value: the optimizer may have dropped it"), "returned"),
    (11, 1, 100, 6, 22000, 30000,
     [arg("self", "&syn::A", "A"), arg("v", "alloc::vec::Vec<u8>", "[" + ", ".join(["7"] * 40) + "]", truncated=True),
      arg("_", "u8", "1"), arg("_", "u8", "2"), arg("p", "*const u8", None, error="raw pointer: not followed")],
     ret("core::option::Option<&str>", 'Some("a;b")'), "returned"),
    (12, 11, 100, 6, 23000, 24000, [arg("self", "&syn::A", "A")], ret("()", None, error="zero-sized"), "returned"),
    (13, 5, 200, 3, 9500, None, [arg("x", "u32", "9")], None, "no_exit"),
    (14, 5, 200, 3, 9600, None, [arg("x", "u32", "10")], None, "detached"),
]


def make_synthetic(path, panic_table=True):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.execute("INSERT INTO session VALUES(1, './syn a b', '/opt/syn', 4242, ?, ?, 101, 24, 0, 0, '0.1.0')",
               (T0 + 500, T0 + 200000))
    for fid, name, line in FUNCS:
        db.execute("INSERT INTO function(id, name, crate, file, line) VALUES(?, ?, 'syn', ?, ?)",
                   (fid, name, "/src/syn.rs" if fid != 6 else "/src/a.rs", line))
    for fid, parent, tid, func, entry, exit_, args, r, status in FRAMES:
        db.execute("INSERT INTO frame VALUES(?,?,?,?,?,?,?,?,?)",
                   (fid, parent, tid, func, T0 + entry, None if exit_ is None else T0 + exit_,
                    json.dumps(args), r, status))
    db.execute("INSERT INTO thread VALUES(100, 'syn', ?, ?)", (T0 + 1000, T0 + 100000))
    db.execute("INSERT INTO thread VALUES(200, 'worker-1', ?, ?)", (T0 + 5500, T0 + 50000))
    if panic_table:
        db.execute("CREATE TABLE panic(id INTEGER PRIMARY KEY, thread_id INTEGER NOT NULL, frame_id INTEGER,"
                   " time_ns INTEGER NOT NULL, message TEXT, location TEXT)")
        db.execute("INSERT INTO panic VALUES(1, 100, 8, ?, 'boom', 'src/syn.rs:31:5')", (T0 + 11500,))
    db.commit()
    db.close()


def frame_tree(db_path):
    """(id, parent, tid, function name) of every frame, from the frame table."""
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    rows = con.execute("SELECT f.id, f.parent_id, f.thread_id, fn.name FROM frame f"
                       " JOIN function fn ON fn.id = f.function_id ORDER BY f.id").fetchall()
    con.close()
    return rows


def check_firedbg(db_path, label):
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    errs = []
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
        missing = {"event", "breakpoint", "file", "debugger_info", "type_info"} - names
        if missing:
            errs.append("views missing: %s" % sorted(missing))
        # The call tree rebuilt from FireDBG's events only (F rows, as its viewer does).
        ev = con.execute("SELECT frame_id, parent_frame_id, thread_id, function_name FROM event"
                         " WHERE event_type = 'F' ORDER BY frame_id").fetchall()
        want = frame_tree(db_path)
        if ev != want:
            errs.append("event F rows differ from frame: %d vs %d rows" % (len(ev), len(want)))
            errs += ["  first: event %r, frame %r" % (a, b) for a, b in zip(ev, want) if a != b][:3]
        # Every returned frame has an R event after its F event, on the same thread.
        bad = con.execute(
            "SELECT count(*) FROM event f JOIN event r ON r.frame_id = f.frame_id AND r.event_type = 'R'"
            " WHERE f.event_type = 'F' AND (r.timestamp_ns < f.timestamp_ns OR r.thread_id <> f.thread_id"
            " OR r.timestamp < f.timestamp)").fetchone()[0]
        nret = con.execute("SELECT count(*) FROM event WHERE event_type = 'R'").fetchone()[0]
        want_ret = con.execute("SELECT count(*) FROM frame WHERE exit_ns IS NOT NULL"
                               " AND status IN ('returned', 'tail_call')").fetchone()[0]
        if bad or nret != want_ret:
            errs.append("R events: %d, %d returned frames; %d out of order" % (nret, want_ret, bad))
        # A panic is one P event: a panic table row, else the innermost unwound frame.
        np = con.execute("SELECT count(*) FROM event WHERE event_type = 'P' AND is_error = 1").fetchone()[0]
        has_panic = con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'panic'"
                                " AND type = 'table'").fetchone()[0]
        if has_panic:
            wp = con.execute("SELECT count(*) FROM panic").fetchone()[0]
            bad = con.execute("SELECT count(*) FROM event e JOIN panic p ON -p.id = e.id"
                              " WHERE e.event_type <> 'P' OR e.frame_id <> coalesce(p.frame_id, 0)"
                              " OR e.timestamp_ns <> p.time_ns").fetchone()[0]
            if bad:
                errs.append("%d P events differ from their panic rows" % bad)
        else:
            wp = con.execute("SELECT count(*) FROM frame f WHERE status = 'unwound' AND NOT EXISTS"
                             " (SELECT 1 FROM frame c WHERE c.parent_id = f.id AND c.status = 'unwound')").fetchone()[0]
        if np != wp:
            errs.append("P events: %d, expected %d (%s)" % (np, wp, "panic rows" if has_panic else "innermost unwound frames"))
        ids = con.execute("SELECT count(*), count(DISTINCT id) FROM event").fetchone()
        if ids[0] != ids[1]:
            errs.append("event.id not unique: %d rows, %d ids" % ids)
        fn = con.execute("SELECT count(*) FROM function WHERE function_name IS NOT name").fetchone()[0]
        if fn:
            errs.append("function.function_name differs from name on %d rows" % fn)
        hits = con.execute("SELECT sum(hit_count) FROM breakpoint").fetchone()[0]
        nframes = con.execute("SELECT count(*) FROM frame").fetchone()[0]
        if hits != nframes:
            errs.append("breakpoint hit_count sums to %r, %d frames" % (hits, nframes))
        orphan = con.execute("SELECT count(*) FROM breakpoint b WHERE b.file_id <> 0 AND NOT EXISTS"
                             " (SELECT 1 FROM file f WHERE f.id = b.file_id)").fetchone()[0]
        if orphan:
            errs.append("%d breakpoints point to no file row" % orphan)
        di = con.execute("SELECT debugger, version, target, arguments, exit_code FROM debugger_info").fetchall()
        if len(di) != 1 or di[0][0] != "rstrace" or not isinstance(json.loads(di[0][3]), list):
            errs.append("debugger_info: %r" % di)
        ts = con.execute("SELECT timestamp FROM event LIMIT 1").fetchone()
        if ts and not re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}\+00:00$", ts[0]):
            errs.append("event.timestamp %r is not 'YYYY-MM-DD HH:MM:SS.nnnnnnnnn+00:00'" % ts[0])
    except sqlite3.Error as e:
        errs.append("query failed: %s" % e)
    con.close()
    report(not errs, "%s: FireDBG views give the frame table's call tree" % label, errs)


PLANS = [
    # (query, what the plan must contain, what it must not)
    ("SELECT id, parent_id, function_id, entry_ns, exit_ns, args, ret, status FROM frame"
     " WHERE thread_id = 1 AND entry_ns < 2 ORDER BY entry_ns, id", "INDEX frame_thread", "TEMP B-TREE"),
    ("SELECT min(thread_id) FROM frame WHERE thread_id > 1", "COVERING INDEX frame_thread", "SCAN"),
    ("SELECT entry_ns FROM frame WHERE thread_id = 1 ORDER BY entry_ns, id LIMIT 1", "INDEX frame_thread", "TEMP B-TREE"),
    ("SELECT * FROM event WHERE frame_id = 5", "INTEGER PRIMARY KEY", "SCAN fr\n"),
    ("SELECT * FROM event WHERE function_name = 'syn::helper'", "function_by_name", "SCAN fr\n"),
    ("SELECT * FROM breakpoint", "frame_function", "SCAN fr"),
    ("SELECT * FROM file", "function_by_file", None),
]


def check_plans(db_path, label):
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    errs = []
    for q, must, must_not in PLANS:
        plan = "\n".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + q)) + "\n"
        if must not in plan or (must_not and must_not in plan):
            errs.append("%s\n         plan: %s" % (q, plan.strip().replace("\n", "; ")))
    con.close()
    report(not errs, "%s: EXPLAIN QUERY PLAN uses the indexes (%d queries)" % (label, len(PLANS)), errs)


def check_chrome(db_path, label, tid=None):
    args = ["export", db_path, "--format", "chrome"] + (["--thread", str(tid)] if tid else [])
    rc, out, err = rstrace(*args)
    errs = []
    try:
        doc = json.loads(out)
    except ValueError as e:
        report(False, "%s: chrome JSON parses" % label, [str(e), "exit %d: %s" % (rc, err.strip())])
        return
    evs = doc.get("traceEvents") if isinstance(doc, dict) else None
    if not isinstance(evs, list):
        report(False, "%s: chrome JSON has traceEvents" % label, [out[:200]])
        return
    slices = [e for e in evs if e.get("ph") == "X"]
    # compare times in integer ns: float sums of us values round (a.ts + a.dur > b.ts)
    ns = {id(e): (round(e["ts"] * 1000), round(e["dur"] * 1000)) for e in slices
          if isinstance(e.get("ts"), (int, float)) and isinstance(e.get("dur"), (int, float))}
    for e in evs:
        if e.get("ph") not in ("X", "M"):
            errs.append("unexpected phase %r" % e.get("ph"))
        for k in ("name", "pid", "tid") + (("ts", "dur") if e.get("ph") == "X" else ()):
            if k not in e:
                errs.append("event without %s: %r" % (k, e))
        if e.get("ph") == "X":
            if not all(isinstance(e.get(k), (int, float)) for k in ("ts", "dur", "pid", "tid")) or e["dur"] < 0:
                errs.append("bad ts/dur/pid/tid in %r" % e)
    rows = frame_tree(db_path)
    if tid:
        rows = [r for r in rows if r[2] == tid]
    by_id = {e["args"]["frame_id"]: e for e in slices if isinstance(e.get("args"), dict) and "frame_id" in e["args"]}
    if len(by_id) != len(slices) or len(slices) != len(rows):
        errs.append("%d slices (%d with frame_id) for %d frames" % (len(slices), len(by_id), len(rows)))
    named = {e["tid"] for e in evs if e.get("ph") == "M" and e.get("name") == "thread_name"}
    for fid, parent, ftid, name in rows:
        s = by_id.get(fid)
        if s is None:
            errs.append("frame %d has no slice" % fid)
            continue
        if s["tid"] != ftid or s["name"] != name:
            errs.append("frame %d: slice on tid %r named %r, frame on %d named %r" % (fid, s["tid"], s["name"], ftid, name))
        if ftid not in named:
            errs.append("tid %d has no thread_name metadata" % ftid)
            named.add(ftid)
        if s["args"].get("parent_id") != parent:
            errs.append("frame %d: slice parent_id %r, frame parent %r" % (fid, s["args"].get("parent_id"), parent))
        p = by_id.get(parent) if parent is not None else None
        if p is not None and id(p) in ns and id(s) in ns:
            (pts, pdur), (sts, sdur) = ns[id(p)], ns[id(s)]
            if not (pts <= sts and sts + sdur <= pts + pdur):
                errs.append("frame %d [%s, +%s] not inside its parent %d [%s, +%s]" % (fid, s["ts"], s["dur"], parent, p["ts"], p["dur"]))
    # Nesting as a trace viewer rebuilds it: per thread, by time only.
    for t in sorted({s["tid"] for s in slices}):
        stack = []
        mine = [s for s in slices if s["tid"] == t and id(s) in ns]
        for s in sorted(mine, key=lambda s: (ns[id(s)][0], -ns[id(s)][1], s["args"]["frame_id"])):
            sts = ns[id(s)][0]
            while stack and not (sts < sum(ns[id(stack[-1])]) or sts == ns[id(stack[-1])][0]):
                stack.pop()
            got = stack[-1]["args"]["frame_id"] if stack else None
            if got != s["args"].get("parent_id"):
                errs.append("tid %d: by time, frame %d nests in %r, its parent is %r" % (t, s["args"]["frame_id"], got, s["args"].get("parent_id")))
            stack.append(s)
    report(not errs and rc == 0, "%s: chrome trace (%d slices): ts/dur/pid/tid, one track per thread, nesting = frame tree" % (label, len(slices)),
           errs[:20] + ([err.strip()] if rc else []))


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def check_svg(db_path, label, extra=(), name="svg"):
    svg = os.path.join(OUT, "%s-%s.svg" % (label, name))
    png = svg[:-4] + ".png"
    rc, out, err = rstrace("export", db_path, "--format", "svg", "-o", svg, *extra)
    if rc != 0:
        report(False, "%s: export --format svg %s" % (label, " ".join(extra)), [err.strip()])
        return
    if not shutil.which("rsvg-convert"):
        report(False, "%s: %s renders" % (label, name), ["rsvg-convert not found: apt-get install librsvg2-bin"])
        return
    p = subprocess.run(["rsvg-convert", svg, "-o", png], capture_output=True, text=True)
    size = png_size(png) if p.returncode == 0 and os.path.exists(png) else None
    with open(svg) as f:
        text = f.read()
    errs = []
    if p.returncode:
        errs.append("rsvg-convert: %s" % p.stderr.strip())
    if not size or size[0] < 200 or size[1] < 50 or os.path.getsize(png) < 2000:
        errs.append("PNG %s: size %r, %d bytes" % (png, size, os.path.getsize(png) if os.path.exists(png) else 0))
    if "<title>" not in text or "<rect" not in text:
        errs.append("no boxes with tooltips in the SVG")
    if re.search(r"(href|src)=\"(https?:|//)", text):
        errs.append("the SVG refers to something outside itself")
    report(not errs, "%s: %s renders with rsvg-convert (%s px)" % (label, name, "x".join(map(str, size or ()))), errs)


# --- tests ---

def test_synthetic():
    path = os.path.join(OUT, "synthetic.sqlite")
    make_synthetic(path)
    rc, out, err = rstrace("tree", path, "--color=never")
    golden("views-synthetic-tree.txt", out, "synthetic: tree")
    rc, out, err = rstrace("tree", path, "--function", "syn::parse", "--depth", "1", "--color=never")
    golden("views-synthetic-tree-parse-depth1.txt", out, "synthetic: tree --function syn::parse --depth 1")
    rc, out, err = rstrace("tree", path, "--since", "9us", "--until", "20.5us", "--thread", "100")
    golden("views-synthetic-tree-since-until.txt", out, "synthetic: tree --since 9us --until 20.5us --thread 100")
    rc, out, err = rstrace("tree", path, "--color=always", "--max-value", "0")
    report(rc == 0 and "\033[1m" in out and "\033[1;31m!unwound" in out and "7, 7, 7, 7" in out,
           "synthetic: tree --color=always colours names and unwound frames; --max-value 0 does not cut",
           [out[:300], err])
    rc, out, err = rstrace("tree", path)  # not a TTY: no colour
    report(rc == 0 and "\033[" not in out, "synthetic: tree on a pipe has no colour codes", [out[:200]])
    for key in ("calls", "total", "self", "avg"):
        rc, out, err = rstrace("report", path, "--sort", key)
        golden("views-synthetic-report-%s.txt" % key, out, "synthetic: report --sort %s" % key)
    rc, out, err = rstrace("export", path, "--format", "folded")
    golden("views-synthetic-folded.txt", out, "synthetic: export --format folded (self ns)")
    rc, out, err = rstrace("export", path, "--format", "folded", "--count", "calls")
    golden("views-synthetic-folded-calls.txt", out, "synthetic: export --format folded --count calls")
    check_chrome(path, "synthetic")
    check_chrome(path, "synthetic --thread 200", tid=200)
    check_svg(path, "synthetic")
    check_svg(path, "synthetic", ("--merge",), "merged")
    check_firedbg(path, "synthetic")
    check_plans(path, "synthetic")
    con = sqlite3.connect(path)
    args = con.execute("SELECT arguments FROM debugger_info").fetchone()[0]
    con.close()
    report(args == '["a","b"]', "synthetic: debugger_info.arguments from session.command", [repr(args)])

    # A database without the panic table (issue C not there yet) still reads.
    path2 = os.path.join(OUT, "synthetic-nopanic.sqlite")
    make_synthetic(path2, panic_table=False)
    rc, out, err = rstrace("tree", path2)
    report(rc == 0 and "-> !unwound" in out and "panicked" not in out,
           "synthetic without a panic table: tree shows unwound frames", [err])
    check_firedbg(path2, "synthetic without a panic table")

    # Usage errors and missing files.
    missing = os.path.join(OUT, "no-such.sqlite")
    rc, out, err = rstrace("tree", missing)
    report(rc == 1 and missing in err and not os.path.exists(missing),
           "tree on a missing file: exit 1, names it, creates nothing", [err.strip(), "exit %d" % rc])
    rc, out, err = rstrace("report", path, "--sort", "bogus")
    report(rc == 2 and "--sort" in err, "report --sort bogus: exit 2 with the valid keys", [err.strip(), "exit %d" % rc])
    rc, out, err = rstrace("export", path)
    report(rc == 2 and "--format" in err, "export without --format: exit 2", [err.strip()])
    rc, out, err = rstrace("tree", path, "--thread", "999")
    report(rc == 1 and "999" in err, "tree --thread with an unknown tid: exit 1", [err.strip()])
    rc, out, err = rstrace("tree", path, "--since", "yesterday")
    report(rc == 2 and "--since" in err, "tree --since yesterday: exit 2", [err.strip()])
    for cmd in ("tree", "report", "export"):
        rc, out, err = rstrace(cmd, "--help")
        report(rc == 0 and "Examples:" in out and "rstrace %s" % cmd in out,
               "%s --help: summary, usage and examples" % cmd, [out[:200], err])


FIXTURES = ["demo", "panics", "threads"]


def record(fixture):
    os.makedirs(OUT, exist_ok=True)
    binary = os.path.join(OUT, fixture + "-O0")
    db_path = binary + ".sqlite"
    src = os.path.join(ROOT, "tests", "fixtures", fixture + ".rs")
    p = subprocess.run(["rustc", "-g", "-C", "opt-level=0", src, "-o", binary], capture_output=True, text=True, env=env())
    if p.returncode:
        report(False, "%s-O0: build" % fixture, p.stderr.splitlines()[-10:])
        return None
    p = subprocess.run([RSTRACE, "record", "-q", "-o", db_path, "--", binary], capture_output=True, env=env(),
                       stdin=subprocess.DEVNULL, timeout=300)
    if not os.path.exists(db_path):
        report(False, "%s-O0: record" % fixture, p.stderr.decode("utf-8", "replace").splitlines()[-10:])
        return None
    return db_path


def test_recorded():
    if os.geteuid() != 0:
        report(False, "recorded fixtures", ["needs root to record (uprobes, BPF): run as root"])
        return
    for fixture in FIXTURES:
        db_path = record(fixture)
        if not db_path:
            continue
        label = fixture + "-O0"
        rc, out, err = rstrace("tree", db_path)
        if rc:
            report(False, "%s: tree" % label, [err.strip()])
            continue
        if fixture != "threads":  # thread order and interleaving vary per run
            golden("%s-tree.txt" % label, mask_tree(out), "%s: tree (durations, tids masked)" % label)
            rc, out, err = rstrace("report", db_path, "--sort", "calls")
            golden("%s-report.txt" % label, mask_report(out), "%s: report --sort calls (durations masked)" % label)
        else:
            check_tree_shape(db_path, out, label)
        check_chrome(db_path, label)
        check_svg(db_path, label)
        check_svg(db_path, label, ("--merge",), "merged")
        check_firedbg(db_path, label)
        if fixture == "threads":
            check_plans_recorded(db_path, label)
            rc, out, err = rstrace("export", db_path, "--format", "folded", "--count", "calls")
            total = sum(int(l.rsplit(" ", 1)[1]) for l in out.splitlines() if l)
            n = len(frame_tree(db_path))
            report(rc == 0 and total == n, "%s: folded --count calls sums to the %d frames" % (label, n), ["sum %d" % total, err])


def check_plans_recorded(db_path, label):
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    plan = "\n".join(r[3] for r in con.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM frame WHERE thread_id = 1 AND entry_ns < 2 ORDER BY entry_ns, id"))
    con.close()
    report("frame_thread" in plan and "TEMP B-TREE" not in plan, "%s: the walk's query uses frame_thread, no sort" % label, [plan])


def check_tree_shape(db_path, out, label):
    """Each tree line's thread and depth agree with the frame table, in entry order per thread."""
    rows = frame_tree(db_path)
    depth, want = {}, {}
    for fid, parent, tid, name in rows:
        depth[fid] = depth.get(parent, -1) + 1 if parent is not None else 0
        want.setdefault(tid, []).append((depth[fid], name))
    got, errs = {}, []
    line_re = re.compile(r"^ *\S+(?: \S+)? \[ *(\d+)\] \| ( *)(.*)$")
    for l in out.splitlines():
        if l.startswith("#") or not l.strip():
            continue
        m = line_re.match(l)
        if not m:
            errs.append("unparsable line %r" % l)
            continue
        tid, ind, text = int(m.group(1)), len(m.group(2)), m.group(3)
        got.setdefault(tid, []).append((ind // 2, text))
    for tid, lines in want.items():
        g = got.get(tid, [])
        if len(g) != len(lines):
            errs.append("tid %d: %d lines, %d frames" % (tid, len(g), len(lines)))
            continue
        for (d, n), (gd, text) in zip(lines, g):
            if d != gd or not text.startswith(n + "("):
                errs.append("tid %d: %r at depth %d, expected %s at depth %d" % (tid, text[:60], gd, n, d))
                break
    report(not errs, "%s: tree lines match the frame table (thread, depth, function, order)" % label, errs)


def main():
    global VERBOSE
    args = sys.argv[1:]
    VERBOSE = "-v" in args
    filters = [a for a in args if a != "-v"]
    if not os.access(RSTRACE, os.X_OK):
        print("FAIL %s not built (make)" % RSTRACE)
        print("0 passed, 1 failed")
        return 1
    os.makedirs(OUT, exist_ok=True)
    if not filters or "synthetic" in filters:
        test_synthetic()
    if not filters or "recorded" in filters:
        test_recorded()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
