//! logstat: parses an embedded, generated web-server log (a few hundred lines)
//! with regex and serde_json and prints a JSON summary. Deterministic: the log
//! comes from a fixed-seed LCG.
//!
//! Its own functions print the oracle lines of tests/fixtures/oracle.rs
//! (`@call` with the arguments, `@ret` with the result, `{:?}`); the ones that
//! must stay exactly as written (the loop-headed `next_field` and `width`, the
//! tiny `bucket`) are announced by their caller right before and after the call
//! (`around!`). tests/integration/test_cargo.py traces it (logstat, regex,
//! regex_syntax, aho_corasick, memchr, serde_json) and compares.
//! Keeps to Rust 1.63 (Debian 12's rustc) and to rstrace's default capture
//! limits in every oracle value (32 elements, 256 bytes).
use regex::Regex;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Debug;

/// std::hint::black_box is stable from Rust 1.66 only (Debian 12 has 1.63):
/// a volatile read hides the value from the optimizer the same way.
#[inline(always)]
fn bb<T>(x: T) -> T {
    let y = unsafe { std::ptr::read_volatile(&x) };
    std::mem::forget(x);
    y
}

include!("../../../fixtures/oracle.rs");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
struct Record {
    level: Level,
    service: String,
    method: String,
    path: String,
    status: u16,
    ms: u32,
    user: String,
    bytes: u64,
}

thread_local! {
    // ASCII classes ([0-9], not \d): Unicode \d, \w, \s would make regex
    // compile thousands of ranges, hundreds of thousands of traced calls
    static LINE_RE: Regex = Regex::new(concat!(
        r"^([0-9]+-[0-9]+-[0-9]+T[0-9:]+Z) (DEBUG|INFO|WARN|ERROR) +([a-z]+) ",
        r"req=([0-9]+) (GET|POST|PUT|DELETE) ([^ ]+) ([0-9]{3}) ([0-9]+)ms (\{.*\})$"
    ))
    .unwrap();
    static ID_RE: Regex = Regex::new(r"/[0-9]+").unwrap();
}

const SERVICES: [&str; 4] = ["api", "auth", "billing", "search"];
const LEVELS: [&str; 4] = ["DEBUG", "INFO", "WARN", "ERROR"];
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const STATUSES: [u16; 5] = [200, 201, 404, 500, 503];

/// The log: `n` lines from a fixed-seed LCG, some with bad JSON, some not
/// log lines at all.
fn make_log(n: usize, seed: u64) -> String {
    let mut x = seed;
    let mut next = move |m: u64| -> u64 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    let mut out = String::new();
    for i in 0..n {
        if i % 53 == 17 {
            out.push_str("-- log rotated --\n");
            continue;
        }
        let path = match next(6) {
            0 => format!("/users/{}", next(50)),
            1 => format!("/orders/{}/items", 1000 + next(9000)),
            2 => "/search".to_string(),
            3 => "/login".to_string(),
            4 => "/health".to_string(),
            _ => format!("/users/{}/avatar", next(50)),
        };
        let payload = if i % 37 == 5 {
            format!("{{\"user\":\"u{}\",\"bytes\":}}", next(20))
        } else if i % 11 == 3 {
            format!("{{\"user\":\"u{}\",\"bytes\":{},\"tags\":[\"a\",\"b\"]}}", next(20), next(100_000))
        } else {
            format!("{{\"user\":\"u{}\",\"bytes\":{}}}", next(20), next(5000))
        };
        out.push_str(&format!(
            "2024-05-{:02}T{:02}:{:02}:{:02}Z {:<5} {} req={} {} {} {} {}ms {}\n",
            1 + i / 100,
            next(24),
            next(60),
            next(60),
            LEVELS[next(4) as usize],
            SERVICES[next(4) as usize],
            i,
            METHODS[next(4) as usize],
            path,
            STATUSES[next(5) as usize],
            next(900),
            payload
        ));
    }
    out
}

/// Loop-headed: the `while` is the first statement (the entry probe must not
/// sit on its head). Index of the next space at or after `i`.
#[inline(never)]
fn next_field(s: &str, mut i: usize) -> usize {
    while i < s.len() && s.as_bytes()[i] != b' ' {
        i += 1;
    }
    i
}

#[inline(never)]
fn count_fields(line: &str) -> usize {
    call!("logstat::count_fields", line);
    let mut n = 0;
    let mut i = 0;
    while i < line.len() {
        let end = around!("logstat::next_field", next_field(bb(line), bb(i)); s = line, i = i);
        if end > i {
            n += 1;
        }
        i = end + 1;
    }
    ret!("logstat::count_fields", n)
}

/// Loop-headed (`loop` first): digits of `n`, added to `w`.
#[inline(never)]
fn width(mut n: u64, w: &mut u32) -> u32 {
    loop {
        *w += 1;
        n /= 10;
        if n == 0 {
            break *w;
        }
    }
}

/// Tiny (`lea/cmp; ret`-sized at -O2).
#[inline(never)]
fn bucket(ms: u32) -> u32 {
    ms / 100
}

#[inline(never)]
fn level_of(s: &str) -> Level {
    call!("logstat::level_of", s);
    let l = match s {
        "DEBUG" => Level::Debug,
        "INFO" => Level::Info,
        "WARN" => Level::Warn,
        _ => Level::Error,
    };
    ret!("logstat::level_of", l)
}

#[inline(never)]
fn normalize_path(path: &str) -> String {
    call!("logstat::normalize_path", path);
    let p = ID_RE.with(|re| re.replace_all(path, "/:id").into_owned());
    ret!("logstat::normalize_path", p)
}

#[inline(never)]
fn parse_payload(json: &str) -> Result<(String, u64), String> {
    call!("logstat::parse_payload", json);
    let out = match serde_json::from_str::<Value>(json) {
        Ok(v) => match (v.get("user").and_then(Value::as_str), v.get("bytes").and_then(Value::as_u64)) {
            (Some(u), Some(b)) => Ok((u.to_string(), b)),
            _ => Err("missing user or bytes".to_string()),
        },
        Err(e) => Err(format!("bad json: {}", e)),
    };
    ret!("logstat::parse_payload", out)
}

#[inline(never)]
fn parse_line(line: &str) -> Option<Record> {
    call!("logstat::parse_line", line);
    // Every line is checked against the regex; the fields of one line in five
    // come from its capture groups (the backtracker: ~3000 traced calls per
    // line in the dev build), the others' from splitting it at spaces.
    let caps = LINE_RE.with(|re| {
        if line.len() % 5 == 0 {
            re.captures(line)
                .map(|c| (1..10).map(|i| c.get(i).map_or("", |m| m.as_str()).to_string()).collect::<Vec<String>>())
        } else if re.is_match(line) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let strip = |s: &str, pre: &str, suf: &str| s.trim_start_matches(pre).trim_end_matches(suf).to_string();
            Some(vec![
                f[0].to_string(),
                f[1].to_string(),
                f[2].to_string(),
                strip(f[3], "req=", ""),
                f[4].to_string(),
                f[5].to_string(),
                f[6].to_string(),
                strip(f[7], "", "ms"),
                f[8..].join(" "),
            ])
        } else {
            None
        }
    });
    let rec = match caps {
        None => None,
        Some(c) => match parse_payload(&c[8]) {
            Err(_) => None,
            Ok((user, bytes)) => Some(Record {
                level: level_of(&c[1]),
                service: c[2].clone(),
                method: c[4].clone(),
                path: normalize_path(&c[5]),
                status: c[6].parse().unwrap_or(0),
                ms: c[7].parse().unwrap_or(0),
                user,
                bytes,
            }),
        },
    };
    ret!("logstat::parse_line", rec)
}

/// The `n` largest counts, ties by key. Instantiated for String and u16.
#[inline(never)]
fn top_n<T: Ord + Clone + Debug>(counts: &[(T, usize)], n: usize) -> Vec<(T, usize)> {
    let name = format!("logstat::top_n<{}>", std::any::type_name::<T>());
    println!("@call\t{}\tcounts={:?}\tn={:?}", name, counts, n);
    let mut v = counts.to_vec();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    println!("@ret\t{}\t{:?}", name, v);
    v
}

/// Three closures, called through `dyn Fn` (so they stay functions in the
/// release build).
#[inline(never)]
fn summarize(records: &[Record]) -> (usize, usize, u64) {
    let limit = bb(700u32);
    let is_slow = |r: &Record| -> bool {
        call!("logstat::summarize::{closure#0}", r);
        ret!("logstat::summarize::{closure#0}", r.ms > limit)
    };
    let min_status = bb(500u16);
    let is_error = |r: &Record| -> bool {
        call!("logstat::summarize::{closure#1}", r);
        ret!("logstat::summarize::{closure#1}", r.status >= min_status)
    };
    let factor = bb(3u64);
    let weight = move |r: &Record| -> u64 {
        call!("logstat::summarize::{closure#2}", r);
        ret!("logstat::summarize::{closure#2}", r.bytes * factor + r.ms as u64)
    };
    let is_slow: &dyn Fn(&Record) -> bool = bb(&is_slow);
    let is_error: &dyn Fn(&Record) -> bool = bb(&is_error);
    let weight: &dyn Fn(&Record) -> u64 = bb(&weight);
    let (mut slow, mut errors, mut weighted) = (0, 0, 0);
    for (i, r) in records.iter().enumerate() {
        if i % 4 == 0 && is_slow(r) {
            slow += 1;
        }
        if i % 4 == 1 && is_error(r) {
            errors += 1;
        }
        if i % 8 == 2 {
            weighted += weight(r);
        }
    }
    (slow, errors, weighted)
}

fn count<K: Ord + Clone>(keys: impl Iterator<Item = K>) -> Vec<(K, usize)> {
    let mut m = BTreeMap::new();
    for k in keys {
        *m.entry(k).or_insert(0usize) += 1;
    }
    m.into_iter().collect()
}

fn main() {
    call!("logstat::main");
    let log = make_log(bb(240), bb(7));
    let (mut records, mut fields, mut lines) = (Vec::new(), 0, 0);
    for line in log.lines() {
        lines += 1;
        fields += count_fields(line);
        if let Some(r) = parse_line(line) {
            records.push(r);
        }
    }
    let mut buckets = [0u32; 10];
    let mut digits = 0u32;
    for (i, r) in records.iter().enumerate() {
        let b = if i % 3 == 0 {
            around!("logstat::bucket", bucket(bb(r.ms)); ms = r.ms)
        } else {
            r.ms / 100
        };
        buckets[b.min(9) as usize] += 1;
        if i % 10 == 0 {
            around!("logstat::width", width(bb(r.bytes), bb(&mut digits)); n = r.bytes, w = digits);
        }
    }
    let (slow, errors, weighted) = summarize(&records);
    let paths = count(records.iter().map(|r| r.path.clone()));
    let statuses = count(records.iter().map(|r| r.status));
    let top_paths = top_n(bb(&paths), bb(3));
    let top_status = top_n(bb(&statuses), bb(2));
    let levels = count(records.iter().map(|r| format!("{:?}", r.level)));
    let summary = json!({
        "lines": lines,
        "records": records.len(),
        "fields": fields,
        "digits": digits,
        "slow": slow,
        "errors": errors,
        "weighted_bytes": weighted,
        "buckets": buckets.to_vec(),
        "levels": levels.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<String, Value>>(),
        "top_paths": top_paths,
        "top_status": top_status,
    });
    println!("{}", serde_json::to_string(&summary).unwrap());
    ret!("logstat::main", ());
}
