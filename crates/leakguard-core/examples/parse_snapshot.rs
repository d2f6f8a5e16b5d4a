//! `cargo run --release -p leakguard-core --example parse_snapshot -- <file> [runs] [seq]`:
//! parses a file `runs` times (default 5) and prints each run's wall time and the median, to
//! time the parser alone. With `seq` the sequential parser is timed instead of `read_file`'s
//! two threads; with `LEAKGUARD_PROFILE=1` every phase prints its time too.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::time::Instant;

use leakguard_core::snapshot::{parse, read_file, ParseOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        eprintln!("usage: parse_snapshot <file.heapsnapshot> [runs] [seq]");
        std::process::exit(2);
    };
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let sequential = args.next().as_deref() == Some("seq");
    let mut times = Vec::new();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let result = if sequential {
            std::fs::File::open(&file)
                .map_err(|e| e.to_string())
                .and_then(|f| {
                    let len = f.metadata().map(|m| m.len()).ok();
                    parse(f, len, ParseOptions::default()).map_err(|e| e.to_string())
                })
        } else {
            read_file(Path::new(&file), ParseOptions::default()).map_err(|e| e.to_string())
        };
        let ms = t.elapsed().as_secs_f64() * 1e3;
        match result {
            Ok(s) => println!(
                "parse: {ms:.1} ms ({} nodes, {} edges)",
                s.node_count(),
                s.edge_count()
            ),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
        times.push(ms);
    }
    times.sort_by(f64::total_cmp);
    println!("median {:.1} ms", times[times.len() / 2]);
}
