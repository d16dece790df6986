//! The lake (issue #12) on real logs: each file of ../shared/real_data written as a hive-partitioned
//! Parquet dataset by the real binary (`export-parquet`), then a random interaction sequence over
//! it (clicks, exclusions, brushes, prefixes, hovers that build cubes) must show what the in-memory
//! engine shows on the same file. Real records carry what generated flows never do: IPv6, MAC and
//! `0` addresses under a treemap of /16 prefixes, Zeek's unset fields as nulls, DNS names as
//! labels, 1970 timestamps beside 2018 ones, captures of minutes with no week earlier.
use crate::util::{brushfire, real_data, temp_dir};
use brushfire::data::{load_paths, LoadControl, LoadOptions};
use brushfire::linking::backend::parquet::ParquetEngine;
use brushfire::linking::backend::testing::{assert_backend_matches_memory, Scenario};
use polars::prelude::DataFrame;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `file` as the app loads it, and as a lake written by `brushfire export-parquet` in a fresh dir.
fn real_lake(file: &Path, name: &str) -> (DataFrame, PathBuf) {
    let t = load_paths(&[file.to_path_buf()], &LoadOptions::default(), &LoadControl::default())
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let lake = temp_dir(name).join("lake");
    let out =
        brushfire(&["export-parquet", &file.display().to_string(), "--out-dir", &lake.display().to_string()]);
    assert!(
        out.status.success(),
        "export-parquet {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (t.df, lake)
}

pub(crate) struct RealCase {
    pub file: &'static str,
    top_fields: &'static [&'static str],
    ip_field: &'static str,
    measure: &'static str,
    pub steps: usize,
    seed: u64,
}

impl RealCase {
    pub fn scenario(&self, subset_max_rows: Option<usize>) -> Scenario<'static> {
        Scenario {
            top_fields: self.top_fields,
            ip_field: self.ip_field,
            measure: self.measure,
            steps: self.steps,
            seed: self.seed,
            subset_max_rows,
            cube_store: None,
        }
    }
}

pub(crate) const CASES: &[RealCase] = &[
    // CTU-13 scenario 1 in the VAST layout: six hours of a botnet and its background.
    RealCase {
        file: "netflow-vast-ctu13/CTU1SampleAsVast.csv",
        top_fields: &["src_ip", "dst_port", "proto"],
        ip_field: "dst_ip",
        measure: "bytes_sent",
        steps: 40,
        seed: 5,
    },
    // Zeek DNS from a defence competition: 53 k queries in 21 minutes, names as labels, a quarter
    // of the rtt fields unset.
    RealCase {
        file: "zeek-wrccdc2018/zeek-tsv/dns.log",
        top_fields: &["src_ip", "query", "qtype_name"],
        ip_field: "dst_ip",
        measure: "count",
        steps: 40,
        seed: 5,
    },
    // Argus with a status record of 0 addresses, MAC addresses, IPv6 link-local and 1970 times.
    RealCase {
        file: "argus-binetflow/test5-mixed.binetflow",
        top_fields: &["src_ip", "dst_port", "proto"],
        ip_field: "src_ip",
        measure: "total_bytes",
        steps: 40,
        seed: 5,
    },
];

fn check_real_lakes(subset_max_rows: Option<usize>, tag: &str) {
    for (i, c) in CASES.iter().enumerate() {
        let Some(file) = real_data(c.file) else { return };
        let (df, lake) = real_lake(&file, &format!("real-lake-{tag}-{i}"));
        let engine =
            Arc::new(ParquetEngine::open(&lake).unwrap_or_else(|e| panic!("{}: {e}", lake.display())));
        eprintln!("{}: {} rows as a lake", c.file, df.height());
        let n = assert_backend_matches_memory(engine, &df, &c.scenario(subset_max_rows));
        assert!(n >= c.steps * 8, "{}: compared {n}", c.file);
    }
}

#[test]
fn real_logs_as_lakes_answer_every_view_as_the_in_memory_engine() {
    check_real_lakes(None, "subsets");
}

/// Every click a query over the lake itself (no records fetched into memory): the pushdown SQL
/// alone, on the same real records.
#[test]
fn real_logs_as_lakes_answer_every_view_by_pushdown_alone() {
    check_real_lakes(Some(0), "pushdown");
}
