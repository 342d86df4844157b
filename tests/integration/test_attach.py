#!/usr/bin/env python3
"""Issue E: attach to a running process, detach, containers (PID + mount
namespaces, chroot into a tmpfs only that namespace sees), split debug info.

The fixture tests/fixtures/service.rs announces every call (@call/@ret); the
frames recorded while attached must be consecutive calls with exactly those
arguments and results. Needs root. Ends with "N passed, N failed"."""
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

from harness import RSTRACE, ROOT, check, finish, rustc as run_rustc  # noqa: E402

OUT = os.path.join(os.environ.get("RSTRACE_BUILD", os.path.join(ROOT, "build")), "it-attach")



def rustc(src, out, opt):
    run_rustc("-g", "-C", "opt-level=%d" % opt, src, "-o", out)


def oracle(stdout):
    """req -> (name repr, ret) from the fixture's own lines."""
    calls, cur = {}, None
    for line in stdout.splitlines():
        f = line.split("\t")
        if f[0] == "@call":
            cur = dict(kv.split("=", 1) for kv in f[2:])
        elif f[0] == "@ret" and cur:
            calls[cur["req"]] = (cur["name"], f[2])
    return calls


def frames(db):
    con = sqlite3.connect(db)
    rows = con.execute("select fr.args, fr.ret, fr.status from frame fr join function f "
                       "on f.id = fr.function_id where f.name = 'service::handle' "
                       "order by fr.id").fetchall()
    sess = con.execute("select pid, events_lost, end_ns from session").fetchone()
    con.close()
    return rows, sess


def compare(label, db, stdout, min_frames=10):
    rows, sess = frames(db)
    want = oracle(stdout)
    reqs, bad = [], []
    for i, (args, ret, status) in enumerate(rows):
        a = {x["name"]: x for x in json.loads(args)}
        req = a["req"]["value"]
        reqs.append(int(req))
        exp = want.get(req)
        r = json.loads(ret)["value"] if ret else None
        # the probes go at once: a call running at that moment stays open, "detached"
        running = i == len(rows) - 1 and status == "detached" and ret is None
        if exp is None or a["name"]["value"] != exp[0] or (not running and (r != exp[1] or status != "returned")):
            bad.append((req, a["name"]["value"], r, status, exp))
    check(label + ": frames recorded", len(rows) >= min_frames, "%d frames" % len(rows))
    check(label + ": consecutive calls", reqs == list(range(reqs[0], reqs[0] + len(reqs))) if reqs else False,
          str(reqs[:5]))
    check(label + ": values equal the program's own", not bad, str(bad[:3]))
    check(label + ": session complete, no event lost", sess and sess[1] == 0 and sess[2], str(sess))


def probes_attached(pid):
    """uprobes live exactly as long as their fds (perf events, or uprobe_multi links): count rstrace's."""
    n = 0
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                n += os.readlink("/proc/%d/fd/%s" % (pid, fd)) in ("anon_inode:[perf_event]",
                                                                   "anon_inode:bpf_link")
            except OSError:
                pass
    except OSError:
        pass
    return n


def attach_run(label, argv, find_pid, ns=None):
    """Starts argv, attaches by pid after 0.4 s, stops rstrace with SIGINT after ~1 s."""
    db = os.path.join(OUT, label + ".sqlite")
    prog = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    time.sleep(0.4)
    pid = find_pid(prog)
    tr = subprocess.Popen([RSTRACE, "record", "-q", "-p", str(pid), "-o", db])
    time.sleep(1.2)
    during = probes_attached(tr.pid)
    tr.send_signal(signal.SIGINT)
    rc_tr = tr.wait(timeout=20)
    after = probes_attached(tr.pid)
    stdout, _ = prog.communicate(timeout=30)
    check(label + ": rstrace exits 0 on SIGINT", rc_tr == 0, "exit %d" % rc_tr)
    check(label + ": program runs on to its normal end and exit code",
          prog.returncode == 7 and "total " in stdout, "exit %s" % prog.returncode)
    check(label + ": probes attached while tracing, none after detach",
          during > 0 and after == 0, "during %d, after %d" % (during, after))
    compare(label, db, stdout)


def main():
    if os.geteuid() != 0:
        print("test_attach.py: needs root (uprobes, namespaces)")
        print("0 passed, 1 failed")
        return 1
    os.makedirs(OUT, exist_ok=True)
    src = os.path.join(ROOT, "tests", "fixtures", "service.rs")
    for opt in (0, 2):
        b = os.path.join(OUT, "service-O%d" % opt)
        rustc(src, b, opt)
        attach_run("attach-O%d" % opt, [b, "250"], lambda p: p.pid)

    # A container: own PID and mount namespaces, the binary only on a tmpfs
    # mounted inside that namespace, so the host cannot reach it by path.
    b = os.path.join(OUT, "service-O2")
    tmp = tempfile.mkdtemp(prefix="rstrace-ns-")
    libs = re.findall(r"(/\S+\.so[.\d]*)", subprocess.run(["ldd", b], capture_output=True,
                                                           text=True).stdout)
    script = "mount -t tmpfs none {t} && mkdir -p {t}/srv".format(t=tmp)
    for lib in libs:
        script += " && mkdir -p {t}{d} && cp {l} {t}{l}".format(t=tmp, d=os.path.dirname(lib), l=lib)
    script += " && cp {b} {t}/srv/app && exec chroot {t} /srv/app 250".format(b=b, t=tmp)

    host_view = {}

    def ns_pid(p):
        out = subprocess.run(["pgrep", "-f", "^/srv/app 250"], capture_output=True, text=True).stdout
        pid = int(out.split()[0])
        # while it runs: the host sees an empty mount point, the process its binary
        host_view["host"] = os.path.exists(tmp + "/srv/app")
        host_view["inside"] = os.path.exists("/proc/%d/root/srv/app" % pid)
        return pid

    attach_run("container", ["unshare", "--pid", "--mount", "--fork", "sh", "-c", script], ns_pid)
    check("container: binary reachable only through /proc/PID/root, not by its path",
          host_view.get("host") is False and host_view.get("inside") is True, host_view)
    con = sqlite3.connect(os.path.join(OUT, "container.sqlite"))
    nst = con.execute("select ns_tid from thread").fetchall()
    con.close()
    check("container: thread ids inside the namespace recorded", nst and all(r[0] for r in nst), str(nst))
    os.rmdir(tmp)

    # --container ID: the process found through its cgroup path.
    cid = "rstrace-test-%x" % os.getpid()
    cg = next((c for c in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup")
               if os.path.exists(c + "/cgroup.procs")), None)
    made = None
    try:
        if cg:
            made = os.path.join(cg, cid)
            os.mkdir(made)
    except OSError as e:
        print("skip --container: cannot create a cgroup under %s: %s" % (cg, e))
        made = None
    if made:
        prog = subprocess.Popen([os.path.join(OUT, "service-O0"), "200"], stdout=subprocess.PIPE, text=True)
        with open(os.path.join(made, "cgroup.procs"), "w") as f:
            f.write(str(prog.pid))
        db = os.path.join(OUT, "container-id.sqlite")
        time.sleep(0.3)
        r = subprocess.run([RSTRACE, "record", "-q", "--container", cid, "--duration", "1", "-o", db],
                           capture_output=True, text=True)
        stdout, _ = prog.communicate(timeout=30)
        check("--container ID: attached by cgroup, detached after --duration", r.returncode == 0, r.stderr)
        rows, sess = frames(db)
        check("--container ID: the container's process traced", sess and sess[0] == prog.pid and len(rows) > 10,
              (sess, len(rows)))
        os.rmdir(made)

    # Split debug info: .gnu_debuglink beside the binary, and build-id under --debuginfo.
    d = os.path.join(OUT, "split")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    dbg = os.path.join(d, "app.debug")
    subprocess.run(["objcopy", "--only-keep-debug", b, dbg], check=True)
    linked = os.path.join(d, "app")
    subprocess.run(["objcopy", "--strip-debug", "--add-gnu-debuglink=" + dbg, b, linked], check=True)
    for label, argv in (("debuglink", [RSTRACE, "record", "-q", "-o", os.path.join(OUT, "debuglink.sqlite"),
                                       "--", linked, "30"]),):
        r = subprocess.run(argv, capture_output=True, text=True)
        check(label + ": stripped binary traced, exit code passed through", r.returncode == 7, r.stderr)
        compare(label, os.path.join(OUT, "debuglink.sqlite"), r.stdout, 30)
    bid = subprocess.run(["readelf", "-n", b], capture_output=True, text=True).stdout
    bid = re.search(r"Build ID: ([0-9a-f]+)", bid).group(1)
    store = os.path.join(d, "store", ".build-id", bid[:2])
    os.makedirs(store)
    shutil.copy(dbg, os.path.join(store, bid[2:] + ".debug"))
    bare = os.path.join(d, "bare")
    subprocess.run(["objcopy", "--strip-debug", b, bare], check=True)
    r = subprocess.run([RSTRACE, "record", "-q", "-o", os.path.join(OUT, "no-dwarf.sqlite"), "--", bare, "3"],
                       capture_output=True, text=True)
    check("no DWARF: clear message, non-zero exit", r.returncode != 0 and "no DWARF" in r.stderr, r.stderr)
    db = os.path.join(OUT, "symbols.sqlite")
    r = subprocess.run([RSTRACE, "record", "-q", "--symbols-only", "-o", db, "--", bare, "30"],
                       capture_output=True, text=True)
    check("--symbols-only: traced without DWARF, exit code passed through", r.returncode == 7, r.stderr)
    con = sqlite3.connect(db)
    rows = con.execute("select fr.parent_id, fr.args, fr.status from frame fr join function f on "
                       "f.id = fr.function_id where f.name = 'service::handle'").fetchall()
    con.close()
    check("--symbols-only: 30 handle calls under main, no values",
          len(rows) == 30 and all(p == 1 and a == "[]" and st == "returned" for p, a, st in rows), rows[:3])
    r = subprocess.run([RSTRACE, "record", "-q", "--debuginfo", os.path.join(d, "store"), "-o",
                        os.path.join(OUT, "buildid.sqlite"), "--", bare, "30"], capture_output=True, text=True)
    check("build-id: debug file found under --debuginfo DIR", r.returncode == 7, r.stderr)
    compare("build-id", os.path.join(OUT, "buildid.sqlite"), r.stdout, 30)
    other = os.path.join(OUT, "service-O0")
    r = subprocess.run([RSTRACE, "record", "-q", "--debuginfo", dbg, "-o", os.path.join(OUT, "x.sqlite"),
                        "--", other, "3"], capture_output=True, text=True)
    check("mismatched build-id: clear error", r.returncode != 0 and "another build" in r.stderr, r.stderr)

    return finish()


if __name__ == "__main__":
    sys.exit(main())
