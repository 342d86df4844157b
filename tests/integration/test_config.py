#!/usr/bin/env python3
"""Issue D: choosing what to trace. A library crate (rlib) and a binary crate
using it via --extern; the config file / flags select crates and functions,
redact parameters; malformed configs stop rstrace before the program starts.
Needs root. Ends with "N passed, N failed"."""
import json
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import RSTRACE, ROOT, check, finish, rustc  # noqa: E402

OUT = os.path.join(os.environ.get("RSTRACE_BUILD", os.path.join(ROOT, "build")), "it-config")



def build():
    fx = os.path.join(ROOT, "tests", "fixtures")
    rustc("-g", "--crate-type=rlib", "--crate-name", "shapes_lib", os.path.join(fx, "shapes_lib.rs"),
          "-o", os.path.join(OUT, "libshapes_lib.rlib"))
    rustc("-g", "--crate-name", "shapes_app", os.path.join(fx, "shapes_app.rs"),
          "--extern", "shapes_lib=" + os.path.join(OUT, "libshapes_lib.rlib"), "-o", os.path.join(OUT, "shapes_app"))


def record(label, config=None, name="rstrace.toml", flags=()):
    d = os.path.join(OUT, label)
    os.makedirs(d, exist_ok=True)
    for f in ("rstrace.toml", "firedbg.toml"):
        if os.path.exists(os.path.join(d, f)):
            os.unlink(os.path.join(d, f))
    if config is not None:
        with open(os.path.join(d, name), "w") as f:
            f.write(config)
    db = os.path.join(d, "t.sqlite")
    r = subprocess.run([RSTRACE, "record", "-q", "-o", db] + list(flags) + ["--", os.path.join(OUT, "shapes_app")],
                       cwd=d, capture_output=True, text=True)
    names = set()
    frames = []
    if os.path.exists(db) and r.returncode == 0:
        con = sqlite3.connect(db)
        frames = con.execute("select f.name, fr.args from frame fr join function f on f.id = fr.function_id").fetchall()
        names = {n for n, _ in frames}
        con.close()
    return r, names, frames


APP = {"shapes_app::main", "shapes_app::login", "shapes_app::run"}
LIB = {"shapes_lib::area", "shapes_lib::helpers::square"}


def main():
    if os.geteuid() != 0:
        print("0 passed, 1 failed")
        return 1
    os.makedirs(OUT, exist_ok=True)
    build()
    r, names, _ = record("default")
    check("default: only the binary's crate", names == APP, names)
    r, names, _ = record("lib-full", '[workspace.members]\nshapes-lib = { trace = "full" }\n')
    check("{lib} = full adds the library ('-' matches '_')", names == APP | LIB, names)
    r, names, _ = record("bin-none", '[workspace.members]\nshapes_lib = { trace = "full" }\n'
                         'shapes_app = { trace = "none" }\n', name="firedbg.toml")
    check("firedbg.toml: {bin} = none leaves only the library", names == LIB, names)
    r, names, _ = record("globs", '[trace]\ninclude = ["shapes_lib::helpers::*"]\nexclude = ["*::login"]\n')
    check("include/exclude globs", names == {"shapes_app::main", "shapes_app::run", "shapes_lib::helpers::square"},
          names)
    r, names, _ = record("flags", None, flags=["--include", "shapes_lib::area", "--exclude", "*::main"])
    check("--include/--exclude flags", names == {"shapes_app::login", "shapes_app::run", "shapes_lib::area"}, names)
    r, names, frames = record("redact", '[trace]\nredact = ["*pass*"]\n')
    args = {a["name"]: a for n, js in frames if n == "shapes_app::login" for a in json.loads(js)}
    check("redacted parameter: value null, redacted true",
          args.get("password", {}).get("redacted") is True and args["password"]["value"] is None, args)
    check("other parameters still captured", args.get("user", {}).get("value") == '"alice"', args)
    r, names, _ = record("bad", '[trace]\nmax_depth = "x"\n')
    check("malformed config: non-zero exit, file:line:col, program not started",
          r.returncode != 0 and "rstrace.toml:2:" in r.stderr and r.stdout == "", (r.returncode, r.stderr, r.stdout))
    r, names, _ = record("typo", '[trace]\nmax_dpeth = 3\n')
    check("unknown key: a warning naming it, tracing goes on", r.returncode == 0 and "max_dpeth" in r.stderr,
          r.stderr)
    out = subprocess.run([RSTRACE, "functions", os.path.join(OUT, "shapes_app")], capture_output=True,
                         text=True, cwd=os.path.join(OUT, "default"))
    check("rstrace functions: per-crate count", "3 functions traced; shapes_app: 3" in out.stdout, out.stdout[-300:])
    out = subprocess.run([RSTRACE, "functions", "--all", os.path.join(OUT, "shapes_app")], capture_output=True,
                         text=True, cwd=os.path.join(OUT, "default"))
    check("rstrace functions --all: says why a function is not traced",
          "shapes_lib::area" in out.stdout and "crate not selected" in out.stdout, out.stdout[-300:])
    return finish()


if __name__ == "__main__":
    sys.exit(main())
