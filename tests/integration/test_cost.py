#!/usr/bin/env python3
"""Issue I: what tracing costs the target, and leaving it cleanly.

- SIGINT with 3,000+ probes attached (-p): rstrace exits, the process runs
  on untouched (its code in memory equals the file again: no int3 left),
  rstrace's links are gone, the database is complete (session end, thread
  rows, frames still running closed as `detached`).
- The per-probe perf-event fallback (RSTRACE_ATTACH=perf) on a small program.
- The call-rate limit: a function over --max-rate is disabled and recorded
  (rate_limit table, tree/report note) while the others keep being traced,
  with a call tree that stays consistent.

No timed assertions: timeouts are generous and only catch hangs. Needs root.
Ends with "N passed, N failed".
"""
import os
import re
import signal
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))

import gen  # noqa: E402
from harness import RSTRACE, ROOT, check, finish, remove_trace, rustc, wait_for  # noqa: E402

OUT = os.path.join(os.environ.get("RSTRACE_BUILD", os.path.join(ROOT, "build")), "it-cost")
HANG = 120  # seconds: only a hang takes this long


def build(n, opt=0):
    src = os.path.join(OUT, "gen%d.rs" % n)
    binary = os.path.join(OUT, "gen%d-O%d" % (n, opt))
    if gen.write(n, src) or not os.path.exists(binary):
        rustc("-g", "-C", "opt-level=%d" % opt, src, "-o", binary)
    return binary


def text_diff(pid, binary):
    """Bytes of the binary's executable mappings that differ from the file (uprobes' int3)."""
    real = os.path.realpath(binary)
    diff = 0
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem, \
            open(real, "rb") as f:
        for line in maps:
            parts = line.split()
            if len(parts) < 6 or "x" not in parts[1] or parts[5] != real:
                continue
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            off = int(parts[2], 16)
            mem.seek(lo)
            m = mem.read(hi - lo)
            f.seek(off)
            fb = f.read(hi - lo)
            diff += sum(1 for a, b in zip(m, fb) if a != b)
    return diff


def bpf_fds(pid):
    """rstrace's uprobe fds now: ([uprobe_multi link ids], number of perf-event fds)."""
    links, perf = [], 0
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return links, perf
    for fd in fds:
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            if target == "anon_inode:[perf_event]":
                perf += 1
            elif target == "anon_inode:bpf_link":
                info = open("/proc/%d/fdinfo/%s" % (pid, fd)).read()
                if "link_type:\tuprobe_multi" in info:
                    links.append(int(re.search(r"link_id:\s*(\d+)", info).group(1)))
        except (OSError, AttributeError):
            pass
    return links, perf


def link_exists(link_id):
    r = subprocess.run(["bpftool", "link", "show", "id", str(link_id)], capture_output=True)
    return r.returncode == 0


def frames_count(db):
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        n = con.execute("select count(*) from frame").fetchone()[0]
        con.close()
        return n
    except sqlite3.Error:
        return 0


def session_ended(db):
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        row = con.execute("select end_ns from session").fetchone()
        con.close()
        return bool(row and row[0])
    except sqlite3.Error:
        return False


def attach_and_interrupt(label, binary, env=None, min_probes=1, second_sigint=False, extra=()):
    """-p on a running generated program, SIGINT once it records; the program must run on.
    second_sigint: a second SIGINT once the database is complete (per-probe perf events are
    still being removed then): rstrace must leave at once, 130, database valid."""
    db = os.path.join(OUT, label + ".sqlite")
    remove_trace(db)
    # 200 ms in each round's sleep: a stop lands between two rounds (nothing in flight to
    # close as detached) only in the ~30 us from one round's return to the next one's entry
    prog = subprocess.Popen([binary, "stdin", "200"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    check(label + ": program started", prog.stdout.readline().strip() == "ready")
    tr = subprocess.Popen([RSTRACE, "record", "-q", "-p", str(prog.pid), "-o", db] + list(extra),
                          env=dict(os.environ, **(env or {})))
    # probes are in once the code in memory differs from the file; then wait for frames
    wait_for(lambda: text_diff(prog.pid, binary))
    wait_for(lambda: frames_count(db) > 0)
    installed = text_diff(prog.pid, binary)  # all in: frames come after attaching completes
    links, perf = bpf_fds(tr.pid)
    check(label + ": probes installed in the target (%d bytes of int3)" % installed,
          installed >= min_probes, installed)
    tr.send_signal(signal.SIGINT)
    if second_sigint:
        wait_for(lambda: session_ended(db) or tr.poll() is not None)
        tr.send_signal(signal.SIGINT)
    try:
        rc = tr.wait(timeout=HANG)
    except subprocess.TimeoutExpired:
        tr.kill()
        rc = "hung"
    if second_sigint:
        con = sqlite3.connect(db)
        ok = con.execute("pragma integrity_check").fetchone()[0]
        con.close()
        check(label + ": a second SIGINT leaves (130), the database is valid", rc in (0, 130) and ok == "ok",
              (rc, ok))
    else:
        check(label + ": rstrace exits 0 on SIGINT", rc == 0, rc)
    alive = prog.poll() is None
    left = text_diff(prog.pid, binary) if alive else -1
    check(label + ": the program runs on", alive, prog.returncode)
    check(label + ": no probe left in the program's code (memory equals the file)", left == 0, left)
    if links:
        still = [l for l in links if link_exists(l)]
        check(label + ": rstrace's uprobe_multi links gone (%d seen while tracing)" % len(links), not still, still)
    prog.stdin.close()
    out = prog.stdout.read()
    prog.wait(timeout=HANG)
    check(label + ": program ends normally afterwards", prog.returncode == 7 and "rounds=" in out,
          (prog.returncode, out[-200:]))
    return db, links, perf


def check_complete(label, db):
    con = sqlite3.connect(db)
    sess = con.execute("select end_ns, attach_mode, probes, kernel_features from session").fetchone()
    threads = con.execute("select count(*) from thread where first_ns is not null").fetchone()[0]
    statuses = dict(con.execute("select status, count(*) from frame group by status").fetchall())
    unclosed = con.execute("select count(*) from frame where exit_ns is null and status not in "
                           "('detached', 'no_exit', 'unwound')").fetchone()[0]
    con.close()
    check(label + ": session row complete", sess and sess[0], sess)
    check(label + ": thread rows written", threads >= 1, threads)
    check(label + ": frames still running closed as detached, none left open",
          statuses.get("detached", 0) >= 1 and unclosed == 0 and "open" not in statuses, statuses)
    return sess


def many_probes():
    binary = build(1600)
    # ret probes everywhere: every probe then has an address of its own to count; no rate
    # limit, which would remove the probes of the functions it stops
    db, links, perf = attach_and_interrupt("many", binary, env={"RSTRACE_RET_PROBES": "1"},
                                           min_probes=3000, extra=("--max-rate", "0"))
    sess = check_complete("many", db)
    if sess:
        check("many: 3,000+ probes attached", sess[2] >= 3000, sess[2])
        if "uprobe_multi" in (sess[3] or ""):
            check("many: one uprobe_multi link, no perf events", sess[1] == "uprobe_multi" and
                  1 <= len(links) <= 3 and perf == 0, (sess[1], links, perf))


def perf_fallback():
    binary = build(4)
    env = {"RSTRACE_ATTACH": "perf"}
    db, links, perf = attach_and_interrupt("perf", binary, env, second_sigint=True)
    sess = check_complete("perf", db)
    check("perf: per-probe perf events used", sess and sess[1] == "perf_event" and perf > 0 and not links,
          (sess, perf, links))
    # launched, to its end: every call recorded
    db = os.path.join(OUT, "perf-run.sqlite")
    r = subprocess.run([RSTRACE, "record", "-q", "-o", db, "--", binary, "1", "100"], capture_output=True,
                       text=True, env=dict(os.environ, **env), timeout=HANG)
    rounds = re.search(r"rounds=(\d+)", r.stdout)
    con = sqlite3.connect(db)
    n = con.execute("select count(*) from frame fr join function f on f.id = fr.function_id "
                    "where f.name like 'gen4::f_' and fr.status = 'returned'").fetchone()[0]
    con.close()
    check("perf: launched program traced to its end", r.returncode == 7 and rounds and
          n == 4 * int(rounds.group(1)), (r.returncode, r.stderr[-300:], n, rounds and rounds.group(1)))


RATE_SRC = """
use std::hint::black_box;

#[inline(never)]
fn hot(i: u64) -> u64 {
    black_box(i).wrapping_mul(3)
}

#[inline(never)]
fn cold(i: u64) -> u64 {
    let mut a = 0u64;
    for j in 0..1000 {
        a = a.wrapping_add(hot(black_box(i + j)));
    }
    std::thread::sleep(std::time::Duration::from_millis(2));
    a
}

fn main() {
    let mut s = 0u64;
    for i in 0..300 {
        s = s.wrapping_add(cold(black_box(i)));
    }
    println!("cold_calls=300 hot_calls=300000 sum={}", s);
}
"""


def rate_limit():
    src = os.path.join(OUT, "ratelimit.rs")
    binary = os.path.join(OUT, "ratelimit")
    with open(src, "w") as f:
        f.write(RATE_SRC)
    rustc("-g", "-C", "opt-level=0", src, "-o", binary)
    db = os.path.join(OUT, "ratelimit.sqlite")
    r = subprocess.run([RSTRACE, "record", "--max-rate", "2000", "-o", db, "--", binary], capture_output=True,
                       text=True, timeout=HANG)
    check("rate: program output and exit status pass through", r.returncode == 0 and "cold_calls=300" in r.stdout,
          (r.returncode, r.stderr[-300:]))
    check("rate: the decision is reported", "ratelimit::hot" in r.stderr and "no longer traced" in r.stderr,
          r.stderr[-300:])
    con = sqlite3.connect(db)
    limits = con.execute("select f.name, r.calls, r.max_calls_per_sec, r.removed_ns, r.time_ns from rate_limit r "
                         "join function f on f.id = r.function_id").fetchall()
    per = dict(((n, s), c) for n, s, c in con.execute(
        "select f.name, fr.status, count(*) from frame fr join function f on f.id = fr.function_id "
        "group by 1, 2").fetchall())
    bad_parent = con.execute("select count(*) from frame c left join frame p on p.id = c.parent_id "
                             "where c.parent_id is not null and (p.id is null or p.thread_id != c.thread_id "
                             "or p.entry_ns > c.entry_ns)").fetchone()[0]
    hot_under_cold = con.execute(
        "select count(*) from frame c join function f on f.id = c.function_id join frame p on "
        "p.id = c.parent_id join function pf on pf.id = p.function_id where f.name = 'ratelimit::hot' "
        "and pf.name != 'ratelimit::cold'").fetchone()[0]
    after = con.execute("select count(*) from frame fr join function f on f.id = fr.function_id "
                        "where f.name = 'ratelimit::hot' and fr.entry_ns > (select min(time_ns) "
                        "from rate_limit)").fetchone()[0]
    mode = con.execute("select attach_mode, max_calls_per_sec from session").fetchone()
    con.close()
    hot = sum(c for (n, _), c in per.items() if n == "ratelimit::hot")
    check("rate: one rate_limit row for ratelimit::hot, over 2000 calls",
          len(limits) == 1 and limits[0][0] == "ratelimit::hot" and limits[0][1] > 2000 and limits[0][2] == 2000,
          limits)
    if mode and mode[0] == "uprobe_multi":
        check("rate: its probes were removed (link re-created without them)",
              limits and limits[0][3] and limits[0][3] >= limits[0][4], limits)
    check("rate: hot recorded up to the limit only", 2000 <= hot < 300000 and after == 0, (hot, after))
    check("rate: every cold call recorded and returned", per.get(("ratelimit::cold", "returned")) == 300, per)
    check("rate: nothing left open; hot frames returned, or no_exit when in flight",
          set(s for (n, s) in per) <= {"returned", "no_exit"} and per.get(("ratelimit::hot", "no_exit"), 0) <= 2,
          per)
    check("rate: call tree consistent (parents exist, same thread, entered before)", bad_parent == 0, bad_parent)
    check("rate: hot frames only under cold", hot_under_cold == 0, hot_under_cold)
    for cmd in ("tree", "report"):
        out = subprocess.run([RSTRACE, cmd, db], capture_output=True, text=True).stdout
        check("rate: rstrace %s names the rate-limited function" % cmd,
              re.search(r"# rate limit: ratelimit::hot not traced from \+", out), out[-300:])
    db0 = os.path.join(OUT, "ratelimit-off.sqlite")
    r = subprocess.run([RSTRACE, "record", "-q", "--max-rate", "0", "-o", db0, "--", binary], capture_output=True,
                       text=True, timeout=HANG)
    con = sqlite3.connect(db0)
    n = con.execute("select count(*) from frame fr join function f on f.id = fr.function_id "
                    "where f.name = 'ratelimit::hot'").fetchone()[0]
    nl = con.execute("select count(*) from rate_limit").fetchone()[0]
    con.close()
    check("rate: --max-rate 0 traces every call", r.returncode == 0 and n == 300000 and nl == 0, (n, nl))


RELINK_SRC = """
use std::hint::black_box;

macro_rules! hot {
    ($($name:ident),*) => { $(
        #[inline(never)]
        fn $name(i: u64) -> u64 { black_box(i).wrapping_mul(7) }
    )* };
}
hot!(hot0, hot1, hot2, hot3, hot4);

#[inline(never)]
fn steady(i: u64) -> u64 {
    black_box(i) ^ 0x55
}

fn main() {
    let t = std::thread::spawn(|| {
        let mut s = 0u64;
        for i in 0..3000 {
            s = s.wrapping_add(steady(black_box(i)));
            std::thread::sleep(std::time::Duration::from_micros(400));
        }
        s
    });
    let hots: [fn(u64) -> u64; 5] = [hot0, hot1, hot2, hot3, hot4];
    let mut s = 0u64;
    for h in hots.iter() {
        std::thread::sleep(std::time::Duration::from_millis(150));
        for i in 0..6000 {
            s = s.wrapping_add(black_box(*h)(black_box(i)));
        }
    }
    println!("steady_calls=3000 sum={} {}", s, t.join().unwrap());
}
"""


def relinks():
    """Five functions go over the limit one after the other (five link swaps) while another
    thread calls a function steadily under the limit: none of its calls lost or doubled."""
    src = os.path.join(OUT, "relink.rs")
    binary = os.path.join(OUT, "relink")
    with open(src, "w") as f:
        f.write(RELINK_SRC)
    rustc("-g", "-C", "opt-level=0", src, "-o", binary)
    db = os.path.join(OUT, "relink.sqlite")
    r = subprocess.run([RSTRACE, "record", "-q", "--max-rate", "5000", "-o", db, "--", binary],
                       capture_output=True, text=True, timeout=HANG)
    con = sqlite3.connect(db)
    limited = [n for (n,) in con.execute("select f.name from rate_limit r join function f on "
                                         "f.id = r.function_id order by r.time_ns")]
    steady = dict(con.execute("select fr.status, count(*) from frame fr join function f on "
                              "f.id = fr.function_id where f.name = 'relink::steady' group by 1").fetchall())
    removed = con.execute("select count(*) from rate_limit where removed_ns is not null").fetchone()[0]
    con.close()
    check("relink: five functions limited in turn", r.returncode == 0 and
          limited == ["relink::hot%d" % i for i in range(5)], (r.returncode, limited, r.stderr[-300:]))
    check("relink: every steady call recorded once across the swaps", steady == {"returned": 3000},
          (steady, removed))


def main():
    if os.geteuid() != 0:
        print("test_cost.py: needs root (uprobes)")
        print("0 passed, 1 failed")
        return 1
    os.makedirs(OUT, exist_ok=True)
    many_probes()
    perf_fallback()
    rate_limit()
    relinks()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
