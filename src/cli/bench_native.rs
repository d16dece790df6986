//! `brushfire bench native FOLDER`: records per second of the native binary readers (Windows
//! .evtx, nfdump capture files) on every such file under a folder, reader only (no table),
//! best of three runs. Figures are printed, never asserted.
use crate::data::formats::native;
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

fn walk(d: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(d) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}

pub fn run(folder: &Path, json: bool) -> Result<()> {
    let mut files = Vec::new();
    walk(folder, &mut files);
    files.sort();
    let mut rows = Vec::new();
    let cancel = AtomicBool::new(false);
    for f in files {
        let Ok(data) = std::fs::read(&f) else { continue };
        let Some(kind) = native::detect(&data[..data.len().min(64)]) else { continue };
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut best = f64::MAX;
        let mut records = 0;
        for _ in 0..3 {
            let t0 = Instant::now();
            let Ok(r) = native::read(kind, data.clone(), &name, &cancel) else { break };
            best = best.min(t0.elapsed().as_secs_f64());
            records = r.records.len() + r.rejected.len();
        }
        if records == 0 {
            continue;
        }
        rows.push(serde_json::json!({
            "file": f.display().to_string(), "format": kind.name(), "records": records,
            "bytes": data.len(), "records_per_s": records as f64 / best, "mb_per_s": data.len() as f64 / 1e6 / best,
        }));
    }
    if json {
        outln!("{}", serde_json::Value::Array(rows));
    } else {
        for r in rows {
            outln!(
                "{:<60} {:<14} {:>9} records {:>11.0} records/s {:>7.1} MB/s",
                r["file"].as_str().unwrap_or(""),
                r["format"].as_str().unwrap_or(""),
                r["records"],
                r["records_per_s"].as_f64().unwrap_or(0.0),
                r["mb_per_s"].as_f64().unwrap_or(0.0)
            );
        }
    }
    Ok(())
}
