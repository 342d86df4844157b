#!/usr/bin/env python3
"""Issue J, part 3: faults that lose nothing.

- kill -9 of rstrace mid-trace: the database has the thread rows and counters
  of its last commit and says it is unfinished; tree/report say so.
- Forced losses (a tiny ring buffer; the busy-scratch path, every 7th event): each thread's losses are counted
  exactly; a call whose caller's entry was lost is marked and never parented
  to its grandparent; a frame whose exit was lost is never closed by another
  call's exit.
- SIGTERM/SIGINT sent to `rstrace record -- CMD` reach CMD; the trace ends
  when it exits, with its exit status.
- A full disk (a 3 MB tmpfs): the probes go, the program runs on to its end,
  rstrace says what happened and exits with the program's status; the
  database is valid up to its last commit and says it is unfinished.
- Thread churn: thousands of short threads one after another, past pid_max
  where it is small enough, so that tids come back: BPF keeps state only for
  live threads (its `threads` map, read with bpftool while rstrace runs), and
  every call of every thread is recorded once, exactly, with nothing lost.
- Stress: 4 threads calling a function that takes a 2 KiB String and a Vec of
  256 elements in a tight loop. Prints events/s and loss per thread (figures,
  not assertions); asserts the per-thread accounting, the tree's consistency
  and that rstrace's memory stays bounded.

No timed assertions: timeouts only catch hangs. Needs root.
Ends with "N passed, N failed".
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import RSTRACE, ROOT, check, finish, remove_trace, rustc, wait_for  # noqa: E402

OUT = os.path.join(os.environ.get("RSTRACE_BUILD", os.path.join(ROOT, "build")), "it-faults")
HANG = 120  # seconds: only a hang takes this long


def build(name, src, opt=0):
    path = os.path.join(OUT, name + ".rs")
    binary = os.path.join(OUT, name)
    old = open(path).read() if os.path.exists(path) else None
    if old != src or not os.path.exists(binary):
        with open(path, "w") as f:
            f.write(src)
        rustc("-g", "-C", "opt-level=%d" % opt, path, "-o", binary)
    return binary


def query(db, sql, args=()):
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return None


def value(js):
    return json.loads(js)["value"] if js else None


def arg(args_json, name):
    for a in json.loads(args_json):
        if a["name"] == name:
            return a["value"]
    return None


def run_view(cmd, db):
    r = subprocess.run([RSTRACE, cmd, db], capture_output=True, text=True, timeout=HANG)
    return r.returncode, r.stdout, r.stderr


# --- kill -9 -------------------------------------------------------------------------------

KILL_SRC = r"""
use std::hint::black_box;

#[inline(never)]
fn tick(i: u64) -> u64 {
    std::thread::sleep(std::time::Duration::from_millis(2));
    black_box(i) + 1
}

#[inline(never)]
fn spin(id: u64) -> u64 {
    let mut s = 0;
    for i in 0..10000 {
        s += tick(black_box(i + id));
    }
    s
}

fn side() -> u64 {
    spin(1_000_000)
}

fn main() {
    let t = std::thread::Builder::new().name("side".into()).spawn(side).unwrap();
    let a = spin(0);
    println!("{} {}", a, t.join().unwrap());
}
"""


def kill9():
    """rstrace killed mid-trace: what the database says afterwards."""
    binary = build("kill9", KILL_SRC)
    db = os.path.join(OUT, "kill9.sqlite")
    remove_trace(db)
    tr = subprocess.Popen([RSTRACE, "record", "-q", "-o", db, "--", binary], stdout=subprocess.DEVNULL)
    # two threads with events committed (every 200 ms), then the kill
    wait_for(lambda: (query(db, "select count(*) from thread where events > 0") or [[0]])[0][0] >= 2)
    time.sleep(0.5)
    tr.kill()
    tr.wait(timeout=HANG)
    sess = query(db, "select pid, end_ns, exit_status, state, events, events_lost from session")
    child = sess[0][0] if sess else None
    alive = False
    if child:
        try:
            os.kill(child, 0)
            alive = True
            os.kill(child, signal.SIGKILL)  # orphaned by the kill: it ran on untraced
        except OSError:
            pass
    check("kill -9: the program was still running (rstrace's death does not take it along)", alive, sess)
    threads = query(db, "select tid, name, events, events_lost, first_ns, last_ns from thread order by first_ns")
    frames = query(db, "select count(*), sum(status = 'returned'), sum(status = 'open') from frame")
    check("kill -9: session unfinished: no end, no exit status, state 'recording'",
          sess and sess[0][1] is None and sess[0][2] is None and sess[0][3] == "recording", sess)
    names = sorted(t[1] for t in threads or [])
    check("kill -9: both thread rows written as the trace went (names, times, event counts)",
          threads and len(threads) == 2 and names == ["kill9", "side"] and
          all(t[2] > 0 and t[3] == 0 and t[4] and t[5] >= t[4] for t in threads), threads)
    # rows, counters and frames come from the same commit: every event counted is in a frame
    total = sum(t[2] for t in threads or [])
    check("kill -9: thread counters match the frames committed (entries + returns)",
          frames and frames[0][0] > 0 and total == frames[0][0] + frames[0][1], (total, frames))
    check("kill -9: session counters written as the trace went, nothing lost",
          sess and sess[0][4] >= total and sess[0][5] == 0, (sess, total))
    for cmd in ("tree", "report"):
        rc, out, err = run_view(cmd, db)
        check("kill -9: rstrace %s says the trace is incomplete" % cmd,
              rc == 0 and out.startswith("# incomplete trace: rstrace did not finish it"), (rc, out[:300], err))


# --- forced losses ---------------------------------------------------------------------------

LOSS_SRC = r"""
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

static N: AtomicU64 = AtomicU64::new(0);

#[inline(never)]
fn inner(i: u64) -> u64 {
    black_box(i) * 3 + 1
}

#[inline(never)]
fn middle(i: u64) -> u64 {
    inner(black_box(i)) + 1
}

#[inline(never)]
fn outer(i: u64) -> u64 {
    middle(black_box(i)) + 1
}

#[inline(never)]
fn run(base: u64, n: u64) -> u64 {
    let mut s = 0u64;
    for i in base..base + n {
        s = s.wrapping_add(outer(i));
    }
    s
}

#[inline(never)]
fn tid() -> String {
    std::fs::read_link("/proc/thread-self").unwrap().file_name().unwrap().to_string_lossy().into_owned()
}

#[inline(never)]
fn t0() -> (String, u64) {
    (tid(), run(0, N.load(Ordering::SeqCst)))
}

#[inline(never)]
fn t1() -> (String, u64) {
    (tid(), run(1_000_000, N.load(Ordering::SeqCst)))
}

fn main() {
    let n: u64 = std::env::args().nth(1).unwrap().parse().unwrap();
    N.store(n, Ordering::SeqCst);
    let a = std::thread::spawn(t0);
    let b = std::thread::spawn(t1);
    for h in [a, b] {
        let (tid, sum) = h.join().unwrap();
        println!("thread {} calls {} sum {}", tid, n, sum);
    }
}
"""


def forced_loss(label, knob):
    """Events lost in BPF: with an 8 KiB ring buffer drained every 20 ms (most lost, in
    runs), or dropped as when the per-CPU scratch buffer is busy (every 7th event of a CPU:
    another thread's probe preempted the one building an event there)."""
    n = 20000
    binary = build("loss", LOSS_SRC)
    db = os.path.join(OUT, "%s.sqlite" % label)
    r = subprocess.run([RSTRACE, "record", "-q", "--max-rate", "0", "-o", db, "--", binary, str(n)],
                       capture_output=True, text=True, timeout=HANG, env=dict(os.environ, **knob))
    workers = dict((m.group(1), int(m.group(2))) for m in re.finditer(r"thread (\d+) calls (\d+)", r.stdout))
    check(label + ": program output and exit status pass through", r.returncode == 0 and len(workers) == 2,
          (r.returncode, r.stdout[-200:], r.stderr[-300:]))
    sess = query(db, "select events, events_lost, state from session")[0]
    threads = dict((str(t[0]), t[1:]) for t in query(db, "select tid, events, events_lost from thread"))
    check(label + ": events were lost (the point of %s) and rstrace says so"
          % " ".join("%s=%s" % kv for kv in knob.items()),
          sess[1] > 0 and "events lost" in r.stderr, (sess, r.stderr[-300:]))
    # every event of a worker thread, recorded or lost: t0/t1, tid and run (2 each), 3 calls a round
    want = 2 * (3 + 3 * n)
    check(label + ": per thread, events + events_lost = its events exactly (%s)" %
          ", ".join("%s: %d+%d" % (t, threads.get(t, (0, 0))[0], threads.get(t, (0, 0))[1]) for t in workers),
          all(sum(threads.get(t, (0, 0))) == want for t in workers), (want, threads))
    check(label + ": the session's counts are the threads' sums",
          sess[0] == sum(t[0] for t in threads.values()) and sess[1] == sum(t[1] for t in threads.values()),
          (sess, threads))
    gaps = dict((str(g[0]), g[1]) for g in query(db, "select thread_id, sum(events) from gap group by 1"))
    check(label + ": the gap rows add up to each thread's losses",
          all(gaps.get(t, 0) == threads[t][1] for t in threads), (gaps, threads))

    rows = query(db, "select fr.id, fr.parent_id, fr.thread_id, f.name, fr.args, fr.ret, fr.status, "
                     "fr.parent_lost, fr.ancestor_id, fr.exit_ns from frame fr "
                     "join function f on f.id = fr.function_id")
    by_id = dict((x[0], x) for x in rows)
    key = {}  # (thread, name, i) -> frame
    for x in rows:
        if x[3] in ("loss::inner", "loss::middle", "loss::outer"):
            key[(x[2], x[3], int(arg(x[4], "i")))] = x
        elif x[3] in ("loss::run", "loss::t0", "loss::t1"):
            key[(x[2], x[3], None)] = x
    caller = {"loss::inner": "loss::middle", "loss::middle": "loss::outer", "loss::outer": "loss::run",
              "loss::run": "loss::t"}
    bad_parent, bad_mark, marked, bad_ret, lost_exits, statuses = [], [], 0, [], 0, set()
    for x in rows:
        statuses.add(x[6])
        name, tid = x[3], x[2]
        if name not in caller:
            continue
        i = int(arg(x[4], "i")) if name != "loss::run" else None
        chain = []  # the recorded frames of its callers, outward (None: entry lost)
        c = caller[name]
        while c:
            if c == "loss::t":  # the thread's function: t0 or t1
                chain.append(key.get((tid, "loss::t0", None)) or key.get((tid, "loss::t1", None)))
            else:
                chain.append(key.get((tid, c, None if c == "loss::run" else i)))
            c = caller.get(c)
        parent = chain[0]
        if parent is not None:
            # the caller's entry was recorded: it is the parent, unmarked
            if x[1] != parent[0] or x[7]:
                bad_parent.append((x[:4], x[7], parent[0]))
        else:
            marked += 1
            # lost caller: no parent, marked with how many callers in a row were lost, and the
            # nearest recorded caller as ancestor
            k = next((j for j, p in enumerate(chain) if p is not None), None)
            want_anc = chain[k][0] if k is not None else None
            want_lost = k if k is not None else len(chain)
            if x[1] is not None or x[7] != want_lost or x[8] != want_anc:
                bad_mark.append((x[:4], x[7], x[8], want_lost, want_anc))
        if x[1] is not None and (by_id[x[1]][2] != tid):
            bad_parent.append(("other thread", x[:4]))
        # returned: with its own return value (3i+1, +1, +1), never another call's
        if x[6] == "returned" and name != "loss::run":
            want_ret = 3 * i + {"loss::inner": 1, "loss::middle": 2, "loss::outer": 3}[name]
            if value(x[5]) != str(want_ret):
                bad_ret.append((x[:4], x[5], want_ret))
        elif x[6] == "lost":
            lost_exits += 1
            if x[5] is not None or x[9] is not None:
                bad_ret.append((x[:4], x[5], x[9]))
    check(label + ": a recorded caller is always the parent (never a grandparent, never marked)",
          not bad_parent, bad_parent[:5])
    check(label + ": %d calls whose caller's entry was lost: parent NULL, parent_lost = callers lost, "
          "ancestor_id = nearest recorded caller" % marked, marked > 0 and not bad_mark, (marked, bad_mark[:5]))
    check(label + ": %d frames whose exit was lost end 'lost' without a value; every 'returned' has its "
          "own value" % lost_exits, not bad_ret and statuses <= {"returned", "lost"},
          (bad_ret[:5], statuses))
    rc, out, _ = run_view("tree", db)
    check(label + ": rstrace tree shows the gaps and the calls whose caller was lost",
          rc == 0 and re.search(r"^# \d+ of \d+ events lost", out, re.M) and
          re.search(r"⋯ \d+ events? lost", out) and re.search(r"\| +⋯ loss::(inner|middle|outer)\(", out) and
          re.search(r"^# thread \d+ \(loss\): \d+ events lost", out, re.M), out[:600])


# --- signals -------------------------------------------------------------------------------

SIGNAL_SRC = r"""
use std::hint::black_box;
use std::io::Write;
use std::sync::atomic::{AtomicI32, Ordering};

static SIG: AtomicI32 = AtomicI32::new(0);

extern "C" {
    fn signal(signum: i32, handler: usize) -> usize;
}

extern "C" fn on_signal(sig: i32) {
    SIG.store(sig, Ordering::SeqCst);
}

#[inline(never)]
fn tick(i: u64) -> u64 {
    std::thread::sleep(std::time::Duration::from_millis(1));
    black_box(i) + 1
}

#[inline(never)]
fn shutdown(sig: i32) -> i32 {
    100 + black_box(sig)
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("handle") {
        unsafe {
            signal(2, on_signal as *const () as usize);
            signal(15, on_signal as *const () as usize);
        }
    }
    println!("ready");
    std::io::stdout().flush().unwrap();
    let mut i = 0;
    while SIG.load(Ordering::SeqCst) == 0 && i < 60000 {
        tick(i);
        i += 1;
    }
    let code = shutdown(SIG.load(Ordering::SeqCst));
    println!("signal {} after {} ticks", SIG.load(Ordering::SeqCst), i);
    std::process::exit(code);
}
"""


def forward(binary, sig, mode, want_rc):
    label = "%s (%s)" % (signal.Signals(sig).name, mode)
    db = os.path.join(OUT, "signal-%s-%d.sqlite" % (mode, sig))
    remove_trace(db)
    tr = subprocess.Popen([RSTRACE, "record", "-q", "-o", db, "--", binary, mode],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = tr.stdout.readline().strip()
    wait_for(lambda: (query(db, "select count(*) from frame") or [[0]])[0][0] > 0)
    tr.send_signal(sig)
    try:
        out, err = tr.communicate(timeout=HANG)
        rc = tr.returncode
    except subprocess.TimeoutExpired:
        tr.kill()
        out, err = tr.communicate()
        rc = "hung"
    sess = query(db, "select exit_status, state, end_ns is not null from session")
    check("signal %s: sent to rstrace, forwarded to the program; rstrace exits with its status %d" %
          (label, want_rc), ready == "ready" and rc == want_rc, (ready, rc, out[-200:], err[-300:]))
    check("signal %s: the trace is complete, with the program's exit status" % label,
          sess == [(want_rc, "complete", 1)], sess)
    if mode == "handle":
        rows = query(db, "select fr.args, fr.ret, fr.status from frame fr join function f on "
                         "f.id = fr.function_id where f.name = 'sig::shutdown'")
        check("signal %s: the program's calls after the signal are traced (shutdown(%d) -> %d)" %
              (label, sig, want_rc), rows and len(rows) == 1 and arg(rows[0][0], "sig") == str(sig) and
              value(rows[0][1]) == str(want_rc) and rows[0][2] == "returned" and
              ("signal %d after" % sig) in out, (rows, out[-200:]))


def signals():
    binary = build("sig", SIGNAL_SRC)
    forward(binary, signal.SIGTERM, "handle", 115)
    forward(binary, signal.SIGINT, "handle", 102)
    forward(binary, signal.SIGTERM, "default", 128 + 15)


# --- disk full -----------------------------------------------------------------------------

DISK_SRC = r"""
use std::hint::black_box;

#[inline(never)]
fn blob(i: u64, s: &String) -> usize {
    black_box(s.len()) + i as usize
}

#[inline(never)]
fn idle(i: u64) -> u64 {
    std::thread::sleep(std::time::Duration::from_millis(2));
    black_box(i)
}

fn main() {
    let n: u64 = std::env::args().nth(1).unwrap().parse().unwrap();
    let s: String = (0..2048).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    let mut total = 0;
    // ~150 calls (~350 KB of trace) a commit: the disk fills after a few commits
    for i in 0..n {
        total += blob(i, &s);
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    // on after the disk is full: rstrace must neither stop nor orphan it
    for i in 0..750 {
        idle(i);
    }
    println!("done calls={} total={}", n, total);
    std::process::exit(5);
}
"""


def link_fds(pid):
    n = 0
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                n += os.readlink("/proc/%d/fd/%s" % (pid, fd)) in ("anon_inode:bpf_link",
                                                                  "anon_inode:[perf_event]")
            except OSError:
                pass
    except OSError:
        pass
    return n


def disk_full():
    binary = build("disk", DISK_SRC)
    mnt = tempfile.mkdtemp(prefix="rstrace-full-")
    cwd = os.path.join(OUT, "disk-cwd")
    os.makedirs(cwd, exist_ok=True)
    with open(os.path.join(cwd, "rstrace.toml"), "w") as f:
        f.write("[trace]\nmax_string_bytes = 2048\n")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt]).returncode:
        check("disk full: tmpfs mounted", False)
        return
    try:
        db = os.path.join(mnt, "t.sqlite")
        tr = subprocess.Popen([RSTRACE, "record", "-q", "--max-rate", "0", "-o", db, "--", binary, "4000"],
                              cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        err, when = "", None
        for line in tr.stderr:
            err += line
            if "probes removed" in line:
                kids = open("/proc/%d/task/%d/children" % (tr.pid, tr.pid)).read().split()
                when = (link_fds(tr.pid), bool(kids) and os.path.exists("/proc/%s" % kids[0]))
        try:
            out = tr.stdout.read()
            rc = tr.wait(timeout=HANG)
        except subprocess.TimeoutExpired:
            tr.kill()
            out, rc = "", "hung"
        check("disk full: rstrace says what happened",
              "No space left on device" in err and "probes removed: pid" in err and
              "runs on untraced" in err and "marked unfinished" in err, err)
        check("disk full: at that moment no probe is left and the program still runs", when == (0, True), when)
        check("disk full: the program runs to its end and rstrace exits with its status (5)",
              rc == 5 and "done calls=4000" in out, (rc, out[-200:]))
        # what a user does with it: copy it off the full disk (with its WAL), then read it
        copy = os.path.join(OUT, "disk-copy.sqlite")
        for sfx in ("", "-wal", "-shm"):
            if os.path.exists(copy + sfx):
                os.unlink(copy + sfx)
            if os.path.exists(db + sfx):
                shutil.copy(db + sfx, copy + sfx)
        ok = query(copy, "pragma integrity_check")
        sess = query(copy, "select state, end_ns, exit_status from session")
        n = query(copy, "select count(*) from frame fr join function f on f.id = fr.function_id "
                        "where f.name = 'disk::blob'")
        idle = query(copy, "select count(*) from frame fr join function f on f.id = fr.function_id "
                           "where f.name = 'disk::idle'")
        check("disk full: the database is valid, up to its last commit, and says it is unfinished",
              ok == [("ok",)] and sess == [("recording", None, None)] and n and 0 < n[0][0] < 4000 and
              idle == [(0,)], (ok, sess, n, idle))
        rc, out, _ = run_view("tree", copy)
        check("disk full: rstrace tree reads it and says it is incomplete",
              rc == 0 and out.startswith("# incomplete trace"), out[:300])
    finally:
        subprocess.run(["umount", mnt])
        os.rmdir(mnt)


# --- stress --------------------------------------------------------------------------------

STRESS_SRC = r"""
use std::hint::black_box;
use std::time::{Duration, Instant};

#[inline(never)]
fn ingest(id: u32, text: &String, vals: &Vec<u64>) -> usize {
    black_box(text.len() + vals.len() + id as usize)
}

#[inline(never)]
fn batch(id: u32, n: u32, text: &String, vals: &Vec<u64>) -> usize {
    let mut s = 0;
    for _ in 0..n {
        s += ingest(black_box(id), text, vals);
    }
    s
}

#[inline(never)]
fn worker(id: u32, secs: f64) -> (u64, u64, usize) {
    let text: String = std::iter::repeat((b'a' + id as u8) as char).take(2048).collect();
    let mut vals: Vec<u64> = Vec::with_capacity(256);
    for i in 0..256u64 {
        vals.push(i * (id as u64 + 1));
    }
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let (mut batches, mut calls, mut sum) = (0u64, 0u64, 0usize);
    while Instant::now() < end {
        sum += batch(black_box(id), 16, &text, &vals);
        batches += 1;
        calls += 16;
    }
    (batches, calls, sum)
}

#[inline(never)]
fn secs() -> f64 {
    std::env::args().nth(1).unwrap().parse().unwrap()
}

#[inline(never)]
fn tid() -> String {
    std::fs::read_link("/proc/thread-self").unwrap().file_name().unwrap().to_string_lossy().into_owned()
}

#[inline(never)]
fn w0() -> (String, (u64, u64, usize)) { (tid(), worker(0, secs())) }
#[inline(never)]
fn w1() -> (String, (u64, u64, usize)) { (tid(), worker(1, secs())) }
#[inline(never)]
fn w2() -> (String, (u64, u64, usize)) { (tid(), worker(2, secs())) }
#[inline(never)]
fn w3() -> (String, (u64, u64, usize)) { (tid(), worker(3, secs())) }

fn main() {
    let hs: Vec<_> = [w0, w1, w2, w3].iter().map(|f| std::thread::spawn(*f)).collect();
    for h in hs {
        let (tid, (b, c, s)) = h.join().unwrap();
        println!("thread {} batches {} calls {} sum {}", tid, b, c, s);
    }
}
"""


CHURN_SRC = r"""
use std::hint::black_box;
use std::io::Read;

#[inline(never)]
fn work(i: u64) -> u64 {
    black_box(i) * 3
}

fn main() {
    let n: u64 = std::env::args().nth(1).unwrap().parse().unwrap();
    let (mut sum, mut tids) = (0u64, std::collections::HashSet::new());
    for i in 0..n {
        let (r, tid) = std::thread::spawn(move || {
            (work(i), std::fs::read_link("/proc/thread-self").unwrap())
        }).join().unwrap();
        sum += r;
        tids.insert(tid);
    }
    println!("@spawned {} tids={}", n, tids.len());
    let mut rest = Vec::new();
    std::io::stdin().read_to_end(&mut rest).unwrap();
    println!("sum={}", sum);
}
"""


def bpf_map_entries(pid, name):
    """Entries of the BPF map called name among process pid's fds (bpftool), None if not found."""
    ids = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "anon_inode:bpf-map":
                m = re.search(r"map_id:\s*(\d+)", open("/proc/%d/fdinfo/%s" % (pid, fd)).read())
                ids += [m.group(1)] if m else []
        except OSError:
            continue
    for i in ids:
        show = subprocess.run(["bpftool", "-j", "map", "show", "id", i], capture_output=True, text=True)
        if show.returncode == 0 and json.loads(show.stdout).get("name") == name:
            dump = subprocess.run(["bpftool", "-j", "map", "dump", "id", i], capture_output=True, text=True)
            return len(json.loads(dump.stdout)) if dump.returncode == 0 else None
    return None


def thread_churn():
    binary = build("churn", CHURN_SRC, opt=2)
    pid_max = int(open("/proc/sys/kernel/pid_max").read())
    # past pid_max the kernel hands out tids again; on hosts where it is large, 3,000 threads
    n = pid_max + 2000 if pid_max <= 40000 else 3000
    db = os.path.join(OUT, "churn.sqlite")
    remove_trace(db)
    tr = subprocess.Popen([RSTRACE, "record", "-q", "--max-rate", "0", "-o", db, "--", binary, str(n)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = tr.stdout.readline()
    m = re.match(r"@spawned (\d+) tids=(\d+)", line)
    live = bpf_map_entries(tr.pid, "threads") if m else None
    tr.stdin.close()
    out = tr.stdout.read()
    rc = tr.wait(timeout=HANG)
    check("churn: %d threads ran, rstrace passed the output and status through" % n,
          m and rc == 0 and out.strip() == "sum=%d" % (3 * n * (n - 1) // 2), (line, out[-200:], rc))
    if not m:
        return
    tids = int(m.group(2))
    check("churn: BPF holds state for the live threads only (%s entries after %d threads exited)" % (live, n),
          live is not None and live <= 4, live)
    rows = query(db, "select fr.args, fr.ret, fr.status from frame fr join function f on f.id = fr.function_id "
                     "where f.name = 'churn::work'") or []
    seen = sorted(int(arg(a, "i")) for a, _, _ in rows)
    right = all(st == "returned" and value(r) == str(3 * int(arg(a, "i"))) for a, r, st in rows)
    check("churn: every call of the %d threads recorded once, exactly (%d tids, %s)" %
          (n, tids, "tids reused" if tids < n else "pid_max too large to reuse tids"),
          seen == list(range(n)) and right, (len(rows), seen[:5], right))
    lost = query(db, "select events_lost, (select count(*) from gap), (select sum(events_lost) from thread) "
                     "from session")
    check("churn: nothing lost, no gap", lost and lost[0] == (0, 0, 0), lost)


def rss_kib(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def stress():
    secs = 8
    binary = build("stress", STRESS_SRC, opt=1)
    cwd = os.path.join(OUT, "stress-cwd")
    os.makedirs(cwd, exist_ok=True)
    with open(os.path.join(cwd, "rstrace.toml"), "w") as f:
        f.write("[trace]\nmax_string_bytes = 2048\nmax_array_size = 256\nmax_calls_per_sec = 0\n")
    db = os.path.join(OUT, "stress.sqlite")
    t0 = time.monotonic()
    tr = subprocess.Popen([RSTRACE, "record", "-q", "-o", db, "--", binary, str(secs)], cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rss = []
    while tr.poll() is None and time.monotonic() - t0 < HANG:
        r = rss_kib(tr.pid)
        if r:
            rss.append((time.monotonic() - t0, r))
        time.sleep(0.25)
    try:
        out, err = tr.communicate(timeout=HANG)
    except subprocess.TimeoutExpired:
        tr.kill()
        out, err = tr.communicate()
    wall = time.monotonic() - t0
    workers = dict((m.group(1), (int(m.group(2)), int(m.group(3)), int(m.group(4))))
                   for m in re.finditer(r"thread (\d+) batches (\d+) calls (\d+) sum (\d+)", out))
    check("stress: program output and exit status pass through", tr.returncode == 0 and len(workers) == 4,
          (tr.returncode, out[-300:], err[-300:]))
    sess = query(db, "select events, events_lost, start_ns, end_ns, state from session")[0]
    threads = dict((str(t[0]), t[1:]) for t in query(db, "select tid, events, events_lost from thread"))
    dur = (sess[3] - sess[2]) / 1e9
    allev = sess[0] + sess[1]
    print("     stress figures: %.1f s traced, %d events produced (%.0f/s), %d recorded (%.0f/s), "
          "%d lost (%.1f%%)" % (dur, allev, allev / dur, sess[0], sess[0] / dur, sess[1],
                                100.0 * sess[1] / max(allev, 1)))
    for t, (b, c, _) in sorted(workers.items()):
        ev, lost = threads.get(t, (0, 0))
        print("     stress figures: thread %s: %d calls, %d events recorded, %d lost (%.1f%%)" %
              (t, c + b, ev, lost, 100.0 * lost / max(ev + lost, 1)))
    if rss:
        print("     stress figures: rstrace RSS %d..%d MiB over %d samples (%.1f s wall)" %
              (min(r for _, r in rss) // 1024, max(r for _, r in rss) // 1024, len(rss), wall))
    # a worker thread's calls: wN, tid, secs, worker, its batches and their ingests
    check("stress: per thread, events + events_lost = its events exactly",
          all(sum(threads.get(t, (0, 0))) == 2 * (4 + b + c) for t, (b, c, _) in workers.items()),
          (workers, threads))
    check("stress: the session's counts are the threads' sums",
          sess[0] == sum(t[0] for t in threads.values()) and sess[1] == sum(t[1] for t in threads.values()),
          (sess, threads))
    rows = query(db, "select fr.id, fr.parent_id, fr.thread_id, f.name, fr.entry_ns, fr.exit_ns, fr.status, "
                     "fr.parent_lost, fr.ancestor_id, fr.ret, fr.args from frame fr "
                     "join function f on f.id = fr.function_id")
    by_id = dict((x[0], x) for x in rows)
    ws = {"stress::w0", "stress::w1", "stress::w2", "stress::w3"}
    # each function's callers, outward: the program's call graph
    chains = {"stress::ingest": [{"stress::batch"}, {"stress::worker"}, ws],
              "stress::batch": [{"stress::worker"}, ws],
              "stress::worker": [ws],
              "stress::secs": [ws],
              "stress::tid": [ws]}
    bad = []
    for x in rows:
        chain = chains.get(x[3], [])
        up = x[1] if x[1] is not None else x[8]
        p = by_id.get(up) if up is not None else None
        if x[1] is not None:
            ok = not x[7] and chain and p[3] in chain[0]
        elif x[7]:
            # the caller's entry lost: x[7] callers in a row, then the ancestor (or none)
            ok = 0 < x[7] <= len(chain) and (p[3] in chain[x[7]] if p else x[7] == len(chain))
        else:
            ok = not chain  # outermost: only the threads' own functions and main
        if not ok:
            bad.append(("caller", x[:4], x[7:9], p and p[:4]))
        elif p and (p[2] != x[2] or x[4] < p[4] or (p[5] is not None and x[5] is not None and x[5] > p[5])):
            bad.append(("caller on another thread or outside its time", x[:6], p[:6]))
    check("stress: tree consistent: parent = the direct caller on the same thread, in its time; a call "
          "whose caller was lost has none, parent_lost callers lost and the nearest recorded caller as "
          "ancestor", not bad and len(rows) > 0, bad[:5])
    wrong = [x[:4] + (x[9],) for x in rows if x[3] == "stress::ingest" and x[6] == "returned" and
             value(x[9]) != str(2048 + 256 + int(arg(x[10], "id")))]
    check("stress: every returned ingest has its own return value", not wrong, wrong[:3])
    # bounded: the queue (32 MiB of records), the ring buffer and SQLite's cache; never growing
    # with the run (a leak or an unbounded queue would grow past it in 8 s at this rate)
    peak = max(r for _, r in rss) if rss else 0
    late = [r for t, r in rss if t > dur / 2]
    early = [r for t, r in rss if t <= dur / 2]
    check("stress: rstrace's memory stays bounded (peak %d MiB < 512) and flat (second half %d MiB <= first "
          "half %d MiB + 64)" % (peak // 1024, max(late or [0]) // 1024, max(early or [0]) // 1024),
          rss and peak < 512 * 1024 and max(late or [0]) <= max(early or [0]) + 64 * 1024, rss[::8])


def main():
    if os.geteuid() != 0:
        print("test_faults.py: needs root (uprobes, mount)")
        print("0 passed, 1 failed")
        return 1
    os.makedirs(OUT, exist_ok=True)
    kill9()
    forced_loss("loss", {"RSTRACE_RINGBUF_BYTES": "8192"})
    forced_loss("busy", {"RSTRACE_TEST_BUSY": "7"})
    signals()
    disk_full()
    thread_churn()
    stress()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
