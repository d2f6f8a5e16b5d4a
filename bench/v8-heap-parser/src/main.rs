//! `v8-heap-parser-bench <file.heapsnapshot> <top>`: parses the snapshot with the v8-heap-parser
//! crate, computes its class groups with retained sizes (dominators), and prints one JSON line:
//! node count, the `top` classes by retained size (name, count, self size, retained size), the
//! parse and analysis times, and the process's peak RSS (VmHWM).

use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: v8-heap-parser-bench <file.heapsnapshot> [top]");
        std::process::exit(2);
    }
    let top: usize = args.get(2).and_then(|t| t.parse().ok()).unwrap_or(20);
    let started = Instant::now();
    let file = File::open(&args[1]).unwrap_or_else(|e| {
        eprintln!("cannot open {}: {e}", args[1]);
        std::process::exit(1);
    });
    let graph = v8_heap_parser::decode_reader(BufReader::with_capacity(1 << 20, file))
        .unwrap_or_else(|e| {
            eprintln!("cannot parse {}: {e}", args[1]);
            std::process::exit(1);
        });
    let parse_ms = started.elapsed().as_secs_f64() * 1000.0;
    let groups = graph.get_class_groups(false);
    let total_ms = started.elapsed().as_secs_f64() * 1000.0;
    let nodes = graph.nodes();
    let mut sorted: Vec<_> = groups.iter().collect();
    sorted.sort_by_key(|g| std::cmp::Reverse(g.retained_size));
    let classes: Vec<String> = sorted
        .iter()
        .take(top)
        .map(|g| {
            format!(
                "{{\"name\":{},\"count\":{},\"selfSize\":{},\"retainedSize\":{}}}",
                json_string(nodes[g.index].weight.class_name()),
                g.nodes.len(),
                g.self_size,
                g.retained_size
            )
        })
        .collect();
    println!(
        "{{\"nodeCount\":{},\"parseMs\":{parse_ms:.1},\"ms\":{total_ms:.1},\"peakRssKb\":{},\"classes\":[{}]}}",
        nodes.len(),
        peak_rss_kb(),
        classes.join(",")
    );
}
