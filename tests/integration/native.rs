//! Native files as analysts receive them (issue #16): Windows .evtx, nfdump capture files,
//! netlogon.log and nfdump's long / line text, through the real binary (`inspect`, `query`).
//! Counts are checked against the sources' own counts: EVTX chunk headers, the nfdump 1.6 file
//! header's stat record, and `nfdump -r FILE -o csv` where nfdump is installed (CI installs it).
use crate::util::{brushfire, inspect, temp_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/native").join(name)
}

/// `brushfire query FILES --sql SQL` as CSV text without the header line.
fn query(paths: &[&Path], sql: &str, extra: &[&str]) -> String {
    let mut args: Vec<String> = vec!["query".into()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    args.extend(["--sql".to_string(), sql.to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = brushfire(&a);
    assert!(out.status.success(), "query failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().skip(1).collect::<Vec<_>>().join("\n")
}

/// Records an EVTX file's chunk headers promise (sum of last - first + 1 record ids over chunks with
/// an intact magic), read straight from the bytes: independent of the evtx crate.
fn evtx_header_records(data: &[u8]) -> u64 {
    data.get(4096..)
        .unwrap_or_default()
        .chunks_exact(65_536)
        .filter(|c| c.starts_with(b"ElfChnk\0"))
        .map(|c| {
            let first = u64::from_le_bytes(c[8..16].try_into().expect("8 bytes"));
            let last = u64::from_le_bytes(c[16..24].try_into().expect("8 bytes"));
            last - first + 1
        })
        .sum()
}

#[test]
fn evtx_files_give_every_record_with_time_range() {
    for (name, min, max) in [
        ("Security_short_selected.evtx", "2016-06-29T15:24:34.346000Z", "2016-06-29T15:25:08.822000Z"),
        ("new-user-security.evtx", "2013-10-23T16:22:39.973500Z", "2013-10-23T16:22:40.004750Z"),
    ] {
        let p = fixture(name);
        let expected = evtx_header_records(&std::fs::read(&p).expect("fixture"));
        let v = inspect(&[&p], &[]);
        assert_eq!(v["format"], "windows-evtx", "{name}");
        assert_eq!(v["rows"].as_u64(), Some(expected), "{name}: rows vs chunk headers");
        assert_eq!(v["rejected_lines"], 0, "{name}: {}", v["rejected"]);
        assert_eq!((v["time_min"].as_str(), v["time_max"].as_str()), (Some(min), Some(max)), "{name}");
        let cols: Vec<&str> =
            v["columns"].as_array().expect("columns").iter().filter_map(|c| c["name"].as_str()).collect();
        for c in ["event_id", "record_id", "channel", "app_name", "host", "_evtx_timestamp"] {
            assert!(cols.contains(&c), "{name}: no {c} in {cols:?}");
        }
    }
    // Field mapping as the EVTX-JSON path: 4720 (user created) names the new account.
    let p = fixture("new-user-security.evtx");
    let ids = query(&[&p], "SELECT count(*) AS n, count(DISTINCT record_id) AS ids FROM logs", &[]);
    let n = evtx_header_records(&std::fs::read(&p).expect("fixture"));
    assert_eq!(ids, format!("{n},{n}"));
    let created = query(&[&p], "SELECT user_name FROM logs WHERE event_id = 4720", &[]);
    assert!(!created.is_empty(), "a 4720 with its user_name");
}

#[test]
fn evtx_several_files_stack_with_source_file() {
    let a = fixture("Security_short_selected.evtx");
    let b = fixture("new-user-security.evtx");
    let na = evtx_header_records(&std::fs::read(&a).expect("a"));
    let nb = evtx_header_records(&std::fs::read(&b).expect("b"));
    let v = inspect(&[&a, &b], &[]);
    assert_eq!(v["rows"].as_u64(), Some(na + nb));
    let per_file = query(
        &[&a, &b],
        "SELECT source_file, count(*) FROM logs GROUP BY source_file ORDER BY source_file",
        &[],
    );
    assert_eq!(per_file, format!("Security_short_selected.evtx,{na}\nnew-user-security.evtx,{nb}"));
}

#[test]
fn damaged_evtx_gives_counted_rejects_not_a_panic() {
    let src = std::fs::read(fixture("new-user-security.evtx")).expect("fixture");
    let full = evtx_header_records(&src);
    let d = temp_dir("evtx-damaged");
    // A flipped byte in the first chunk's records: that chunk fails its CRC, the file loads.
    let mut flipped = src.clone();
    flipped[4096 + 2000] ^= 0x5a;
    let f = d.join("flipped.evtx");
    std::fs::write(&f, &flipped).expect("write");
    let v = inspect(&[&f], &[]);
    assert_eq!(v["rejected_lines"], 1, "{}", v["rejected"]);
    let reason = v["rejected"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("chunk 0") && reason.contains("CRC32"), "{reason}");
    assert!(v["rows"].as_u64().unwrap_or(u64::MAX) < full);
    // Cut inside the only chunk: the incomplete chunk is a counted reject, nothing is invented.
    let cut = d.join("cut.evtx");
    std::fs::write(&cut, &src[..4096 + 40_000]).expect("write");
    let v = inspect(&[&cut], &[]);
    assert_eq!((v["rows"].as_u64(), v["rejected_lines"].as_u64()), (Some(0), Some(1)), "{v}");
    let reason = v["rejected"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("chunk 0") && reason.contains("truncated"), "{reason}");
    // A file cut inside its header is a clear error naming the file.
    let head = d.join("head.evtx");
    std::fs::write(&head, &src[..100]).expect("write");
    let out = brushfire(&["inspect", &head.display().to_string()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("head.evtx") && err.contains("EVTX"), "{err}");
}

/// (rows, bytes, packets, first, last) of a capture file through `brushfire query`.
fn flow_totals(paths: &[&Path]) -> String {
    query(
        paths,
        "SELECT count(*) AS n, sum(bytes_sent) AS b, sum(packets_sent) AS p, min(time) AS t0, max(time) AS t1 FROM logs",
        &[],
    )
}

#[test]
fn nfdump_16_capture_matches_its_header_stats() {
    let p = fixture("test1-malicious.nfdump");
    let v = inspect(&[&p], &[]);
    assert_eq!(v["format"], "nfcapd");
    assert_eq!(v["rejected_lines"], 0, "{}", v["rejected"]);
    // The file header's stat record: 4593 flows, 241025 bytes, 4652 packets, first 1515771450.940,
    // last seen 1515771483.981 (`nfdump -I`); the same as real_data's extended text export.
    assert_eq!(v["rows"], 4593);
    assert_eq!(v["time_min"], "2018-01-12T15:37:30.940000Z");
    assert_eq!(v["time_max"], "2018-01-12T15:38:03.981000Z");
    assert_eq!(flow_totals(&[&p]), "4593,241025,4652,2018-01-12T15:37:30.940000,2018-01-12T15:38:03.981000");
    let protos = query(&[&p], "SELECT proto, count(*) FROM logs GROUP BY proto ORDER BY proto", &[]);
    assert_eq!(protos, "tcp,4576\nudp,17");
    let first = query(
        &[&p],
        "SELECT src_ip, src_port, dst_ip, dst_port, tcp_flags, bytes_sent, sas FROM logs LIMIT 1",
        &[],
    );
    assert_eq!(first, "147.32.80.119,52324,147.32.82.62,902,......S.,60,2852");
}

#[test]
fn nfdump_17_capture_in_each_compression() {
    let raw = fixture("head300-raw.nfcapd");
    let expected = flow_totals(&[&raw]);
    assert!(expected.starts_with("300,"), "{expected}");
    for name in ["head300-lzo.nfcapd", "head300-lz4.nfcapd"] {
        let p = fixture(name);
        let v = inspect(&[&p], &[]);
        assert_eq!(
            (v["format"].as_str(), v["rows"].as_u64(), v["rejected_lines"].as_u64()),
            (Some("nfcapd"), Some(300), Some(0)),
            "{name}"
        );
        assert_eq!(flow_totals(&[&p]), expected, "{name}");
    }
    // ZSTD: the LZ4 file with every block recompressed (nfdump 1.7.1 cannot write ZSTD).
    let d = temp_dir("nfcapd-zstd");
    let z = d.join("head300-zstd.nfcapd");
    std::fs::write(&z, recompress_lz4_to_zstd(&std::fs::read(fixture("head300-lz4.nfcapd")).expect("lz4")))
        .expect("write");
    assert_eq!(flow_totals(&[&z]), expected);
}

/// Rewrites a layout-2 LZ4 capture file with ZSTD blocks (compression byte 4).
fn recompress_lz4_to_zstd(src: &[u8]) -> Vec<u8> {
    let mut out = src[..40].to_vec();
    out[16] = 4;
    let mut off = 40;
    while off + 12 <= src.len() {
        let size = u32::from_le_bytes(src[off + 4..off + 8].try_into().expect("4")) as usize;
        let payload = &src[off + 12..off + 12 + size];
        let plain = lz4_flex::block::decompress(payload, 16 << 20).expect("lz4 block");
        let packed = zstd::bulk::compress(&plain, 3).expect("zstd");
        let mut header = src[off..off + 12].to_vec();
        header[4..8].copy_from_slice(&(packed.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&packed);
        off += 12 + size;
    }
    // The appendix offset moved with the blocks; the reader walks blocks, not the offset.
    out
}

#[test]
fn damaged_capture_files_are_counted_not_fatal() {
    let src = std::fs::read(fixture("head300-lz4.nfcapd")).expect("fixture");
    let d = temp_dir("nfcapd-damaged");
    let cut = d.join("cut.nfcapd");
    std::fs::write(&cut, &src[..src.len() / 2]).expect("write");
    let v = inspect(&[&cut], &[]);
    assert_eq!(v["rows"], 0);
    assert_eq!(v["rejected_lines"], 1);
    assert!(
        v["rejected"][0]["reason"].as_str().unwrap_or_default().contains("truncated"),
        "{}",
        v["rejected"]
    );
    // A flipped byte inside an LZ4 block either fails to decompress (a reject naming the block)
    // or decompresses to records that are checked one by one; never a crash.
    let mut flipped = src.clone();
    flipped[40 + 12 + 100] ^= 0xff;
    let f = d.join("flipped.nfcapd");
    std::fs::write(&f, &flipped).expect("write");
    let v = inspect(&[&f], &[]);
    let rows = v["rows"].as_u64().unwrap_or(0);
    let rejected = v["rejected_lines"].as_u64().unwrap_or(0);
    assert!(rows < 300 || rejected == 0, "rows {rows}, rejected {rejected}");
    // BZ2 is refused by name.
    let mut bz = src.clone();
    bz[16] = 2;
    let b = d.join("bz2.nfcapd");
    std::fs::write(&b, &bz).expect("write");
    let out = brushfire(&["inspect", &b.display().to_string()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bz2.nfcapd") && err.contains("BZ2"), "{err}");
}

#[test]
fn collector_date_folders_stack_in_time_order() {
    let d = temp_dir("nfcapd-tree");
    let day = d.join("2018/01/12");
    std::fs::create_dir_all(&day).expect("dirs");
    std::fs::copy(fixture("udp-lz4.nfcapd"), day.join("nfcapd.201801121538")).expect("copy");
    std::fs::copy(fixture("head300-lz4.nfcapd"), day.join("nfcapd.201801121537")).expect("copy");
    let v = inspect(&[&d], &[]);
    assert_eq!((v["format"].as_str(), v["rows"].as_u64()), (Some("nfcapd"), Some(317)));
    // Given in reverse order on the command line, the collector's files still stack by name time.
    let late = day.join("nfcapd.201801121538");
    let early = day.join("nfcapd.201801121537");
    let first = query(&[&late, &early], "SELECT source_file FROM logs LIMIT 1", &[]);
    assert_eq!(first, "nfcapd.201801121537");
    let per = query(
        &[&late, &early],
        "SELECT source_file, count(*) FROM logs GROUP BY source_file ORDER BY source_file",
        &[],
    );
    assert_eq!(per, "nfcapd.201801121537,300\nnfcapd.201801121538,17");
}

/// nfdump itself, or None with a printed reason; with `CI` set its absence fails the test.
fn nfdump() -> Option<&'static str> {
    let ok = Command::new("nfdump").arg("-V").output().is_ok_and(|o| o.status.success());
    if ok {
        return Some("nfdump");
    }
    assert!(std::env::var_os("CI").is_none(), "nfdump is not installed (.ci/run installs it)");
    eprintln!("skipping: nfdump is not installed");
    None
}

fn run_nfdump(args: &[&str]) -> String {
    let out = Command::new("nfdump").args(args).env("TZ", "UTC").output().expect("nfdump runs");
    assert!(out.status.success(), "nfdump {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn capture_files_written_by_nfdump_match_its_csv() {
    let Some(_) = nfdump() else { return };
    let src = fixture("test1-malicious.nfdump");
    let d = temp_dir("nfdump-oracle");
    for (flag, name) in [("", "none"), ("-z", "lzo"), ("-y", "lz4")] {
        let f = d.join(format!("nfcapd.{name}"));
        let fs = f.display().to_string();
        let mut args = vec!["-r", src.to_str().expect("utf-8 path"), "-w", &fs];
        if !flag.is_empty() {
            args.push(flag);
        }
        run_nfdump(&args);
        // nfdump's CSV: one line per flow, then a summary that is not data.
        let csv = run_nfdump(&["-r", &fs, "-o", "csv", "-q"]);
        let oracle: Vec<String> = csv
            .lines()
            .filter(|l| !l.starts_with("ts,"))
            .take_while(|l| !l.is_empty() && !l.starts_with("Summary"))
            .map(|l| {
                let c: Vec<&str> = l.split(',').collect();
                // sa, da, sp, dp, pr (lower case), ipkt, ibyt
                format!(
                    "{},{},{},{},{},{},{}",
                    c[3],
                    c[4],
                    c[5],
                    c[6],
                    c[7].to_ascii_lowercase(),
                    c[11],
                    c[12]
                )
            })
            .collect();
        assert_eq!(oracle.len(), 4593, "{name}: nfdump's own count");
        let ours = query(
            &[&f],
            "SELECT src_ip, dst_ip, src_port, dst_port, proto, packets_sent, bytes_sent FROM logs",
            &[],
        );
        let ours: Vec<&str> = ours.lines().collect();
        assert_eq!(ours.len(), oracle.len(), "{name}");
        for (i, (a, b)) in ours.iter().zip(&oracle).enumerate() {
            assert_eq!(a, b, "{name}: flow {i}");
        }
    }
}

#[test]
fn nfdump_long_and_line_text_from_nfdump() {
    let Some(_) = nfdump() else { return };
    let src = fixture("test1-malicious.nfdump");
    let d = temp_dir("nfdump-text");
    for mode in ["long", "line"] {
        let text = run_nfdump(&["-r", src.to_str().expect("utf-8 path"), "-o", mode]);
        let f = d.join(format!("flows-{mode}.txt"));
        std::fs::write(&f, text).expect("write");
        let v = inspect(&[&f], &[]);
        assert_eq!(v["format"], format!("nfdump-{mode}"));
        assert_eq!(
            (v["rows"].as_u64(), v["rejected_lines"].as_u64()),
            (Some(4593), Some(0)),
            "{mode}: {}",
            v["rejected"]
        );
        assert_eq!(v["time_min"], "2018-01-12T15:37:30.940000Z", "{mode}");
        assert_eq!(v["time_max"], "2018-01-12T15:38:03.981000Z", "{mode}");
        let sums = query(&[&f], "SELECT sum(bytes_sent), sum(packets_sent), sum(flows) FROM logs", &[]);
        assert_eq!(sums, "241025,4652,4593", "{mode}");
    }
}

#[test]
fn netlogon_zerologon_burst_shows_in_fields() {
    let p = fixture("zerologon-burst-netlogon.log");
    let v = inspect(&[&p], &["--year", "2020"]);
    assert_eq!(v["format"], "netlogon");
    assert_eq!((v["rows"].as_u64(), v["rejected_lines"].as_u64()), (Some(526), Some(0)), "{}", v["rejected"]);
    assert_eq!(v["time_min"], "2020-09-14T14:00:01Z");
    assert_eq!(v["time_max"], "2020-09-14T14:21:40Z");
    let burst = query(
        &[&p],
        "SELECT user_name, src_ip, count(*) FROM logs WHERE action = 'NetrServerAuthenticate3' AND outcome = 'failure' GROUP BY user_name, src_ip",
        &["--year", "2020"],
    );
    assert_eq!(burst, "DC01$,,256");
    let reset = query(
        &[&p],
        "SELECT user_name, outcome FROM logs WHERE action = 'NetrServerPasswordSet2'",
        &["--year", "2020"],
    );
    assert_eq!(reset, "DC01$,success");
    let clients = query(
        &[&p],
        "SELECT src_ip, count(*) FROM logs WHERE action = 'NetrServerReqChallenge' GROUP BY src_ip ORDER BY src_ip",
        &["--year", "2020"],
    );
    assert_eq!(clients, "10.0.0.21,1\n10.0.0.22,1\n10.0.0.30,1\n10.0.0.66,256");
}

#[test]
fn netlogon_year_from_file_time() {
    let d = temp_dir("netlogon-year");
    let f = d.join("netlogon.log");
    std::fs::copy(fixture("zerologon-burst-netlogon.log"), &f).expect("copy");
    // Written in January 2021: September lines are from 2020, as for syslog.
    let jan = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_609_804_800); // 2021-01-05
    std::fs::File::options().write(true).open(&f).expect("open").set_modified(jan).expect("mtime");
    let v = inspect(&[&f], &[]);
    assert_eq!(v["time_min"], "2020-09-14T14:00:01Z");
    assert!(v["notes"].to_string().contains("2021"), "{}", v["notes"]);
}

/// The app shows a native file in the linked views like any other log: a Zerologon burst in
/// netlogon.log, clicked in a top-N list, filters the time series and the table.
#[test]
fn app_shows_netlogon_burst_in_linked_views() {
    use crate::gui::{harness, passing, settle, time_total};
    use egui_kittest::kittest::Queryable;
    let mut h = harness(vec![fixture("zerologon-burst-netlogon.log")]);
    settle(&mut h);
    assert_eq!((time_total(h.state()), passing(h.state())), (526, 526));
    h.get_by_label("src_ip 10.0.0.66").click();
    settle(&mut h);
    // 256 challenges from the attacker's address and the RPC error naming it.
    assert_eq!((time_total(h.state()), passing(h.state())), (257, 257));
}
