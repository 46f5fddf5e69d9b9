//! Files the CLI creates (unwritten rows, checkpoints): always created exclusively, mode
//! 0600, never through a symlink someone planted at the name, and replaced atomically.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Creates `path` for writing: it must not exist (a symlink at the name counts as existing
/// and is not followed: `O_CREAT | O_EXCL`), readable and writable by the owner only.
pub fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Creates the first free name of `base`, `base.1`, `base.2`, ... (at most 1,000 tries),
/// as [`create_private`]; returns the name taken.
pub fn create_private_numbered(base: &Path) -> io::Result<(PathBuf, File)> {
    let mut last_err = None;
    for n in 0..1000u32 {
        let path = if n == 0 {
            base.to_path_buf()
        } else {
            let mut s = base.as_os_str().to_owned();
            s.push(format!(".{n}"));
            PathBuf::from(s)
        };
        match create_private(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::other("no free name")))
}

/// Replaces `path` with `bytes` atomically: a new temporary file beside it (created as
/// [`create_private`], so a symlink planted at the temporary name is refused, not
/// followed), written, fsynced, renamed over `path`, then the directory fsynced. A crash
/// leaves the old file or the new one, never a mix; on any error the old file is intact.
pub fn replace_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    remove_stale_temporaries(dir, file_name);
    // `.NAME.tmp-PID`, or when something already sits there (a leftover, or a symlink
    // someone planted), a name with a random suffix.
    let tmp_path = |suffix: Option<u64>| {
        let mut n = std::ffi::OsString::from(".");
        n.push(file_name);
        n.push(format!(".tmp-{}", std::process::id()));
        if let Some(r) = suffix {
            n.push(format!("-{r:016x}"));
        }
        dir.join(n)
    };
    let mut attempt = 0;
    let (tmp, mut f) = loop {
        let tmp = tmp_path((attempt > 0).then(|| fastrand::u64(..)));
        match create_private(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let written = f
        .write_all(bytes)
        .and_then(|_| f.sync_all())
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // The rename lasts through a crash only once the directory is synced too. Best effort:
    // some file systems cannot sync a directory, and the file is already in place.
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        log::debug!("cannot sync directory {}: {e}", dir.display());
    }
    Ok(())
}

/// Removes `.NAME.tmp-PID[-SUFFIX]` files left in `dir` by processes that no longer run (a
/// kill during a save). Best effort; a file of a live process is left alone. A symlink is
/// removed itself, never followed.
fn remove_stale_temporaries(dir: &Path, file_name: &std::ffi::OsStr) {
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(file_name);
    prefix.push(".tmp-");
    let Some(prefix) = prefix.to_str() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists() {
            continue;
        }
        match std::fs::remove_file(entry.path()) {
            Ok(()) => log::debug!(
                "removed {} (left by a process that ended)",
                entry.path().display()
            ),
            Err(e) => log::debug!("cannot remove {}: {e}", entry.path().display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "kinesis-cli-files-{name}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn private_files_are_0600_and_never_follow_a_symlink() {
        let d = dir("private");
        let victim = d.join("victim");
        std::fs::write(&victim, b"keep me").unwrap();
        let planted = d.join("rows.csv.unwritten");
        symlink(&victim, &planted).unwrap();
        let e = create_private(&planted).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
        let (path, mut f) = create_private_numbered(&planted).unwrap();
        assert_eq!(path, d.join("rows.csv.unwritten.1"));
        f.write_all(b"row\n").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn atomic_replace_keeps_the_old_file_on_failure() {
        let d = dir("atomic");
        let target = d.join("cp.json");
        replace_atomically(&target, b"one").unwrap();
        replace_atomically(&target, b"two").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"two");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            std::fs::read_dir(&d).unwrap().count(),
            1,
            "no temporary left"
        );
        // A symlink planted at the temporary name is neither followed nor removed.
        let victim = d.join("victim");
        std::fs::write(&victim, b"keep me").unwrap();
        let planted = d.join(format!(".cp.json.tmp-{}", std::process::id()));
        symlink(&victim, &planted).unwrap();
        replace_atomically(&target, b"two and a half").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"two and a half");
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
        assert!(std::fs::symlink_metadata(&planted)
            .unwrap()
            .file_type()
            .is_symlink());
        std::fs::remove_file(&planted).unwrap();
        std::fs::remove_file(&victim).unwrap();
        replace_atomically(&target, b"two").unwrap();
        // A temporary left by a process that no longer runs is cleaned up; one of a live
        // process (ours) is not touched.
        let dead = d.join(".cp.json.tmp-4194304999");
        std::fs::write(&dead, b"half").unwrap();
        replace_atomically(&target, b"two").unwrap();
        assert!(!dead.exists(), "stale temporary removed");
        // A missing directory: a clear error.
        let e = replace_atomically(&d.join("no-such-dir/cp.json"), b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        // A read-only directory: a clear error, the old file intact. (Root ignores the
        // permission bits, so only assert where they apply.)
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o500)).unwrap();
        let probe = create_private(&d.join("probe"));
        if probe.is_err() {
            let e = replace_atomically(&target, b"three").unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
            assert_eq!(std::fs::read(&target).unwrap(), b"two");
        }
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::remove_dir_all(&d).unwrap();
    }
}
