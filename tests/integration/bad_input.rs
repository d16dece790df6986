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
