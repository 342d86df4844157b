#!/usr/bin/env python3
"""Returns through uretprobes (issue I): where no unwinding can cross a frame,
one uretprobe replaces the probes on each `ret`. The trace must not change:
every fixture is recorded twice, once as rstrace chooses and once with
RSTRACE_RET_PROBES=1 (a probe on every ret), and both must give the program's
own output and exit status and the same frames (function, arguments, return
value, status, parent). A panic unwinding through a uretprobed frame would
abort the program: the panics fixture, whose panics cross traced frames, must
run unchanged, and no function on its panic path may use a uretprobe. A build
with `-C panic=abort` (nothing unwinds) lets more functions use one.
Needs root. Ends with "N passed, N failed"."""
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import RSTRACE, ROOT, check, finish, rustc  # noqa: E402

OUT = os.path.join(os.environ.get("RSTRACE_BUILD", os.path.join(ROOT, "build")), "it-returns")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def build(fixture, opt, extra=()):
    binary = os.path.join(OUT, "%s-O%d%s" % (fixture, opt, "".join(x.replace("=", "") for x in extra
                                                                   if x != "-C")))
    rustc("-g", "--edition", "2021", "-C", "opt-level=%d" % opt, *extra,
          os.path.join(FIXTURES, fixture + ".rs"), "-o", binary)
    return binary


def run(cmd, env=None):
    # no address randomisation: pointers print the same in every run
    p = subprocess.run(["setarch", "x86_64", "-R"] + cmd, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL,
                       env=dict(os.environ, RUST_BACKTRACE="0", **(env or {})), timeout=300)
    return p.returncode, p.stdout


def frames(db):
    """Frames as comparable rows: depth-first order per thread, no times or ids."""
    con = sqlite3.connect(db)
    rows = con.execute("select fr.id, fr.parent_id, fr.thread_id, f.name, fr.args, fr.ret, fr.status "
                       "from frame fr join function f on f.id = fr.function_id order by fr.id").fetchall()
    probes = dict(con.execute("select name, return_probe from function").fetchall())
    con.close()
    name = {r[0]: r[3] for r in rows}
    tids = {}
    out = []
    for fid, parent, tid, fn, args, ret, status in rows:
        t = tids.setdefault(tid, len(tids))
        out.append((t, name.get(parent), fn, args, ret, status))
    return out, probes


def record(binary, label, env=None):
    db = os.path.join(OUT, label + ".sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    rc, out = run([RSTRACE, "record", "-q", "-o", db, "--", binary], env)
    rows, probes = frames(db) if os.path.exists(db) else ([], {})
    return rc, out, rows, probes


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "frame #%d: %r vs %r" % (i, x, y)
    return "%d frames vs %d" % (len(a), len(b))


def compare(binary, label):
    """rstrace's choice vs ret probes everywhere, and both vs the untraced program."""
    rc0, out0 = run([binary])
    rc1, out1, rows1, probes = record(binary, label)
    rc2, out2, rows2, _ = record(binary, label + "-ret", {"RSTRACE_RET_PROBES": "1"})
    uret = sorted(n for n, p in probes.items() if p == "uretprobe")
    check("%s: output and exit status (%s) unchanged with uretprobes" % (label, rc0),
          (rc1, out1) == (rc0, out0), "exit %s" % rc1)
    check("%s: output and exit status unchanged with ret probes" % label, (rc2, out2) == (rc0, out0),
          "exit %s" % rc2)
    check("%s: the same frames either way (%d frames, %d functions on uretprobes)"
          % (label, len(rows1), len(uret)), rows1 == rows2 and rows1, first_difference(rows1, rows2))
    return uret, probes


def main():
    if os.geteuid() != 0:
        print("0 passed, 1 failed")
        return 1
    os.makedirs(OUT, exist_ok=True)
    total = 0
    # (not threads.rs: it prints thread ids, which change from run to run)
    for fixture in ("demo", "values", "entry"):
        for opt in (0, 2):
            uret, _ = compare(build(fixture, opt), "%s-O%d" % (fixture, opt))
            total += len(uret)
    check("some functions of the fixtures use uretprobes", total > 0, total)

    # panics cross traced frames: none of those may have a uretprobe
    for opt in (0, 2):
        uret, probes = compare(build("panics", opt), "panics-O%d" % opt)
        on_path = [n for n in ("panics::risky", "panics::middle", "panics::guarded", "panics::recover")
                   if probes.get(n) == "uretprobe"]
        check("panics-O%d: no function a panic unwinds through uses a uretprobe" % opt,
              not on_path and "panics::risky" in probes, on_path or sorted(probes)[:5])

    # panic = "abort": nothing unwinds, so functions that may panic can use uretprobes too
    for opt in (0, 2):
        unwind = compare(build("demo", opt), "demo-O%d-unwind" % opt)[0]
        abort = compare(build("demo", opt, ("-C", "panic=abort")), "demo-O%d-abort" % opt)[0]
        check("demo-O%d: panic=abort puts more functions on uretprobes (%d vs %d)"
              % (opt, len(abort), len(unwind)), len(abort) > len(unwind), abort)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
