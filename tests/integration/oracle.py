"""The fixtures' own account of their calls (the oracle), rstrace's database,
and the comparison of the two. Python 3 standard library only.

Oracle lines (TAB separated, printed by tests/fixtures/*.rs on stdout):
  @call[:KEY]  PATH  NAME=DEBUG ...   a call of PATH with its arguments, {:?}
  @ret[:KEY]   PATH  DEBUG            the innermost open call of PATH returns
                                      (calls above it on the stack unwound)
  @unwound[:KEY] PATH                 the innermost open call of PATH, and all
                                      above it, ended by unwinding (no return)
KEY is the kernel tid of the thread printing the line; lines without KEY are
all from one thread. A @call nests in the previous open call of its thread.
Any other line is ordinary output.

A value the program cannot print with {:?} (a custom Debug impl it never
calls, so not linked; a type without Debug) is announced as NAME~FIELDS (a
@ret's DEBUG as ~FIELDS): rstrace must give null, and its "fields" must be
FIELDS exactly (README.md's syntax); ~* accepts any fields or none.
"""
import json
import re
import sqlite3

_TAG = re.compile(r"^@(call|ret|unwound)(?::(\d+))?$")
_ARG = re.compile(r"^(\w+)([=~])(.*)$", re.S)


class Fields(str):
    """An expected value given as its "fields" (the program has no {:?} for it); "*": any."""


class Node:
    __slots__ = ("name", "args", "ret", "children", "parent", "line", "row")

    def __init__(self, name, args, line):
        self.name = name
        self.args = args  # oracle: [(name, debug)], db: parsed JSON list or None
        self.ret = None  # oracle: debug string or None (no @ret); db: JSON text or None
        self.children = []
        self.parent = None
        self.line = line  # oracle: stdout line number; db: frame id
        self.row = None  # db: the frame row as a dict


def parse_oracle(stdout):
    """Returns ({key: [root Node]}, [error]); key is the tid (int) or None."""
    roots, stacks, errors = {}, {}, []
    for lineno, line in enumerate(stdout.splitlines(), 1):
        if not line.startswith("@"):
            continue
        fields = line.split("\t")
        m = _TAG.match(fields[0])
        if not m or len(fields) < 2:
            continue
        kind, key = m.group(1), (int(m.group(2)) if m.group(2) else None)
        stack = stacks.setdefault(key, [])
        name = fields[1]
        if kind == "call":
            args = []
            for f in fields[2:]:
                am = _ARG.match(f)
                if not am:
                    errors.append("line %d: bad argument field %r" % (lineno, f))
                    continue
                pname, eq, value = am.groups()
                args.append((pname, Fields(value) if eq == "~" else value))
            node = Node(name, args, lineno)
            if stack:
                node.parent = stack[-1]
                stack[-1].children.append(node)
            else:
                roots.setdefault(key, []).append(node)
            stack.append(node)
            continue
        if not any(n.name == name for n in stack):
            errors.append("line %d: @%s of %s with no open call" % (lineno, kind, name))
            continue
        while stack[-1].name != name:
            stack.pop()  # unwound through
        node = stack.pop()
        if kind == "ret":
            node.ret = "\t".join(fields[2:])
            if node.ret.startswith("~"):
                node.ret = Fields(node.ret[1:])
    return roots, errors


def preorder(roots):
    out = []

    def walk(n, depth):
        out.append((depth, n))
        for c in n.children:
            walk(c, depth + 1)

    for r in roots:
        walk(r, 0)
    return out


def node_count(roots):
    return len(preorder(roots))


class Db:
    """A recorded database: frames as rows, plus trees restricted to a set of
    function names (a frame's parent is its nearest such ancestor)."""

    def __init__(self, path):
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        con.row_factory = sqlite3.Row
        self.frames = {}
        self.order = []
        for r in con.execute(
            "SELECT f.id, f.parent_id, f.thread_id, f.function_id, fn.name, f.args, f.ret, f.status,"
            " f.entry_ns, f.exit_ns FROM frame f LEFT JOIN function fn ON fn.id = f.function_id"
            " ORDER BY f.id"
        ):
            d = dict(r)
            self.frames[d["id"]] = d
            self.order.append(d["id"])
        self.function_names = [r[0] for r in con.execute("SELECT name FROM function")]
        try:
            cols = [r[1] for r in con.execute("PRAGMA table_info(session)")]
            row = con.execute("SELECT * FROM session ORDER BY rowid DESC LIMIT 1").fetchone()
            self.session = dict(zip(cols, row)) if row else {}
        except sqlite3.Error:
            self.session = {}
        con.close()

    def trees(self, names):
        """{thread_id: [root Node]} of the frames whose function is in names."""
        nodes, roots = {}, {}
        for fid in self.order:
            fr = self.frames[fid]
            if fr["name"] not in names:
                continue
            try:
                args = json.loads(fr["args"]) if fr["args"] is not None else None
            except ValueError:
                args = None
            n = Node(fr["name"], args, fid)
            n.ret, n.row = fr["ret"], fr
            nodes[fid] = n
            anc, seen = fr["parent_id"], 0
            while anc is not None and anc not in nodes and anc in self.frames and seen < 100000:
                anc, seen = self.frames[anc]["parent_id"], seen + 1
            if anc in nodes:
                n.parent = nodes[anc]
                n.parent.children.append(n)
            else:
                roots.setdefault(fr["thread_id"], []).append(n)
        return roots

    def sanity(self):
        """Structural problems in the frame table (list of strings)."""
        errs = []
        last_entry = {}
        for fid in self.order:
            fr = self.frames[fid]
            if fr["name"] is None:
                errs.append("frame %d: function_id %s not in function table" % (fid, fr.get("function_id")))
            p = fr["parent_id"]
            if p is not None:
                par = self.frames.get(p)
                if par is None:
                    errs.append("frame %d: parent %d does not exist" % (fid, p))
                elif par["thread_id"] != fr["thread_id"]:
                    errs.append("frame %d (tid %d): parent %d is on tid %d" % (fid, fr["thread_id"], p, par["thread_id"]))
                elif p >= fid:
                    errs.append("frame %d: parent %d has a larger id" % (fid, p))
                elif par["entry_ns"] > fr["entry_ns"]:
                    errs.append("frame %d: entered before its parent %d" % (fid, p))
                elif par["exit_ns"] is not None and fr["exit_ns"] is not None and fr["exit_ns"] > par["exit_ns"]:
                    errs.append("frame %d: exits after its parent %d" % (fid, p))
            if fr["exit_ns"] is not None and fr["exit_ns"] < fr["entry_ns"]:
                errs.append("frame %d: exit_ns < entry_ns" % fid)
            t = fr["thread_id"]
            if t in last_entry and fr["entry_ns"] < last_entry[t]:
                errs.append("frame %d: ids not in entry order on tid %d" % (fid, t))
            last_entry[t] = fr["entry_ns"]
        return errs


MISSING = object()


def classify(expected, obj):
    """(verdict, got) for one value: 'exact', 'unknown', 'fields' (unknown, with
    the contents under "fields") or 'wrong'."""
    if not isinstance(obj, dict):
        return "wrong", "no such value in the database"
    v = obj.get("value", MISSING)
    f = obj.get("fields")
    if isinstance(expected, Fields):
        if v is not None or not obj.get("error"):
            return "wrong", "%s, but the program has no {:?} for it" % json.dumps(v)
        if f is not None and not isinstance(f, str):
            return "wrong", "fields not a string: %s" % json.dumps(f)
        if f is not None and expected != "*" and f != expected:
            return "wrong", "fields %s (%s)" % (f, obj.get("error"))
        return ("fields" if f is not None else "unknown"), "null (%s)%s" % (
            obj.get("error"), " fields %s" % f if f is not None else "")
    if isinstance(v, str) and v == expected:
        return "exact", v
    if v is None and obj.get("error"):
        if f is not None and not isinstance(f, str):
            return "wrong", "fields not a string: %s" % json.dumps(f)
        if f is not None:
            return "fields", "null (%s) fields %s" % (obj.get("error"), f)
        return "unknown", "null (%s)" % obj.get("error")
    if v is MISSING:
        return "wrong", "no \"value\" key: %s" % json.dumps(obj)
    got = json.dumps(v) if not isinstance(v, str) else v
    if v is None:
        got = "null without \"error\""
    if obj.get("truncated"):
        got += "  (truncated)"
    return "wrong", got


def compare_values(o, d):
    """Compare one oracle node with its db node: list of (verdict, what, expected, got)."""
    out = []
    dargs = d.args if isinstance(d.args, list) else None
    if dargs is None:
        for pname, exp in o.args:
            out.append(("wrong", "arg " + pname, exp, "args column is not a JSON array: %r" % d.row["args"]))
    else:
        by_name = {a.get("name"): a for a in dargs if isinstance(a, dict)}
        for pname, exp in o.args:
            v, got = classify(exp, by_name.get(pname))
            out.append((v, "arg " + pname, exp, got))
        onames = [p for p, _ in o.args]
        dnames = [a.get("name") if isinstance(a, dict) else a for a in dargs]
        # Order or extra parameters (a missing one is already wrong above).
        if onames != dnames and all(p in by_name for p in onames):
            out.append(("wrong", "parameter list", ", ".join(onames), ", ".join(map(str, dnames))))
    if o.ret is None:
        if d.ret is None:
            out.append(("exact", "ret", "<no return>", "NULL, status %s" % d.row["status"]))
        else:
            out.append(("wrong", "ret", "<no return> (ret NULL)", d.ret))
    elif d.ret is None:
        out.append(("wrong", "ret", o.ret, "NULL, status %s" % d.row["status"]))
    else:
        try:
            robj = json.loads(d.ret)
        except ValueError:
            robj = None
        if robj is None:
            out.append(("wrong", "ret", o.ret, "ret is not JSON: %r" % d.ret))
        else:
            v, got = classify(o.ret, robj)
            out.append((v, "ret", o.ret, got))
    return out


def ancestry(n):
    parts = []
    while n is not None:
        parts.append(n.name)
        n = n.parent
    return " < ".join(parts) or "top level"


def compare_trees(oroots, droots):
    """Compare two forests: (shape_errors, [(oracle node, db node)] matched)."""
    op, dp = preorder(oroots), preorder(droots)
    errors, matched = [], []
    for i in range(min(len(op), len(dp))):
        (od, on), (dd, dn) = op[i], dp[i]
        if od != dd or on.name != dn.name:
            errors.append(
                "frame #%d differs: expected %s (depth %d, stdout line %d; in %s), got %s (depth %d, frame id %d; in %s)"
                % (i, on.name, od, on.line, ancestry(on.parent), dn.name, dd, dn.line, ancestry(dn.parent))
            )
            break
        matched.append((on, dn))
    else:
        if len(op) > len(dp):
            on = op[len(dp)][1]
            errors.append("%d frames missing, first: %s (stdout line %d, in %s)" % (len(op) - len(dp), on.name, on.line, ancestry(on.parent)))
        elif len(dp) > len(op):
            dn = dp[len(op)][1]
            errors.append("%d extra frames, first: %s (frame id %d, in %s)" % (len(dp) - len(op), dn.name, dn.line, ancestry(dn.parent)))
    if errors:
        oc, dc = {}, {}
        for _, n in op:
            oc[n.name] = oc.get(n.name, 0) + 1
        for _, n in dp:
            dc[n.name] = dc.get(n.name, 0) + 1
        for name in sorted(set(oc) | set(dc)):
            if oc.get(name, 0) != dc.get(name, 0):
                errors.append("  %s: %d calls expected, %d recorded" % (name, oc.get(name, 0), dc.get(name, 0)))
    return errors, matched
