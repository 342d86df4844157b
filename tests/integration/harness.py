"""Shared by the integration scripts: ok/FAIL lines and the closing
"N passed, N failed" line that CI reads."""
import os
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RSTRACE = os.environ.get("RSTRACE", os.path.join(ROOT, "rstrace"))
counts = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    counts["passed" if ok else "failed"] += 1
    print(("ok   " if ok else "FAIL ") + name + ("" if ok or detail == "" else ": " + str(detail)))


def finish():
    print("%d passed, %d failed" % (counts["passed"], counts["failed"]))
    return 1 if counts["failed"] else 0


def rustc(*args):
    """rustc from ~/.cargo/bin when the environment lacks it on PATH."""
    env = dict(os.environ, PATH=os.path.expanduser("~/.cargo/bin") + ":" + os.environ["PATH"])
    subprocess.run(["rustc"] + list(args), check=True, env=env)


def wait_for(pred, timeout=120):
    """pred()'s first true value, polled every 50 ms; its last value after timeout s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


def remove_trace(db):
    """A trace a previous run left at db would satisfy the waits on it too early."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
