use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A file under ../shared/real_data, or None (with a printed reason) when the folder is absent on a
/// user's clone. In CI (`CI` set) a missing file is a failure: a test must not pass by skipping.
pub fn real_data(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real_data").join(rel);
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} not found and CI is set: real-data tests must run in CI, not skip",
        p.display()
    );
    eprintln!(
        "skipping: {} not found (the shared real_data folder is not beside this checkout)",
        p.display()
    );
    None
}

pub fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/vast-netflow-2weeks.csv.gz")
}

pub fn brushfire(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brushfire")).args(args).output().expect("running brushfire")
}

/// Runs `brushfire inspect --json` and parses the object; panics with stderr on failure.
pub fn inspect(paths: &[&Path], extra: &[&str]) -> serde_json::Value {
    let mut args: Vec<String> = vec!["inspect".into()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    args.push("--json".into());
    args.extend(extra.iter().map(|s| s.to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = brushfire(&a);
    assert!(out.status.success(), "inspect failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("inspect --json prints JSON")
}

/// A fresh folder for one test, named by this run's process id. Tests keep theirs for a look after
/// a failure; the first call of a run removes the folders of runs that have ended (over 1 GB a run).
pub fn temp_dir(name: &str) -> PathBuf {
    static SWEEP: std::sync::Once = std::sync::Once::new();
    SWEEP.call_once(remove_ended_runs_folders);
    let d = std::env::temp_dir().join(format!("brushfire-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Removes `brushfire-test-PID-*` folders whose process is gone (Linux: no `/proc/PID`; elsewhere
/// nothing is removed).
fn remove_ended_runs_folders() {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) =
            name.to_str().and_then(|n| n.strip_prefix("brushfire-test-")).and_then(|r| r.split('-').next())
        else {
            continue;
        };
        let ended = pid.parse::<u32>().is_ok_and(|pid| !Path::new("/proc").join(pid.to_string()).exists());
        if ended {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}
