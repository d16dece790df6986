//! File formats. Detection looks at content, not names (a name only breaks ties).
#[cfg(test)]
mod anylog_proptests;
pub mod argus;
pub mod container;
pub mod delimited;
pub mod generic_csv;
pub mod generic_text;
pub mod jsonl;
pub mod logfmt;
pub mod nfdump_csv;
pub mod nfdump_text;
pub mod text;
pub mod vast;
pub mod windows;
pub mod zeek_tsv;

use crate::data::record::LineParser;

/// What a file was recognised as.
pub enum Detected {
    Vast(vast::Variant),
    Argus(u8),
    NfdumpCsv,
    ZeekTsv,
    GenericDelimited(u8),
    Parquet,
    /// Line formats parsed record by record (JSON lines, text logs, nfdump extended).
    Lines(Box<dyn LineParser>),
}

impl Detected {
    pub fn name(&self) -> String {
        match self {
            Detected::Vast(vast::Variant::LabelledNoHeader) => "vast-netflow (labelled, CTU-13)".into(),
            Detected::Vast(_) => "vast-netflow".into(),
            Detected::Argus(_) => "argus-binetflow".into(),
            Detected::NfdumpCsv => "nfdump-csv".into(),
            Detected::ZeekTsv => "zeek-tsv".into(),
            Detected::GenericDelimited(b'\t') => "tsv".into(),
            Detected::GenericDelimited(_) => "csv".into(),
            Detected::Parquet => "parquet".into(),
            Detected::Lines(p) => p.name().into(),
        }
    }

    /// Formats that may be opened together as one table share a family.
    pub fn family(&self) -> String {
        match self {
            Detected::Vast(_) => "vast-netflow".into(),
            Detected::Lines(p) if p.name().starts_with("zeek") => "zeek".into(),
            Detected::ZeekTsv => "zeek".into(),
            other => other.name(),
        }
    }
}

/// A format a person can name: `--format NAME`, File > "Open as...", `brushfire formats`.
/// Detection reports the same names ([`Detected::name`]).
pub struct FormatInfo {
    pub name: &'static str,
    pub description: &'static str,
    /// A line of the format (for a table: its header).
    pub example: &'static str,
}

/// Every format, the order `brushfire formats` and the GUI list them in.
pub const FORMATS: &[FormatInfo] = &[
    FormatInfo {
        name: "generic-text",
        description: "any log whose lines start with a timestamp: time, level, pid/app, message; \
                      lines without one continue the previous message",
        example: "2015-07-29 17:41:44,747 - INFO  [main:QuorumPeer@913] - LOOKING",
    },
    FormatInfo {
        name: "logfmt",
        description: "key=value pairs with quoted values (Go services, Prometheus, Loki, Kubernetes)",
        example: "time=\"2021-09-15T21:17:10Z\" level=error msg=\"connection refused\" addr=10.0.0.5:443",
    },
    FormatInfo {
        name: "container",
        description: "docker compose / kubectl --prefix output: `service | payload`, payload format detected",
        example: "web-1  | {\"level\":\"info\",\"time\":\"2021-09-15T21:17:10Z\",\"msg\":\"listening\"}",
    },
    FormatInfo {
        name: "syslog",
        description: "RFC 3164 / 5424 syslog with netfilter, pfSense, ASA, sshd and CEE enrichment",
        example: "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
    },
    FormatInfo {
        name: "apache-access",
        description: "Apache / nginx access log (common or combined)",
        example: "83.149.9.216 - - [17/May/2015:10:05:03 +0000] \"GET /index.html HTTP/1.1\" 200 203023 \"-\" \"Mozilla/5.0\"",
    },
    FormatInfo {
        name: "apache-error",
        description: "Apache error log",
        example: "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
    },
    FormatInfo {
        name: "cef",
        description: "ArcSight Common Event Format, bare or in syslog",
        example: "CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232",
    },
    FormatInfo {
        name: "leef",
        description: "IBM QRadar Log Event Extended Format",
        example: "LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5",
    },
    FormatInfo {
        name: "snare",
        description: "Snare Windows events (tab or #011 separated) in syslog",
        example: "host MSWinEventLog#0111#011Security#011123#011Mon Mar 24 08:59:37 2018#0114624#011Microsoft-Windows-Security-Auditing#011u#011N/A#011Success Audit#011h#011Logon#011An account was logged on",
    },
    FormatInfo {
        name: "suricata-eve",
        description: "Suricata eve.json events",
        example: "{\"timestamp\":\"2021-06-06T15:59:46.457984+0200\",\"event_type\":\"alert\",\"src_ip\":\"78.36.196.120\",\"src_port\":45364,\"dest_ip\":\"192.168.1.129\",\"dest_port\":23,\"proto\":\"TCP\"}",
    },
    FormatInfo {
        name: "zeek-json",
        description: "Zeek logs written as JSON lines",
        example: "{\"ts\":1521911720.865716,\"uid\":\"CRJuHdVW0XPVINV8a\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":53,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":53,\"proto\":\"udp\"}",
    },
    FormatInfo {
        name: "zeek-tsv",
        description: "Zeek logs in their TSV form with #fields headers",
        example: "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto",
    },
    FormatInfo {
        name: "windows-evtx-json",
        description: "Windows events exported from EVTX as JSON (Event.System / Event.EventData)",
        example: "{\"Event\":{\"System\":{\"EventID\":4624,\"TimeCreated\":{\"#attributes\":{\"SystemTime\":\"2019-05-14T10:00:00Z\"}},\"Computer\":\"DC1\"},\"EventData\":{\"TargetUserName\":\"bob\"}}}",
    },
    FormatInfo {
        name: "windows-flat-json",
        description: "Windows events as flat JSON (NXLog, Winlogbeat-like)",
        example: "{\"EventTime\":\"2019-05-14 10:00:00\",\"Hostname\":\"DC1\",\"EventID\":4624,\"SourceName\":\"Microsoft-Windows-Security-Auditing\",\"TargetUserName\":\"bob\"}",
    },
    FormatInfo {
        name: "json-lines",
        description: "any JSON object per line; common keys mapped to the field dictionary",
        example: "{\"time\":\"2021-09-15T21:17:10Z\",\"level\":\"info\",\"src_ip\":\"10.0.0.1\",\"msg\":\"hello\"}",
    },
    FormatInfo {
        name: "vast-netflow",
        description: "VAST Challenge 2013 netflow CSV (also headerless and CTU-13 labelled)",
        example: "TimeSeconds,parsedDate,dateTimeStr,ipLayerProtocol,ipLayerProtocolCode,firstSeenSrcIp,firstSeenDestIp,firstSeenSrcPort,firstSeenDestPort,moreFragments,contFragments,durationSeconds,firstSeenSrcPayloadBytes,firstSeenDestPayloadBytes,firstSeenSrcTotalBytes,firstSeenDestTotalBytes,firstSeenSrcPacketCount,firstSeenDestPacketCount,recordForceOut",
    },
    FormatInfo {
        name: "argus-binetflow",
        description: "Argus ra CSV/TSV bidirectional flows",
        example: "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,SrcPkts,Label",
    },
    FormatInfo {
        name: "nfdump-csv",
        description: "nfdump -o csv",
        example: "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,cl,sl,al,ra,eng,exid,tr",
    },
    FormatInfo {
        name: "nfdump-extended",
        description: "nfdump -o extended text",
        example: "Date first seen          Duration Proto      Src IP Addr:Port          Dst IP Addr:Port   Flags Tos  Packets    Bytes      pps      bps    Bpp Flows",
    },
    FormatInfo {
        name: "csv",
        description: "a comma-separated table with a header row",
        example: "time,src_ip,dst_ip,dst_port,action",
    },
    FormatInfo {
        name: "tsv",
        description: "a tab-separated table with a header row",
        example: "time\tsrc_ip\tdst_ip\tdst_port\taction",
    },
    FormatInfo { name: "parquet", description: "Apache Parquet (a file or a hive-partitioned folder)", example: "PAR1..." },
];

/// The format named `name` (as listed by [`FORMATS`]).
pub fn format_info(name: &str) -> Option<&'static FormatInfo> {
    FORMATS.iter().find(|f| f.name.eq_ignore_ascii_case(name.trim()))
}

/// Whole non-blank lines of a sniffed head (the last one may be cut by the sniff window).
fn sniff_lines(head: &[u8]) -> Vec<&[u8]> {
    let complete = match memchr::memrchr(b'\n', head) {
        Some(p) if p + 1 < head.len() => &head[..p + 1],
        _ => head,
    };
    complete
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(64)
        .collect()
}

/// The format `name` forced on a file whose first bytes are `head` (`--format`, "Open as...").
/// Table formats still need their header; line formats parse every line and the loader reports
/// the lines that do not fit.
pub fn forced(name: &str, head: &[u8]) -> Result<Detected, String> {
    let info = format_info(name).ok_or_else(|| {
        let names: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
        format!("unknown format {name:?} (known: {})", names.join(", "))
    })?;
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let lines = sniff_lines(head);
    let not_it = |what: &str| {
        let first = lines.first().map(|l| String::from_utf8_lossy(&l[..l.len().min(80)]).into_owned());
        format!("not {}: {what} (first line: {:?})", info.name, first.unwrap_or_default())
    };
    let lines_parser = |p: Box<dyn LineParser>| Ok(Detected::Lines(p));
    match info.name {
        "parquet" if head.starts_with(b"PAR1") => Ok(Detected::Parquet),
        "parquet" => Err(not_it("no PAR1 magic")),
        "vast-netflow" => vast::detect(&lines)
            .map(Detected::Vast)
            .ok_or_else(|| not_it("no VAST header or 19/20 VAST columns")),
        "argus-binetflow" => lines
            .first()
            .and_then(|l| argus::detect(l))
            .map(Detected::Argus)
            .ok_or_else(|| not_it("no Argus header (StartTime, SrcAddr, DstAddr)")),
        "nfdump-csv" if lines.first().is_some_and(|l| nfdump_csv::detect(l)) => Ok(Detected::NfdumpCsv),
        "nfdump-csv" => Err(not_it("no nfdump header (ts,te,td,sa,da,...)")),
        "zeek-tsv" if zeek_tsv::detect(&lines) => Ok(Detected::ZeekTsv),
        "zeek-tsv" => Err(not_it("no #separator / #fields header")),
        "csv" => Ok(Detected::GenericDelimited(b',')),
        "tsv" => Ok(Detected::GenericDelimited(b'\t')),
        "generic-text" => lines_parser(Box::new(
            generic_text::detect(&lines).unwrap_or_else(generic_text::GenericTextParser::any),
        )),
        "logfmt" => lines_parser(Box::new(logfmt::LogfmtParser)),
        "container" => lines_parser(Box::new(container::forced(&lines))),
        "syslog" => lines_parser(Box::new(text::syslog::SyslogParser)),
        "apache-access" => lines_parser(Box::new(text::web::AccessParser)),
        "apache-error" => lines_parser(Box::new(text::web::ErrorParser)),
        "cef" => lines_parser(Box::new(text::cef::CefParser)),
        "leef" => lines_parser(Box::new(text::cef::LeefParser)),
        "snare" => lines_parser(Box::new(text::snare::SnareParser)),
        "suricata-eve" => lines_parser(Box::new(jsonl::JsonLinesParser::suricata())),
        "zeek-json" => lines_parser(Box::new(jsonl::JsonLinesParser::zeek())),
        "json-lines" => lines_parser(Box::new(jsonl::JsonLinesParser::generic())),
        "windows-evtx-json" => lines_parser(Box::new(windows::WindowsParser::evtx())),
        "windows-flat-json" => lines_parser(Box::new(windows::WindowsParser::flat())),
        "nfdump-extended" => lines_parser(Box::new(nfdump_text::NfdumpTextParser)),
        other => Err(format!("format {other:?} cannot be forced")),
    }
}

/// Detects the format from the first bytes of a (decompressed) file.
pub fn detect(head: &[u8]) -> Result<Detected, String> {
    if head.starts_with(b"PAR1") {
        return Ok(Detected::Parquet);
    }
    if head.is_empty() {
        return Err("empty file".into());
    }
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let control = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n' | 0x1b)).count();
    if control * 20 > head.len() {
        return Err(format!(
            "binary data, not a text log ({control} control bytes in the first {} bytes)",
            head.len()
        ));
    }
    // Whole lines only: the last one may be cut by the sniff window.
    let complete = match memchr::memrchr(b'\n', head) {
        Some(p) if p + 1 < head.len() => &head[..p + 1],
        _ => head,
    };
    let lines: Vec<&[u8]> = complete
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(64)
        .collect();
    if lines.is_empty() {
        return Err("no data: the file holds only blank lines".into());
    }
    if zeek_tsv::detect(&lines) {
        return Ok(Detected::ZeekTsv);
    }
    if lines[0].starts_with(b"{") {
        return jsonl::detect(&lines)
            .map(Detected::Lines)
            .ok_or_else(|| "starts like JSON, but the first lines are not JSON objects".to_string());
    }
    if let Some(v) = vast::detect(&lines) {
        return Ok(Detected::Vast(v));
    }
    if let Some(d) = argus::detect(lines[0]) {
        return Ok(Detected::Argus(d));
    }
    if nfdump_csv::detect(lines[0]) {
        return Ok(Detected::NfdumpCsv);
    }
    if let Some(p) = nfdump_text::detect(&lines) {
        return Ok(Detected::Lines(p));
    }
    if let Some(p) = text::detect(&lines) {
        return Ok(Detected::Lines(p));
    }
    if let Some(p) = logfmt::detect(&lines) {
        return Ok(Detected::Lines(Box::new(p)));
    }
    if let Some(p) = container::detect(&lines) {
        return Ok(Detected::Lines(Box::new(p)));
    }
    if let Some(d) = generic_csv::detect(&lines) {
        return Ok(Detected::GenericDelimited(d));
    }
    if let Some(p) = generic_text::detect(&lines) {
        return Ok(Detected::Lines(Box::new(p)));
    }
    let preview = String::from_utf8_lossy(&lines[0][..lines[0].len().min(80)]).into_owned();
    Err(format!("unrecognised format (first line: {preview:?})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_examples_detect_as_their_names() {
        for f in FORMATS {
            if f.name == "parquet" {
                continue;
            }
            // Table formats are recognised by their header; the example is that header.
            let got = detect(format!("{}\n", f.example).as_bytes()).map(|d| d.name());
            let got = got.unwrap_or_else(|e| panic!("{}: {e}", f.name));
            assert!(got.starts_with(f.name), "{}: example detected as {got}", f.name);
        }
        let names: std::collections::BTreeSet<&str> = FORMATS.iter().map(|f| f.name).collect();
        assert_eq!(names.len(), FORMATS.len(), "format names are unique");
    }

    #[test]
    fn forced_formats() {
        for f in FORMATS {
            // Every listed format can be forced onto its own example.
            let head =
                if f.name == "parquet" { b"PAR1".to_vec() } else { format!("{}\n", f.example).into_bytes() };
            assert!(forced(f.name, &head).is_ok(), "{}", f.name);
        }
        let err = forced("nope", b"x\n").err().unwrap_or_default();
        assert!(err.contains("unknown format") && err.contains("logfmt"), "{err}");
        let err = forced("argus-binetflow", b"hello\n").err().unwrap_or_default();
        assert!(err.contains("not argus-binetflow") && err.contains("hello"), "{err}");
        assert_eq!(forced("LOGFMT", b"a=1\n").map(|d| d.name()).ok().as_deref(), Some("logfmt"));
    }
}
