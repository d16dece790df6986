//! logfmt: `key=value` pairs separated by spaces, values optionally in double quotes with
//! backslash escapes (Go's go-kit / logrus / Prometheus / Loki / Grafana style):
//! `time="2021-09-15T21:17:10Z" level=error msg="cannot connect" addr=10.0.0.1:443`.
//! `time`/`ts`, `level`/`lvl`, `msg` and the flat network keys the JSON reader knows map onto the
//! field dictionary; other keys keep their names.
use super::generic_text;
use super::jsonl::map_generic_key;
use crate::data::record::{LineParser, LineResult, ParseContext, Record, Value};

pub struct LogfmtParser;

/// One `key=value` (value None for a bare key) or a stray word.
#[derive(Debug, PartialEq)]
enum Token {
    Pair(String, String),
    Bare(String),
}

/// Splits a line into tokens; Err when a quoted value is not closed.
fn tokens(line: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        // The key runs to '=' or a space.
        let mut key_end = line.len();
        let mut has_eq = false;
        while let Some(&(i, c)) = chars.peek() {
            if c == '=' {
                key_end = i;
                has_eq = true;
                chars.next();
                break;
            }
            if c.is_whitespace() {
                key_end = i;
                break;
            }
            if c == '"' && i == start {
                // A quoted word without a key (klog's structured `"msg" k=v`).
                let (v, _) = quoted(&mut chars, line)?;
                out.push(Token::Bare(v));
                key_end = usize::MAX;
                break;
            }
            chars.next();
        }
        if key_end == usize::MAX {
            continue;
        }
        let key = &line[start..key_end];
        if !has_eq {
            out.push(Token::Bare(key.to_string()));
            continue;
        }
        let value = match chars.peek() {
            Some(&(_, '"')) => quoted(&mut chars, line)?.0,
            _ => {
                let mut v = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    v.push(c);
                    chars.next();
                }
                v
            }
        };
        if key.is_empty() {
            out.push(Token::Bare(format!("={value}")));
        } else {
            out.push(Token::Pair(key.to_string(), value));
        }
    }
    Ok(out)
}

/// A double-quoted value with `\"`, `\\`, `\n`, `\t`, `\r` escapes; the iterator is on the quote.
fn quoted(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    line: &str,
) -> Result<(String, usize), String> {
    let (open, _) = chars.next().ok_or("quote expected")?;
    let mut v = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((v, i + 1)),
            '\\' => match chars.next() {
                Some((_, 'n')) => v.push('\n'),
                Some((_, 't')) => v.push('\t'),
                Some((_, 'r')) => v.push('\r'),
                Some((_, e)) => v.push(e),
                None => break,
            },
            c => v.push(c),
        }
    }
    let shown: String = line[open..].chars().take(40).collect();
    Err(format!("unterminated quoted value starting at byte {open}: {shown:?}"))
}

/// Whether a key is a plausible logfmt key (letters, digits and `_ . - / @ :`).
fn plausible_key(k: &str) -> bool {
    k.len() <= 64
        && k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '@')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | '@' | ':'))
}

/// A logfmt line: starts with a `key=value`, has at least two pairs, and pairs outnumber stray
/// words two to one.
fn is_logfmt_line(line: &str) -> bool {
    let Ok(toks) = tokens(line) else { return false };
    let pairs = toks.iter().filter(|t| matches!(t, Token::Pair(k, _) if plausible_key(k))).count();
    let bare = toks.len() - pairs;
    matches!(toks.first(), Some(Token::Pair(k, _)) if plausible_key(k)) && pairs >= 2 && pairs >= 2 * bare
}

/// logfmt when 60% of the sniffed lines are logfmt lines (pod logs carry banners and klog lines).
pub fn detect(lines: &[&[u8]]) -> Option<LogfmtParser> {
    if lines.is_empty() {
        return None;
    }
    let ok = lines.iter().filter(|l| is_logfmt_line(&String::from_utf8_lossy(l))).count();
    (ok * 10 >= lines.len() * 6).then_some(LogfmtParser)
}

const TIME_KEYS: [&str; 5] = ["time", "ts", "timestamp", "t", "@timestamp"];
const LEVEL_KEYS: [&str; 5] = ["level", "lvl", "severity", "loglevel", "log.level"];

impl LineParser for LogfmtParser {
    fn name(&self) -> &'static str {
        "logfmt"
    }

    fn parse_line(&self, line: &[u8], ctx: &ParseContext) -> LineResult {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\r', '\n']);
        let toks = tokens(text)?;
        if !toks.iter().any(|t| matches!(t, Token::Pair(k, _) if plausible_key(k))) {
            return Err("no key=value pair".into());
        }
        let mut rec = Record::new();
        let mut bare_words = Vec::new();
        let mut have_time = false;
        for t in toks {
            let (k, v) = match t {
                Token::Pair(k, v) if plausible_key(&k) => (k, v),
                Token::Pair(k, v) => {
                    bare_words.push(format!("{k}={v}"));
                    continue;
                }
                Token::Bare(w) => {
                    bare_words.push(w);
                    continue;
                }
            };
            let lower = k.to_ascii_lowercase();
            if !have_time && TIME_KEYS.contains(&lower.as_str()) {
                let t = generic_text::timestamp_value(&v, ctx)
                    .ok_or_else(|| format!("{k}={v:?} is not a timestamp this reader knows"))?;
                rec.fields.insert(0, ("time".into(), Value::TimeUs(t)));
                have_time = true;
                continue;
            }
            if rec.get("level").is_none() && LEVEL_KEYS.contains(&lower.as_str()) {
                let level =
                    generic_text::normalize_level(&v).map(str::to_string).unwrap_or(v.to_ascii_lowercase());
                rec.push_str("level", level);
                continue;
            }
            if lower == "time" {
                rec.push_str("time_raw", v);
                continue;
            }
            let value = match v.parse::<i64>() {
                Ok(n) if !(v.starts_with('+') || v.len() > 1 && v.starts_with('0')) => Value::Int(n),
                _ => Value::Str(v),
            };
            // logfmt spellings the JSON reader's table does not have.
            let k = match lower.as_str() {
                "user" => "user_name".to_string(),
                "remote_addr" | "remote_ip" | "client_ip" => "src_ip".to_string(),
                _ => k,
            };
            map_generic_key(&mut rec, k, value);
        }
        if !bare_words.is_empty() {
            // Words outside pairs (klog's quoted message, a stray token) are part of the message.
            let words = bare_words.join(" ");
            match rec.fields.iter_mut().find(|(n, _)| n == "msg") {
                Some((_, Value::Str(m))) => *m = format!("{words} {m}"),
                _ => rec.push_str("msg", words),
            }
        }
        Ok(Some(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::record::civil_to_us;

    fn parse(line: &str) -> Record {
        LogfmtParser.parse_line(line.as_bytes(), &ParseContext::default()).unwrap().unwrap()
    }

    #[test]
    fn issue_example() {
        let line = r#"time="2021-09-15T21:17:10Z" level=error msg="cannot \"connect\" to db" addr=10.0.0.1 dst_port=5432"#;
        assert!(detect(&[line.as_bytes()]).is_some());
        let r = parse(line);
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2021, 9, 15, 21, 17, 10, 0, 0))));
        assert_eq!(r.get("level"), Some(&Value::Str("error".into())));
        assert_eq!(r.get("msg"), Some(&Value::Str("cannot \"connect\" to db".into())));
        assert_eq!(r.get("dst_port"), Some(&Value::Int(5432)));
        assert_eq!(r.get("addr"), Some(&Value::Str("10.0.0.1".into())));
    }

    #[test]
    fn prometheus_and_bare_keys() {
        let r = parse(
            r#"level=info ts=2021-09-15T21:17:10.123Z caller=main.go:345 msg="Starting Prometheus" version="(version=2.30.0)""#,
        );
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2021, 9, 15, 21, 17, 10, 123_000, 0))));
        assert_eq!(r.get("level"), Some(&Value::Str("info".into())));
        assert_eq!(r.get("caller"), Some(&Value::Str("main.go:345".into())));
        assert_eq!(r.get("version"), Some(&Value::Str("(version=2.30.0)".into())));
        let r = parse("level=WARN msg=x user=root src_ip=1.2.3.4 flag");
        assert_eq!(r.get("level"), Some(&Value::Str("warn".into())));
        assert_eq!(r.get("user_name"), Some(&Value::Str("root".into())));
        assert_eq!(r.get("src_ip"), Some(&Value::Str("1.2.3.4".into())));
        assert_eq!(r.get("msg"), Some(&Value::Str("flag x".into())));
    }

    #[test]
    fn refusals() {
        let ctx = ParseContext::default();
        assert!(LogfmtParser.parse_line(br#"a=1 msg="never closed"#, &ctx).is_err());
        assert!(LogfmtParser.parse_line(b"time=yesterday msg=x", &ctx).is_err());
        assert!(LogfmtParser.parse_line(b"just words", &ctx).is_err());
        // Not logfmt: CSV, syslog with a few pairs, prose.
        for l in ["a,b,c", "Feb 20 10:47:14 host kernel: IN=eth0 OUT= SRC=1.2.3.4", "x = y"] {
            assert!(detect(&[l.as_bytes()]).is_none(), "{l}");
        }
    }
}
