//! Lean `query` (issue #11, item 5): the lazy scan answers exactly as the eager load does (the
//! same DataFrame: names, types, values) and rejects the same hostile lines for the same reasons.
use crate::util::{brushfire, real_data, sample, temp_dir};
use brushfire::data::lean_query::{query_paths, QueryOutcome};
use brushfire::data::sql::run_sql;
use brushfire::data::{load_paths, LoadControl, LoadOptions};
use std::path::{Path, PathBuf};

/// Queries of every kind the issue names, in VAST and dictionary names. Orders break every tie,
/// so both paths must give the same rows in the same order.
const QUERIES: &[&str] = &[
    "select firstseendestport, count(*) c from logs group by firstseendestport order by c desc, firstseendestport limit 20",
    "select src_ip, count(*) c from logs where time >= '2013-04-03' and time < '2013-04-04 12:00:00' group by src_ip order by c desc, src_ip limit 10",
    "select * from logs where dst_port = 22 and src_ip like '172.10.%' order by time, src_ip, src_port",
    "select count(*) n from logs",
    "select count(*) n from logs where dst_ip = '10.0.0.10' or src_port < 1024",
    "select time, src_ip, dst_ip, bytes_sent from logs order by bytes_sent desc, time, src_ip limit 25",
    "select proto, ip_proto, count(*) c, sum(bytes_received) b from logs group by proto, ip_proto order by c desc, proto",
    "select parseddate, timeseconds, datetimestr, firstseensrcip from logs where firstseendestport = 443 order by timeseconds, firstseensrcip limit 5",
    "select src_ip, count(distinct dst_port) ports from logs where proto = 'udp' group by src_ip order by ports desc, src_ip limit 5",
    "select src_ip, dst_port from logs where src_port in (select src_port from logs where dst_port = 22) order by time desc, src_ip limit 7",
];

fn run(paths: &[PathBuf], sql: &str, eager: bool) -> QueryOutcome {
    query_paths(paths, &LoadOptions::default(), sql, eager, &LoadControl::default())
        .unwrap_or_else(|e| panic!("{sql} ({}): {e}", if eager { "eager" } else { "lazy" }))
}

/// Runs every query both ways: the lazy path must have been taken and must equal the eager answer
/// (the table is loaded once, as `query --eager` loads it, and each query runs on it).
fn lazy_equals_eager(paths: &[PathBuf], queries: &[&str]) {
    let table = load_paths(paths, &LoadOptions::default(), &LoadControl::default()).unwrap();
    for sql in queries {
        let lazy = run(paths, sql, false);
        let eager = run_sql(&table, None, sql).unwrap();
        assert!(lazy.lazy, "{sql}: took the eager path: {:?}", lazy.how);
        assert_eq!(lazy.df.schema(), eager.schema(), "{sql}: names and types");
        assert!(lazy.df.equals_missing(&eager), "{sql}:\nlazy {:?}\neager {:?}", lazy.df, eager);
        assert!(lazy.df.height() > 0, "{sql}: a query that finds nothing proves little");
        assert_eq!(lazy.rejected.total, table.rejected.total, "{sql}: rejected lines");
    }
}

#[test]
fn lazy_scan_of_the_bundled_sample_equals_the_eager_load() {
    lazy_equals_eager(&[sample()], QUERIES);
    // The one-day query builds `src_ip` only for the rows its time filter keeps.
    let how = run(&[sample()], QUERIES[1], false).how.join("; ");
    assert!(how.contains("on the filter's columns before the others were built"), "{how}");
}

#[test]
fn lazy_scan_of_parquet_file_and_hive_folder_equals_the_eager_load() {
    let d = temp_dir("lean-parquet");
    let file = d.join("sample.parquet");
    let s = sample().display().to_string();
    let o = brushfire(&[
        "query",
        &s,
        "--sql",
        "select * from logs",
        "--format",
        "parquet",
        "--out",
        &file.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let hive = d.join("hive");
    let o = brushfire(&["export-parquet", &s, "--out-dir", &hive.display().to_string()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The Parquet copy holds the dictionary names; VAST names are aliases of the CSV only.
    let queries: Vec<&str> =
        QUERIES.iter().copied().filter(|q| !q.contains("firstseen") && !q.contains("timeseconds")).collect();
    assert!(queries.len() >= 7);
    lazy_equals_eager(&[file], &queries);
    lazy_equals_eager(&[hive], &queries);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn lazy_scan_of_real_ctu13_netflow_equals_the_eager_load() {
    let Some(p) = real_data("netflow-vast-ctu13/CTU1SampleAsVast.csv") else { return };
    lazy_equals_eager(
        &[p],
        &[
            "select firstseendestport, count(*) c from logs group by firstseendestport order by c desc, firstseendestport limit 20",
            "select label, proto, count(*) c from logs group by label, proto order by c desc, label, proto",
            "select * from logs where label = 1 and dst_port = 53 order by time, src_ip, src_port limit 50",
            "select count(*) n from logs where time >= '2011-08-10 10:00:00' and bytes_sent > 1000",
            "select src_ip, sum(bytes_sent) b from logs group by src_ip order by b desc, src_ip limit 10",
        ],
    );
}

const HEADER: &str = "TimeSeconds,parsedDate,dateTimeStr,ipLayerProtocol,ipLayerProtocolCode,firstSeenSrcIp,firstSeenDestIp,firstSeenSrcPort,firstSeenDestPort,moreFragments,contFragments,durationSeconds,firstSeenSrcPayloadBytes,firstSeenDestPayloadBytes,firstSeenSrcTotalBytes,firstSeenDestTotalBytes,firstSeenSrcPacketCount,firstSeenDestPacketCount,recordForceOut";

fn hostile_vast(dir: &Path) -> PathBuf {
    let mut b = format!("{HEADER}\n").into_bytes();
    for i in 0..200 {
        b.extend_from_slice(
            format!(
                "{}.5,2013-04-01 00:00:00,20130401000000,{},{},172.10.1.{},10.0.0.{},{},{},0,0,1,100,2000,160,2100,2,3,0\n",
                1364774400 + i * 600,
                if i % 3 == 0 { 17 } else { 6 },
                if i % 3 == 0 { "UDP" } else { "TCP" },
                i % 7,
                i % 5,
                40000 + i,
                [22, 80, 443, 53][i as usize % 4]
            )
            .as_bytes(),
        );
        match i {
            // A broken timestamp.
            20 => b.extend_from_slice(b"13647x4400.5,2013-04-01 00:00:00,20130401000000,6,TCP,172.10.1.2,10.0.0.5,51000,80,0,0,1,100,2000,160,2100,2,3,0\n"),
            // Shellcode in a text field (kept, lossy) and in a number field (rejected).
            40 => b.extend_from_slice(b"1364774401.5,2013-04-01 00:00:01,20130401000001,6,TCP,\x90\x90\xeb\x1f\x5e\x89\x76\x08,10.0.0.5,51000,80,0,0,1,100,2000,160,2100,2,3,0\n"),
            60 => b.extend_from_slice(b"1364774402.5,2013-04-01 00:00:02,20130401000002,6,TCP,172.10.1.2,10.0.0.5,51\x31\xc0\x50\x68,80,0,0,1,100,2000,160,2100,2,3,0\n"),
            // Wrong column counts.
            80 => b.extend_from_slice(b"1364774403.5,2013-04-01 00:00:03,6,TCP,172.10.1.2\n"),
            100 => b.extend_from_slice(format!("{HEADER},extra\n").as_bytes()),
            _ => {}
        }
    }
    b.extend_from_slice(b"1364774404.5,2013-04-01 00:00:04,2013040");
    let p = dir.join("hostile.csv");
    std::fs::write(&p, b).unwrap();
    p
}

#[test]
fn hostile_lines_are_rejected_alike_on_both_paths() {
    let d = temp_dir("lean-hostile");
    let p = hostile_vast(&d);
    let paths = [p.clone()];
    let queries = [
        "select dst_port, count(*) c from logs group by dst_port order by c desc, dst_port",
        "select * from logs where src_ip not like '172.%' order by time",
        "select count(*) n from logs",
        "select proto, min(time) t from logs where dst_port = 80 group by proto order by proto",
    ];
    for sql in queries {
        let lazy = run(&paths, sql, false);
        let eager = run(&paths, sql, true);
        assert!(lazy.lazy, "{:?}", lazy.how);
        assert!(lazy.df.equals_missing(&eager.df), "{sql}:\nlazy {:?}\neager {:?}", lazy.df, eager.df);
        assert_eq!(lazy.rejected.total, 5, "{sql}: {:?}", lazy.rejected.samples);
        let at = |q: &QueryOutcome| {
            q.rejected.samples.iter().map(|r| (r.file.clone(), r.line, r.reason.clone())).collect::<Vec<_>>()
        };
        assert_eq!(at(&lazy), at(&eager), "{sql}: same lines, same reasons");
    }
    let lazy = run(&paths, "select count(*) n from logs", false);
    let reasons: Vec<&str> = lazy.rejected.samples.iter().map(|r| r.reason.as_str()).collect();
    assert!(reasons[0].contains("epoch seconds"), "{reasons:?}");
    assert!(reasons[1].contains("firstSeen") || reasons[1].contains("src_port"), "{reasons:?}");
    assert!(reasons[2].contains("expected 19 fields, found 5"), "{reasons:?}");
    assert!(reasons[3].contains("found 20"), "{reasons:?}");
    // The shellcode in a text field is a value (lossy), not a rejected line, on both paths.
    let odd = run(&paths, "select src_ip from logs where src_ip not like '172.%'", false);
    assert_eq!(odd.df.height(), 1);
    // The CLI says how many lines were left out, and with --verbose which path it took.
    let o =
        brushfire(&["query", &p.display().to_string(), "--verbose", "--sql", "select count(*) n from logs"]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("lazy scan of") && err.contains("5 rejected line(s)"), "{err}");
    assert!(err.contains("hostile.csv:23: column 1"), "names file, line and reason: {err}");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "n\n201\n");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn inputs_the_scan_cannot_answer_for_go_the_eager_way_and_say_why() {
    let Some(argus) = real_data("argus-binetflow/test2-malicious.binetflow") else { return };
    let q = run(&[argus], "select proto, count(*) c from logs group by proto order by c desc, proto", false);
    assert!(!q.lazy);
    assert!(q.how[0].contains("eager load") && q.how[0].contains("inferred"), "{:?}", q.how);
    assert!(q.df.height() > 0);
    let two = [sample(), sample()];
    let q = run(&two, "select count(*) n from logs", false);
    assert!(!q.lazy && q.how[0].contains("several inputs"), "{:?}", q.how);
}

#[test]
fn a_forced_format_that_does_not_fit_is_the_same_error_on_both_paths() {
    let d = temp_dir("lean-forced");
    let p = d.join("forced.csv");
    let row = "1364774400.5,2013-04-01 00:00:00,20130401000000,6,TCP,172.10.1.2,10.0.0.5,51000,80,0,0,1,100,2000,160,2100,2,3,0";
    let bad_time = row.replacen("1364774400.5", "bad", 1);
    let bad_proto = row.replacen("6,TCP", "x,TCP", 1);
    std::fs::write(&p, format!("{HEADER}\n{row}\n{bad_time}\n{bad_proto}\n")).unwrap();
    let f = p.display().to_string();
    let args = ["query", &f, "--input-format", "vast-netflow", "--sql", "select count(*) n from logs"];
    let lazy = brushfire(&args);
    let eager = brushfire(&[&args[..], &["--eager"]].concat());
    assert_eq!(lazy.status.code(), Some(1));
    assert_eq!(eager.status.code(), Some(1));
    let err = String::from_utf8_lossy(&lazy.stderr);
    assert!(err.contains("does not read as vast-netflow: 2 of 3 lines failed (line 3: column 1"), "{err}");
    assert_eq!(lazy.stderr, eager.stderr);
    let _ = std::fs::remove_dir_all(&d);
}

/// Line formats are loaded, not scanned, but build only the fields the query names: every query
/// must equal the answer over the whole table, with the same rejected lines.
#[test]
fn line_formats_build_only_the_named_fields_and_answer_as_the_whole_table() {
    let cases: &[(&str, &[&str])] = &[
        (
            "zeek-wrccdc2018/zeek-json/dns.json.gz",
            &[
                "select dst_port, count(*) c from logs group by dst_port order by c desc, dst_port limit 10",
                "select \"QUERY\", count(*) c from logs where \"qtype_name\" = 'A' group by 1 order by c desc, 1 limit 5",
                "select SRC_IP, count(*) c from logs group by SRC_IP order by c desc, SRC_IP limit 5",
                "select ip_proto, count(*) c from logs group by ip_proto order by ip_proto",
                "select count(*) n from logs",
            ],
        ),
        (
            "suricata-eve/test6-malicious.suricata.json",
            &[
                "select event_type, count(*) c from logs group by event_type order by c desc, event_type",
                "select \"alert.signature\" s, count(*) c from logs where \"alert.signature\" is not null group by s order by c desc, s limit 5",
                "select * from logs where event_type = 'alert' order by time, src_ip limit 20",
                "select min(time) a, max(time) b, sum(bytes_sent) s from logs",
            ],
        ),
        (
            "syslog-loghub/OpenSSH_2k.log",
            &[
                "select app_name, count(*) c from logs group by app_name order by c desc, app_name",
                "select user_name, src_ip from logs where msg like '%Failed%' order by time, src_ip, user_name limit 10",
            ],
        ),
        ("windows-evtx-json/LM_5145_Remote_FileCopy.jsonl", &[
            "select subject_user_name, count(*) c from logs group by 1 order by c desc, 1",
        ]),
    ];
    for (rel, queries) in cases {
        let Some(p) = real_data(rel) else { return };
        let paths = [p];
        let table = load_paths(&paths, &LoadOptions::default(), &LoadControl::default()).unwrap();
        for sql in *queries {
            let lean = run(&paths, sql, false);
            let whole = run_sql(&table, None, sql).unwrap();
            assert!(lean.df.equals_missing(&whole), "{rel}: {sql}:\nlean {:?}\nwhole {:?}", lean.df, whole);
            assert!(whole.height() > 0, "{rel}: {sql}: a query that finds nothing proves little");
            assert_eq!(lean.rejected.total, table.rejected.total, "{rel}: {sql}: rejected lines");
            let said = lean.how.join(" ");
            let projected = !sql.contains('*') || sql.contains("count(*)") && !sql.contains("select *");
            assert_eq!(said.contains("builds only the fields"), projected, "{rel}: {sql}: {said}");
        }
    }
}

/// JSON lines read for a query store only the keys that can reach the fields it names (the other
/// values are checked, not kept). On every real JSON-lines file, every field, named in small groups
/// and then all together, must come out exactly as the whole table has it, with the same rejected
/// lines. (Each field alone took a minute of CI; groups of neighbours-apart fields cost a tenth.)
#[test]
fn json_lines_read_for_a_query_give_every_field_as_the_whole_table() {
    let files = [
        "suricata-eve/test6-malicious.suricata.json",
        "zeek-wrccdc2018/zeek-json/dns.json.gz",
        "zeek-wrccdc2018/zeek-json/notice.json",
        "windows-evtx-json/LM_5145_Remote_FileCopy.jsonl",
        "windows-evtx-json/kerberos_pwd_spray_4771.jsonl",
        "zeek-stratosphere/labeled-scenarios/002-zeek-scenario-port-scanning/conn.log",
        "zeek-stratosphere/port-scans/vertical-conn.log",
        "zeek-stratosphere/test9-mixed-zeek-dir/conn.log",
        "zeek-stratosphere/test9-mixed-zeek-dir/dns.log",
        "zeek-stratosphere/test9-mixed-zeek-dir/files.log",
        "zeek-stratosphere/test9-mixed-zeek-dir/http.log",
        "zeek-stratosphere/test9-mixed-zeek-dir/ssl.log",
        "zeek-stratosphere/test9-mixed-zeek-dir/x509.log",
    ];
    for rel in files {
        let Some(p) = real_data(rel) else { return };
        let paths = [p];
        let table = load_paths(&paths, &LoadOptions::default(), &LoadControl::default()).unwrap();
        let names: Vec<String> = table.df.get_column_names().iter().map(|n| n.to_string()).collect();
        let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        // Fields far apart in the table share a query: its keys come from different parts of a line.
        let groups = quoted.len().div_ceil(6);
        let mut queries: Vec<String> = (0..groups)
            .map(|g| {
                let some: Vec<&str> = quoted.iter().skip(g).step_by(groups).map(String::as_str).collect();
                format!("select {} from logs", some.join(", "))
            })
            .collect();
        queries.push(format!("select {} from logs", quoted.join(", ")));
        for sql in &queries {
            let lean = run(&paths, sql, false);
            assert!(lean.how.join(" ").contains("builds only the fields"), "{rel}: {sql}: {:?}", lean.how);
            let whole = run_sql(&table, None, sql).unwrap();
            assert_eq!(lean.df.schema(), whole.schema(), "{rel}: {sql}");
            assert!(lean.df.equals_missing(&whole), "{rel}: {sql}:\nlean {:?}\nwhole {:?}", lean.df, whole);
            assert_eq!(lean.rejected.total, table.rejected.total, "{rel}: {sql}: rejected lines");
            let at = |r: &brushfire::data::table::Rejected| {
                r.samples.iter().map(|s| (s.line, s.reason.clone())).collect::<Vec<_>>()
            };
            assert_eq!(at(&lean.rejected), at(&table.rejected), "{rel}: {sql}: same lines, same reasons");
        }
    }
}
