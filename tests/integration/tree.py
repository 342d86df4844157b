#!/usr/bin/env python3
"""Print the call tree of an rstrace database, like `uftrace replay`:

    python3 tests/integration/tree.py rstrace.sqlite

One line per frame, indented by depth: name(arg=value, ...) -> ret  [duration].
An unknown value prints as `?`; a frame that never returned shows its status.
"""
import json
import signal
import sqlite3
import sys

MAX_VALUE = 60


def value(obj):
    if not isinstance(obj, dict):
        return "?"
    v = obj.get("value")
    if not isinstance(v, str):
        return "?"
    if obj.get("truncated"):
        v += "…"
    return v if len(v) <= MAX_VALUE else v[: MAX_VALUE - 1] + "…"


def duration(ns):
    if ns is None:
        return ""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return "  [%.3f %s]" % (ns / scale, unit)
    return "  [%d ns]" % ns


def line(fr):
    try:
        args = json.loads(fr["args"])
    except (TypeError, ValueError):
        args = []
    text = "%s(%s)" % (fr["name"], ", ".join("%s=%s" % (a.get("name"), value(a)) for a in args if isinstance(a, dict)))
    if fr["ret"] is None:
        text += " -> !%s" % (fr["status"] or "no return")
    else:
        try:
            ret = json.loads(fr["ret"])
        except ValueError:
            ret = None
        if not (isinstance(ret, dict) and ret.get("type") == "()" and ret.get("value") == "()"):
            text += " -> " + value(ret)
    end = fr["exit_ns"]
    return text + duration(end - fr["entry_ns"] if end is not None else None)


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if len(sys.argv) != 2:
        sys.exit("usage: tree.py DB")
    con = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
    con.row_factory = sqlite3.Row
    frames = con.execute(
        "SELECT f.id, f.parent_id, f.thread_id, fn.name, f.args, f.ret, f.status, f.entry_ns, f.exit_ns"
        " FROM frame f JOIN function fn ON fn.id = f.function_id ORDER BY f.id"
    ).fetchall()
    threads = {}
    for fr in frames:
        threads.setdefault(fr["thread_id"], []).append(fr)
    for tid, rows in threads.items():
        if len(threads) > 1:
            print("== thread %d (%d frames)" % (tid, len(rows)))
        depth = {}
        for fr in rows:
            d = depth.get(fr["parent_id"], -1) + 1
            depth[fr["id"]] = d
            print("  " * d + line(fr))
    if not frames:
        print("(no frames recorded)")


if __name__ == "__main__":
    main()
