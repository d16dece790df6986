//! Every supported file of ../shared/real_data: exact row counts (from its README) and time ranges.
use crate::util::{inspect, real_data};

/// (path, rows, time_min, time_max) - times as printed by `inspect --json` (RFC 3339, UTC).
const FILES: &[(&str, u64, &str, &str)] = &[
    (
        "netflow-vast-ctu13/CTU1SampleAsVast.csv",
        32_048,
        "2011-08-10T07:46:53.540761Z",
        "2011-08-10T13:54:03.242899Z",
    ),
    (
        "argus-binetflow/test2-malicious.binetflow",
        6_751,
        "2019-04-04T16:23:00.325010Z",
        "2019-04-05T16:18:32.568314Z",
    ),
    // Broken pcap timestamps (1970) are in the source, as its README says.
    ("argus-binetflow/test5-mixed.binetflow", 300, "1970-01-01T01:00:00Z", "2018-05-10T10:52:47.283479Z"),
    ("nfdump/test1-malicious.nfdump.csv", 4_593, "2018-01-12T15:37:30Z", "2018-01-12T15:38:03Z"),
    (
        "nfdump/test1-malicious.nfdump-extended.txt",
        4_593,
        "2018-01-12T15:37:30.940000Z",
        "2018-01-12T15:38:03.981000Z",
    ),
    // +0200 offsets converted to UTC.
    (
        "suricata-eve/test6-malicious.suricata.json",
        5_000,
        "2021-06-06T13:57:37.272281Z",
        "2021-06-07T13:55:38.536185Z",
    ),
    (
        "zeek-wrccdc2018/zeek-tsv/dns.log",
        53_615,
        "2018-03-24T17:15:20.865716Z",
        "2018-03-24T17:36:30.151237Z",
    ),
    (
        "zeek-wrccdc2018/zeek-tsv/notice.log",
        207,
        "2018-03-24T17:15:20.629574Z",
        "2018-03-24T17:36:18.124315Z",
    ),
    (
        "zeek-wrccdc2018/zeek-tsv/weird.log",
        24_202,
        "2018-03-24T17:15:20.600843Z",
        "2018-03-24T17:36:21.262091Z",
    ),
    ("zeek-wrccdc2018/zeek-tsv/x509.log", 348, "2018-03-24T17:15:20.624556Z", "2018-03-24T17:36:20.135735Z"),
    ("zeek-wrccdc2018/zeek-tsv/rdp.log", 4_122, "2018-03-24T17:15:20.617780Z", "2018-03-24T17:31:05.153373Z"),
    (
        "zeek-wrccdc2018/zeek-tsv/smtp.log",
        1_188,
        "2018-03-24T17:15:21.789543Z",
        "2018-03-24T17:27:16.069333Z",
    ),
    ("zeek-wrccdc2018/zeek-tsv/ssh.log", 22, "2018-03-24T17:16:39.739898Z", "2018-03-24T17:36:24.947911Z"),
    (
        "zeek-wrccdc2018/zeek-tsv/syslog.log",
        2_378,
        "2018-03-24T17:15:47.733658Z",
        "2018-03-24T17:36:07.620492Z",
    ),
    (
        "zeek-wrccdc2018/zeek-tsv/software.log",
        376,
        "2018-03-24T17:15:20.609736Z",
        "2018-03-24T17:36:21.915625Z",
    ),
    (
        "zeek-wrccdc2018/zeek-tsv/known_services.log",
        1_579,
        "2018-03-24T17:15:20.609736Z",
        "2018-03-24T17:34:52.311898Z",
    ),
    (
        "zeek-wrccdc2018/zeek-json/notice.json",
        207,
        "2018-03-24T17:15:20.629574Z",
        "2018-03-24T17:36:18.124315Z",
    ),
    (
        "zeek-wrccdc2018/zeek-json/dns.json.gz",
        53_615,
        "2018-03-24T17:15:20.865716Z",
        "2018-03-24T17:36:30.151237Z",
    ),
    (
        "zeek-stratosphere/labeled-scenarios/001-zeek-scenario-malicious/labeled-conn.log",
        992,
        "1970-01-01T00:00:15.230937Z",
        "1970-01-01T00:50:23.362477Z",
    ),
    (
        "zeek-stratosphere/labeled-scenarios/002-zeek-scenario-port-scanning/conn.log",
        4_504,
        "2022-09-29T14:40:56.755299Z",
        "2022-09-29T15:47:35.076524Z",
    ),
    (
        "zeek-stratosphere/labeled-scenarios/003-zeek-scenario-malicious/conn.log",
        361,
        "2020-08-07T08:49:24.509987Z",
        "2020-08-07T10:15:42.716714Z",
    ),
    (
        "zeek-stratosphere/labeled-scenarios/005-zeek-scenario-malicious/conn.log",
        992,
        "1970-01-01T00:00:11.247567Z",
        "1970-01-01T00:06:12.244952Z",
    ),
    (
        "zeek-stratosphere/labeled-scenarios/005-zeek-scenario-malicious/dns.log",
        992,
        "1970-01-01T00:00:13.184015Z",
        "1970-01-01T00:05:54.149407Z",
    ),
    (
        "zeek-stratosphere/labeled-scenarios/005-zeek-scenario-malicious/http.log",
        992,
        "1970-01-01T00:03:07.534510Z",
        "1970-01-01T00:14:11.692668Z",
    ),
    (
        "zeek-stratosphere/port-scans/vertical-conn.log",
        50,
        "2023-11-24T12:16:53.098448Z",
        "2023-11-24T12:16:58.126877Z",
    ),
    (
        "zeek-stratosphere/test18-malicious-ctu-sme-11-win/zeek-labeled/conn.log.labeled",
        766,
        "2023-02-22T00:00:02.966990Z",
        "2023-02-22T00:08:21.956000Z",
    ),
    (
        "windows-evtx-json/LM_5145_Remote_FileCopy.jsonl",
        869,
        "2019-03-18T14:23:22.134722Z",
        "2019-03-18T14:24:10.063640Z",
    ),
    (
        "windows-evtx-json/kerberos_pwd_spray_4771.jsonl",
        12,
        "2020-07-22T20:29:27.321769Z",
        "2020-07-22T20:29:36.437702Z",
    ),
    ("apache-access/apache_logs", 10_000, "2015-05-17T10:05:00Z", "2015-05-20T21:05:59Z"),
    ("syslog-loghub/Apache_2k.log", 2_000, "2005-12-04T04:47:44Z", "2005-12-05T19:15:57Z"),
];

#[test]
fn every_real_file_has_exact_rows_time_range_and_no_rejects() {
    let mut checked = 0;
    for (rel, rows, tmin, tmax) in FILES {
        let Some(p) = real_data(rel) else { continue };
        let j = inspect(&[&p], &[]);
        assert_eq!(j["rows"].as_u64(), Some(*rows), "{rel}: rows");
        assert_eq!(j["time_min"].as_str(), Some(*tmin), "{rel}: time_min");
        assert_eq!(j["time_max"].as_str(), Some(*tmax), "{rel}: time_max");
        assert_eq!(j["rejected_lines"].as_u64(), Some(0), "{rel}: rejected {:?}", j["rejected"]);
        checked += 1;
    }
    eprintln!("checked {checked} real files");
}

/// Syslog without a year: the year comes from --year; the zone from --tz.
#[test]
fn syslog_files_with_year_setting() {
    for (rel, rows, year, tmin, tmax) in [
        ("iptables/iptables.log", 8_443, "2019", "2019-02-20T10:47:14Z", "2019-02-20T10:52:25Z"),
        ("syslog-loghub/OpenSSH_2k.log", 2_000, "2017", "2017-12-10T06:55:46Z", "2017-12-10T11:04:45Z"),
        ("syslog-loghub/Linux_2k.log", 2_000, "2005", "2005-06-14T15:16:01Z", "2005-07-27T14:42:00Z"),
    ] {
        let Some(p) = real_data(rel) else { continue };
        let j = inspect(&[&p], &["--year", year]);
        assert_eq!(j["rows"].as_u64(), Some(rows), "{rel}");
        assert_eq!(j["time_min"].as_str(), Some(tmin), "{rel}");
        assert_eq!(j["time_max"].as_str(), Some(tmax), "{rel}");
        assert_eq!(j["rejected_lines"].as_u64(), Some(0), "{rel}");
    }
    // A zone setting shifts zone-less times.
    let Some(p) = real_data("iptables/iptables.log") else {
        return;
    };
    let j = inspect(&[&p], &["--year", "2019", "--tz", "+01:00"]);
    assert_eq!(j["time_min"].as_str(), Some("2019-02-20T09:47:14Z"));
}

#[test]
fn zeek_directory_opens_as_one_table_with_source_file() {
    let Some(dir) = real_data("zeek-stratosphere/test9-mixed-zeek-dir") else {
        return;
    };
    let j = inspect(&[&dir], &[]);
    // conn 576 + dns 239 + files 936 + http 516 + ssl 205 + x509 154.
    assert_eq!(j["rows"].as_u64(), Some(2_626));
    let cols: Vec<&str> =
        j["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(cols.contains(&"source_file"), "{cols:?}");
    assert!(cols.contains(&"event_type"));
}

#[test]
fn ctu_label_ground_truth_and_impala_queries() {
    let Some(p) = real_data("netflow-vast-ctu13/CTU1SampleAsVast.csv") else {
        return;
    };
    let f = p.display().to_string();
    let out = crate::util::brushfire(&[
        "query",
        &f,
        "--sql",
        "select firstseensrcip, count(*) c from logs where label = 1 group by firstseensrcip",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.trim(), "firstseensrcip,c\n147.32.84.165,4079");
}

#[test]
fn openssh_brute_force_sources() {
    let Some(p) = real_data("syslog-loghub/OpenSSH_2k.log") else {
        return;
    };
    let f = p.display().to_string();
    let out = crate::util::brushfire(&[
        "query",
        &f,
        "--sql",
        "select src_ip, count(*) c from logs where msg like '%Failed password%' group by src_ip order by c desc limit 3",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "src_ip,c");
    assert!(lines[1].starts_with("183.62.140.253,"), "{text}");
    // Independent count: grep the raw lines.
    let raw = std::fs::read_to_string(&p).unwrap();
    let n = raw.lines().filter(|l| l.contains("Failed password") && l.contains("183.62.140.253")).count();
    assert_eq!(lines[1], format!("183.62.140.253,{n}"));
}
