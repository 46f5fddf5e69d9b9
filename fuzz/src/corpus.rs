//! The inputs kept in the repository: `corpus/<target>/` (seeds, mutated by every run),
//! `regressions/<target>/` (every input that ever failed and was fixed, named after what it
//! found; the tests replay each and it must pass). There is no list of open failures: a
//! finding is fixed, then kept in `regressions/`.

use std::path::{Path, PathBuf};

/// The harness's directory (`fuzz/` in the workspace).
pub fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The seed corpus of `target`, by file name.
pub fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    inputs_in(&fuzz_dir().join("corpus").join(target))
}

/// The regression inputs of `target`, by file name.
pub fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    inputs_in(&fuzz_dir().join("regressions").join(target))
}

/// Every file of `dir` (none if it does not exist), sorted by name; names starting with
/// `.` and `README` files are not inputs.
pub fn inputs_in(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.') && !name.starts_with("README")
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}
