//! The real binary: inspect, query (Impala queries verbatim), generate, clean, graph.
use crate::util::{brushfire, inspect, real_data, sample, temp_dir};
use std::collections::HashMap;
use std::io::Read;

fn stdout(out: &std::process::Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Raw CSV lines of a (possibly gzipped) file, read without any Brushfire code.
fn raw_lines(p: &std::path::Path) -> Vec<String> {
    let bytes = std::fs::read(p).unwrap();
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_string(&mut s).unwrap();
        s
    } else {
        String::from_utf8(bytes).unwrap()
    };
    text.lines().map(str::to_string).collect()
}

/// Independent top-20 of a column: counts, then (count desc, value) order as the SQL's tie order is
/// unspecified - compared as count multisets plus the unambiguous leaders.
fn independent_counts(lines: &[String], col: usize, skip_header: bool) -> HashMap<String, u64> {
    let mut m = HashMap::new();
    for l in lines.iter().skip(usize::from(skip_header)) {
        if let Some(v) = l.split(',').nth(col) {
            *m.entry(v.trim().to_string()).or_insert(0) += 1;
        }
    }
    m
}

fn check_top20(file: &std::path::Path, sql: &str, col: usize, header: bool) {
    let f = file.display().to_string();
    let text = stdout(&brushfire(&["query", &f, "--sql", sql]));
    let mut lines = text.lines();
    let head = lines.next().unwrap();
    assert!(head.ends_with(",c"), "{head}");
    let got: Vec<(String, u64)> = lines
        .map(|l| {
            let (v, c) = l.rsplit_once(',').unwrap();
            (v.to_string(), c.parse().unwrap())
        })
        .collect();
    assert_eq!(got.len(), 20);
    let expect = independent_counts(&raw_lines(file), col, header);
    let mut counts: Vec<u64> = expect.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(got.iter().map(|g| g.1).collect::<Vec<_>>(), counts[..20].to_vec(), "{sql}");
    for (v, c) in &got {
        assert_eq!(expect.get(v), Some(c), "value {v}");
    }
}

#[test]
fn impala_queries_run_verbatim_and_agree_with_an_independent_count() {
    let s = sample();
    // VAST layout with header: firstSeenDestPort is column 8.
    check_top20(
        &s,
        "select firstseendestport, count(*) c from logs group by firstseendestport order by c desc limit 20",
        8,
        true,
    );
    check_top20(
        &s,
        "SELECT firstSeenSrcPort, COUNT(*) c FROM logs GROUP BY firstSeenSrcPort ORDER BY c DESC LIMIT 20",
        7,
        true,
    );
    check_top20(
        &s,
        "select dst_port, count(*) c from logs group by dst_port order by c desc limit 20",
        8,
        true,
    );
    if let Some(ctu) = real_data("netflow-vast-ctu13/CTU1SampleAsVast.csv") {
        // CTU variant: leading label column, so destination port is column 9.
        check_top20(&ctu, "select firstseendestport, count(*) c from logs group by firstseendestport order by c desc limit 20", 9, false);
        check_top20(
            &ctu,
            "select dst_port, count(*) c from logs group by dst_port order by c desc limit 20",
            9,
            false,
        );
    }
}

#[test]
fn inspect_sample_and_query_output_formats() {
    let s = sample();
    let j = inspect(&[&s], &[]);
    assert_eq!(j["rows"].as_u64(), Some(270_000));
    assert_eq!(j["format"].as_str(), Some("vast-netflow"));
    assert_eq!(j["time_min"].as_str(), Some("2013-04-01T00:00:39.066749Z"));
    assert_eq!(j["rejected_lines"].as_u64(), Some(0));
    let d = temp_dir("query");
    let f = s.display().to_string();
    for fmt in ["csv", "json", "parquet"] {
        let out = d.join(format!("q.{fmt}"));
        let o = brushfire(&[
            "query",
            &f,
            "--sql",
            "select proto, count(*) c from logs group by proto order by c desc",
            "--format",
            fmt,
            "--out",
            &out.display().to_string(),
        ]);
        stdout(&o);
        assert!(std::fs::metadata(&out).unwrap().len() > 10);
        // Exports load back.
        let back = inspect(&[&out], &[]);
        assert_eq!(back["rows"].as_u64(), Some(5), "{fmt}");
    }
}

#[test]
fn generate_is_deterministic() {
    let d = temp_dir("gen");
    let a = d.join("a.csv");
    let b = d.join("b.csv");
    let c = d.join("c.csv");
    for (p, seed) in [(&a, "5"), (&b, "5"), (&c, "6")] {
        let o = brushfire(&[
            "generate",
            "--rows",
            "20000",
            "--seed",
            seed,
            "--out",
            &p.display().to_string(),
            "--truth",
            &d.join("t.md").display().to_string(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_ne!(std::fs::read(&a).unwrap(), std::fs::read(&c).unwrap());
    assert_eq!(raw_lines(&a).len(), 20_001);
}

#[test]
fn clean_preset_flips_exactly_the_rule_rows_on_ctu() {
    let Some(ctu) = real_data("netflow-vast-ctu13/CTU1SampleAsVast.csv") else {
        return;
    };
    // Independent count of Marty's rule on the raw file (src port col 8, dst port col 9).
    let set = [20, 21, 25, 53, 80, 123, 137, 138, 389, 1900, 1984, 3389, 5355];
    let lines = raw_lines(&ctu);
    let flagged: Vec<&String> = lines
        .iter()
        .filter(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let sp: i64 = f[8].parse().unwrap_or(-1);
            let dp: i64 = f[9].parse().unwrap_or(-1);
            set.contains(&sp) && dp > 1024
        })
        .collect();
    let d = temp_dir("clean");
    let out = d.join("clean.csv");
    let o = brushfire(&[
        "clean",
        &ctu.display().to_string(),
        "--preset",
        "marty-vast2013",
        "--out",
        &out.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("repair inverted flows (marty-vast2013): {} records changed", flagged.len())),
        "{err}"
    );
    assert_eq!(flagged.len(), 70);
    // The written file loads back with every record.
    let j = inspect(&[&out], &[]);
    assert_eq!(j["rows"].as_u64(), Some(32_048));
    // A flipped record now has the service port as destination.
    let f: Vec<&str> = flagged[0].split(',').collect();
    let sql = format!("select count(*) c from logs where src_ip = '{}' and dst_ip = '{}' and dst_port = {} and src_port = {}", f[7], f[6], f[8], f[9]);
    let t = stdout(&brushfire(&["query", &out.display().to_string(), "--sql", &sql]));
    assert_ne!(t.lines().nth(1), Some("0"), "{t}");
}

#[test]
fn clean_recipe_round_trip_and_bad_recipes() {
    let d = temp_dir("recipe");
    let r = d.join("r.json");
    std::fs::write(&r, r#"{"version":1,"steps":[{"step":"null_ports_non_tcp_udp"},{"step":"exclude_scanners","src_ips":["172.10.9.99","203.0.113.66"]}]}"#).unwrap();
    let out = d.join("out.parquet");
    let o = brushfire(&[
        "clean",
        &sample().display().to_string(),
        "--recipe",
        &r.display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    // Ground truth of the sample: 5,896 ICMP/OTHER records with ports; scanners 2,000 + 1,600 records.
    assert!(err.contains("null ports of non-TCP/UDP records: 5896 records changed"), "{err}");
    assert!(err.contains("removed 3600 of 270000 records"), "{err}");
    let j = inspect(&[&out], &[]);
    assert_eq!(j["rows"].as_u64(), Some(266_400));
    // Bad recipes: clear errors, non-zero exit.
    for (text, needle) in [
        (r#"{"version":1,"steps":[{"step":"fly"}]}"#, "fly"),
        (r#"{"version":9,"steps":[]}"#, "version"),
        (
            r#"{"version":1,"steps":[{"step":"repair_inverted","service_ports":[70000],"min_dst_port_exclusive":1024}]}"#,
            "70000",
        ),
        ("{not json", "line 1"),
    ] {
        std::fs::write(&r, text).unwrap();
        let o = brushfire(&[
            "clean",
            &sample().display().to_string(),
            "--recipe",
            &r.display().to_string(),
            "--out",
            &out.display().to_string(),
        ]);
        assert!(!o.status.success());
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(needle) && e.contains("r.json"), "{e}");
        assert_eq!(e.trim().lines().count(), 1, "one line: {e}");
    }
}

#[test]
fn graph_writes_all_formats_and_graphviz_renders_dot() {
    let Some(ctu) = real_data("netflow-vast-ctu13/CTU1SampleAsVast.csv") else {
        return;
    };
    let props = real_data("afterglow/afterglow-sample.properties");
    let d = temp_dir("graph");
    for fmt in ["dot", "gdf", "graphml", "graphson"] {
        let out = d.join(format!("g.{fmt}"));
        let mut args = vec![
            "graph".to_string(),
            ctu.display().to_string(),
            "--fields".into(),
            "src_ip,dst_port,dst_ip".into(),
            "--omit-threshold".into(),
            "20".into(),
            "--format".into(),
            fmt.into(),
            "--out".into(),
            out.display().to_string(),
        ];
        if let Some(p) = &props {
            args.push("-c".into());
            args.push(p.display().to_string());
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = brushfire(&a);
        assert!(o.status.success(), "{fmt}: {}", String::from_utf8_lossy(&o.stderr));
        let text = std::fs::read_to_string(&out).unwrap();
        match fmt {
            "dot" => assert!(text.starts_with("digraph")),
            "gdf" => assert!(text.starts_with("nodedef>")),
            "graphml" => {
                assert!(text.contains("<graphml") && text.trim_end().ends_with("</graphml>"))
            }
            _ => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert!(v["graph"]["vertices"].as_array().is_some_and(|a| !a.is_empty()));
            }
        }
    }
    if std::process::Command::new("dot").arg("-V").output().is_ok() {
        let o = std::process::Command::new("dot")
            .args(["-Tsvg", &d.join("g.dot").display().to_string()])
            .output()
            .unwrap();
        assert!(o.status.success(), "graphviz rejected the DOT: {}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("<svg"));
    } else {
        eprintln!("skipping graphviz render: dot not installed");
    }
}

#[test]
fn graph_reads_plain_csv_from_stdin_like_afterglow() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_brushfire"))
        .args(["graph", "--two-node", "--format", "gdf"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"10.0.0.1,10.0.0.2\n10.0.0.1,10.0.0.3\n10.0.0.4,10.0.0.2\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    let nodes = text.lines().skip(1).take_while(|l| !l.starts_with("edgedef>")).count();
    let edges = text.lines().skip_while(|l| !l.starts_with("edgedef>")).skip(1).count();
    assert_eq!((nodes, edges), (4, 3), "{text}");
}

#[test]
fn errors_name_the_file_in_one_line() {
    let o = brushfire(&["inspect", "/nonexistent/file.csv"]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("/nonexistent/file.csv"), "{e}");
    assert_eq!(e.trim().lines().count(), 1);
    let o = brushfire(&["query", &sample().display().to_string(), "--sql", "select nosuchcolumn from logs"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("nosuchcolumn"));
}

#[test]
fn several_chunks_of_one_kind_open_as_one_table() {
    let d = temp_dir("chunks");
    let lines = raw_lines(&sample());
    let header = &lines[0];
    let body = &lines[1..30_001];
    let mut paths = Vec::new();
    for (i, chunk) in body.chunks(10_000).enumerate() {
        let p = d.join(format!("nf-chunk{}.csv", i + 1));
        std::fs::write(&p, format!("{header}\n{}\n", chunk.join("\n"))).unwrap();
        paths.push(p);
    }
    let refs: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
    let j = inspect(&refs, &[]);
    assert_eq!(j["rows"].as_u64(), Some(30_000));
    let out = stdout(&brushfire(&[
        "query",
        &paths[0].display().to_string(),
        &paths[1].display().to_string(),
        &paths[2].display().to_string(),
        "--sql",
        "select source_file, count(*) c from logs group by source_file order by source_file",
    ]));
    assert_eq!(out.trim(), "source_file,c\nnf-chunk1.csv,10000\nnf-chunk2.csv,10000\nnf-chunk3.csv,10000");
}

#[test]
fn hive_partitioned_parquet_directory() {
    use polars::prelude::*;
    let d = temp_dir("hive");
    for (day, n) in [("01", 3), ("02", 2)] {
        let dir = d.join(format!("day={day}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut df = df!(
            "timestamp" => (0..n).map(|i| 1_364_774_400i64 + i).collect::<Vec<_>>(),
            "srcip" => (0..n).map(|i| format!("10.0.0.{i}")).collect::<Vec<_>>(),
            "dstport" => (0..n).map(|i| 80 + i as i32).collect::<Vec<_>>()
        )
        .unwrap();
        let f = std::fs::File::create(dir.join("part-0.parquet")).unwrap();
        ParquetWriter::new(f).finish(&mut df).unwrap();
    }
    let j = inspect(&[&d], &[]);
    assert_eq!(j["rows"].as_u64(), Some(5));
    let cols: Vec<&str> =
        j["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(cols.contains(&"day") && cols.contains(&"src_ip") && cols.contains(&"dst_port"), "{cols:?}");
    assert_eq!(j["time_min"].as_str(), Some("2013-04-01T00:00:00Z"), "epoch seconds read as time");
}

#[test]
fn zeek_syslog_messages_are_parsed() {
    let Some(p) = real_data("zeek-wrccdc2018/zeek-tsv/syslog.log") else { return };
    let out = stdout(&brushfire(&[
        "query",
        &p.display().to_string(),
        "--sql",
        "select count(*) c from logs where event_id is not null",
    ]));
    let n: u64 = out.lines().nth(1).unwrap().parse().unwrap();
    // The CEE-JSON Windows events forwarded inside RFC 5424 messages carry event IDs.
    let raw = std::fs::read_to_string(&p).unwrap();
    let cee = raw
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains("@cee:") && l.contains("\"id\": \""))
        .count() as u64;
    assert_eq!(n, cee, "every CEE message with an id gives an event_id");
}

#[test]
fn bench_startup_without_a_display_says_how_to_run_it() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_brushfire"))
        .args(["bench", "startup", "--runs", "1"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a display") && err.contains("Xvfb"), "{err}");
}
