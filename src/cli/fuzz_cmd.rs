//! `brushfire bench fuzz DIR --cases N`: the property-test generators (`data::fuzz`) run longer,
//! with cases per second and failures per parser. `brushfire bench volume`: 10 M generated lines
//! loaded with exact counts, lines/s and peak memory.
use super::bench::{current_rss_bytes, peak_rss_bytes};
use crate::data::{self, fuzz, volume, LoadControl, LoadOptions};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn fuzz(dir: &Path, cases: u64, seed: u64, long_line_bytes: usize, json: bool) -> Result<()> {
    let seeds =
        fuzz::seed_lines(dir, 50).with_context(|| format!("{}: cannot read seed logs", dir.display()))?;
    if seeds.is_empty() {
        bail!("{}: no log files to take seed lines from", dir.display());
    }
    let n_seed: usize = seeds.iter().map(|(_, l)| l.len()).sum();
    eprintln!("{n_seed} seed lines from {} files under {}", seeds.len(), dir.display());
    let stats = fuzz::run_campaign(&seeds, cases, seed, long_line_bytes);
    let mut failures = 0;
    let mut rows = Vec::new();
    for (name, st) in &stats {
        failures += st.failures.len();
        let rate = st.cases as f64 / st.secs.max(1e-9);
        if !json {
            outln!(
                "{name:<20} {:>9} cases {:>11.0} cases/s {:>5} failures",
                st.cases,
                rate,
                st.failures.len()
            );
            for (input, why) in st.failures.iter().take(5) {
                let shown =
                    data::text_escape::escape_invalid_utf8(&input[..input.len().min(200)]).into_owned();
                outln!("    {why}: {shown:?}");
            }
        }
        rows.push(serde_json::json!({
            "target": name, "cases": st.cases, "seconds": st.secs, "cases_per_sec": rate,
            "failures": st.failures.len(),
        }));
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&serde_json::json!({"seed": seed, "targets": rows}))?);
    }
    if failures > 0 {
        bail!("{failures} fuzz cases broke a property (seed {seed})");
    }
    Ok(())
}

pub fn volume(kind: &str, lines: u64, file: Option<PathBuf>, json: bool) -> Result<()> {
    let k = match kind {
        "syslog" => volume::LineKind::Syslog,
        "json" => volume::LineKind::Json,
        other => bail!("--kind {other:?}: expected syslog or json"),
    };
    let ext = if k == volume::LineKind::Json { "jsonl" } else { "log" };
    let (path, temp) = match file {
        Some(p) => (p, false),
        None => (
            std::env::temp_dir().join(format!("brushfire-volume-{lines}-{}.{ext}", std::process::id())),
            true,
        ),
    };
    let t0 = Instant::now();
    let f = std::fs::File::create(&path).with_context(|| format!("{}: cannot create", path.display()))?;
    let g = volume::write_lines(k, lines, 42, f)?;
    eprintln!(
        "generated {} lines ({} MB) in {:.1} s -> {}",
        g.lines,
        g.bytes / 1_000_000,
        t0.elapsed().as_secs_f64(),
        path.display()
    );
    let base = current_rss_bytes().unwrap_or(0);
    let t0 = Instant::now();
    let opts = LoadOptions { default_year: Some(2020), ..Default::default() };
    let r = data::load_paths(std::slice::from_ref(&path), &opts, &LoadControl::default());
    let secs = t0.elapsed().as_secs_f64();
    if temp {
        let _ = std::fs::remove_file(&path);
    }
    let t = r?;
    let peak = peak_rss_bytes().unwrap_or(0);
    let exact = t.rows() as u64 == g.lines - g.broken && t.rejected.total == g.broken;
    let out = serde_json::json!({
        "kind": kind, "format": t.format, "lines": g.lines, "file_bytes": g.bytes,
        "rows": t.rows(), "rejected": t.rejected.total, "expected_rejected": g.broken, "exact": exact,
        "seconds": secs, "lines_per_sec": g.lines as f64 / secs, "mb_per_sec": g.bytes as f64 / 1e6 / secs,
        "peak_rss_mb": peak / 1_000_000, "rss_before_load_mb": base / 1_000_000,
    });
    if json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        outln!(
            "{kind}: {} lines ({} MB) -> {} rows + {} rejected ({}) in {secs:.2} s = {:.0} lines/s, peak RSS {} MB",
            g.lines,
            g.bytes / 1_000_000,
            t.rows(),
            t.rejected.total,
            if exact { "exact" } else { "WRONG" },
            g.lines as f64 / secs,
            peak / 1_000_000
        );
    }
    if !exact {
        bail!("expected {} rows and {} rejected lines", g.lines - g.broken, g.broken);
    }
    Ok(())
}
