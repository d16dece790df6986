//! The one way Brushfire writes a file: into a temporary file in the target's directory, fsync'd,
//! then renamed over the target. A reader never sees half a file, a failed or cancelled write
//! leaves nothing behind, and a file the data was loaded from is never overwritten.
use super::error::{DataError, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `target` atomically with `write`. `inputs` are files the data came from: refusing to
/// overwrite any of them (compared after resolving links), so an export can never destroy its source.
pub fn write_atomic(
    target: &Path,
    inputs: &[PathBuf],
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    if let Ok(t) = std::fs::canonicalize(target) {
        if inputs.iter().any(|i| std::fs::canonicalize(i).is_ok_and(|ci| ci == t)) {
            return Err(DataError::format(target, "refusing to overwrite an input file"));
        }
    }
    let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    // Same directory, so the rename never crosses file systems; the pid keeps two writers apart.
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> Result<()> {
        let f = File::create(&tmp).map_err(|e| DataError::io(&tmp, e))?;
        let mut w = BufWriter::new(f);
        write(&mut w)?;
        let f = w.into_inner().map_err(|e| DataError::io(&tmp, e.into_error()))?;
        f.sync_all().map_err(|e| DataError::io(&tmp, e))?;
        std::fs::rename(&tmp, target).map_err(|e| DataError::io(target, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// [`write_atomic`] of bytes already in memory (SVG, PNG, JSON, graph exports).
pub fn write_bytes_atomic(target: &Path, inputs: &[PathBuf], bytes: &[u8]) -> Result<()> {
    write_atomic(target, inputs, |w| w.write_all(bytes).map_err(|e| DataError::io(target, e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replaces_and_leaves_no_temp_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.txt");
        write_bytes_atomic(&p, &[], b"one").unwrap();
        write_bytes_atomic(&p, &[], b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1, "no temporary file left");
    }

    #[test]
    fn refuses_an_input_and_a_failed_write_leaves_the_old_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("in.csv");
        std::fs::write(&p, "keep").unwrap();
        let e = write_bytes_atomic(&p, std::slice::from_ref(&p), b"x").unwrap_err();
        assert!(e.to_string().contains("refusing to overwrite an input file"), "{e}");
        let e = write_atomic(&p, &[], |_| Err(DataError::Cancelled)).unwrap_err();
        assert!(matches!(e, DataError::Cancelled));
        assert_eq!(std::fs::read(&p).unwrap(), b"keep");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }
}
