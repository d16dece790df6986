//! `brushfire bench query --rows N`: `query` over a generated VAST netflow CSV and a Parquet copy
//! of it, three ways on the same files in the same run: the lazy scan (default), the eager load
//! (`--eager`) and DuckDB. Each runs as a child process, measured alike: wall time and the child's
//! own peak resident memory. Issue #11 asks for <= 1.2x DuckDB's time and <= 2x its memory.
use super::bench_lines::{duckdb_command, find_duckdb, run_child, RemoveOnDrop, Run};
use crate::data;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One measured query: Brushfire's SQL (table `logs`) and DuckDB's over the CSV and the Parquet.
struct BenchQuery {
    name: &'static str,
    brushfire: &'static str,
    /// `{}` is the `read_csv(...)` / `read_parquet(...)` source.
    duckdb_csv: &'static str,
    duckdb_parquet: &'static str,
}

/// 2013-04-03 and 2013-04-04 00:00 UTC: one day of the generated fortnight.
const DAY_START: i64 = 1_364_947_200;
const DAY_END: i64 = DAY_START + 86_400;

const QUERIES: &[BenchQuery] = &[
    BenchQuery {
        name: "top-20 destination ports",
        brushfire: "select dst_port, count(*) c from logs group by dst_port order by c desc, dst_port limit 20",
        duckdb_csv: "select firstSeenDestPort, count(*) c from {} group by 1 order by c desc, 1 limit 20",
        duckdb_parquet: "select dst_port, count(*) c from {} group by 1 order by c desc, 1 limit 20",
    },
    BenchQuery {
        name: "top-20 sources by bytes in one day",
        brushfire: "select src_ip, sum(bytes_sent) b from logs where time >= '2013-04-03' and time < '2013-04-04' group by src_ip order by b desc, src_ip limit 20",
        duckdb_csv: "select firstSeenSrcIp, sum(firstSeenSrcTotalBytes) b from {} where TimeSeconds >= DAY_START and TimeSeconds < DAY_END group by 1 order by b desc, 1 limit 20",
        duckdb_parquet: "select src_ip, sum(bytes_sent) b from {} where time >= to_timestamp(DAY_START) and time < to_timestamp(DAY_END) group by 1 order by b desc, 1 limit 20",
    },
];

fn duckdb_sql(template: &str, source: &str) -> String {
    template
        .replace("{}", source)
        .replace("DAY_START", &DAY_START.to_string())
        .replace("DAY_END", &DAY_END.to_string())
}

pub fn run(
    rows: u64,
    dir: Option<PathBuf>,
    duckdb: Option<String>,
    no_eager: bool,
    json: bool,
) -> Result<()> {
    let exe = std::env::current_exe().context("path of this brushfire")?;
    let keep = dir.is_some();
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("brushfire-bench-query-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let csv = dir.join(format!("vast-{rows}.csv"));
    let parquet = dir.join(format!("vast-{rows}.parquet"));
    let _remove = (!keep).then(|| (RemoveOnDrop(csv.clone()), RemoveOnDrop(parquet.clone())));
    super::bench::gen_file(rows, Some(csv.clone()))?;
    if !parquet.exists() {
        write_parquet_copy(&exe, &csv, &parquet)?;
    }
    let duckdb = duckdb.or_else(find_duckdb);
    let mut out = Vec::new();
    for (kind, file) in [("csv", &csv), ("parquet", &parquet)] {
        let bytes = std::fs::metadata(file)?.len();
        for q in QUERIES {
            let brushfire = |eager: bool| {
                let mut c = Command::new(&exe);
                c.arg("query").arg(file).args(["--sql", q.brushfire]);
                if eager {
                    c.arg("--eager");
                }
                run_child(&mut c)
            };
            let lazy = brushfire(false)?;
            let eager = if no_eager { None } else { Some(brushfire(true)?) };
            let source = match kind {
                "csv" => format!("read_csv('{}')", file.display()),
                _ => format!("read_parquet('{}')", file.display()),
            };
            let template = if kind == "csv" { q.duckdb_csv } else { q.duckdb_parquet };
            let peer_sql = duckdb_sql(template, &source);
            let peer = duckdb.as_deref().map(|d| run_child(&mut duckdb_command(d, &peer_sql))).transpose()?;
            let ratio = |f: fn(&Run) -> f64| peer.as_ref().map(|p| f(&lazy) / f(p));
            let row = serde_json::json!({
                "file": kind,
                "query": q.name,
                "rows": rows,
                "file_bytes": bytes,
                "lazy_s": lazy.seconds,
                "lazy_peak_rss_bytes": lazy.peak_rss_bytes,
                "lazy_cpu_s": lazy.cpu_seconds,
                "eager_s": eager.as_ref().map(|e| e.seconds),
                "eager_peak_rss_bytes": eager.as_ref().map(|e| e.peak_rss_bytes),
                "eager_cpu_s": eager.as_ref().map(|e| e.cpu_seconds),
                "lazy_equals_eager": eager.as_ref().map(|e| e.output == lazy.output),
                "duckdb_s": peer.as_ref().map(|p| p.seconds),
                "duckdb_peak_rss_bytes": peer.as_ref().map(|p| p.peak_rss_bytes),
                "duckdb_cpu_s": peer.as_ref().map(|p| p.cpu_seconds),
                "time_over_duckdb": ratio(|r| r.seconds),
                "cpu_over_duckdb": ratio(|r| r.cpu_seconds),
                "memory_over_duckdb": ratio(|r| r.peak_rss_bytes as f64),
                "brushfire_sql": q.brushfire,
                "duckdb_sql": peer_sql,
                "brushfire_output": lazy.output,
                "duckdb_output": peer.as_ref().map(|p| p.output.clone()),
            });
            if !json {
                let mb = |r: &Run| r.peak_rss_bytes as f64 / 1e6;
                let shown =
                    |r: &Run| format!("{:.2} s (cpu {:.2} s) {:.0} MB", r.seconds, r.cpu_seconds, mb(r));
                outln!(
                    "{kind:<7} {:<36} lazy {} | eager {} | duckdb {}",
                    q.name,
                    shown(&lazy),
                    eager.as_ref().map_or("-".into(), shown),
                    peer.as_ref().map_or("not found".into(), |p| format!(
                        "{}; lazy/duckdb time {:.2}x cpu {:.2}x memory {:.2}x",
                        shown(p),
                        lazy.seconds / p.seconds,
                        lazy.cpu_seconds / p.cpu_seconds,
                        lazy.peak_rss_bytes as f64 / p.peak_rss_bytes.max(1) as f64
                    ))
                );
            }
            out.push(row);
        }
    }
    if !keep {
        drop(_remove);
        let _ = std::fs::remove_dir(&dir);
    }
    if json {
        outln!("{}", serde_json::Value::Array(out));
    }
    Ok(())
}

/// The Parquet copy holds the table `load` builds (dictionary names, typed time), as a lake export
/// of the CSV would. Written by a child: a child's peak memory starts from its parent's size when
/// it is forked, so this process stays small for the measured children.
fn write_parquet_copy(exe: &Path, csv: &Path, parquet: &Path) -> Result<()> {
    let stored: Vec<&str> = data::formats::vast::COLUMNS
        .iter()
        .filter(|(_, _, kind)| *kind != data::formats::delimited::Kind::Skip)
        .map(|(_, name, _)| *name)
        .chain(["proto"])
        .collect();
    let sql = format!("select {} from logs", stored.join(", "));
    let mut c = Command::new(exe);
    c.arg("query").arg(csv).args(["--sql", &sql, "--format", "parquet", "--out"]).arg(parquet);
    run_child(&mut c).with_context(|| format!("writing {}", parquet.display()))?;
    Ok(())
}
