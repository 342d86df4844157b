#!/usr/bin/env python3
"""Issue J: secrets. tests/fixtures/secrets.rs passes distinctive secrets in
struct fields (one level down too), enum variant fields, tuple variants and
tuple structs named like a pattern, a Vec, inline bytes, closure captures (by
reference and by value), map entries whose key is named like a pattern,
return values of functions named like one (an async fn too), a parameter,
and its command line (a URL's password too); each next to a non-secret
neighbour.

With redact = ["*password*", "*token*", "api_?ey", "SECRET*"] (config file,
or --redact flags; launched or attached with -p) every value holding a secret
has the exact JSON README.md gives (the neighbours exact), session.command
has the values replaced, and no secret is anywhere in the raw bytes of the
database, its -wal or its -shm, while rstrace runs (read once the
neighbours are there) or after it ends. Needs root. Ends with "N passed, N
failed"."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import RSTRACE, ROOT, check, finish, rustc  # noqa: E402

OUT = os.path.join(os.environ.get("RSTRACE_BUILD", os.path.join(ROOT, "build")), "it-redact")
PATTERNS = ["*password*", "*token*", "api_?ey", "SECRET*"]
CONFIG = "[trace]\nredact = [%s]\n" % ", ".join('"%s"' % p for p in PATTERNS)
FLAGS = [a for p in PATTERNS for a in ("--redact", p)]
ARGS = ["--password=pw-CMDLINE-6b1f0e", "--user", "NONSECRET-cmduser", "--api-token", "tk-CMDLINE-93ad27",
        "-api_key", "key-CMDLINE-0c5e8b", "--passenger=NONSECRET-seat", "--mode", "fast",
        "--db=postgres://app:pw-URL-5f1c@db:5432/x"]
ARGS_REDACTED = ("--password=<redacted> --user NONSECRET-cmduser --api-token <redacted> -api_key <redacted> "
                 "--passenger=NONSECRET-seat --mode fast --db=postgres://app:<redacted>@db:5432/x")


def debug_bytes(b):
    return ", ".join(str(x) for x in b)  # how {:?} prints a [u8]/Vec<u8>


SECRETS = ["pw-FIELD-91c2e7", "pw-NESTED-4b8d11", "key-VEC-a09f", debug_bytes(b"key-VEC-a09f"), "sc4Z",
           debug_bytes(b"sc4Z"), "pw-VARIANT-3e6f20", "tok-VARIANT-c81d5a", "tok-RET-7f3a9c", "tok-ASYNC-2d9e61",
           "pw-MADE-e5d1b0", "tok-MAP-55e0b3", "pw-BTREE-d4c7a8", "pw-PARAM-0aa7e1", "sec-CLOSURE-8a2b6d",
           "sec-MOVED-7c0e94", "tok-TUPLE-6c2d", "key-TUPLE-b7e3", "pw-CMDLINE-6b1f0e", "tk-CMDLINE-93ad27",
           "key-CMDLINE-0c5e8b", "pw-URL-5f1c"]
# Written with the secrets (same rows): once they are in the files, so would the secrets be.
NEIGHBOURS = ["NONSECRET-alice", "NONSECRET-bob", "NONSECRET-carol", "NONSECRET-frank", "NONSECRET-json",
              "NONSECRET-home", "NONSECRET-gina", "NONSECRET-label", "NONSECRET-tag", "NONSECRET-cmduser",
              "NONSECRET-seat"]
WAIT_S = 60  # how long to wait for the neighbours to reach the files (a bound, not a measurement)

S, U32, STRING = "&str", "u32", "alloc::string::String"
NO_DEBUG = "no Debug impl in the binary (never called by the program, or none)"


def arg(name, type_, value=None, **extra):
    d = {"name": name, "type": type_, "value": value}
    d.update(extra)
    return d


def hidden(type_, fields=None, name=None, **extra):
    """A value with a redacted part: null, "redacted": true, the rest under "fields"."""
    d = {"type": type_, "value": None}
    d.update(extra)
    d["redacted"] = True
    if fields is not None:
        d["fields"] = fields
    if name is not None:
        d = dict({"name": name}, **d)
    return d


CREDS = 'Creds { user: "%s", password: <redacted>, pin: %d, passenger: %d }'
# function -> [(args, ret)] in call order; ret None: not checked
EXPECTED = {
    "secrets::login": [([hidden("&secrets::Creds", CREDS % ("NONSECRET-alice", 1234, 7), "c")],
                        {"type": "bool", "value": "true"})],
    "secrets::open": [([hidden("&secrets::Account", "Account { id: 42, creds: " + CREDS % ("NONSECRET-bob", 1234, 7)
                               + ", api_key: <redacted>, api_monkey: 77, Secret_Code: <redacted> }", "acct")],
                       {"type": "u64", "value": "54"})],
    "secrets::authorize": [
        ([hidden("&secrets::Auth", 'Basic { user: "NONSECRET-carol", password: <redacted> }', "auth")],
         {"type": U32, "value": "32"}),
        ([hidden("&secrets::Auth", "Bearer { token: <redacted>, scope: 3 }", "auth")], {"type": U32, "value": "21"}),
        ([arg("auth", "&secrets::Auth", "Anonymous(5)")], {"type": U32, "value": "5"}),
        ([hidden("&secrets::Auth", "Token { 0: <redacted> }", "auth")], {"type": U32, "value": "28"})],
    "secrets::sign": [([hidden("&secrets::ApiKey", "ApiKey { 0: <redacted> }", "key"),
                        arg("label", "&secrets::Label", 'Label("NONSECRET-tag")')], {"type": "usize", "value": "27"})],
    "secrets::get_token": [([arg("user", S, '"dave"')], hidden(STRING))],
    "secrets::get_greeting": [([arg("user", S, '"erin"')], {"type": STRING, "value": '"NONSECRET-hello-erin"'})],
    "secrets::make_creds": [([arg("user", S, '"NONSECRET-frank"')],
                             hidden("secrets::Creds", CREDS % ("NONSECRET-frank", 4321, 9)))],
    "secrets::check": [([arg("user", S, '"NONSECRET-gina"'), hidden(S, name="PASSWORD_HINT"),
                         arg("pass", S, '"NONSECRET-pass"'), arg("keyring", S, '"NONSECRET-ring"')],
                        {"type": "usize", "value": "57"})],
    "secrets::apply<secrets::calls::{closure#0}>": [
        ([hidden("&secrets::calls::{closure_env#0}", "{closure_env#0} { %ssecret_note: <redacted>, %svisits: 3 }",
                 "f", error=NO_DEBUG), arg("x", U32, "1")], {"type": "usize", "value": "22"})],
    "secrets::apply<secrets::calls::{closure#1}>": [
        ([hidden("&secrets::calls::{closure_env#1}",
                 '{closure_env#1} { secret_owned: <redacted>, label: "NONSECRET-label" }', "f", error=NO_DEBUG),
          arg("x", U32, "2")], {"type": "usize", "value": "33"})],
}
# an async fn's body is the function: its Poll<String> is not recorded (inlined at -O2)
ASYNC = {"secrets::fetch_token::{async_fn#0}": [(None, hidden("core::task::poll::Poll<alloc::string::String>"))]}


def build(opt):
    binary = os.path.join(OUT, "secrets-O%d" % opt)
    rustc("--edition", "2021", "-g", "-C", "opt-level=%d" % opt,
          os.path.join(ROOT, "tests", "fixtures", "secrets.rs"), "-o", binary)
    return binary


def grep(db, needles):
    """{needle: [files]} for the needles found in the raw bytes of db, db-wal, db-shm."""
    found = {}
    for path in (db, db + "-wal", db + "-shm"):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            continue
        for n in needles:
            if n.encode() in data:
                found.setdefault(n, []).append(os.path.basename(path))
    return found


def wait_written(db):
    """The files once every neighbour is in them (rstrace commits every 200 ms)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        found = grep(db, NEIGHBOURS + SECRETS)
        if all(n in found for n in NEIGHBOURS) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


class Run:
    def __init__(self, label):
        self.dir = os.path.join(OUT, label)
        os.makedirs(self.dir, exist_ok=True)
        self.db = os.path.join(self.dir, "t.sqlite")
        for f in (self.db, self.db + "-wal", self.db + "-shm", os.path.join(self.dir, "rstrace.toml")):
            if os.path.exists(f):
                os.unlink(f)
        self.stdout, self.running, self.after, self.rc = "", {}, {}, None
        self.err = open(os.path.join(self.dir, "stderr.txt"), "w+")

    def until_done(self, pipe):
        for line in pipe:
            self.stdout += line
            if line.strip() == "@done":
                return

    def launched(self, binary, flags=(), config=None, wait=True):
        if config is not None:
            with open(os.path.join(self.dir, "rstrace.toml"), "w") as f:
                f.write(config)
        p = subprocess.Popen([RSTRACE, "record", "-q", "-o", self.db] + list(flags) + ["--", binary] + ARGS,
                             cwd=self.dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, text=True)
        self.until_done(p.stdout)
        if wait:  # (cut strings: the neighbours never show whole)
            self.running = wait_written(self.db)
        p.stdin.close()  # the program ends
        self.stdout += p.stdout.read()
        self.rc = p.wait(timeout=300)
        self.after = grep(self.db, NEIGHBOURS + SECRETS)
        return self

    def attached(self, binary, flags=()):
        prog = subprocess.Popen([binary] + ARGS, cwd=self.dir, env=dict(os.environ, SECRETS_ATTACH="1"),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = prog.stdout.readline().strip() == "@ready"
        tr = subprocess.Popen([RSTRACE, "record", "-p", str(prog.pid), "-o", self.db] + list(flags),
                              cwd=self.dir, stderr=subprocess.PIPE, text=True)
        said = ""
        for line in tr.stderr:  # "rstrace: tracing pid N (…)": the probes are in
            said += line
            if "tracing pid" in line:
                break
        prog.stdin.write("go\n")
        prog.stdin.flush()
        self.until_done(prog.stdout)
        self.running = wait_written(self.db)
        prog.stdin.close()
        self.stdout += prog.stdout.read()
        prog.wait(timeout=60)
        said += tr.stderr.read()
        self.rc = tr.wait(timeout=300)  # ends when the process does
        self.after = grep(self.db, NEIGHBOURS + SECRETS)
        self.err.write(said)
        self.rc = self.rc if ready else "program not ready"
        return self

    def rows(self):
        import sqlite3
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        frames = con.execute("SELECT f.name, fr.args, fr.ret FROM frame fr JOIN function f ON f.id = fr.function_id"
                             " ORDER BY fr.id").fetchall()
        command = con.execute("SELECT command FROM session").fetchone()
        con.close()
        out = {}
        for name, args, ret in frames:
            out.setdefault(name, []).append((json.loads(args), json.loads(ret) if ret else None))
        return out, command[0] if command else None

    def oracle_arg(self, func, name):
        """What the program printed for a parameter ({:?} of it)."""
        for line in self.stdout.splitlines():
            f = line.split("\t")
            if f[0] == "@call" and f[1] == func:
                for a in f[2:]:
                    if a.startswith(name + "="):
                        return a[len(name) + 1:]
        return None


def same_closure_fields(got, want):
    """rustc names a by-reference capture `_ref__NAME` (1.95) or NAME: either, never a third."""
    return any(got == want % (p, p) for p in ("_ref__", ""))


def check_values(label, run, expected):
    frames, _ = run.rows()
    for func, calls in expected.items():
        got = frames.get(func, [])
        ok = len(got) == len(calls)
        for (eargs, eret), (gargs, gret) in zip(calls, got):
            if eargs is not None:
                for e, g in zip(eargs, gargs):
                    if "%s" in str(e.get("fields", "")):
                        ok = ok and same_closure_fields(g.get("fields"), e["fields"]) and \
                            dict(g, fields=None) == dict(e, fields=None)
                    else:
                        ok = ok and g == e
                ok = ok and len(eargs) == len(gargs)
            ok = ok and (eret is None or gret == eret)
        check("%s: %s exact (secrets <redacted>, neighbours exact)" % (label, func), ok,
              json.dumps(got)[:1500])


def check_maps(label, run):
    """Map entries whose key is named like a pattern: the value is <redacted>, the others exact."""
    frames, _ = run.rows()
    for func, param, secret in (("secrets::send", "headers", '"tok-MAP-55e0b3"'),
                                ("secrets::load_env", "env", '"pw-BTREE-d4c7a8"')):
        shown = run.oracle_arg(func, param)
        got = frames.get(func, [])
        want = hidden(got[0][0][0]["type"] if got else "?", shown.replace(secret, "<redacted>") if shown else None,
                      param)
        check("%s: %s: the entry named like a pattern <redacted>, the others exact" % (label, func),
              shown is not None and secret in shown and len(got) == 1 and got[0][0] == [want],
              "program printed %s; got %s" % (shown, json.dumps(got)[:600]))


def check_files(label, run, binary):
    _, command = run.rows()
    check("%s: exit status 0" % label, run.rc == 0, "%s; stderr: %s" % (run.rc, open(run.err.name).read()[-800:]))
    check("%s: session.command has the values of --password=, --api-token, -api_key replaced" % label,
          command == binary + " " + ARGS_REDACTED, command)
    missing = [n for n in NEIGHBOURS if n not in run.running]
    check("%s: while rstrace runs, the neighbours are in the files (the greps can find)" % label, not missing,
          "missing: %s" % missing)
    leaked = {n: f for n, f in run.running.items() if n in SECRETS}
    check("%s: while rstrace runs, no secret in the database, -wal or -shm" % label, not leaked, leaked)
    leaked = {n: f for n, f in run.after.items() if n in SECRETS}
    check("%s: after rstrace ends, no secret in the database, -wal or -shm" % label,
          not leaked and "NONSECRET-alice" in run.after, leaked or "neighbour missing")


def main():
    if os.geteuid() != 0:
        print("0 passed, 1 failed")
        return 1
    os.makedirs(OUT, exist_ok=True)
    o0, o2 = build(0), build(2)

    # without patterns everything is recorded: the fixture's values are exact, its secrets findable
    r = Run("none").launched(o0)
    frames, command = r.rows()
    c = frames.get("secrets::login", [[[{}]]])[0][0][0]
    check("no patterns: values exact ({:?} as the program printed it)",
          c.get("value") is not None and c.get("value") == r.oracle_arg("secrets::login", "c"), c)
    check("no patterns: secrets found in the files (so the greps below can fail)",
          "pw-FIELD-91c2e7" in r.after and "tok-RET-7f3a9c" in r.after, r.after)
    check("no patterns: session.command as given", command == " ".join([o0] + ARGS), command)

    r = Run("config-O0").launched(o0, config=CONFIG)
    check_files("config, -O0", r, o0)
    check_values("config, -O0", r, dict(EXPECTED, **ASYNC))
    check_maps("config, -O0", r)
    tree = subprocess.run([RSTRACE, "tree", r.db], capture_output=True, text=True).stdout
    check("rstrace tree shows the fields, ~ and <redacted>",
          'secrets::login(c=~Creds { user: "NONSECRET-alice", password: <redacted>' in tree, tree[-1500:])

    r = Run("flags-O2").launched(o2, flags=FLAGS)
    check_files("--redact, -O2", r, o2)
    check_values("--redact, -O2", r, EXPECTED)
    check_maps("--redact, -O2", r)

    r = Run("attach-O0").attached(o0, flags=FLAGS)
    check_files("record -p, -O0", r, o0)
    check_values("record -p, -O0", r, dict(EXPECTED, **ASYNC))
    check_maps("record -p, -O0", r)

    # a key cut at the capture limit: the value is shown only if no pattern could match the rest
    r = Run("cut-keys").launched(o0, flags=["--max-string-bytes", "8"], config=CONFIG, wait=False)
    frames, _ = r.rows()
    env = frames.get("secrets::load_env", [[[{}]]])[0][0][0]
    check("cut map keys: the value of one a pattern could match is ?, with the reason",
          env == {"name": "env", "type": frames["secrets::load_env"][0][0][0]["type"], "value": None,
                  "error": "map key not fully captured: whether its value is redacted is unknown",
                  "fields": '{"DB_PASSW": ?, "HOME": "NONSECRE", "PATH": "NONSECRE"}', "truncated": True}
          if "secrets::load_env" in frames else False, env)
    leaked = {n: f for n, f in grep(r.db, SECRETS + ["pw-BTREE"]).items()}  # its first 8 bytes neither
    check("cut map keys: no secret in the files", not leaked and r.rc == 0, leaked or r.rc)
    r = Run("cut-keys-anchored").launched(o0, flags=["--max-string-bytes", "8", "--redact", "api_?ey",
                                                     "--redact", "SECRET*"], wait=False)
    frames, _ = r.rows()
    env = frames.get("secrets::load_env", [[[{}]]])[0][0][0]
    check("cut map keys, anchored patterns only: the values are shown",
          env.get("value") == '{"DB_PASSW": "pw-BTREE", "HOME": "NONSECRE", "PATH": "NONSECRE"}', env)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
