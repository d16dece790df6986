//! `brushfire bench lines --scale N`: line formats at scale against the tools analysts compare
//! with. Real lines (Zeek JSON, Suricata eve, syslog, Apache access, Windows JSON) are repeated to
//! N lines; Brushfire, DuckDB and lnav each run as a child process on the same file in the same
//! run, measured the same way: wall time and peak resident memory (the child's `ru_maxrss`).
use anyhow::{bail, Context, Result};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// One family of line logs: where its real lines come from and the grouped query each tool runs.
struct Family {
    name: &'static str,
    /// Under the real-data folder.
    source: &'static str,
    /// `{}` is the table (`logs`).
    brushfire_group_by: &'static str,
    peer: Peer,
}

enum Peer {
    /// `read_json_auto('{file}')` + this column, grouped.
    DuckDb { column: &'static str },
    /// lnav's SQL over its log table.
    Lnav { table: &'static str, column: &'static str },
}

const FAMILIES: &[Family] = &[
    Family {
        name: "zeek-json",
        source: "zeek-wrccdc2018/zeek-json/dns.json.gz",
        brushfire_group_by: "dst_port",
        peer: Peer::DuckDb { column: "\"id.resp_p\"" },
    },
    Family {
        name: "suricata-eve",
        source: "suricata-eve/test6-malicious.suricata.json",
        brushfire_group_by: "event_type",
        peer: Peer::DuckDb { column: "event_type" },
    },
    Family {
        name: "windows-json",
        source: "windows-evtx-json/LM_5145_Remote_FileCopy.jsonl",
        brushfire_group_by: "subject_user_name",
        peer: Peer::DuckDb { column: "Event.EventData.SubjectUserName" },
    },
    Family {
        name: "syslog",
        source: "syslog-loghub/OpenSSH_2k.log",
        brushfire_group_by: "app_name",
        peer: Peer::Lnav { table: "syslog_log", column: "log_procname" },
    },
    Family {
        name: "apache-access",
        source: "apache-access/apache_logs",
        brushfire_group_by: "http_status",
        peer: Peer::Lnav { table: "access_log", column: "sc_status" },
    },
];

pub struct LinesArgs {
    pub scale: u64,
    pub data: PathBuf,
    pub only: Vec<String>,
    pub dir: Option<PathBuf>,
    pub duckdb: Option<String>,
    /// Times the grouped query and its peer each run, alternating; the median is reported.
    pub runs: usize,
    pub json: bool,
}

/// What one child process took.
#[derive(Clone)]
pub(crate) struct Run {
    pub(crate) seconds: f64,
    pub(crate) peak_rss_bytes: u64,
    /// User plus system CPU time: steadier than wall time on a shared machine.
    pub(crate) cpu_seconds: f64,
    /// The start of what it printed: shows the tools grouped the same rows.
    pub(crate) output: String,
}

pub fn run(a: LinesArgs) -> Result<()> {
    let exe = std::env::current_exe().context("path of this brushfire")?;
    let dir = match &a.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("brushfire-bench-lines-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let duckdb = a.duckdb.clone().or_else(find_duckdb);
    let lnav = which("lnav");
    let mut out = Vec::new();
    for fam in FAMILIES {
        if !a.only.is_empty() && !a.only.iter().any(|o| o == fam.name) {
            continue;
        }
        let src = a.data.join(fam.source);
        let file = dir.join(format!("{}-{}.log", fam.name, a.scale));
        let _remove = (a.dir.is_none()).then(|| RemoveOnDrop(file.clone()));
        let bytes = repeat_lines(&src, &file, a.scale)?;
        // The whole table, every field built (`--eager`), as the app loads it; the grouped query
        // below builds only the fields it names.
        warm_page_cache(&file)?;
        let load = run_child(Command::new(&exe).arg("query").arg(&file).args([
            "--eager",
            "--sql",
            "SELECT count(*) AS n FROM logs",
        ]))?;
        let group_sql = format!(
            "SELECT {c}, count(*) AS n FROM logs GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
            c = fam.brushfire_group_by
        );
        let (peer_name, mut peer_cmd): (&str, Option<Command>) = match &fam.peer {
            Peer::DuckDb { column } => {
                let sql = format!(
                    "SELECT {column}, count(*) AS n FROM read_json_auto('{}', maximum_object_size=16777216) GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
                    file.display()
                );
                ("duckdb", duckdb.as_deref().map(|d| duckdb_command(d, &sql)))
            }
            Peer::Lnav { table, column } => {
                let sql = format!(
                    ";SELECT {column}, count(*) AS n FROM {table} GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
                );
                (
                    "lnav",
                    lnav.as_ref().map(|l| {
                        let mut c = Command::new(l);
                        c.arg("-n").arg("-c").arg(&sql).arg(&file);
                        c
                    }),
                )
            }
        };
        // Alternating runs share the host's noise; each starts from the file in the page cache,
        // so neither tool reads it from disk because the other (or the eager load, which can push
        // a 10 GB file out of the cache) ran before it.
        let mut queries = Vec::new();
        let mut peers = Vec::new();
        for _ in 0..a.runs.max(1) {
            warm_page_cache(&file)?;
            queries.push(run_child(Command::new(&exe).arg("query").arg(&file).args(["--sql", &group_sql]))?);
            if let Some(c) = peer_cmd.as_mut() {
                warm_page_cache(&file)?;
                peers.push(run_child(c)?);
            }
        }
        let query = median_run(&queries);
        let peer = (!peers.is_empty()).then(|| median_run(&peers));
        let ratio = |b: &Run| peer.as_ref().map(|p| b.seconds / p.seconds);
        let row = serde_json::json!({
            "family": fam.name,
            "lines": a.scale,
            "file_bytes": bytes,
            "brushfire_load_s": load.seconds,
            "brushfire_load_peak_rss_bytes": load.peak_rss_bytes,
            "brushfire_load_peak_per_file_byte": load.peak_rss_bytes as f64 / bytes as f64,
            "brushfire_query_s": query.seconds,
            "brushfire_query_peak_rss_bytes": query.peak_rss_bytes,
            "peer": peer_name,
            "peer_s": peer.as_ref().map(|p| p.seconds),
            "peer_peak_rss_bytes": peer.as_ref().map(|p| p.peak_rss_bytes),
            "query_time_ratio": ratio(&query),
            "runs": queries.len(),
            "brushfire_query_runs_s": queries.iter().map(|r| r.seconds).collect::<Vec<_>>(),
            "peer_runs_s": peers.iter().map(|r| r.seconds).collect::<Vec<_>>(),
            "brushfire_group_by": group_sql,
            "brushfire_output": query.output,
            "peer_output": peer.as_ref().map(|p| p.output.clone()),
        });
        if !a.json {
            let peer_text = match &peer {
                Some(p) => format!(
                    "{peer_name} {:.2} s {:.0} MB; ratio {:.2}x",
                    p.seconds,
                    p.peak_rss_bytes as f64 / 1e6,
                    query.seconds / p.seconds
                ),
                None => format!("{peer_name} not found"),
            };
            outln!(
                "{:<14} {:>9} lines {:>6.0} MB | load, all fields {:.2} s peak {:.0} MB ({:.2}x file) | group by {:.2} s peak {:.0} MB ({:.2}x) | {peer_text}{}",
                fam.name,
                a.scale,
                bytes as f64 / 1e6,
                load.seconds,
                load.peak_rss_bytes as f64 / 1e6,
                load.peak_rss_bytes as f64 / bytes as f64,
                query.seconds,
                query.peak_rss_bytes as f64 / 1e6,
                query.peak_rss_bytes as f64 / bytes as f64,
                if queries.len() > 1 { format!(" | medians of {} alternating runs", queries.len()) } else { String::new() },
            );
        }
        out.push(row);
    }
    if a.dir.is_none() {
        let _ = std::fs::remove_dir(&dir);
    }
    if a.json {
        outln!("{}", serde_json::Value::Array(out));
    }
    Ok(())
}

/// The run of median wall time (the later of the two middle ones for an even count).
fn median_run(runs: &[Run]) -> Run {
    let mut by_time: Vec<&Run> = runs.iter().collect();
    by_time.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    by_time[by_time.len() / 2].clone()
}

/// Reads `file` through once so the next tool finds it in the page cache (as a file just
/// written or just read would be): a cold 11 GB read costs about 11 s on this machine's disk.
fn warm_page_cache(file: &Path) -> Result<()> {
    let mut f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut buf = vec![0u8; 8 << 20];
    while f.read(&mut buf).with_context(|| format!("reading {}", file.display()))? > 0 {}
    Ok(())
}

/// A scaled file is gigabytes: it goes when its family is measured, or when a tool failed.
pub(crate) struct RemoveOnDrop(pub(crate) PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes the source's non-blank lines (gzip read transparently) over and over into `dest` until
/// it holds `n` lines; returns its size in bytes.
fn repeat_lines(src: &Path, dest: &Path, n: u64) -> Result<u64> {
    let mut text = Vec::new();
    crate::data::load::open_reader(src)?
        .read_to_end(&mut text)
        .with_context(|| format!("reading {}", src.display()))?;
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .collect();
    if lines.is_empty() {
        bail!("{}: no lines to repeat", src.display());
    }
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(dest)?);
    for l in lines.iter().cycle().take(n as usize) {
        w.write_all(l)?;
        w.write_all(b"\n")?;
    }
    // On disk before any tool runs: gigabytes of dirty pages written back during the first timed
    // runs would load Brushfire's figures and not the peer's, which runs last.
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(std::fs::metadata(dest)?.len())
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(name)).find(|p| p.is_file())
}

/// The duckdb CLI on PATH, else a python on PATH that can import duckdb.
pub(crate) fn find_duckdb() -> Option<String> {
    if let Some(p) = which("duckdb") {
        return Some(p.display().to_string());
    }
    let py = which("python3")?;
    let ok = Command::new(&py).args(["-c", "import duckdb"]).stderr(Stdio::null()).status().ok()?.success();
    ok.then(|| py.display().to_string())
}

pub(crate) fn duckdb_command(program: &str, sql: &str) -> Command {
    let mut c = Command::new(program);
    if program.contains("python") {
        // Without the progress bar, which it draws on stdout when a query runs long: what the
        // bench keeps of the output is then the answer, to set beside Brushfire's.
        c.args([
            "-c",
            "import duckdb, sys; duckdb.sql('SET enable_progress_bar = false'); print(duckdb.sql(sys.argv[1]).fetchall())",
            sql,
        ]);
    } else {
        c.args(["-c", sql]);
    }
    c
}

/// Runs a child to its end: wall time and its own peak resident memory. A failing child is an
/// error with its stderr (a figure from a failed run would be no figure).
pub(crate) fn run_child(cmd: &mut Command) -> Result<Run> {
    let t0 = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {cmd:?}"))?;
    let stderr = child.stderr.take();
    let err_reader = std::thread::spawn(move || {
        let mut err = String::new();
        if let Some(mut e) = stderr {
            let _ = e.read_to_string(&mut err);
        }
        err
    });
    let mut output = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut output);
    }
    let (ok, peak, cpu_seconds) = wait_with_peak(&mut child)?;
    let seconds = t0.elapsed().as_secs_f64();
    let err = err_reader.join().unwrap_or_default();
    if !ok {
        bail!("{cmd:?} failed: {}", err.trim());
    }
    output.truncate(output.char_indices().nth(400).map_or(output.len(), |(i, _)| i));
    Ok(Run { seconds, peak_rss_bytes: peak, cpu_seconds, output })
}

#[cfg(target_os = "linux")]
fn wait_with_peak(child: &mut std::process::Child) -> Result<(bool, u64, f64)> {
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child by its id; status and usage point at live locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    if pid < 0 {
        return Err(std::io::Error::last_os_error()).context("waiting for the child");
    }
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    // ru_maxrss is in KiB on Linux.
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok((ok, usage.ru_maxrss as u64 * 1024, secs(usage.ru_utime) + secs(usage.ru_stime)))
}

#[cfg(not(target_os = "linux"))]
fn wait_with_peak(child: &mut std::process::Child) -> Result<(bool, u64, f64)> {
    Ok((child.wait()?.success(), 0, 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_files_repeat_the_real_lines_in_order_to_exactly_n() {
        let dir = std::env::temp_dir().join(format!("brushfire-bench-lines-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("src.log");
        std::fs::write(&src, "a 1\r\n\n  \nb 2\nc 3").unwrap();
        let dest = dir.join("out.log");
        let bytes = repeat_lines(&src, &dest, 7).unwrap();
        let text = std::fs::read_to_string(&dest).unwrap();
        assert_eq!(text, "a 1\nb 2\nc 3\na 1\nb 2\nc 3\na 1\n");
        assert_eq!(bytes, text.len() as u64);
        std::fs::write(&src, "\n \n").unwrap();
        assert!(repeat_lines(&src, &dest, 3).is_err(), "no lines to repeat is an error");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
