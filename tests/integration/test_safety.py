#!/usr/bin/env python3
"""Issue J: a trace file that is safe to keep and never destroys anything;
command-line faults and their messages; the capabilities rstrace needs.

`record -o PATH` writes PATH.rstrace-tmp (O_EXCL, 0600, locked) and renames
it to PATH once the probes are in, so: what is at PATH is replaced only when
it is a regular file rstrace may replace, never through a link, never before
tracing started; a failed start leaves PATH byte-identical; two rstraces do
not write the same PATH at once; a stale PATH-wal is never replayed into a
new trace. Needs root (uprobes, setpriv). Ends with "N passed, N failed"."""
import fcntl
import hashlib
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import RSTRACE, ROOT, check, finish, rustc  # noqa: E402

OUT = os.path.join(os.environ.get("RSTRACE_BUILD", os.path.join(ROOT, "build")), "it-safety")
NOBODY = 65534
HANDLE = "service::handle"


def record(args, cwd=None, env=None, preexec_fn=None, prefix=(), exe=RSTRACE, timeout=120):
    p = subprocess.run(list(prefix) + [exe, "record", "-q"] + args, capture_output=True,
                       text=True, cwd=cwd, env=env, preexec_fn=preexec_fn, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def first(err):
    return err.splitlines()[0] if err else ""


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def snapshot(path):
    """Content, inode, mode, owner, size, mtime; None if path is no readable file."""
    try:
        st = os.lstat(path)
        return (digest(path), st.st_ino, st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns)
    except OSError:
        return None


def link_of(path):
    try:
        return os.readlink(path)
    except OSError:
        return None


def handle_calls(db, mode="ro"):
    """(session pid, number of service::handle frames), or None if db is no trace."""
    try:
        con = sqlite3.connect("file:%s?mode=%s" % (db, mode), uri=True)
        pid = con.execute("select pid from session").fetchone()[0]
        n = con.execute("select count(*) from frame fr join function f on f.id = fr.function_id "
                        "where f.name = ?", (HANDLE,)).fetchone()[0]
        ok = con.execute("pragma integrity_check").fetchone()[0]
        con.close()
        return (pid, n) if ok == "ok" else None
    except sqlite3.Error:
        return None


def leftovers(path):
    d, base = os.path.split(os.path.abspath(path))
    return sorted(n for n in os.listdir(d) if n.startswith(base + ".rstrace-tmp"))


def wait_for(cond, proc, what):
    """Polls cond() while proc runs (no timed assertion: the outcome is checked after)."""
    for _ in range(600):
        if cond() or proc.poll() is not None:
            return cond()
        time.sleep(0.05)
    print("  (gave up waiting for %s)" % what)
    return False


def reset(*paths):
    for p in paths:
        for q in (p, p + "-wal", p + "-shm", p + "-journal"):
            if os.path.isdir(q) and not os.path.islink(q):
                shutil.rmtree(q)
            elif os.path.lexists(q):
                os.unlink(q)


def rm(path):
    if os.path.lexists(path):
        os.unlink(path)


def fresh_trace(db, svc, n=3):
    reset(db)
    rc, out, err = record(["-o", db, "--", svc, str(n)])
    assert rc == 7 and handle_calls(db) and handle_calls(db)[1] == n, (rc, err)
    return snapshot(db)


def test_shared_dirs(d, svc):
    """A directory others may write (not sticky), or one of another user, even above the
    trace's: they could swap what rstrace checked. Sticky (like /tmp): fine."""
    for label, mode, owner, sub in (("world-writable", 0o777, 0, False),
                                    ("group-writable", 0o770, 0, False),
                                    ("another user's", 0o755, 65534, False),
                                    ("world-writable, above it", 0o777, 0, True)):
        top = os.path.join(d, "shared")
        if os.path.lexists(top):
            shutil.rmtree(top)
        os.mkdir(top)
        where = os.path.join(top, "sub") if sub else top
        if sub:
            os.mkdir(where)
        os.chown(top, owner, -1)
        os.chmod(top, mode)
        db = os.path.join(where, "t.sqlite")
        rc, out, err = record(["-o", db, "--", svc, "3"])
        why = "another user's directory" if owner else "writable by other users"
        check("-o in a directory %s: refused, nothing written" % label,
              rc == 1 and out == "" and os.listdir(where) == [] and first(err) ==
              "rstrace: cannot write the trace %s: %s is %s (mode %04o, owner uid %d), who could "
              "swap the files rstrace makes there; choose a directory only you or root can write"
              % (db, os.path.realpath(top), why, mode, owner), (rc, err, os.listdir(where)))
    shutil.rmtree(top)
    os.mkdir(top)
    os.chmod(top, 0o1777)
    db = os.path.join(top, "t.sqlite")
    want = subprocess.run([svc, "3"], capture_output=True, timeout=120).returncode
    rc, out, err = record(["-o", db, "--", svc, "3"])
    check("-o in a sticky world-writable directory: traced, no side file left",
          rc == want and sorted(os.listdir(top)) == ["t.sqlite"], (rc, want, err, os.listdir(top)))
    shutil.rmtree(top)


def test_output_refusals(d, svc):
    db = os.path.join(d, "t.sqlite")

    # a character device: /dev/null, in a mount namespace of its own (a tmpfs on /dev
    # with a fresh null device), so that an rstrace that does replace it breaks nothing
    script = ('mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 && '
              '{ "$0" record -q -o /dev/null -- "$1" 3 >"$2"; echo "rc=$?"; '
              'stat -c "%F %t:%T" /dev/null; }')
    ran = os.path.join(d, "ran.txt")
    p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                        RSTRACE, svc, ran], capture_output=True, text=True, timeout=120)
    with open(ran) as f:
        ran = f.read()
    check("-o /dev/null: refused before the program runs",
          p.stdout.startswith("rc=1\n") and ran == "" and first(p.stderr) == "rstrace: /dev/null is "
          "a character device: rstrace writes the trace to a new regular file and never replaces "
          "anything else; choose another file", (p.stdout, ran[:60], p.stderr))
    check("-o /dev/null: still the same character device",
          p.stdout.endswith("\ncharacter special file 1:3\n"), p.stdout)
    node = os.path.join(d, "null")
    reset(node)
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    rc, out, err = record(["--force", "-o", node, "--", svc, "3"])
    st = os.lstat(node)
    check("-o CHAR_DEVICE --force: refused, device node intact",
          rc == 1 and out == "" and "is a character device" in first(err)
          and stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3), (rc, err))
    rm(node)

    # the traced program itself, by its name, a hard link, and with --force
    prog = os.path.join(d, "prog")
    shutil.copy(svc, prog)
    link = os.path.join(d, "prog-link")
    reset(link)
    os.link(prog, link)
    want = snapshot(prog)
    for label, o, extra in (("./prog", "./prog", []), ("a hard link of it", "prog-link", []),
                            ("--force", "./prog", ["--force"])):
        rc, out, err = record(extra + ["-o", o, "--", "./prog", "3"], cwd=d)
        check("-o %s -- ./prog (%s): refused, program intact" % (o, label),
              rc == 1 and out == "" and first(err) == "rstrace: %s is the program being traced: "
              "choose another file for the trace" % o and snapshot(prog) == want, (rc, err))
    rm(link)

    # a directory, an empty name
    sub = os.path.join(d, "adir")
    os.makedirs(sub, exist_ok=True)
    open(os.path.join(sub, "keep"), "w").close()
    rc, out, err = record(["-o", sub, "--", svc, "3"])
    check("-o DIR: refused, directory intact",
          rc == 1 and first(err) == "rstrace: %s is a directory: give a file name for the trace "
          "(e.g. -o %s/trace.sqlite)" % (sub, sub) and os.path.isdir(sub) and os.listdir(sub) == ["keep"], (rc, err))
    rc, out, err = record(["-o", "", "--", svc, "3"])
    check("-o '': usage error, nothing runs",
          rc == 64 and out == "" and first(err) == "rstrace record: -o needs a file name "
          "(-o trace.sqlite)", (rc, err))

    # a regular file that is not a trace: kept without --force, replaced with it
    other = os.path.join(d, "notes.txt")
    reset(other)
    with open(other, "w") as f:
        f.write("my notes\n")
    want = snapshot(other)
    rc, out, err = record(["-o", other, "--", svc, "3"])
    check("-o FILE (not a trace): refused without --force, file intact",
          rc == 1 and out == "" and first(err) == "rstrace: %s exists and is not an rstrace "
          "trace: pass --force to replace it, or choose another file" % other
          and snapshot(other) == want, (rc, err))
    rc, out, err = record(["--force", "-o", other, "--", svc, "3"])
    st = os.lstat(other)
    check("-o FILE --force: replaced by a trace, mode 0600",
          rc == 7 and handle_calls(other) is not None and handle_calls(other)[1] == 3
          and stat.S_IMODE(st.st_mode) == 0o600, (rc, err, oct(st.st_mode)))

    # an existing trace is replaced, by default
    old = fresh_trace(db, svc, 3)
    rc, out, err = record(["-o", db, "--", svc, "2"])
    check("-o TRACE: an existing rstrace trace is replaced by the new one",
          rc == 7 and snapshot(db)[1] != old[1] and handle_calls(db) is not None
          and handle_calls(db)[1] == 2 and leftovers(db) == [], (rc, err, handle_calls(db)))


def test_symlinks(d, svc):
    db = os.path.join(d, "s.sqlite")
    victim = os.path.join(d, "victim")
    reset(db, victim)
    with open(victim, "w") as f:
        f.write("secret\n")
    os.chmod(victim, 0o600)
    want = snapshot(victim)

    os.symlink(victim, db)
    rc, out, err = record(["-o", db, "--", svc, "3"])
    check("-o SYMLINK: refused, link and its target untouched",
          rc == 1 and out == "" and first(err) == "rstrace: %s is a symbolic link: rstrace never "
          "writes through a link; give the file it points to, or remove the link" % db
          and link_of(db) == victim and snapshot(victim) == want, (rc, err))
    rc, out, err = record(["--force", "-o", db, "--", svc, "3"])
    check("-o SYMLINK --force: refused too",
          rc == 1 and "is a symbolic link" in first(err) and link_of(db) == victim
          and snapshot(victim) == want, (rc, err))
    rm(db)

    os.symlink(os.path.basename(db), db)  # a loop: db -> db
    rc, out, err = record(["-o", db, "--", svc, "3"])
    check("-o LOOP (a symlink to itself): refused, loop left as it was",
          rc == 1 and "is a symbolic link" in first(err) and link_of(db) == "s.sqlite", (rc, err))
    rm(db)

    # a link where SQLite keeps the WAL: would be replayed into / written through
    os.symlink(victim, db + "-wal")
    rc, out, err = record(["-o", db, "--", svc, "3"])
    check("-o PATH with PATH-wal a symlink: refused, target untouched",
          rc == 1 and first(err) == "rstrace: %s-wal is a symbolic link, where SQLite keeps a part "
          "of the database %s: remove it, or choose another file" % (db, db)
          and snapshot(victim) == want and not os.path.exists(db), (rc, err))
    rm(db + "-wal")

    # the temporary name planted as a link
    os.symlink(victim, db + ".rstrace-tmp")
    rc, out, err = record(["-o", db, "--", svc, "3"])
    check("-o PATH with PATH.rstrace-tmp a symlink: refused, target untouched",
          rc == 1 and first(err) == "rstrace: %s.rstrace-tmp is in the way (a symbolic link): "
          "remove it" % db and snapshot(victim) == want, (rc, err))
    rm(db + ".rstrace-tmp")


def test_symlink_race(d, svc, runs=8):
    """Symlinks to an empty 0600 file appear and vanish at PATH, PATH-wal,
    PATH-shm, PATH-journal and PATH.rstrace-tmp while rstrace starts (what an
    unprivileged user can do in a shared directory: add and remove links,
    never touch root's files). The target must never be written."""
    db = os.path.join(d, "race.sqlite")
    victim = os.path.join(d, "race-victim")
    reset(db, victim)
    open(victim, "w").close()
    os.chmod(victim, 0o600)
    want = snapshot(victim)
    names = [db, db + "-wal", db + "-shm", db + "-journal", db + ".rstrace-tmp"]
    stop = threading.Event()
    flips = [0]

    def flipper():
        while not stop.is_set():
            for n in names:
                try:
                    if os.path.islink(n):
                        rm(n)
                    else:
                        os.symlink(victim, n)
                        flips[0] += 1
                except OSError:
                    pass

    outcomes = []
    for i in range(runs):
        reset(db)
        stop.clear()
        t = threading.Thread(target=flipper)
        t.start()
        rc, out, err = record(["-o", db, "--", svc, "3"])
        stop.set()
        t.join()
        calls = handle_calls(db) if not os.path.islink(db) and os.path.exists(db) else None
        ok = (rc == 7 and calls is not None and calls[1] == 3) or \
             (rc == 1 and out == "" and ("symbolic link" in err or "(it appeared while" in err))
        outcomes.append((rc, first(err)[:90], ok))
        for n in names:
            if os.path.islink(n):
                rm(n)
    check("symlink race: the link target is never written (%d runs, %d links planted)"
          % (runs, flips[0]), snapshot(victim) == want, snapshot(victim))
    check("symlink race: each run records the trace or refuses with a message naming the link",
          all(o[2] for o in outcomes), outcomes)
    check("symlink race: no temporary file left", leftovers(db) == [], leftovers(db))


def test_failed_start(d, svc, nb):
    db = os.path.join(d, "keep.sqlite")
    before = fresh_trace(db, svc, 3)
    noexec = os.path.join(d, "noexec")
    shutil.copy(svc, noexec)
    os.chmod(noexec, 0o644)
    rc, out, err = record(["-o", db, "--", noexec, "3"])
    check("not executable: clear message, previous trace byte-identical",
          rc == 1 and first(err) == "rstrace: cannot run %s: permission denied (not an executable "
          "file: chmod +x?)" % noexec and snapshot(db) == before and leftovers(db) == [], (rc, err))

    # exec fails after the temporary trace exists: the file is open for writing
    busy = os.path.join(d, "busy")
    shutil.copy(svc, busy)
    with open(busy, "r+b"):
        rc, out, err = record(["-o", db, "--", busy, "3"])
    if rc == 7:
        print("skip: this kernel runs a file open for writing (no ETXTBSY)")
        before = snapshot(db)
    else:
        check("exec fails (Text file busy): its error, previous trace byte-identical",
              rc == 1 and first(err) == "rstrace: cannot start %s: Text file busy" % busy
              and snapshot(db) == before and leftovers(db) == [], (rc, err))

    env = dict(os.environ, RSTRACE_ATTACH="bogus")
    rc, out, err = record(["-o", db, "--", svc, "3"], env=env)
    check("probes not attached (bad RSTRACE_ATTACH): previous trace byte-identical",
          rc == 1 and out == "" and snapshot(db) == before and leftovers(db) == [], (rc, err))

    # the kernel refuses the probes: per-probe perf events need CAP_SYS_ADMIN since Linux 6.16
    cdb = os.path.join(nb["dir"], "keep.sqlite")
    reset(cdb)
    rc, out, err = record(["-o", cdb, "--", nb["svc"], "3"], cwd=nb["dir"], exe=nb["rstrace"],
                          prefix=as_nobody("bpf,perfmon"))
    cbefore = snapshot(cdb) if rc == 7 else None
    env = dict(os.environ, RSTRACE_ATTACH="perf")
    rc, out, err = record(["-o", cdb, "--", nb["svc"], "3"], cwd=nb["dir"], env=env,
                          exe=nb["rstrace"], prefix=as_nobody("bpf,perfmon"))
    if rc == 7:
        print("skip: this kernel lets CAP_PERFMON create perf-event uprobes (before 6.16)")
    else:
        check("probes refused by the kernel (EACCES): previous trace byte-identical",
              cbefore is not None and rc == 1 and "Permission denied" in err
              and snapshot(cdb) == cbefore and leftovers(cdb) == [], (rc, err))


def test_stale_wal(d, svc):
    """A trace cut short (rstrace killed) keeps committed pages in PATH-wal;
    the next trace to PATH must not get them replayed into it."""
    db = os.path.join(d, "wal.sqlite")
    reset(db)
    prog = subprocess.Popen([svc, "100000"], stdout=subprocess.DEVNULL)
    tr = subprocess.Popen([RSTRACE, "record", "-q", "-p", str(prog.pid), "-o", db])
    wait_for(lambda: os.path.exists(db) and os.path.getsize(db + "-wal") > 0
             if os.path.exists(db + "-wal") else False, tr, "the WAL")
    time.sleep(0.5)  # a few commits of frames
    tr.kill()
    tr.wait()
    prog.kill()
    prog.wait()
    # what the stale WAL holds: the killed session, replayed when db is opened with it
    probe = os.path.join(d, "wal-probe.sqlite")
    reset(probe)
    shutil.copy(db, probe)
    shutil.copy(db + "-wal", probe + "-wal")
    old = handle_calls(probe, "rw")
    reset(probe)
    check("stale WAL: the killed trace's frames are in PATH-wal (the test can fail)",
          os.path.getsize(db + "-wal") > 0 and old is not None and old[0] == prog.pid and old[1] > 0,
          (old, prog.pid))
    rc, out, err = record(["-o", db, "--", svc, "3"])
    sides = [s for s in ("-wal", "-shm") if os.path.exists(db + s)]  # before a reader makes them
    new = handle_calls(db)
    check("stale WAL: the new trace has its own session and frames only, no -wal left",
          rc == 7 and new is not None and new[0] != prog.pid and new[1] == 3 and sides == [],
          (rc, err, new, sides))


def test_concurrent_and_modes(d, svc):
    db = os.path.join(d, "live.sqlite")
    reset(db)
    prog = subprocess.Popen([svc, "100000"], stdout=subprocess.DEVNULL)
    # umask 0: the trace must still be 0600 (arguments can be secrets)
    tr = subprocess.Popen([RSTRACE, "record", "-q", "-p", str(prog.pid), "-o", db],
                          preexec_fn=lambda: os.umask(0))
    up = wait_for(lambda: all(os.path.exists(db + s) for s in ("", "-wal", "-shm")), tr, "the trace")
    modes = {s: stat.S_IMODE(os.lstat(db + s).st_mode) for s in ("", "-wal", "-shm")} if up else {}
    check("modes: trace, -wal and -shm are 0600 while recording (umask 0)",
          up and modes == {"": 0o600, "-wal": 0o600, "-shm": 0o600}, modes)
    rc, out, err = record(["-o", db, "--", svc, "3"])
    check("concurrent: a second rstrace to the same PATH refuses, its program never runs",
          rc == 1 and out == "" and first(err) == "rstrace: another rstrace is writing %s: wait "
          "for it to finish, or choose another file" % db, (rc, err))
    tr.send_signal(signal.SIGINT)
    rc_first = tr.wait(timeout=60)
    prog.kill()
    prog.wait()
    sides = [s for s in ("-wal", "-shm") if os.path.exists(db + s)]  # before a reader makes them
    check("modes: trace 0600 at the end, -wal/-shm removed",
          stat.S_IMODE(os.lstat(db).st_mode) == 0o600 and sides == [],
          (oct(os.lstat(db).st_mode), sides))
    calls = handle_calls(db)
    check("concurrent: the first trace is complete and its own",
          rc_first == 0 and calls is not None and calls[0] == prog.pid and calls[1] > 0,
          (rc_first, calls))

    # an rstrace still starting holds the temporary file's lock
    db2 = os.path.join(d, "starting.sqlite")
    reset(db2)
    tmp = db2 + ".rstrace-tmp"
    with open(tmp, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        rc, out, err = record(["-o", db2, "--", svc, "3"])
        check("concurrent: refused while another rstrace starts on the same PATH (tmp locked)",
              rc == 1 and out == "" and first(err) == "rstrace: another rstrace is starting to "
              "write the same trace (it holds %s): wait for it to finish, or choose another file"
              % tmp and os.path.exists(tmp) and not os.path.exists(db2), (rc, err))
    # unlocked: left by an rstrace that died; removed, with its -wal
    with open(tmp + "-wal", "w") as f:
        f.write("junk")
    rc, out, err = record(["-o", db2, "--", svc, "3"])
    check("stale temporary file (its rstrace died): removed, trace written",
          rc == 7 and handle_calls(db2) is not None and handle_calls(db2)[1] == 3
          and leftovers(db2) == [], (rc, err, leftovers(db2)))


def test_cli(d, svc, rel):
    db = os.path.join(d, "cli.sqlite")
    reset(db)
    usage = "rstrace record: --duration takes a number of seconds greater than 0 and at most " \
            "31536000 (a year), not '%s'"
    bad = []
    for v in ("inf", "1e300", "nan", "-1", "0", "", "5s"):
        rc, out, err = record(["--duration", v, "-p", str(os.getpid()), "-o", db])
        if rc != 64 or first(err) != usage % v:
            bad.append((v, rc, first(err)))
    check("--duration inf|1e300|nan|-1|0|''|5s: usage error", not bad and not os.path.exists(db), bad)
    rc, out, err = record(["--duration", "1", "-o", db, "--", svc, "3"])
    check("--duration without -p: usage error, the program does not run",
          rc == 64 and out == "" and first(err) == "rstrace record: --duration applies to -p PID, "
          "--container and --pod; with -- CMD the trace ends when CMD exits (to bound CMD, run "
          "it under timeout(1))", (rc, err))
    for opt, what in (("--container", "container ID"), ("--pod", "pod name")):
        rc, out, err = record([opt, "", "-o", db])
        check("%s '': usage error (an empty ID would match every process)" % opt,
              rc == 64 and first(err) == "rstrace record: %s needs a non-empty %s" % (opt, what),
              (rc, err))

    # -p of what is not a running program
    kthread = None
    for name in sorted(os.listdir("/proc"), key=lambda n: int(n) if n.isdigit() else 0):
        if name.isdigit():
            try:
                flags = int(open("/proc/%s/stat" % name).read().rsplit(")", 1)[1].split()[6])
            except (OSError, IndexError, ValueError):
                continue
            if flags & 0x00200000:
                kthread = int(name)
                break
    if kthread is None:
        print("skip: no kernel thread visible in /proc")
    else:
        rc, out, err = record(["-p", str(kthread), "-o", db])
        check("-p KERNEL_THREAD (%s): says it is a kernel thread" % kthread,
              rc == 1 and first(err) == "rstrace: cannot attach to pid %d: it is a kernel thread, "
              "which has no executable: rstrace traces user-space programs" % kthread, (rc, err))
    z = subprocess.Popen(["true"])
    while open("/proc/%d/stat" % z.pid).read().rsplit(")", 1)[1].split()[0] != "Z":
        time.sleep(0.01)
    rc, out, err = record(["-p", str(z.pid), "-o", db])
    check("-p ZOMBIE: says it has exited",
          rc == 1 and first(err) == "rstrace: cannot attach to pid %d: it has exited (a zombie until "
          "its parent collects its exit status): there is nothing left to trace" % z.pid, (rc, err))
    z.wait()
    rc, out, err = record(["-p", str(z.pid), "-o", db])
    check("-p GONE: no such process",
          rc == 1 and first(err) == "rstrace: cannot attach to pid %d: no such process" % z.pid,
          (rc, err))

    # programs that are not programs
    rc, out, err = record(["-o", db, "--", d])
    check("directory as the program: says so",
          rc == 1 and first(err) == "rstrace: cannot run %s: it is a directory, not a program" % d,
          (rc, err))
    cut = os.path.join(d, "cut")
    with open(svc, "rb") as f, open(cut, "wb") as g:
        g.write(f.read(100000))
    os.chmod(cut, 0o755)
    rc, out, err = record(["-o", db, "--", cut, "3"])
    check("truncated ELF: says it is truncated, not 'no DWARF'",
          rc == 1 and first(err) == "rstrace: cannot trace %s: the ELF file is truncated or corrupt "
          "(its section headers or sections lie past its end): rebuild it or copy it again" % cut,
          (rc, err))
    script = os.path.join(d, "script.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(script, 0o755)
    rc, out, err = record(["-o", db, "--", script])
    check("script as the program: not an ELF executable",
          rc == 1 and first(err) == "rstrace: cannot trace %s: not an ELF executable (a script? "
          "trace the program it runs)" % script, (rc, err))
    check("no trace left by any of these", not os.path.exists(db) and leftovers(db) == [])

    # release build: std has DWARF, the program's crate none
    rc, out, err = record(["-o", db, "--", rel, "3"])
    check("release build without --symbols-only: says the crate has no DWARF",
          rc == 1 and out == "" and first(err) == "rstrace: %s has DWARF only for Rust's standard "
          "library, none for the crate that owns main (built without debug info: a release "
          "build?): build with -g (debug = true in the Cargo profile), pass --debuginfo "
          "FILE|DIR, or trace calls without values with --symbols-only" % rel, (rc, err))
    rc, out, err = record(["--symbols-only", "-o", db, "--", rel, "3"])
    calls = handle_calls(db)
    check("release build with --symbols-only: the 3 handle calls traced by symbol",
          rc == 7 and calls is not None and calls[1] == 3, (rc, err, calls))


def as_nobody(caps):
    """setpriv prefix: uid/gid nobody, exactly these capabilities (inheritable + ambient)."""
    c = "-all" + "".join(",+" + x for x in caps.split(",") if x)
    return ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups",
            "--inh-caps=" + c, "--ambient-caps=" + c, "--"]


def test_capabilities(nb):
    """CAP_BPF + CAP_PERFMON trace a program of one's own (uprobe_multi);
    another user's process also needs CAP_SYS_PTRACE. tracefs need not be
    mounted. One capability less: a message naming it."""
    mounted = any(l.split()[2] == "tracefs" for l in open("/proc/mounts"))
    print("  (tracefs %s)" % ("mounted" if mounted else "not mounted"))
    d, svc, exe = nb["dir"], nb["svc"], nb["rstrace"]
    db = os.path.join(d, "caps.sqlite")
    reset(db)
    rc, out, err = record(["-o", db, "--", svc, "3"], cwd=d, exe=exe, prefix=as_nobody("bpf,perfmon"))
    st = os.lstat(db) if os.path.exists(db) else None
    check("uid nobody with CAP_BPF+CAP_PERFMON: traces its own program",
          rc == 7 and handle_calls(db) is not None and handle_calls(db)[1] == 3
          and st.st_uid == NOBODY and stat.S_IMODE(st.st_mode) == 0o600, (rc, err))
    for caps, missing in (("bpf", "capability CAP_PERFMON"), ("perfmon", "capability CAP_BPF"),
                          ("", "capabilities CAP_BPF and CAP_PERFMON"),
                          ("bpf,sys_ptrace", "capability CAP_PERFMON")):
        rc, out, err = record(["-o", db, "--", svc, "3"], cwd=d, exe=exe, prefix=as_nobody(caps))
        check("uid nobody with {%s}: refused, naming %s" % (caps, missing),
              rc == 1 and out == "" and first(err) == "rstrace: missing %s: rstrace needs CAP_BPF "
              "(BPF programs and maps) and CAP_PERFMON (uprobes), or root; plus CAP_SYS_PTRACE "
              "to attach to another user's process (README.md, Requirements)" % missing, (rc, err))

    # a process of root's
    prog = subprocess.Popen([svc, "100000"], stdout=subprocess.DEVNULL)
    time.sleep(0.2)
    rc, out, err = record(["-p", str(prog.pid), "--duration", "0.5", "-o", db], cwd=d,
                          prefix=as_nobody("bpf,perfmon,sys_ptrace"))
    calls = handle_calls(db)
    check("uid nobody with CAP_BPF+CAP_PERFMON+CAP_SYS_PTRACE: attaches to root's process",
          rc == 0 and calls is not None and calls[0] == prog.pid and calls[1] > 0, (rc, err, calls))
    rc, out, err = record(["-p", str(prog.pid), "--duration", "0.5", "-o", db], cwd=d,
                          prefix=as_nobody("bpf,perfmon"))
    check("uid nobody without CAP_SYS_PTRACE: refused, naming it",
          rc == 1 and first(err) == "rstrace: cannot attach to pid %d: permission denied reading "
          "/proc/%d/exe: a process of another user needs CAP_SYS_PTRACE (or root)"
          % (prog.pid, prog.pid), (rc, err))
    prog.kill()
    prog.wait()


def main():
    if os.geteuid() != 0:
        print("test_safety.py: needs root (uprobes, setpriv)")
        print("0 passed, 1 failed")
        return 1
    os.makedirs(OUT, exist_ok=True)
    d = os.path.join(OUT, "work")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    src = os.path.join(ROOT, "tests", "fixtures", "service.rs")
    svc = os.path.join(OUT, "service")
    rel = os.path.join(OUT, "service-release")
    rustc("-g", "-C", "opt-level=0", src, "-o", svc)
    rustc("-C", "opt-level=2", src, "-o", rel)
    # for the runs as nobody: a directory it may write, with copies of rstrace and the
    # fixture (the checkout may not be reachable by other users)
    nbdir = tempfile.mkdtemp(prefix="rstrace-safety-")
    os.chmod(nbdir, 0o1777)  # like /tmp: others may add files, not swap rstrace's
    nb = {"dir": nbdir, "svc": os.path.join(nbdir, "service"), "rstrace": os.path.join(nbdir, "rstrace")}
    shutil.copy(svc, nb["svc"])
    shutil.copy(RSTRACE, nb["rstrace"])
    for p in (svc, rel, nb["svc"], nb["rstrace"]):
        os.chmod(p, 0o755)

    test_output_refusals(d, svc)
    test_shared_dirs(d, svc)
    test_symlinks(d, svc)
    test_symlink_race(d, svc)
    test_failed_start(d, svc, nb)
    test_stale_wal(d, svc)
    test_concurrent_and_modes(d, svc)
    test_cli(d, svc, rel)
    test_capabilities(nb)
    shutil.rmtree(nbdir, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
