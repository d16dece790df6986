//! Issue #19: any log a person can read opens with time, level and message - generic timestamped
//! text, logfmt, container output - and `--format` / "Open as…" force a format. Real application
//! logs are in tests/fixtures/anylog (provenance in its README.md).
use crate::util::{brushfire, inspect, real_data, temp_dir};
use std::path::{Path, PathBuf};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/anylog").join(rel)
}

fn lines_of(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p).expect("fixture").lines().map(str::to_string).collect()
}

/// `brushfire query FILE --sql SQL [extra]` as CSV rows (header dropped).
fn query(p: &Path, sql: &str, extra: &[&str]) -> Vec<String> {
    let path = p.display().to_string();
    let mut args = vec!["query", path.as_str(), "--sql", sql];
    args.extend_from_slice(extra);
    let out = brushfire(&args);
    assert!(out.status.success(), "query failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().skip(1).map(str::to_string).collect()
}

fn count(p: &Path, filter: &str, extra: &[&str]) -> u64 {
    let sql = format!("select count(*) from logs where {filter}");
    query(p, &sql, extra)[0].parse().expect("a count")
}

/// A Kubernetes klog line: `I0616 10:25:22.247828 ...` (level letter, month and day).
fn is_klog(l: &str) -> bool {
    let b = l.as_bytes();
    b.len() > 6 && b"IWEF".contains(&b[0]) && b[1..5].iter().all(u8::is_ascii_digit) && b[5] == b' '
}

fn column_names(v: &serde_json::Value) -> Vec<String> {
    v["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn the_three_examples_of_the_issue_open_with_time_level_and_message() {
    let d = temp_dir("anylog-issue");
    let cases = [
        (
            "plain.log",
            "2012-07-02 10:22:40,672:DEBUG:foo bar baz\n2012-07-02 10:22:41,001:INFO:second line\n",
            "generic-text",
            "2012-07-02 10:22:40.672000,debug,foo bar baz",
        ),
        (
            "compose.log",
            "web-1  | {\"level\":\"info\",\"time\":\"2021-09-15T21:17:10Z\",\"msg\":\"listening on :80\"}\n\
             web-1  | {\"level\":\"error\",\"time\":\"2021-09-15T21:17:11Z\",\"msg\":\"upstream gone\"}\n",
            "container",
            "2021-09-15 21:17:10.000000,info,listening on :80",
        ),
        (
            "logfmt.log",
            "time=\"2021-09-15T21:17:10Z\" level=error msg=\"cannot reach the \\\"db\\\"\" addr=10.0.0.5\n\
             time=\"2021-09-15T21:17:12Z\" level=info msg=retrying\n",
            "logfmt",
            "2021-09-15 21:17:10.000000,error,\"cannot reach the \"\"db\"\"\"",
        ),
    ];
    for (name, text, format, first) in cases {
        let p = d.join(name);
        std::fs::write(&p, text).expect("write");
        let v = inspect(&[&p], &[]);
        assert_eq!(v["format"], format, "{name}");
        assert_eq!(v["rows"], 2, "{name}");
        assert_eq!(v["rejected_lines"], 0, "{name}");
        let rows = query(
            &p,
            "select strftime(time, '%Y-%m-%d %H:%M:%S%.6f'), level, msg from logs order by time",
            &[],
        );
        assert_eq!(rows[0], first, "{name}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn real_application_logs_open_as_generic_text() {
    // (fixture, first time, has a level column)
    let cases = [
        ("loghub/Zookeeper_100.log", "2015-07-29T17:41:44.747000Z", true),
        ("loghub/Hadoop_100.log", "2015-10-18T18:01:47.978000Z", true),
        ("loghub/Spark_100.log", "2017-06-09T20:10:40Z", true),
        ("loghub/HDFS_100.log", "2008-11-09T20:36:15Z", true),
        ("loghub/Android_100.log", "2017-03-17T16:13:38.811000Z", true),
        ("loghub/HealthApp_100.log", "2017-12-23T22:15:29.606000Z", false),
        ("loghub/OpenStack_100.log", "2017-05-16T00:00:00.008000Z", true),
        ("loghub/Windows_100.log", "2016-09-28T04:30:30Z", true),
    ];
    for (rel, first, has_level) in cases {
        let p = fixture(rel);
        // Android logcat has no year: 2017 as the setting.
        let v = inspect(&[&p], &["--year", "2017"]);
        assert_eq!(v["format"], "generic-text", "{rel}");
        assert_eq!(v["rows"], 100, "{rel}");
        assert_eq!(v["rejected_lines"], 0, "{rel}");
        assert_eq!(v["time_min"], first, "{rel}");
        let cols = column_names(&v);
        assert_eq!(cols.contains(&"level".to_string()), has_level, "{rel}: {cols:?}");
        assert!(cols.contains(&"msg".to_string()), "{rel}");
    }
    // Levels agree with a plain text count of the level words.
    let zk = fixture("loghub/Zookeeper_100.log");
    let lines = lines_of(&zk);
    for (word, level) in [(" - INFO ", "info"), (" - WARN ", "warn"), (" - ERROR ", "error")] {
        let expected = lines.iter().filter(|l| l.contains(word)).count() as u64;
        assert_eq!(count(&zk, &format!("level = '{level}'"), &[]), expected, "{level}");
    }
    let spark = fixture("loghub/Spark_100.log");
    let info = lines_of(&spark).iter().filter(|l| l.get(18..23) == Some("INFO ")).count() as u64;
    assert_eq!(count(&spark, "level = 'info' and logger is not null", &[]), info);
}

#[test]
fn go_pod_logs_with_banners_and_continuations() {
    // Rancher's Go log: `2022/06/16 10:24:40 [INFO] ...`; the capture's banner lines before the
    // first record are rejected and counted, later banners continue the previous message.
    let p = fixture("k8s/rancher.log");
    let lines = lines_of(&p);
    let stamped = lines.iter().filter(|l| l.starts_with("2022/")).count() as u64;
    let v = inspect(&[&p], &[]);
    assert_eq!(v["format"], "generic-text");
    assert_eq!(v["rows"], stamped);
    assert_eq!(v["rejected_lines"], 3, "copyright, licence and START banner lines");
    let warn =
        lines.iter().filter(|l| l.starts_with("2022/") && l.get(20..26) == Some("[WARN]")).count() as u64;
    assert_eq!(count(&p, "level = 'warn'", &[]), warn);

    // Istio's init container prints variables on their own lines: not detected (5% of the lines
    // carry a time), but `--format generic-text` joins them to the record they belong to.
    let istio = fixture("k8s/istio-proxy.log");
    let out = brushfire(&["inspect", istio.to_str().unwrap_or_default()]);
    assert!(!out.status.success());
    let v = inspect(&[&istio], &["--format", "generic-text", "--year", "2022"]);
    // Forced without a detected shape, every common shape starts a record: Istio's own lines
    // and the klog lines of the Go components.
    let stamped = lines_of(&istio).iter().filter(|l| l.starts_with("2022-") || is_klog(l)).count() as u64;
    assert_eq!(v["rows"], stamped);
    let envs = lines_of(&istio).iter().filter(|l| l.starts_with("ENVOY_PORT=")).count() as u64;
    assert!(envs > 0);
    let joined = "msg like 'Istio iptables environment:%ENVOY_PORT=%'";
    assert_eq!(
        count(&istio, joined, &["--input-format", "generic-text"]),
        envs,
        "variables join their record"
    );
    assert_eq!(count(&istio, "msg like '%ENVOY_PORT=%'", &["--input-format", "generic-text"]), envs);
}

#[test]
fn logfmt_pod_logs() {
    let p = fixture("k8s/rancher-webhook.log");
    let lines = lines_of(&p);
    let logfmt = lines.iter().filter(|l| l.starts_with("time=\"")).count() as u64;
    let v = inspect(&[&p], &[]);
    assert_eq!(v["format"], "logfmt");
    assert_eq!(v["rows"], logfmt);
    // Copyright, licence, START/END banners and one klog line are not logfmt: counted.
    assert_eq!(v["rejected_lines"], lines.len() as u64 - logfmt);
    let warnings = lines.iter().filter(|l| l.contains(" level=warning ")).count() as u64;
    assert_eq!(count(&p, "level = 'warn'", &[]), warnings);
    assert_eq!(v["time_min"], "2022-06-16T10:27:23Z");

    let prom = fixture("k8s/prometheus-pod.log");
    let v = inspect(&[&prom], &[]);
    assert_eq!(v["format"], "logfmt");
    let cols = column_names(&v);
    for c in ["time", "level", "msg", "caller", "component"] {
        assert!(cols.contains(&c.to_string()), "{c} in {cols:?}");
    }
    let rows = query(&prom, "select msg from logs where caller = 'main.go:626'", &[]);
    assert_eq!(rows, vec!["Server is ready to receive web requests.".to_string()]);
}

#[test]
fn container_output_keeps_the_service_and_parses_payloads() {
    let p = fixture("container/compose-prometheus.log");
    let v = inspect(&[&p], &[]);
    assert_eq!(v["format"], "container");
    assert_eq!(v["rows"], lines_of(&p).len() as u64);
    assert_eq!(v["rejected_lines"], 0);
    let lines = lines_of(&p);
    let services = query(&p, "select service, count(*) from logs group by service order by service", &[]);
    let expected: Vec<String> = ["config-reloader-1", "node-exporter-1", "prometheus-1"]
        .iter()
        .map(|s| format!("{s},{}", lines.iter().filter(|l| l.contains(&format!("{s} "))).count()))
        .collect();
    assert_eq!(services, expected);
    let info = lines.iter().filter(|l| l.contains("level=info")).count() as u64;
    assert_eq!(count(&p, "level = 'info' and time is not null", &[]), info);
    // The config reloader's Go log lines are not logfmt: they still get their time.
    assert_eq!(count(&p, "service = 'config-reloader-1' and time is not null", &[]), 2);

    let k = fixture("container/kubectl-prefix-rancher.log");
    let lines = lines_of(&k);
    // Rancher's Go log lines, and its klog lines through the fallback for payloads the detected
    // shape refuses.
    let stamped = lines
        .iter()
        .filter(|l| l.split_once("] ").is_some_and(|(_, p)| p.starts_with("2022/") || is_klog(p)))
        .count();
    let v = inspect(&[&k], &[]);
    assert_eq!(v["format"], "container");
    assert_eq!(v["rows"], stamped as u64);
    assert_eq!(v["rejected_lines"], 0);
    assert_eq!(count(&k, "service = 'pod/rancher-649dc876b-dwqjg/rancher'", &[]), stamped as u64);
}

#[test]
fn forced_formats_and_the_format_list() {
    let out = brushfire(&["formats"]);
    assert!(out.status.success());
    let listing = String::from_utf8_lossy(&out.stdout);
    for name in ["generic-text", "logfmt", "container", "syslog", "csv", "zeek-tsv", "suricata-eve"] {
        assert!(listing.lines().any(|l| l.starts_with(name)), "{name} listed:\n{listing}");
    }
    assert!(listing.contains("e.g. "));

    // A forced format that does not fit: an error with the count and the first lines.
    let zk = fixture("loghub/Zookeeper_100.log");
    let out = brushfire(&["inspect", zk.to_str().unwrap_or_default(), "--format", "logfmt"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not read as logfmt: 100 of 100 lines failed"), "{err}");
    assert!(err.contains("line 1:") && err.contains("2015-07-29 17:41:44,747"), "{err}");

    let out = brushfire(&["inspect", zk.to_str().unwrap_or_default(), "--format", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown format \"nope\""));

    // A CSV read as text: every line a record, no header taken.
    let d = temp_dir("anylog-forced");
    let csv = d.join("t.csv");
    std::fs::write(&csv, "time,src_ip\n2021-01-01 00:00:00,10.0.0.1\n2021-01-01 00:00:01,10.0.0.2\n")
        .expect("write");
    assert_eq!(inspect(&[&csv], &[])["format"], "csv");
    let v = inspect(&[&csv], &["--format", "generic-text"]);
    assert_eq!(
        (v["format"].as_str(), v["rows"].as_u64(), v["rejected_lines"].as_u64()),
        (Some("generic-text"), Some(2), Some(1))
    );
    // query and graph spell it --input-format (their --format is the output).
    assert_eq!(query(&csv, "select count(*) from logs", &["--input-format", "generic-text"]), vec!["2"]);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn real_data_keeps_its_formats() {
    // Detection order changed (logfmt, container, stricter CSV, generic text): every real file
    // still opens as what it was. Row counts are checked in real_data.rs.
    let cases = [
        ("netflow-vast-ctu13/CTU1SampleAsVast.csv", "vast-netflow (labelled, CTU-13)"),
        ("argus-binetflow/test2-malicious.binetflow", "argus-binetflow"),
        ("argus-binetflow/test5-mixed.binetflow", "argus-binetflow"),
        ("nfdump/test1-malicious.nfdump.csv", "nfdump-csv"),
        ("nfdump/test1-malicious.nfdump-extended.txt", "nfdump-extended"),
        ("suricata-eve/test6-malicious.suricata.json", "suricata-eve"),
        ("syslog-loghub/OpenSSH_2k.log", "syslog"),
        ("syslog-loghub/Linux_2k.log", "syslog"),
        ("syslog-loghub/Apache_2k.log", "apache-error"),
        ("apache-access/apache_logs", "apache-access"),
        ("iptables/iptables.log", "syslog"),
        ("windows-evtx-json/kerberos_pwd_spray_4771.jsonl", "windows-evtx-json"),
        ("zeek-wrccdc2018/zeek-tsv/dns.log", "zeek-tsv"),
        ("zeek-wrccdc2018/zeek-json/notice.json", "zeek-json"),
        ("zeek-stratosphere/test9-mixed-zeek-dir/conn.log", "zeek-json"),
    ];
    for (rel, format) in cases {
        let Some(p) = real_data(rel) else { return };
        let v = inspect(&[&p], &[]);
        assert_eq!(v["format"], format, "{rel}");
        assert_eq!(v["rejected_lines"], 0, "{rel}");
    }
}

mod gui {
    use super::fixture;
    use brushfire::app::BrushfireApp;
    use brushfire::views::common::PresetPicker;
    use egui_kittest::kittest::Queryable;
    use egui_kittest::Harness;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// Steps frames until `done` holds for the app.
    fn wait(h: &mut Harness<'static, BrushfireApp>, what: &str, done: impl Fn(&BrushfireApp) -> bool) {
        let t0 = Instant::now();
        while !done(h.state()) {
            h.step();
            assert!(
                t0.elapsed() < Duration::from_secs(120),
                "timed out waiting for {what}: {}",
                h.state().status
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        h.step();
        h.step();
    }

    #[test]
    fn file_open_as_picks_a_format_and_re_read_as_reports_a_misfit() {
        let zk = fixture("loghub/Zookeeper_100.log");
        let picker = PresetPicker::default();
        picker.open.lock().expect("picker").push(vec![zk]);
        let app = BrushfireApp::new(Arc::new(picker), Vec::new());
        let mut h = Harness::builder()
            .with_size([1600.0, 1000.0])
            .build_ui_state(|ui, app: &mut BrushfireApp| app.ui_root(ui), app);
        h.step();

        h.get_by_label("File").click();
        h.run_steps(2);
        h.get_by_label("Open as…").click();
        h.run_steps(2);
        h.get_by_label("generic-text").click();
        h.run_steps(2);
        wait(&mut h, "the table", |a| a.loaded.is_some());
        let t = &h.state().loaded.as_ref().expect("loaded").table;
        assert_eq!(t.format, "generic-text");
        assert_eq!(t.rows(), 100);
        assert!(t.df.column("level").is_ok() && t.df.column("msg").is_ok());
        // The records table shows the parsed message.
        wait(&mut h, "the views", |a| a.is_current());
        assert!(h.query_all_by_label_contains("Notification time out: 3200").next().is_some());

        // Re-read as logfmt does not fit: an error that counts the failed lines; the table stays.
        h.get_by_label("File").click();
        h.run_steps(2);
        h.get_by_label("Re-read as…").click();
        h.run_steps(2);
        h.get_by_label("logfmt").click();
        h.run_steps(2);
        wait(&mut h, "the load to end", |a| a.load.is_none() || a.error.is_some());
        let err = h.state().error.clone().unwrap_or_default();
        assert!(err.contains("does not read as logfmt: 100 of 100 lines failed"), "{err}");
        assert_eq!(
            h.state().loaded.as_ref().map(|l| l.table.format.clone()).as_deref(),
            Some("generic-text")
        );
    }
}
