//! `brushfire bench startup`: cold start of the window on the bundled sample, timed from outside.
//! The app runs as a child with `BRUSHFIRE_STARTUP_PROBE` set (`app::startup_probe`) and prints a
//! line at its first frame and once every view holds its first answer; each line is timed from the
//! moment the child was spawned, so loading the executable and the GPU context count too.
use crate::app::startup_probe::{ENV, FIRST_FRAME, VIEWS_READY};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A run longer than this is stopped and counted as failed.
const RUN_LIMIT: Duration = Duration::from_secs(120);

struct Run {
    first_frame_ms: f64,
    views_ready_ms: f64,
}

fn one_run(exe: &std::path::Path) -> Result<Run> {
    let started = Instant::now();
    let mut child = Command::new(exe)
        .env(ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the app")?;
    let stdout = child.stdout.take().context("the app's output")?;
    // Read on a thread so a window that never answers is stopped at the limit, not waited on.
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(std::result::Result::ok) {
            if tx.send((line, started.elapsed())).is_err() {
                break;
            }
        }
    });
    let (mut first, mut ready) = (None, None);
    while ready.is_none() {
        let left = RUN_LIMIT.saturating_sub(started.elapsed());
        match rx.recv_timeout(left) {
            Ok((line, at)) if line == FIRST_FRAME => first = Some(at),
            Ok((line, at)) if line == VIEWS_READY => ready = Some(at),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    if ready.is_none() {
        let _ = child.kill();
    }
    let status = child.wait().context("waiting for the app")?;
    let (Some(first), Some(ready)) = (first, ready) else {
        bail!(
            "the window did not report its first answers within {} s (exit {status}); it needs a display: run under Xvfb, e.g. `Xvfb :99 & DISPLAY=:99 brushfire bench startup`",
            RUN_LIMIT.as_secs()
        );
    };
    Ok(Run { first_frame_ms: first.as_secs_f64() * 1e3, views_ready_ms: ready.as_secs_f64() * 1e3 })
}

pub fn run(runs: usize, json: bool) -> Result<()> {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        bail!("bench startup opens the window and needs a display: run under Xvfb, e.g. `Xvfb :99 & DISPLAY=:99 brushfire bench startup`");
    }
    if crate::app::bundled_sample().is_none() {
        bail!("the bundled sample (sample_data/vast-netflow-2weeks.csv.gz) is not found");
    }
    let exe = std::env::current_exe().context("finding this executable")?;
    let mut all = Vec::new();
    for _ in 0..runs.max(1) {
        all.push(one_run(&exe)?);
    }
    let stats = |f: fn(&Run) -> f64| {
        let mut v: Vec<f64> = all.iter().map(f).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        (v[0], v[v.len() / 2], v[v.len() - 1])
    };
    let (ff_min, ff_p50, ff_max) = stats(|r| r.first_frame_ms);
    let (vr_min, vr_p50, vr_max) = stats(|r| r.views_ready_ms);
    if json {
        println!(
            "{}",
            serde_json::json!({
                "runs": all.len(),
                "first_frame_ms": {"min": ff_min, "p50": ff_p50, "max": ff_max},
                "views_ready_ms": {"min": vr_min, "p50": vr_p50, "max": vr_max},
                "first_frame_each_ms": all.iter().map(|r| r.first_frame_ms).collect::<Vec<_>>(),
                "views_ready_each_ms": all.iter().map(|r| r.views_ready_ms).collect::<Vec<_>>(),
            })
        );
    } else {
        println!("startup on the bundled sample, {} runs (from spawn):", all.len());
        println!("  first frame   min {ff_min:7.0} ms  p50 {ff_p50:7.0} ms  max {ff_max:7.0} ms");
        println!("  views ready   min {vr_min:7.0} ms  p50 {vr_p50:7.0} ms  max {vr_max:7.0} ms");
    }
    Ok(())
}
