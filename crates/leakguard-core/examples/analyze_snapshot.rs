//! `cargo run --release -p leakguard-core --example analyze_snapshot -- <file.heapsnapshot>`:
//! runs `analyze` on a file and prints the wall time, the process's peak RSS and a digest of the
//! result (counts, top classes, largest objects) to compare runs. With `LEAKGUARD_PROFILE=1`
//! every phase prints its time and peak RSS too. With `--dominators` after the file it also prints a
//! digest of every node's immediate dominator and retained size, and one of every node's distance
//! from the root (a second parse, dominator tree and distances, after the timed run).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::time::Instant;

fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0)
        / 1024
}

fn main() {
    let Some(file) = std::env::args().nth(1) else {
        eprintln!("usage: analyze_snapshot <file.heapsnapshot>");
        std::process::exit(2);
    };
    let t = Instant::now();
    let summary = match leakguard_core::snapshot::analyze(Path::new(&file), 20) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    println!(
        "analyze: {ms:.0} ms, peak RSS {} MB ({:.2}x the {} MB file)",
        peak_rss_mb(),
        peak_rss_mb() as f64 * 1048576.0 / size.max(1) as f64,
        size / 1_000_000
    );
    println!(
        "nodes {} edges {} total {} classes {}",
        summary.node_count,
        summary.edge_count,
        summary.total_size,
        summary.classes.len()
    );
    let mut digest: u64 = 0xcbf29ce484222325;
    let mut mix = |v: u64| digest = (digest ^ v).wrapping_mul(0x100000001b3);
    for c in &summary.classes {
        c.name.bytes().for_each(|b| mix(u64::from(b)));
        mix(c.count);
        mix(c.self_size);
        mix(c.retained_size);
    }
    for o in &summary.largest {
        mix(u64::from(o.id));
        mix(o.retained_size);
        o.path.bytes().for_each(|b| mix(u64::from(b)));
    }
    println!("digest {digest:016x}");
    if std::env::args().nth(2).as_deref() == Some("--dominators") {
        let s = leakguard_core::snapshot::read_file(
            Path::new(&file),
            leakguard_core::snapshot::ParseOptions::default(),
        )
        .expect("parsed once already");
        let d = leakguard_core::snapshot::Dominators::compute(&s);
        let mut digest: u64 = 0xcbf29ce484222325;
        for (&i, &r) in d.idom.iter().zip(&d.retained) {
            digest = (digest ^ u64::from(i)).wrapping_mul(0x100000001b3);
            digest = (digest ^ r).wrapping_mul(0x100000001b3);
        }
        println!("dominators digest {digest:016x}");
        // every node's distance from the root
        let a = leakguard_core::snapshot::Analysis::new(s);
        let mut digest: u64 = 0xcbf29ce484222325;
        for n in 0..a.snapshot.node_count() {
            digest = (digest ^ u64::from(a.distance(n))).wrapping_mul(0x100000001b3);
        }
        println!("distances digest {digest:016x}");
    }
    for c in summary.classes.iter().take(10) {
        println!(
            "  {:<28} {:>9} {:>11} {:>11}",
            c.name, c.count, c.self_size, c.retained_size
        );
    }
    for o in summary.largest.iter().take(5) {
        println!(
            "  #{} {} {} {}",
            o.id, o.class_name, o.retained_size, o.path
        );
    }
}
