//! The fuzz target on stable Rust: replays the kept corpus (`fuzz/corpus/snapshot/`) and every
//! input that once failed (`fuzz/regressions/`), then mutates corpus and generated snapshots
//! for a while. cargo-fuzz (nightly, libFuzzer) runs the same `leakguard_core::fuzzing::run`
//! with coverage guidance: `cargo +nightly fuzz run snapshot` in `fuzz/`.
//!
//! `LEAKGUARD_FUZZ_SECS` (default 1) bounds the mutation phase, `LEAKGUARD_FUZZ_SEED` picks the
//! sequence (default: from the clock, printed). A failing input is written to
//! `target/fuzz-failures/` and named in the failure, to be moved into `fuzz/regressions/`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use leakguard_core::fuzzing::{generate, mutate, run, Rng};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|it| {
            it.filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    std::fs::read(e.path()).ok().map(|d| (name, d))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Runs one input; a panic is returned as its message.
fn check(data: &[u8]) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| run(data))).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".into())
    })
}

fn keep_failure(data: &[u8], why: &str) -> String {
    let dir = repo().join("target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    let file = dir.join(format!("crash-{h:016x}"));
    let _ = std::fs::write(&file, data);
    format!("{}: {why}", file.display())
}

#[test]
fn corpus_and_regressions_run_clean() {
    let mut failures = Vec::new();
    let mut n = 0;
    for dir in ["fuzz/corpus/snapshot", "fuzz/regressions"] {
        for (name, data) in inputs(&repo().join(dir)) {
            n += 1;
            if let Err(why) = check(&data) {
                failures.push(format!("{dir}/{name}: {why}"));
            }
        }
    }
    assert!(n > 0, "no corpus found under fuzz/");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn mutations_run_clean() {
    let secs: f64 = std::env::var("LEAKGUARD_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let seed: u64 = std::env::var("LEAKGUARD_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    let mut rng = Rng::new(seed);
    let corpus: Vec<Vec<u8>> = inputs(&repo().join("fuzz/corpus/snapshot"))
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let (mut execs, mut failures) = (0u64, Vec::new());
    while Instant::now() < deadline && failures.len() < 5 {
        let mut data = if corpus.is_empty() || rng.chance(50) {
            generate(&mut rng)
        } else {
            corpus[rng.below(corpus.len())].clone()
        };
        let other = if corpus.is_empty() {
            generate(&mut rng)
        } else {
            corpus[rng.below(corpus.len())].clone()
        };
        for _ in 0..=rng.below(8) {
            mutate(&mut data, &other, &mut rng);
        }
        execs += 1;
        if let Err(why) = check(&data) {
            failures.push(keep_failure(&data, &why));
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "fuzz: {execs} execs in {secs} s (seed {seed}), {} failures",
            failures.len()
        );
    }
    assert!(execs > 0);
    assert!(failures.is_empty(), "seed {seed}: {failures:#?}");
}

/// Writes the kept seeds (`fuzz/corpus/snapshot/seed-*`): generated snapshots of random graphs
/// and a few broken shapes. `cargo test -p leakguard-core --test fuzz -- --ignored`.
#[test]
#[ignore]
fn write_seeds() {
    let dir = repo().join("fuzz/corpus/snapshot");
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng::new(13);
    for i in 0..8 {
        std::fs::write(dir.join(format!("seed-graph-{i}.json")), generate(&mut rng)).unwrap();
    }
    let g = generate(&mut rng);
    std::fs::write(dir.join("seed-truncated.json"), &g[..g.len() / 2]).unwrap();
    std::fs::write(dir.join("seed-empty-object.json"), b"{}").unwrap();
    std::fs::write(
        dir.join("seed-huge-edge-count.json"),
        String::from_utf8(generate(&mut Rng::new(99)))
            .unwrap()
            .replace(",0,0,0", ",18446744073709551615,0,0"),
    )
    .unwrap();
}
