//! Benchmark target: one traced function called N times. `hot MODE N`:
//! MODE push (a leaf whose first instruction is push), nopush (a leaf that
//! starts with mov/lea), panicky (may panic: has a panic path). Prints the
//! loop's own time per call; bench/bench.py runs it under each probe setup.
use std::hint::black_box;
use std::time::Instant;

/// A leaf that saves callee-saved registers (push %r15…) before its work:
/// more values live across the loop than caller-saved registers hold.
#[inline(never)]
fn leaf_push(a: u64, s: &str) -> u64 {
    let (mut x0, mut x1, mut x2, mut x3) = (a, a ^ 1, a ^ 2, a ^ 3);
    let (mut x4, mut x5, mut x6, mut x7) = (a ^ 4, a ^ 5, a ^ 6, a ^ 7);
    let (mut x8, mut x9, mut x10) = (a ^ 8, a ^ 9, a ^ 10);
    for &c in s.as_bytes() {
        let c = c as u64;
        x0 = x0.wrapping_mul(31) ^ c;
        x1 = x1.rotate_left(5) ^ x0;
        x2 = x2.wrapping_add(x1);
        x3 ^= x2.rotate_right(7);
        x4 = x4.wrapping_mul(x3 | 1);
        x5 ^= x4 >> 3;
        x6 = x6.wrapping_add(x5 ^ c);
        x7 = x7.rotate_left(11) ^ x6;
        x8 = x8.wrapping_sub(x7);
        x9 ^= x8.wrapping_mul(13);
        x10 = x10.wrapping_add(x9 ^ x0);
    }
    x0 ^ x1 ^ x2 ^ x3 ^ x4 ^ x5 ^ x6 ^ x7 ^ x8 ^ x9 ^ x10
}

/// A leaf with no push: the first instruction is a mov/test.
#[inline(never)]
fn leaf_nopush(a: u64, s: &str) -> u64 {
    let first = s.as_bytes().first().copied().unwrap_or(0) as u64;
    a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ s.len() as u64 ^ first
}

/// May panic (never does here): an explicit panic path, so unwinding info and a call out.
#[inline(never)]
fn may_panic(a: u64, s: &str) -> u64 {
    if a == u64::MAX {
        panic!("overflow at {}", s);
    }
    a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ s.len() as u64
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "nopush".into());
    let n: u64 = std::env::args().nth(2).map(|a| a.parse().expect("N: a number")).unwrap_or(200_000);
    let f: fn(u64, &str) -> u64 = match mode.as_str() {
        "push" => leaf_push,
        "nopush" => leaf_nopush,
        "panicky" => may_panic,
        _ => panic!("MODE: push, nopush or panicky"),
    };
    let mut acc = 0u64;
    let start = Instant::now();
    for i in 0..n {
        acc = acc.wrapping_add(f(black_box(i), black_box("hello")));
    }
    let elapsed = start.elapsed();
    println!("calls={} acc={}", n, acc);
    println!("ns_per_call={:.2}", elapsed.as_nanos() as f64 / n.max(1) as f64);
}
