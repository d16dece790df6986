//! Bad input never panics: a clear error naming the file, or counted rejected lines with line numbers.
use crate::util::{brushfire, temp_dir};

const HEADER: &str = "TimeSeconds,parsedDate,dateTimeStr,ipLayerProtocol,ipLayerProtocolCode,firstSeenSrcIp,firstSeenDestIp,firstSeenSrcPort,firstSeenDestPort,moreFragments,contFragments,durationSeconds,firstSeenSrcPayloadBytes,firstSeenDestPayloadBytes,firstSeenSrcTotalBytes,firstSeenDestTotalBytes,firstSeenSrcPacketCount,firstSeenDestPacketCount,recordForceOut";
const ROW: &str = "1364774400.5,2013-04-01 00:00:00,20130401000000,6,TCP,172.10.1.2,10.0.0.5,51000,80,0,0,1,100,2000,160,2100,2,3,0";

fn inspect_json(path: &std::path::Path) -> Result<serde_json::Value, String> {
    let o = brushfire(&["inspect", &path.display().to_string(), "--json"]);
    // 101 is Rust's panic exit code: never acceptable.
    assert_ne!(
        o.status.code(),
        Some(101),
        "panic on {}: {}",
        path.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    if o.status.success() {
        Ok(serde_json::from_slice(&o.stdout).unwrap())
    } else {
        let e = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(e.trim().lines().count(), 1, "one line: {e}");
        assert!(e.contains(&path.display().to_string()) || e.contains("inputs mix"), "names the file: {e}");
        Err(e)
    }
}

#[test]
fn empty_file_is_a_clear_error() {
    let d = temp_dir("empty");
    let p = d.join("empty.csv");
    std::fs::write(&p, "").unwrap();
    let e = inspect_json(&p).unwrap_err();
    assert!(e.contains("empty file"), "{e}");
}

#[test]
fn header_only_is_an_empty_table() {
    let d = temp_dir("header");
    let p = d.join("h.csv");
    std::fs::write(&p, format!("{HEADER}\n")).unwrap();
    let j = inspect_json(&p).unwrap();
    assert_eq!(j["rows"].as_u64(), Some(0));
    assert_eq!(j["format"].as_str(), Some("vast-netflow"));
}

#[test]
fn truncated_last_line_extra_column_and_invalid_utf8_are_counted_rejects() {
    let d = temp_dir("rows");
    let p = d.join("bad.csv");
    let mut bytes = format!("{HEADER}\n{ROW}\n{ROW},extra\n").into_bytes();
    // Invalid UTF-8 inside the protocol code field: kept (lossy) since the column is text.
    bytes.extend_from_slice(b"1364774401.5,2013-04-01 00:00:01,20130401000001,6,TC\xff\xfe,172.10.1.2,10.0.0.5,51000,80,0,0,1,100,2000,160,2100,2,3,0\n");
    // Invalid UTF-8 in a numeric field: rejected.
    bytes.extend_from_slice(b"1364774402.5,2013-04-01 00:00:02,20130401000002,6,TCP,172.10.1.2,10.0.0.5,51\xff00,80,0,0,1,100,2000,160,2100,2,3,0\n");
    bytes.extend_from_slice(b"1364774403.5,2013-04-01 00:00:03,2013040");
    std::fs::write(&p, bytes).unwrap();
    let j = inspect_json(&p).unwrap();
    assert_eq!(j["rows"].as_u64(), Some(2));
    assert_eq!(j["rejected_lines"].as_u64(), Some(3));
    let rej = j["rejected"].as_array().unwrap();
    let lines: Vec<u64> = rej.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, vec![3, 5, 6]);
    assert!(rej[0]["reason"].as_str().unwrap().contains("expected 19 fields, found 20"));
    assert!(
        rej[1]["reason"].as_str().unwrap().contains("firstSeenSrcPort")
            || rej[1]["reason"].as_str().unwrap().contains("src_port")
    );
    assert!(rej[2]["file"].as_str().unwrap().ends_with("bad.csv"));
}

#[test]
fn binary_garbage_is_refused() {
    let d = temp_dir("bin");
    let p = d.join("garbage.bin");
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
    std::fs::write(&p, bytes).unwrap();
    let e = inspect_json(&p).unwrap_err();
    assert!(e.contains("binary"), "{e}");
}

#[test]
fn a_100_mb_single_line_does_not_panic() {
    let d = temp_dir("long");
    let p = d.join("long.log");
    let mut s = String::with_capacity(100 * 1024 * 1024 + 200);
    s.push_str("Feb 20 10:47:14 debian kernel: ");
    while s.len() < 100 * 1024 * 1024 {
        s.push_str("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ");
    }
    s.push('\n');
    std::fs::write(&p, &s).unwrap();
    drop(s);
    // Either a one-record syslog table or a clear error: both fine, a panic is not.
    match inspect_json(&p) {
        Ok(j) => assert!(j["rows"].as_u64().unwrap() + j["rejected_lines"].as_u64().unwrap() == 1),
        Err(e) => assert!(!e.is_empty()),
    }
    // Same line in a CSV: one rejected line (wrong field count), no panic.
    let q = d.join("long.csv");
    let mut body = format!("{HEADER}\n{ROW}\n").into_bytes();
    body.extend(std::iter::repeat_n(b'x', 100 * 1024 * 1024));
    body.push(b'\n');
    std::fs::write(&q, body).unwrap();
    let j = inspect_json(&q).unwrap();
    assert_eq!(j["rows"].as_u64(), Some(1));
    assert_eq!(j["rejected_lines"].as_u64(), Some(1));
    assert_eq!(j["rejected"][0]["line"].as_u64(), Some(3));
}

#[test]
fn directory_with_mixed_formats_is_a_clear_error() {
    let d = temp_dir("mixed");
    std::fs::write(d.join("flows.csv"), format!("{HEADER}\n{ROW}\n")).unwrap();
    std::fs::write(
        d.join("auth.log"),
        "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\n",
    )
    .unwrap();
    std::fs::write(d.join("README.md"), "# notes\n\nnot a log at all, just prose with no structure.\n")
        .unwrap();
    let o = brushfire(&["inspect", &d.display().to_string(), "--json"]);
    assert_ne!(o.status.code(), Some(101));
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("mix formats") && e.contains("flows.csv") && e.contains("auth.log"), "{e}");
}

#[test]
fn input_files_are_never_overwritten_by_exports() {
    let d = temp_dir("overwrite");
    let p = d.join("in.csv");
    std::fs::write(&p, format!("{HEADER}\n{ROW}\n")).unwrap();
    let before = std::fs::read(&p).unwrap();
    let o = brushfire(&[
        "query",
        &p.display().to_string(),
        "--sql",
        "select * from logs",
        "--out",
        &p.display().to_string(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("refusing to overwrite an input file"));
    assert_eq!(std::fs::read(&p).unwrap(), before);
    // No temporary file left behind.
    let left: Vec<_> = std::fs::read_dir(&d).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

// ---------------------------------------------------------------------------------------------
// Issue #10: every listed hostile case loads with counted rejects (reasons) or fails with one line.
// ---------------------------------------------------------------------------------------------

/// Every accepted row's time is inside the validity rule (years 1..=9999), never a wrapped value.
fn assert_times_valid(j: &serde_json::Value) {
    for key in ["time_min", "time_max"] {
        if let Some(t) = j[key].as_str() {
            let year: i64 = t.split('-').next().unwrap().parse().unwrap_or(-1);
            assert!((1..=9999).contains(&year), "{key} {t} outside years 1..=9999");
        }
    }
}

fn rejected_lines(j: &serde_json::Value) -> Vec<u64> {
    j["rejected"].as_array().unwrap().iter().map(|r| r["line"].as_u64().unwrap()).collect()
}

#[test]
fn json_dotnet_dates_and_nine_digit_years_are_rejected_not_wrapped() {
    let d = temp_dir("jsondate");
    let p = d.join("events.jsonl");
    std::fs::write(
        &p,
        concat!(
            "{\"ts\":\"2020-09-13T12:26:40Z\",\"src_ip\":\"1.2.3.4\"}\n",
            "{\"ts\":\"/Date()/\",\"src_ip\":\"1.2.3.4\"}\n",
            "{\"ts\":\"/Date(9223372036854775807)/\",\"src_ip\":\"1.2.3.4\"}\n",
            "{\"ts\":\"123456789-01-01T00:00:00Z\",\"src_ip\":\"1.2.3.4\"}\n",
            "{\"ts\":\"/Date(1600000000000)/\",\"src_ip\":\"1.2.3.4\"}\n",
            "{\"ts\":\"2021-02-31T00:00:00Z\",\"src_ip\":\"1.2.3.4\"}\n",
            "{\"ts\":1e300,\"src_ip\":\"1.2.3.4\"}\n",
        ),
    )
    .unwrap();
    let j = inspect_json(&p).unwrap();
    assert_eq!(j["rows"].as_u64(), Some(2), "{j}");
    assert_eq!(j["rejected_lines"].as_u64(), Some(5), "{j}");
    assert_eq!(rejected_lines(&j), vec![2, 3, 4, 6, 7]);
    assert_eq!(j["time_min"].as_str(), Some("2020-09-13T12:26:40Z"));
    assert_times_valid(&j);
    for r in j["rejected"].as_array().unwrap() {
        assert!(r["reason"].as_str().unwrap().contains("ts"), "reason names the field: {r}");
    }
}

const ACCESS_OK: &str =
    "83.149.9.216 - - [17/May/2015:10:05:03 +0000] \"GET /a HTTP/1.1\" 200 203 \"-\" \"curl\"";

#[test]
fn multibyte_characters_in_zones_are_rejected_lines_not_panics() {
    let d = temp_dir("zones");
    // Apache access log.
    let p = d.join("access.log");
    let body = format!(
        "{ACCESS_OK}\n83.149.9.216 - - [10/Oct/2000:13:55:36 +1é1] \"GET /b HTTP/1.1\" 200 5 \"-\" \"x\"\n\
         83.149.9.216 - - [10/Oct/2000:13:55:36 +0é00] \"GET /b HTTP/1.1\" 200 5 \"-\" \"x\"\n\
         83.149.9.216 - - [10/Oct/2000:13:55:36 +2500] \"GET /b HTTP/1.1\" 200 5 \"-\" \"x\"\n\
         83.149.9.216 - - [10/Oct/123456789:13:55:36 +0000] \"GET /b HTTP/1.1\" 200 5 \"-\" \"x\"\n{ACCESS_OK}\n{ACCESS_OK}\n{ACCESS_OK}\n{ACCESS_OK}\n{ACCESS_OK}\n"
    );
    std::fs::write(&p, body).unwrap();
    let j = inspect_json(&p).unwrap();
    assert_eq!(j["format"].as_str(), Some("apache-access"), "{j}");
    assert_eq!(j["rows"].as_u64(), Some(6), "{j}");
    assert_eq!(rejected_lines(&j), vec![2, 3, 4, 5]);
    assert_times_valid(&j);

    // RFC 5424 syslog.
    let p = d.join("rfc5424.log");
    let ok = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed";
    let body = format!(
        "{ok}\n<34>1 2003-10-11T22:14:15.003+0é:00 mymachine su - ID47 - bad zone\n\
         <34>1 2003-10-11T22:14:15.003+1é1 mymachine su - ID47 - bad zone\n\
         <34>1 2003-10-11T22:14:15.003+19:00 mymachine su - ID47 - zone beyond 18 h\n\
         <34>1 2003-02-29T22:14:15Z mymachine su - ID47 - no 29 February in 2003\n{ok}\n{ok}\n{ok}\n{ok}\n"
    );
    std::fs::write(&p, body).unwrap();
    let j = inspect_json(&p).unwrap();
    assert_eq!(j["rows"].as_u64(), Some(5), "{j}");
    assert_eq!(rejected_lines(&j), vec![2, 3, 4, 5]);
    assert_times_valid(&j);

    // CEF with a device time carrying a broken zone.
    let p = d.join("cef.log");
    let ok = "CEF:0|V|P|1|1|n|1|rt=Mar 24 2018 08:59:37 UTC src=10.0.0.1";
    let body = format!(
        "{ok}\nCEF:0|V|P|1|1|n|1|rt=Mar 24 2018 08:59:37 +1é1 src=10.0.0.1\n\
         CEF:0|V|P|1|1|n|1|rt=9223372036854775807 src=10.0.0.1\n{ok}\n{ok}\n{ok}\n"
    );
    std::fs::write(&p, body).unwrap();
    let j = inspect_json(&p).unwrap();
    assert_eq!(j["rows"].as_u64().unwrap() + j["rejected_lines"].as_u64().unwrap(), 6, "{j}");
    assert_times_valid(&j);
}

#[test]
fn rfc5424_file_with_a_broken_first_and_last_line_is_detected() {
    let d = temp_dir("first5424");
    let p = d.join("cut.log");
    let ok = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed";
    // Cut inside the CEE JSON of a Windows event forwarded as RFC 5424: starts like JSON.
    let mut body = String::from("{\"source\": \"PC-helen.jerry.land\", \"msg\": \"The Multimedia Class\n");
    for _ in 0..20 {
        body.push_str(ok);
        body.push('\n');
    }
    body.push_str("<34>1 2003-10-11T2");
    std::fs::write(&p, body).unwrap();
    let j = inspect_json(&p).unwrap();
    assert!(j["format"].as_str().unwrap().starts_with("syslog"), "{j}");
    assert_eq!(j["rows"].as_u64(), Some(20), "{j}");
    assert_eq!(rejected_lines(&j), vec![1, 22]);
}

/// A honeypot web log: request lines carry NOP sleds (0x90) and WebDAV SEARCH overflows.
fn honeypot_log() -> Vec<u8> {
    let mut b = Vec::new();
    for i in 0..30 {
        b.extend_from_slice(
            format!("10.0.0.{i} - - [17/May/2015:10:05:{:02} +0000] \"GET /index.html HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n", i % 60)
                .as_bytes(),
        );
        if i % 3 == 0 {
            b.extend_from_slice(b"61.1.2.3 - - [17/May/2015:10:06:00 +0000] \"SEARCH /");
            b.extend(std::iter::repeat_n(0x90u8, 400));
            b.extend_from_slice(b"\x31\xc0\x50\x68//sh\x68/bin\x89\xe3\x50\x53\x89\xe1\xb0\x0b\xcd\x80 HTTP/1.1\" 414 0 \"-\" \"-\"\n");
        }
        if i % 5 == 0 {
            b.extend_from_slice(b"61.1.2.4 - - [17/May/2015:10:07:00 +0000] \"GET /default.ida?");
            b.extend(std::iter::repeat_n(b'N', 200));
            b.extend_from_slice(b"%u9090%u6858\x90\x90\x90\xeb\x10\x5a\x4a HTTP/1.0\" 400 0 \"-\" \"-\"\n");
        }
    }
    b
}

#[test]
fn honeypot_web_log_with_raw_shellcode_loads_every_line() {
    let d = temp_dir("honeypot");
    let p = d.join("access.log");
    let log = honeypot_log();
    let lines = log.iter().filter(|b| **b == b'\n').count() as u64;
    std::fs::write(&p, &log).unwrap();
    let j = inspect_json(&p).unwrap();
    assert_eq!(j["format"].as_str(), Some("apache-access"), "{j}");
    assert_eq!(j["rows"].as_u64(), Some(lines), "{j}");
    assert_eq!(j["rejected_lines"].as_u64(), Some(0), "{j}");
    // The raw bytes are shown escaped, never dropped: the SQL result carries the escaped sled.
    let o = brushfire(&[
        "query",
        &p.display().to_string(),
        "--sql",
        "select http_request from logs where http_method = 'SEARCH' limit 1",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("\\x90\\x90\\x90"), "escaped NOP sled: {out}");
    assert!(out.contains("\\x89\\xe3PS\\x89\\xe1"), "escaped shellcode tail: {out}");
}

#[test]
fn a_file_that_grows_while_loading_gives_the_size_seen_at_open() {
    use std::io::Write;
    let d = temp_dir("grow");
    let p = d.join("growing.log");
    let line = "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4\n";
    std::fs::write(&p, line.repeat(200_000)).unwrap();
    let writer = {
        let p = p.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
            for _ in 0..2000 {
                // Half lines too: a snapshot must never hold a partial line as data.
                f.write_all(&line.as_bytes()[..40]).unwrap();
                f.write_all(&line.as_bytes()[40..]).unwrap();
            }
        })
    };
    let j = inspect_json(&p).unwrap();
    writer.join().unwrap();
    let rows = j["rows"].as_u64().unwrap();
    let rej = j["rejected_lines"].as_u64().unwrap();
    assert!(rows >= 200_000, "{rows}");
    // Whatever was seen at open is a consistent snapshot: only whole lines, at most a cut last line.
    assert!(rej <= 1, "{j}");
}

#[test]
fn generated_syslog_and_json_volumes_load_with_exact_counts() {
    // The same generator `brushfire bench volume` runs at 10 M lines; here 200 k each. The command
    // fails unless rows = lines - broken and rejected = broken exactly.
    for kind in ["syslog", "json"] {
        let o = brushfire(&["bench", "volume", "--kind", kind, "--lines", "200000", "--json"]);
        assert!(o.status.success(), "{kind}: {}", String::from_utf8_lossy(&o.stderr));
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(j["rows"].as_u64(), Some(199_800), "{j}");
        assert_eq!(j["rejected"].as_u64(), Some(200), "{j}");
        assert_eq!(j["exact"].as_bool(), Some(true), "{j}");
    }
}
