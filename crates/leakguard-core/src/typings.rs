//! The TypeScript declarations of the finding model, generated from the Rust types by ts-rs.
//! `types/leak.d.ts` (beside `index.d.ts`) is this text; `cargo test` fails when they differ,
//! and `LEAKGUARD_WRITE_TYPES=1 cargo test -p leakguard-core typings` rewrites it.

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use ts_rs::{Config, TS};

    use crate::leak::{
        Allocation, CollectionDetail, GlobalDetail, HandlesDetail, HeapDetail, Leak, LeakDetail,
        LeakKind, ListenersDetail, RetainedDetail, TimersDetail,
    };

    fn decl<T: TS>(cfg: &Config) -> String {
        let docs = T::docs().map(|d| format!("{d}\n")).unwrap_or_default();
        format!("{docs}export {}\n", T::decl(cfg))
    }

    fn typings() -> String {
        let cfg = Config::new();
        let mut out = String::from(
            "// Generated from crates/leakguard-core/src/leak.rs by ts-rs: do not edit.\n\
             // Regenerate: LEAKGUARD_WRITE_TYPES=1 cargo test -p leakguard-core typings\n\n",
        );
        for d in [
            decl::<LeakKind>(&cfg),
            decl::<Leak>(&cfg),
            decl::<LeakDetail>(&cfg),
            decl::<ListenersDetail>(&cfg),
            decl::<CollectionDetail>(&cfg),
            decl::<RetainedDetail>(&cfg),
            decl::<GlobalDetail>(&cfg),
            decl::<HeapDetail>(&cfg),
            decl::<Allocation>(&cfg),
            decl::<TimersDetail>(&cfg),
            decl::<HandlesDetail>(&cfg),
        ] {
            out.push_str(&d);
            out.push('\n');
        }
        out.pop();
        out
    }

    #[test]
    fn typings_match_the_rust_types() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../types/leak.d.ts");
        let want = typings();
        if std::env::var_os("LEAKGUARD_WRITE_TYPES").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "types/leak.d.ts is not what the Rust types generate; run \
             LEAKGUARD_WRITE_TYPES=1 cargo test -p leakguard-core typings\n{want}"
        );
    }
}
