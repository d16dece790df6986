//! File formats. Detection looks at content, not names (a name only breaks ties).
#[cfg(test)]
mod anylog_proptests;
pub mod argus;
pub mod container;
pub mod delimited;
pub mod evtx;
pub mod generic_csv;
pub mod generic_text;
mod json_check;
pub(crate) mod json_key_memo;
pub mod json_projection;
pub mod json_scan;
pub mod jsonl;
pub mod logfmt;
pub mod lzo1x;
pub mod native;
pub mod netlogon;
pub mod nfcapd;
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
    /// Binary files read whole by their own reader (Windows .evtx, nfdump capture files).
    Native(native::NativeKind),
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
            Detected::Native(k) => k.name().into(),
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

/// Lines sniffed from the head of a file (64 KiB): enough to outvote a few broken ones.
pub const SNIFF_LINES: usize = 200;

/// What detection looks at: the complete, non-blank lines of the head, and how many of them are
/// unreadable (binary).
pub struct Sniff<'a> {
    pub lines: Vec<&'a [u8]>,
    pub unreadable: usize,
}

impl<'a> Sniff<'a> {
    pub fn new(head: &'a [u8]) -> Self {
        let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        // Whole lines only: the last one may be cut by the sniff window.
        let complete = match memchr::memrchr(b'\n', head) {
            Some(p) if p + 1 < head.len() => &head[..p + 1],
            _ => head,
        };
        let lines: Vec<&[u8]> = complete
            .split(|b| *b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .take(SNIFF_LINES)
            .collect();
        let unreadable = lines.iter().filter(|l| unreadable_line(l)).count();
        Sniff { lines, unreadable }
    }

    /// Binary only when most sniffed lines are: a text log whose request lines carry raw
    /// shellcode is still a text log.
    pub fn mostly_unreadable(&self) -> bool {
        self.unreadable * 2 > self.lines.len()
    }

    /// Lines starting with `{` (after blanks): JSON objects, or lines that try to be.
    fn object_lines(&self) -> usize {
        self.lines.iter().filter(|l| l.trim_ascii_start().starts_with(b"{")).count()
    }
}

/// A line is unreadable when it holds a NUL or more than 1 control byte in 20 (tab, CR, ESC
/// aside). Bytes >= 0x80 are fine: UTF-8, Latin-1 and NOP sleds (0x90) are text to a log.
fn unreadable_line(l: &[u8]) -> bool {
    let control = l.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | 0x1b)).count();
    l.contains(&0) || control * 20 > l.len()
}

/// One candidate format: recognises a sniff or passes.
type Detector = fn(&Sniff) -> Option<Result<Detected, String>>;

/// Candidates in order, most specific first. Header-led formats (Zeek TSV, VAST, Argus, nfdump)
/// answer from their header; line formats answer when most sniffed lines fit, so a broken first
/// or last line is a rejected line, not a refused file. New formats slot into this list.
const DETECTORS: &[(&str, Detector)] = &[
    ("zeek-tsv", |s| zeek_tsv::detect(&s.lines).then_some(Ok(Detected::ZeekTsv))),
    ("json-lines", detect_json),
    ("vast", |s| vast::detect(&s.lines).map(|v| Ok(Detected::Vast(v)))),
    ("argus", |s| argus::detect(s.lines[0]).map(|d| Ok(Detected::Argus(d)))),
    ("nfdump-csv", |s| nfdump_csv::detect(s.lines[0]).then_some(Ok(Detected::NfdumpCsv))),
    ("nfdump-text", |s| nfdump_text::detect(&s.lines).map(|p| Ok(Detected::Lines(p)))),
    ("netlogon", |s| netlogon::detect(&s.lines).map(|p| Ok(Detected::Lines(p)))),
    ("text", |s| text::detect(&s.lines).map(|p| Ok(Detected::Lines(p)))),
    ("logfmt", |s| logfmt::detect(&s.lines).map(|p| Ok(Detected::Lines(Box::new(p))))),
    ("container", |s| container::detect(&s.lines).map(|p| Ok(Detected::Lines(Box::new(p))))),
    ("csv", |s| generic_csv::detect(&s.lines).map(|d| Ok(Detected::GenericDelimited(d)))),
    // Last: any line that starts with a timestamp.
    ("generic-text", |s| generic_text::detect(&s.lines).map(|p| Ok(Detected::Lines(Box::new(p))))),
];

fn detect_json(s: &Sniff) -> Option<Result<Detected, String>> {
    if s.object_lines() * 2 <= s.lines.len() {
        return None;
    }
    Some(
        jsonl::detect(&s.lines)
            .map(Detected::Lines)
            .ok_or_else(|| "most lines start like JSON, but they are not JSON objects".to_string()),
    )
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
    FormatInfo {
        name: "netlogon",
        description: "Windows netlogon.log (NetrServerAuthenticate / PasswordSet outcomes; year as for syslog)",
        example: "08/17 10:15:02 [LOGON] [688] CORP: NetrServerAuthenticate3 entered: DC01$ (from 10.0.0.5)",
    },
    FormatInfo {
        name: "nfdump-long",
        description: "nfdump -o long text",
        example: "Date first seen          Duration Proto      Src IP Addr:Port          Dst IP Addr:Port   Flags Tos  Packets    Bytes Flows",
    },
    FormatInfo {
        name: "nfdump-line",
        description: "nfdump -o line text",
        example: "Date first seen          Duration Proto      Src IP Addr:Port          Dst IP Addr:Port   Packets    Bytes Flows",
    },
    FormatInfo { name: "windows-evtx", description: "Windows event log file (.evtx), read natively", example: "ElfFile..." },
    FormatInfo { name: "nfcapd", description: "nfdump capture file (nfcapd.*; uncompressed, LZO, LZ4, ZSTD)", example: "0xA50C..." },
    FormatInfo { name: "parquet", description: "Apache Parquet (a file or a hive-partitioned folder)", example: "PAR1..." },
];

/// The format named `name` (as listed by [`FORMATS`]).
pub fn format_info(name: &str) -> Option<&'static FormatInfo> {
    FORMATS.iter().find(|f| f.name.eq_ignore_ascii_case(name.trim()))
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
    let sniff = Sniff::new(head);
    let lines = &sniff.lines;
    let not_it = |what: &str| {
        let first = lines.first().map(|l| String::from_utf8_lossy(&l[..l.len().min(80)]).into_owned());
        format!("not {}: {what} (first line: {:?})", info.name, first.unwrap_or_default())
    };
    let lines_parser = |p: Box<dyn LineParser>| Ok(Detected::Lines(p));
    match info.name {
        "parquet" if head.starts_with(b"PAR1") => Ok(Detected::Parquet),
        "parquet" => Err(not_it("no PAR1 magic")),
        "windows-evtx" | "nfcapd" => match native::detect(head) {
            Some(kind) if kind.name() == info.name => Ok(Detected::Native(kind)),
            _ => Err(not_it("no magic bytes of the format")),
        },
        "vast-netflow" => vast::detect(lines)
            .map(Detected::Vast)
            .ok_or_else(|| not_it("no VAST header or 19/20 VAST columns")),
        "argus-binetflow" => lines
            .first()
            .and_then(|l| argus::detect(l))
            .map(Detected::Argus)
            .ok_or_else(|| not_it("no Argus header (StartTime, SrcAddr, DstAddr)")),
        "nfdump-csv" if lines.first().is_some_and(|l| nfdump_csv::detect(l)) => Ok(Detected::NfdumpCsv),
        "nfdump-csv" => Err(not_it("no nfdump header (ts,te,td,sa,da,...)")),
        "zeek-tsv" if zeek_tsv::detect(lines) => Ok(Detected::ZeekTsv),
        "zeek-tsv" => Err(not_it("no #separator / #fields header")),
        "csv" => Ok(Detected::GenericDelimited(b',')),
        "tsv" => Ok(Detected::GenericDelimited(b'\t')),
        "generic-text" => lines_parser(Box::new(
            generic_text::detect(lines).unwrap_or_else(generic_text::GenericTextParser::any),
        )),
        "logfmt" => lines_parser(Box::new(logfmt::LogfmtParser)),
        "container" => lines_parser(Box::new(container::forced(lines))),
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
        "nfdump-extended" => lines_parser(Box::new(nfdump_text::NfdumpTextParser::EXTENDED)),
        "nfdump-long" => lines_parser(Box::new(nfdump_text::NfdumpTextParser::LONG)),
        "nfdump-line" => lines_parser(Box::new(nfdump_text::NfdumpTextParser::LINE)),
        "netlogon" => lines_parser(Box::new(netlogon::NetlogonParser)),
        other => Err(format!("format {other:?} cannot be forced")),
    }
}

/// Detects the format from the first bytes of a (decompressed) file.
pub fn detect(head: &[u8]) -> Result<Detected, String> {
    if head.starts_with(b"PAR1") {
        return Ok(Detected::Parquet);
    }
    // Binary formats by magic bytes, before the "binary data" refusal.
    if let Some(kind) = native::detect(head) {
        return Ok(Detected::Native(kind));
    }
    if head.is_empty() {
        return Err("empty file".into());
    }
    let sniff = Sniff::new(head);
    if sniff.lines.is_empty() {
        return Err("no data: the file holds only blank lines".into());
    }
    if sniff.mostly_unreadable() {
        return Err(format!(
            "binary data, not a text log ({} of the first {} lines hold NUL or control bytes)",
            sniff.unreadable,
            sniff.lines.len()
        ));
    }
    for (_, detector) in DETECTORS {
        if let Some(found) = detector(&sniff) {
            return found;
        }
    }
    let first = sniff.lines[0];
    let preview = crate::data::text_escape::escape_invalid_utf8(&first[..first.len().min(80)]).into_owned();
    Err(format!("unrecognised format (first line: {preview:?})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_examples_detect_as_their_names() {
        for f in FORMATS {
            if matches!(f.name, "parquet" | "windows-evtx" | "nfcapd") {
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
            let head = match f.name {
                "parquet" => b"PAR1".to_vec(),
                "windows-evtx" => [evtx::MAGIC, &[0u8; 8][..]].concat(),
                "nfcapd" => vec![0x0c, 0xa5, 2, 0],
                _ => format!("{}\n", f.example).into_bytes(),
            };
            assert!(forced(f.name, &head).is_ok(), "{}", f.name);
        }
        let err = forced("nope", b"x\n").err().unwrap_or_default();
        assert!(err.contains("unknown format") && err.contains("logfmt"), "{err}");
        let err = forced("argus-binetflow", b"hello\n").err().unwrap_or_default();
        assert!(err.contains("not argus-binetflow") && err.contains("hello"), "{err}");
        assert_eq!(forced("LOGFMT", b"a=1\n").map(|d| d.name()).ok().as_deref(), Some("logfmt"));
    }
}
