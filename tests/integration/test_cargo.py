#!/usr/bin/env python3
"""Issue G on code nobody here wrote: tests/cargo/logstat, a cargo project on
Debian's packaged crates (regex, serde_json from /usr/share/cargo/registry),
built with `cargo build` and `cargo build --release` (debug info in both),
traced with an rstrace.toml selecting logstat, regex, regex_syntax,
aho_corasick, memchr and serde_json. Per build:

  - stdout and exit status pass through; no event lost; the frame table is sane;
  - logstat's own oracle lines (tests/fixtures/oracle.rs): the call tree of its
    oracle functions is exact and no value is wrong (unknown is allowed);
  - no frame has status `no_exit` (a frame the stack moved past without a
    probed exit: every one is a failure; `tail_call` frames are fine);
  - frames per function = real calls: an independent count, the kernel's
    hit count of a tracefs uprobe at each function's first instruction in a
    run without rstrace (see count_calls: why not bpftrace), for the
    functions with the most frames, every function whose old probe site (first
    prologue_end / is_stmt row) is on a loop, and every logstat function
    (a function in the rate_limit table, dropped on purpose after too many
    calls per second, may have fewer frames, never more);
  - figures: frames, no_exit frames, frames above the real count, unknown
    return values by reason, the share of exact/unknown logstat values.

Needs root, cargo, gdb, llvm-dwarfdump, objdump, nm, readelf, c++filt, and tracefs
(mounted for the count if it is not, unmounted after).
Ends with "N passed, N failed". Builds under $RSTRACE_BUILD/it-cargo
(default build/it-cargo); RSTRACE picks the tracer binary.
"""
import bisect
import collections
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RSTRACE, ROOT, check, finish  # noqa: E402
import oracle  # noqa: E402
import run as it  # noqa: E402  (run.py: ELF/DWARF helpers shared with the entry.rs fixture)

OUT = os.path.join(os.environ.get("RSTRACE_BUILD", os.path.join(ROOT, "build")), "it-cargo")
SRC = os.path.join(ROOT, "tests", "cargo", "logstat")
CRATES = ["logstat", "regex", "regex_syntax", "aho_corasick", "memchr", "serde_json"]
# Functions whose calls are counted: the TOP_FRAMES with the most frames,
# up to MAX_LOOP_HEADED whose old probe site is on a loop, every logstat one.
# (Removing a uprobe costs a grace period, ~0.1-0.2 s.)
TOP_FRAMES = 60
MAX_LOOP_HEADED = 60
# logstat functions whose first statement is a loop (checked to be loop cases
# in the dev build, like entry.rs's, so the program keeps testing issue G)
LOOP_HEADED = ["logstat::next_field", "logstat::width"]
BUILD_TIMEOUT = 1200
RUN_TIMEOUT = 120
TRACE_TIMEOUT = 1200
figures = []


def env(**extra):
    e = dict(os.environ)
    e["PATH"] = os.path.expanduser("~/.cargo/bin") + os.pathsep + e.get("PATH", "")
    e["RUST_BACKTRACE"] = "0"
    for k in ("RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS"):
        e.pop(k, None)
    e.update(extra)
    return e


def tail(text, n=12):
    return "\n       ".join(text.rstrip().splitlines()[-n:])


def run(cmd, timeout, cwd=None, environ=None):
    """run.py's, with cargo's environment."""
    return it.run(cmd, timeout, cwd=cwd or ROOT, environ=environ or env())


def copy_sources():
    """The project and the oracle macros at the same relative places under OUT/src
    (cargo writes Cargo.lock beside Cargo.toml: not into the repository)."""
    src = os.path.join(OUT, "src")
    shutil.rmtree(src, ignore_errors=True)
    dst = os.path.join(src, "tests", "cargo", "logstat")
    shutil.copytree(SRC, dst, ignore=shutil.ignore_patterns("target", "Cargo.lock"))
    os.makedirs(os.path.join(src, "tests", "fixtures"))
    shutil.copy(os.path.join(ROOT, "tests", "fixtures", "oracle.rs"), os.path.join(src, "tests", "fixtures"))
    return dst


def cargo_build(proj, release, target, rustflags=None):
    cmd = ["cargo", "build"] + (["--release"] if release else [])
    e = env(CARGO_TARGET_DIR=target)
    if rustflags:
        e["RUSTFLAGS"] = rustflags
    out, err, rc, secs = run(cmd, BUILD_TIMEOUT, cwd=proj, environ=e)
    binary = os.path.join(target, "release" if release else "debug", "logstat")
    return rc == 0 and os.path.exists(binary), binary, err, secs


TRACEFS = "/sys/kernel/tracing"


def tracefs_mounted():
    with open("/proc/mounts") as f:
        return any(len(l.split()) > 2 and l.split()[1] == TRACEFS and l.split()[2] == "tracefs" for l in f)


def file_offsets(binary, addrs):
    """{address: file offset} through the PT_LOAD segments (readelf)."""
    segs = []
    for line in it.tool(["readelf", "-lW", binary]).splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            segs.append((int(f[2], 16), int(f[1], 16), int(f[4], 16)))  # vaddr, offset, filesz
    out = {}
    for a in addrs:
        for vaddr, off, size in segs:
            if vaddr <= a < vaddr + size:
                out[a] = a - vaddr + off
    return out


def count_calls(binary, addrs):
    """Real calls per function address: the kernel's own hit count of a uprobe on
    each function's first instruction (tracefs uprobe_events / uprobe_profile),
    in a run of its own without rstrace. (counts, stdout, rc, note)

    Not bpftrace: bpftrace 0.17 turns `uprobe:BIN:ADDR` into symbol+offset and
    resolves the symbol by name, so of a function emitted twice under one local
    symbol (regex::dfa::Fsm::start_flags at 0xbdf00 and 0xd52b0 in the release
    build) it probes the first copy whatever the address: 0 calls where the
    kernel counts 330 on the copy that runs."""
    offs = file_offsets(binary, addrs)
    if len(offs) != len(addrs):
        return None, "", None, "no PT_LOAD segment for %s" % sorted(set(addrs) - set(offs))[:5]
    group = "rstrace_it%d" % os.getpid()
    names = {"f%d" % i: a for i, a in enumerate(sorted(addrs))}
    mounted = not tracefs_mounted() and subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS]).returncode == 0
    defined, out, rc, note = [], "", None, ""
    try:
        fd = os.open(os.path.join(TRACEFS, "uprobe_events"), os.O_WRONLY | os.O_APPEND)
        try:
            for n, a in names.items():
                os.write(fd, ("p:%s/%s %s:%#x\n" % (group, n, binary, offs[a])).encode())
                defined.append(n)
        finally:
            os.close(fd)
        with open(os.path.join(TRACEFS, "events", group, "enable"), "w") as f:
            f.write("1")
        out, err, rc, secs = run([binary], RUN_TIMEOUT)
        with open(os.path.join(TRACEFS, "events", group, "enable"), "w") as f:
            f.write("0")
        counts = {}
        with open(os.path.join(TRACEFS, "uprobe_profile")) as f:
            for line in f:
                fields = line.split()
                if len(fields) == 3 and fields[0] == binary and fields[1] in names:
                    counts[names[fields[1]]] = int(fields[2])
        if len(counts) != len(names):
            return None, out, rc, "uprobe_profile lists %d of %d probes" % (len(counts), len(names))
        return counts, out, rc, "kernel uprobe hits"
    except OSError as e:
        return None, out, rc, "tracefs uprobes: %s" % e
    finally:
        try:
            with open(os.path.join(TRACEFS, "events", group, "enable"), "w") as f:
                f.write("0")
        except OSError:
            pass
        if defined:
            fd = os.open(os.path.join(TRACEFS, "uprobe_events"), os.O_WRONLY | os.O_APPEND)
            for n in defined:
                try:
                    os.write(fd, ("-:%s/%s\n" % (group, n)).encode())
                except OSError:
                    pass
            os.close(fd)
        if mounted:
            subprocess.run(["umount", TRACEFS])


def traced_crates(binary, cwd):
    """{crate: functions rstrace would trace} from `rstrace functions` (config in cwd)."""
    p = subprocess.run([RSTRACE, "functions", binary], capture_output=True, text=True, cwd=cwd)
    m = re.search(r"functions traced; (.*?) \(crate of main", p.stdout)
    out = {}
    for part in (m.group(1).split(", ") if m else []):
        name, _, n = part.rpartition(": ")
        if n.isdigit():
            out[name] = int(n)
    return out, p.stdout[-300:] + p.stderr[-300:]


def loop_headed(binary, funcs):
    """Ids of the functions ({id: (name, address)}) whose old probe site is on a loop."""
    rows = it.line_rows(binary)
    insns = it.disassemble(binary)
    iaddrs = [i[0] for i in insns]
    size = {a: s for a, s, _ in it.elf_functions(binary)}
    out = set()
    for fid, (name, addr) in funcs.items():
        if addr not in size:
            continue
        lo, hi = addr, addr + size[addr]
        pc = it.after_prologue_pc(rows, lo, hi)
        if it.probe_case(it.insns_in(insns, iaddrs, lo, hi), lo, pc, "loop"):
            out.add(fid)
    return out


def check_build(label, binary):
    print("== %s (%s)" % (label, os.path.relpath(binary, ROOT)))
    d = os.path.join(OUT, label)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "rstrace.toml"), "w") as f:
        f.write("[workspace.members]\n" + "".join('%s = { trace = "full" }\n' % c for c in CRATES))
    fig = {"label": label}
    figures.append(fig)

    crates, text = traced_crates(binary, d)
    missing = [c for c in CRATES if not crates.get(c)]
    check("%s: rstrace functions traces each of %s (%s)" % (label, ", ".join(CRATES), crates), not missing,
          "no functions of %s: %s" % (missing, text))

    out0, err0, rc0, secs0 = run([binary], RUN_TIMEOUT, cwd=d)
    check("%s: untraced run exits 0 with oracle output" % label, rc0 == 0 and "@call\tlogstat::main" in out0,
          "exit %s: %s" % (rc0, tail(err0)))

    db_path = os.path.join(d, "trace.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db_path + suffix):
            os.unlink(db_path + suffix)
    out1, err1, rc1, secs1 = run([RSTRACE, "record", "-o", db_path, "--", binary], TRACE_TIMEOUT, cwd=d)
    fig["trace_secs"] = secs1
    errs = []
    if out1 != out0:
        errs += it.first_diff(out0, out1)
    if rc1 != rc0:
        errs.append("exit status: untraced %s, rstrace %s" % (rc0, rc1))
    check("%s: stdout and exit status pass through [traced run %.0fs, untraced %.1fs]" % (label, secs1, secs0),
          not errs, "; ".join(errs) + ("\n       rstrace stderr: " + tail(err1) if errs else ""))
    if not os.path.exists(db_path) or rc1 is None:
        check("%s: database written" % label, False, "rstrace exit %s: %s" % (rc1, tail(err1)))
        return
    db = oracle.Db(db_path)
    s = db.session
    check("%s: session: events_lost = 0, exit_status %s" % (label, rc0),
          s.get("events_lost") == 0 and s.get("exit_status") == rc0,
          "events_lost %r, exit_status %r" % (s.get("events_lost"), s.get("exit_status")))
    if not db.order:
        check("%s: frames recorded" % label, False, "no frames; rstrace stderr: %s" % tail(err1))
        return
    serrs = db.sanity()
    check("%s: frame table consistent" % label, not serrs, "; ".join(serrs[:5]))

    # logstat's own oracle: tree and values.
    otrees, perrs = oracle.parse_oracle(out0)
    check("%s: oracle lines parse" % label, not perrs and list(otrees) == [None], perrs[:5])
    names = {n.name for roots in otrees.values() for _, n in oracle.preorder(roots)}
    dtrees = db.trees(names)
    main_tid = min(dtrees, key=lambda t: dtrees[t][0].line) if dtrees else None
    shape, pairs = oracle.compare_trees(otrees.get(None, []), dtrees.get(main_tid, []))
    shape += ["%d oracle-function frames on another thread %d" % (oracle.node_count(r), t)
              for t, r in dtrees.items() if t != main_tid]
    check("%s: logstat call tree matches the oracle (%d frames)" % (
        label, sum(oracle.node_count(r) for r in otrees.values())), not shape, "\n       ".join(shape[:25]))
    counts, wrong = collections.Counter(), []
    for o, dn in pairs:
        for verdict, what, exp, got in oracle.compare_values(o, dn):
            counts[verdict] += 1
            if verdict == "wrong":
                wrong.append("WRONG %s %s: expected %s, got %s (frame %d)" % (o.name, what, exp, got, dn.line))
    total = sum(counts.values())
    unknown = counts["unknown"] + counts["fields"]  # "fields": unknown, with the contents
    fig["values"] = (counts["exact"], unknown, counts["wrong"], total, len(pairs), len(shape) > 0)
    check("%s: logstat values: %d exact, %d unknown, %d wrong" % (label, counts["exact"], unknown, counts["wrong"]),
          total > 0 and not wrong, "\n       ".join(wrong[:25]))

    # Frames per function; no_exit frames.
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    funcs = {r[0]: (r[1], r[2], r[3]) for r in con.execute("SELECT id, name, crate, address FROM function")}
    frames = collections.Counter(r[0] for r in con.execute("SELECT function_id FROM frame"))
    no_exit = collections.Counter(r[0] for r in con.execute("SELECT function_id FROM frame WHERE status = 'no_exit'"))
    status = collections.Counter(r[0] for r in con.execute("SELECT status FROM frame"))
    reasons = collections.Counter()
    for (ret,) in con.execute("SELECT ret FROM frame WHERE ret IS NOT NULL"):
        try:
            v = json.loads(ret)
        except ValueError:
            continue
        if isinstance(v, dict) and v.get("value") is None and v.get("error"):
            reasons[v["error"]] += 1
    try:
        limited = {r[0] for r in con.execute("SELECT function_id FROM rate_limit")}
    except sqlite3.Error:
        limited = set()
    con.close()
    fig.update(frames=sum(frames.values()), status=dict(status), no_exit=sum(no_exit.values()), reasons=reasons)
    check("%s: no frame with status no_exit (%d frames; statuses %s)" % (label, sum(frames.values()), dict(status)),
          not no_exit, "%d no_exit frames: %s" % (sum(no_exit.values()), ", ".join(
              "%s x%d" % (funcs.get(f, ("?",))[0], n) for f, n in no_exit.most_common(12))))

    gdb_agrees(label, binary, d, db_path)

    # Real calls (kernel uprobe hits) for a bounded set of functions.
    syms = {a for a, _, _ in it.elf_functions(binary)}
    by_addr = {fid: (v[0], v[2]) for fid, v in funcs.items()}
    loops = loop_headed(binary, by_addr)
    pick = [f for f, _ in frames.most_common(TOP_FRAMES)]
    pick += sorted(loops - set(pick), key=lambda f: (-frames[f], by_addr[f][0]))[:MAX_LOOP_HEADED]
    pick += sorted(f for f, v in funcs.items() if v[1] == "logstat" and f not in pick)
    bad_addr = [by_addr[f][0] for f in pick if by_addr[f][1] not in syms]
    pick = [f for f in pick if by_addr[f][1] in syms]
    # all function rows at a counted address (two DWARF functions may share code)
    addrs = {by_addr[f][1] for f in pick}
    addr_funcs = collections.defaultdict(list)
    for f in sorted(by_addr):
        if by_addr[f][1] in addrs:
            addr_funcs[by_addr[f][1]].append(f)
    calls, out2, rc2, note = count_calls(binary, set(addr_funcs))
    fig["loop_headed"] = len(loops)
    fig["counted"] = len(pick)
    if calls is None or out2 != out0:
        check("%s: the calls of %d functions counted (output as untraced)" % (label, len(addr_funcs)), False,
              note if calls is None else "; ".join(it.first_diff(out0, out2)))
        return
    more, fewer, cut = [], [], []
    for a, fids in addr_funcs.items():
        got = sum(frames[f] for f in fids)
        name = by_addr[fids[0]][0]
        if got > calls[a]:
            more.append((got - calls[a], name, got, calls[a], sum(no_exit[f] for f in fids), fids[0] in loops))
        elif got < calls[a] and not any(f in limited for f in fids):
            fewer.append((calls[a] - got, name, got, calls[a]))
        elif got < calls[a]:
            cut.append((calls[a] - got, name))
    more.sort(reverse=True)
    fewer.sort(reverse=True)
    fig.update(more=more, fewer=fewer, cut=cut, limited=len(limited))
    check("%s: frames = real calls (%s) for %d functions (%d loop-headed; %d rate-limited: not more)%s" % (
        label, note, len(addr_funcs), len(loops & set(pick)), len(cut),
        "" if not bad_addr else "; %d with no symbol at their address" % len(bad_addr)),
        not more and not fewer and not bad_addr,
        "\n       ".join(["%d functions with more frames than calls (+%d frames):" % (len(more), sum(m[0] for m in more))]
                         + ["  %s: %d frames, %d calls (%d no_exit)%s" % (m[1], m[2], m[3], m[4],
                                                                          ", old probe site on a loop" if m[5] else "")
                            for m in more[:15]]
                         + ["%d functions with fewer frames than calls (-%d):" % (len(fewer), sum(m[0] for m in fewer))]
                         + ["  %s: %d frames, %d calls" % (m[1], m[2], m[3]) for m in fewer[:10]]
                         + (["address is no function symbol: %s" % ", ".join(bad_addr[:5])] if bad_addr else [])))



SCALAR = re.compile(r"^(u8|u16|u32|u64|usize|i8|i16|i32|i64|isize|bool)$")


def gdb_agrees(label, binary, d, db_path):
    """An oracle independent of rstrace for the crates' own functions, which print
    nothing: gdb, stopped on each function's first call, prints the integer and
    bool arguments; rstrace's first frame of that function must hold the same.
    At opt-level 0 gdb stops after the prologue (prologue_end: the arguments are
    in their stack slots only from there); optimized, at the first instruction,
    where the location lists still hold the ABI registers (a later stop may be
    past a branch the first call did not take; an argument DWARF keeps in a
    stack slot is skipped there: the slot is written later). A temporary breakpoint: a loop
    head right after the prologue would stop gdb once per iteration."""
    con = sqlite3.connect(db_path)
    rows = con.execute("select f.address, f.name, fr.args from frame fr join function f"
                       " on f.id = fr.function_id order by fr.id").fetchall()
    con.close()
    first = {}
    for addr, name, args in rows:
        if addr in first:
            continue
        vals = {a["name"]: a["value"] for a in json.loads(args) or []
                if SCALAR.match(a.get("type") or "") and a.get("value") is not None}
        if vals:
            first[addr] = (name, vals)
    lines, _, _, _ = run(["llvm-dwarfdump", "--debug-line", binary], RUN_TIMEOUT)
    pend = sorted(int(m.group(1), 16) for m in re.finditer(r"^0x([0-9a-f]+)\s.*prologue_end", lines, re.M))
    sizes = {}
    nm, _, _, _ = run(["nm", "-S", binary], RUN_TIMEOUT)
    for ln in nm.splitlines():
        p = ln.split()
        if len(p) >= 4:
            sizes[int(p[0], 16)] = int(p[1], 16)
    bps = []
    for addr, (name, vals) in sorted(first.items())[:300]:
        i = bisect.bisect_right(pend, addr)
        if label != "dev":
            bps.append((addr, name, vals))
        elif i < len(pend) and pend[i] < addr + sizes.get(addr, 1):
            bps.append((pend[i], name, vals))
    # no address randomisation under gdb: the executable is mapped at 0x555555554000;
    # Python, because an error in a command list (a name gdb does not know) ends the script
    cmds = ["set pagination off", "set confirm off", "python",
            "def rst_args(k, names):",
            "    frame = gdb.selected_frame()",
            "    print('@@BP %d' % k)",
            "    for n in names:",
            "        try:",
            "            v, where = frame.read_var(n), gdb.execute('info address ' + n, to_string=True)",
            "        except (gdb.error, ValueError):",
            "            continue",
            "        print('@@ARG %s %s %s' % ('stack' if 'frame base' in where else 'loc', n, v))",
            "end", "starti > /dev/null"]
    for k, (pc, _, vals) in enumerate(bps):
        cmds += ["tbreak *(0x555555554000 + %#x)" % pc, "commands", "silent",
                 "python rst_args(%d, %r)" % (k, sorted(vals)), "continue", "end"]
    cmds += ["continue", "quit"]
    script = os.path.join(d, "gdb.cmds")
    with open(script, "w") as f:
        f.write("\n".join(cmds) + "\n")
    out, err, rc, _ = run(["gdb", "-nx", "-batch", "-x", script, binary], TRACE_TIMEOUT, cwd=d)
    got, cur = {}, None
    for ln in out.splitlines():
        m = re.match(r"^@@BP (\d+)$", ln)
        if m:
            cur = int(m.group(1))
            got[cur] = {}
        m = re.match(r"^@@ARG (stack|loc) (\w+) (-?\d+|true|false)$", ln)
        # optimized, a stack slot is written after the first instruction
        if m and cur is not None and (label == "dev" or m.group(1) == "loc"):
            got[cur][m.group(2)] = m.group(3)
    same, differ = 0, []
    for k, (pc, name, vals) in enumerate(bps):
        for p, v in vals.items():
            if p in got.get(k, {}):
                if got[k][p] == v:
                    same += 1
                else:
                    differ.append("%s %s: rstrace %s, gdb %s" % (name, p, v, got[k][p]))
    check("%s: integer arguments equal gdb's on the first call of %d functions (%d values)" % (
        label, len(got), same), same >= 10 and not differ,
        "; ".join(differ[:10]) or "only %d compared; gdb: %s" % (same, tail(err)))


def main():
    if os.geteuid() != 0:
        print("tests/integration/test_cargo.py: needs root (uprobes, BPF)")
        print("0 passed, 1 failed")
        return 1
    t0 = time.monotonic()
    missing = [t for t in ("cargo", "llvm-dwarfdump", "objdump", "nm", "readelf", "c++filt", "gdb")
               if not shutil.which(t, path=env()["PATH"])]
    check("tools: cargo, llvm-dwarfdump, objdump, nm, readelf, c++filt, gdb", not missing,
          "missing: %s" % missing)
    check("rstrace built (%s)" % RSTRACE, os.access(RSTRACE, os.X_OK))
    if missing or not os.access(RSTRACE, os.X_OK):
        return finish()
    os.makedirs(OUT, exist_ok=True)
    proj = copy_sources()
    builds = []
    for label, release in (("dev", False), ("release", True)):
        ok, binary, err, secs = cargo_build(proj, release, os.path.join(OUT, "target"))
        check("cargo build%s on Debian's crates [%.0fs]" % (" --release" if release else "", secs), ok, tail(err))
        if ok:
            builds.append((label, binary))

    # The oracle's hand-written names of closures and generic instances are rustc's
    # (a v0-mangled build); the loop-headed functions are loop cases for the old probe.
    ok, v0bin, err, secs = cargo_build(proj, False, os.path.join(OUT, "target-v0"), "-C symbol-mangling-version=v0")
    if not ok:
        check("cargo build with -C symbol-mangling-version=v0", False, tail(err))
    else:
        out, _, _, _ = run([v0bin], RUN_TIMEOUT)
        otrees, _ = oracle.parse_oracle(out)
        mine = sorted({n.name for r in otrees.values() for _, n in oracle.preorder(r)
                       if not n.name.startswith("<") and ("{" in n.name or "<" in n.name)})
        expected = set(it.v0_expected_names(v0bin, "logstat"))
        bad = [n for n in mine if n not in expected]
        check("program: oracle names of closures/generics are rustc's v0 names (%s)" % ", ".join(mine),
              len(mine) >= 5 and not bad, "not in the v0 build: %s; it has %s" % (bad, sorted(expected)))
    for label, binary in builds:
        if label == "dev":
            errs, seen = it.probe_site_cases(binary, [(n, "loop") for n in LOOP_HEADED])
            check("program: old probe site of %s is on their loop (dev)" % ", ".join(LOOP_HEADED), not errs,
                  "; ".join(errs))

    for label, binary in builds:
        check_build(label, binary)

    print("== figures")
    for f in figures:
        print("  %s: traced run %.0fs; %s frames, %s no_exit; statuses %s" % (
            f["label"], f.get("trace_secs", 0), f.get("frames", "-"), f.get("no_exit", "-"), f.get("status", "-")))
        if "more" in f:
            print("    calls counted for %d functions (%d loop-headed in the binary's traced set): %d with more "
                  "frames than calls (+%d frames), %d with fewer (-%d); %d rate-limited by rstrace (-%d)" % (
                      f["counted"], f["loop_headed"], len(f["more"]), sum(m[0] for m in f["more"]),
                      len(f["fewer"]), sum(m[0] for m in f["fewer"]), len(f["cut"]), sum(m[0] for m in f["cut"])))
        if "reasons" in f:
            print("    unknown return values: %d" % sum(f["reasons"].values()))
            for reason, n in f["reasons"].most_common():
                print("      %6d  %s" % (n, reason))
        if "values" in f:
            e, u, w, t, m, partial = f["values"]
            print("    logstat oracle values: %d exact (%.1f%%), %d unknown (%.1f%%), %d wrong, of %d on %d frames%s" % (
                e, 100.0 * e / t if t else 0, u, 100.0 * u / t if t else 0, w, t, m,
                " (before the tree differs)" if partial else ""))
    print("time %.0fs" % (time.monotonic() - t0))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
