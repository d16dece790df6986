//! Container and multiplexed output: `docker compose logs` (`web-1  | payload`) and
//! `kubectl logs --prefix` (`[pod/name/container] payload`). ANSI colour codes are removed, the
//! prefix becomes the `service` field, and the payloads go through detection on their own (JSON,
//! logfmt, syslog, generic text, ...) and are parsed by the detected line parser. A payload
//! without a timestamp continues the previous record of the same service.
use std::borrow::Cow;

use super::generic_text::GenericTextParser;
use crate::data::record::{Continuation, LineParser, LineResult, ParseContext, Record, Value};

pub struct ContainerParser {
    inner: Box<dyn LineParser>,
    /// The payloads are plain text without a format: each is a record with its message only.
    plain: bool,
}

impl ContainerParser {
    /// Name of the format the payloads were detected as (shown next to "container").
    pub fn payload_format(&self) -> &'static str {
        if self.plain {
            "plain text"
        } else {
            self.inner.name()
        }
    }
}

/// Removes ANSI escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL/ST`, and two-byte
/// `ESC x`) that container tools add for colours.
pub fn strip_ansi(s: &str) -> Cow<'_, str> {
    if !s.contains('\u{1b}') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                // Parameters and intermediates, then one final byte in '@'..='~'.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    Cow::Owned(out)
}

/// The `service` and the payload of one line (ANSI codes already removed).
pub fn split_prefix(line: &str) -> Option<(&str, &str)> {
    if let Some(rest) = line.strip_prefix('[') {
        // kubectl --prefix: "[pod/<pod>/<container>] payload".
        let close = rest.find(']')?;
        let name = &rest[..close];
        let ok = name.contains('/') && name.len() <= 253 && !name.contains(char::is_whitespace);
        let payload = rest[close + 1..].strip_prefix(' ').unwrap_or(&rest[close + 1..]);
        return ok.then_some((name, payload));
    }
    // docker compose: "<name><spaces>| payload" (the name padded to the longest service name).
    let bar = line.find('|')?;
    let name = line[..bar].trim_end();
    let ok = !name.is_empty()
        && name.len() <= 100
        && bar > name.len()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let payload = &line[bar + 1..];
    let payload = payload.strip_prefix(' ').unwrap_or(payload);
    ok.then_some((name, payload))
}

/// Line as text without ANSI codes and line ends.
fn clean(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    strip_ansi(text.trim_end_matches(['\r', '\n'])).into_owned()
}

/// Container output when 80% of the sniffed lines carry a prefix. The payloads are detected with
/// the whole detection (`formats::detect`); payloads that are themselves prefixed are refused
/// (no nesting), which also bounds the recursion.
pub fn detect(lines: &[&[u8]]) -> Option<ContainerParser> {
    if lines.is_empty() {
        return None;
    }
    let texts: Vec<String> = lines.iter().map(|l| clean(l)).collect();
    let payloads: Vec<&str> = texts.iter().filter_map(|t| split_prefix(t).map(|(_, p)| p)).collect();
    if payloads.len() * 5 < lines.len() * 4 {
        return None;
    }
    let nested = payloads.iter().filter(|p| split_prefix(p).is_some()).count();
    if nested * 5 >= payloads.len() * 4 {
        return None;
    }
    let mut head = Vec::new();
    for p in payloads.iter().filter(|p| !p.trim().is_empty()) {
        head.extend_from_slice(p.as_bytes());
        head.push(b'\n');
    }
    let inner = match super::detect(&head) {
        Ok(super::Detected::Lines(p)) => Some(p),
        _ => None,
    };
    Some(match inner {
        Some(inner) => ContainerParser { inner, plain: false },
        None => ContainerParser { inner: Box::new(GenericTextParser::any()), plain: true },
    })
}

/// A forced `--format container`: the payload format is detected from the sniffed lines, plain
/// text when nothing fits.
pub fn forced(lines: &[&[u8]]) -> ContainerParser {
    detect(lines).unwrap_or(ContainerParser { inner: Box::new(GenericTextParser::any()), plain: true })
}

impl LineParser for ContainerParser {
    fn name(&self) -> &'static str {
        "container"
    }

    fn parse_line(&self, line: &[u8], ctx: &ParseContext) -> LineResult {
        let text = clean(line);
        let (service, payload) =
            split_prefix(&text).ok_or("no `service | ` or `[pod/name/container]` prefix")?;
        let mut rec = if payload.trim().is_empty() {
            return Ok(None);
        } else if self.plain {
            // Payloads with no format of their own: a timestamp when one leads, else the text.
            match self.inner.parse_line(payload.as_bytes(), ctx) {
                Ok(Some(r)) => r,
                _ => {
                    let mut r = Record::new();
                    r.push_str("msg", payload.trim_end());
                    r
                }
            }
        } else {
            match self.inner.parse_line(payload.as_bytes(), ctx) {
                Ok(Some(r)) => r,
                Ok(None) => return Ok(None),
                // Services of one compose project write different formats (a config reloader
                // next to a logfmt server): a payload the detected format refuses may still
                // start with a timestamp.
                Err(e) => match GenericTextParser::any().parse_line(payload.as_bytes(), ctx) {
                    Ok(Some(r)) => r,
                    _ => return Err(e),
                },
            }
        };
        rec.fields.retain(|(k, _)| k != "service");
        rec.push("service", Value::Str(service.to_string()));
        Ok(Some(rec))
    }

    fn spans_lines(&self) -> bool {
        true
    }

    fn continuation(&self, line: &[u8]) -> Option<Continuation> {
        let text = clean(line);
        let (service, payload) = split_prefix(&text)?;
        let c = self.inner.continuation(payload.as_bytes())?;
        Some(Continuation { stream: Some(service.to_string()), text: c.text })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(p: &ContainerParser, line: &str) -> Record {
        p.parse_line(line.as_bytes(), &ParseContext::default()).unwrap().unwrap()
    }

    #[test]
    fn compose_json_payloads() {
        let lines: &[&[u8]] = &[
            b"web-1  | {\"level\":\"info\",\"time\":\"2021-09-15T21:17:10Z\",\"msg\":\"listening\"}",
            b"\x1b[36mdb-1   |\x1b[0m {\"level\":\"error\",\"time\":\"2021-09-15T21:17:11Z\",\"msg\":\"no disk\"}",
        ];
        let p = detect(lines).expect("container");
        assert_eq!(p.payload_format(), "json-lines");
        let r = parse(&p, std::str::from_utf8(lines[1]).unwrap());
        assert_eq!(r.get("service"), Some(&Value::Str("db-1".into())));
        assert_eq!(r.get("level"), Some(&Value::Str("error".into())));
        assert_eq!(r.get("msg"), Some(&Value::Str("no disk".into())));
        assert!(matches!(r.get("time"), Some(Value::TimeUs(_))));
    }

    #[test]
    fn kubectl_prefix_logfmt_and_continuations() {
        let lines: &[&[u8]] = &[
            b"[pod/loki-0/loki] level=info ts=2021-09-15T21:17:10.1Z caller=main.go:1 msg=\"Starting Loki\"",
            b"[pod/loki-0/loki] level=warn ts=2021-09-15T21:17:11.1Z caller=main.go:2 msg=slow",
        ];
        let p = detect(lines).expect("container");
        assert_eq!(p.payload_format(), "logfmt");
        let r = parse(&p, std::str::from_utf8(lines[0]).unwrap());
        assert_eq!(r.get("service"), Some(&Value::Str("pod/loki-0/loki".into())));
        assert_eq!(r.get("level"), Some(&Value::Str("info".into())));

        let java: &[&[u8]] = &[
            b"app-1  | 2021-01-01 10:00:00,001 ERROR boom",
            b"app-1  | \tat a.b.C.main(C.java:1)",
            b"app-1  | 2021-01-01 10:00:01,001 INFO ok",
        ];
        let p = detect(java).expect("container");
        assert_eq!(p.payload_format(), "generic-text");
        let ctx = ParseContext::default();
        assert!(p.parse_line(java[1], &ctx).is_err());
        let c = p.continuation(java[1]).unwrap();
        assert_eq!(c.stream.as_deref(), Some("app-1"));
        assert_eq!(c.text, "\tat a.b.C.main(C.java:1)");
    }

    #[test]
    fn plain_payloads_and_non_container() {
        let lines: &[&[u8]] = &[b"web-1  | Listening on port 80", b"web-1  | ready"];
        let p = detect(lines).expect("container");
        assert_eq!(p.payload_format(), "plain text");
        let r = parse(&p, "web-1  | ready");
        assert_eq!(r.get("msg"), Some(&Value::Str("ready".into())));
        for l in ["a|b|c", "a,b|c", "2021-01-01 x | y", "[notice] x"] {
            assert!(detect(&[l.as_bytes()]).is_none(), "{l}");
        }
        assert_eq!(strip_ansi("\x1b[1;31mred\x1b[0m \x1b]0;title\x07x"), "red x");
    }
}
