//! Benchmark target: one hot traced function called N times (argv[1],
//! default 200000). Prints the loop's own time per call; bench/bench.py runs
//! it untraced, under `rstrace record --empty-probes` and under `rstrace record`.
use std::hint::black_box;
use std::time::Instant;

#[inline(never)]
fn hot(a: u64, s: &str) -> u64 {
    let first = s.as_bytes().first().copied().unwrap_or(0) as u64;
    a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ s.len() as u64 ^ first
}

fn main() {
    let n: u64 = std::env::args().nth(1).map(|a| a.parse().expect("N: a number")).unwrap_or(200_000);
    let mut acc = 0u64;
    let start = Instant::now();
    for i in 0..n {
        acc = acc.wrapping_add(hot(black_box(i), black_box("hello")));
    }
    let elapsed = start.elapsed();
    println!("calls={} acc={}", n, acc);
    println!("ns_per_call={:.2}", elapsed.as_nanos() as f64 / n.max(1) as f64);
}
