//! AfterGlow input: comma separated, no header, `"`-quoted values with `""` escapes (Text::CSV defaults:
//! no whitespace trimming, one record per line). Bad lines are reported and counted, never fatal.

use std::io::{BufRead, BufReader, Read};

#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow {
    /// 1-based line number in the input.
    pub line: usize,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CsvError {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CsvInput {
    pub rows: Vec<CsvRow>,
    /// Column count of the first good row (afterglow.pl switches to two-node mode when it is 2).
    pub columns: usize,
    /// First errors (capped at `MAX_ERRORS` messages); `bad_rows` counts all of them.
    pub errors: Vec<CsvError>,
    pub bad_rows: usize,
}

const MAX_ERRORS: usize = 1000;

/// Splits one CSV line; Err describes bad quoting.
pub fn parse_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut col = 0usize;
    loop {
        // Start of a field.
        if chars.peek() == Some(&'"') {
            chars.next();
            col += 1;
            loop {
                match chars.next() {
                    None => return Err(format!("unterminated quoted field {}", fields.len() + 1)),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        cur.push('"');
                    }
                    Some('"') => break,
                    Some(c) => cur.push(c),
                }
                col += 1;
            }
            match chars.next() {
                None => {
                    fields.push(std::mem::take(&mut cur));
                    return Ok(fields);
                }
                Some(',') => fields.push(std::mem::take(&mut cur)),
                Some(c) => {
                    return Err(format!("unexpected `{c}` after closing quote in field {}", fields.len() + 1))
                }
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(std::mem::take(&mut cur));
                        return Ok(fields);
                    }
                    Some(',') => {
                        fields.push(std::mem::take(&mut cur));
                        break;
                    }
                    Some('"') => return Err(format!("quote inside unquoted field {}", fields.len() + 1)),
                    Some(c) => cur.push(c),
                }
            }
        }
        let _ = col;
    }
}

/// Reads AfterGlow CSV from any reader. `expected_columns` fixes the column count; otherwise the first
/// good row decides (2..=5: source,[event,]target plus up to two meta columns as in afterglow.pl).
pub fn read_csv<R: Read>(reader: R, expected_columns: Option<usize>) -> std::io::Result<CsvInput> {
    let mut out = CsvInput { columns: expected_columns.unwrap_or(0), ..Default::default() };
    let mut r = BufReader::new(reader);
    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line_no += 1;
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let fail = |msg: String, out: &mut CsvInput| {
            out.bad_rows += 1;
            if out.errors.len() < MAX_ERRORS {
                out.errors.push(CsvError { line: line_no, message: msg });
            }
        };
        match parse_line(text) {
            Err(e) => fail(e, &mut out),
            Ok(fields) => {
                if out.columns == 0 {
                    if (2..=5).contains(&fields.len()) {
                        out.columns = fields.len();
                    } else {
                        fail(format!("expected 2 to 5 columns, found {}", fields.len()), &mut out);
                        continue;
                    }
                }
                if fields.len() != out.columns {
                    fail(format!("expected {} columns, found {}", out.columns, fields.len()), &mut out);
                    continue;
                }
                out.rows.push(CsvRow { line: line_no, fields });
            }
        }
    }
    Ok(out)
}

impl CsvInput {
    /// Rows as `(row index, fields)` for [`crate::graph::build::build_graph`].
    pub fn indexed(&self) -> impl Iterator<Item = (u32, Vec<String>)> + '_ {
        self.rows.iter().enumerate().map(|(i, r)| (i as u32, r.fields.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_counts_errors() {
        let data =
            "a,b,c\n\"x,y\",\"say \"\"hi\"\"\",z\r\n\nbad,\"q\"x,1\nonly,two\nu\"v,w,x\n\"open,a,b\n1,2,3\n";
        let r = read_csv(data.as_bytes(), None).unwrap();
        assert_eq!(r.columns, 3);
        assert_eq!(r.rows.len(), 3);
        assert_eq!(r.rows[1].fields, vec!["x,y", "say \"hi\"", "z"]);
        assert_eq!(r.rows[1].line, 2);
        assert_eq!(r.rows[2].line, 8);
        assert_eq!(r.bad_rows, 4);
        let lines: Vec<usize> = r.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![4, 5, 6, 7]);
        assert!(r.errors[1].message.contains("expected 3 columns, found 2"));
        // Text::CSV keeps spaces
        assert_eq!(parse_line("a, b").unwrap(), vec!["a", " b"]);
        assert_eq!(parse_line("a,").unwrap(), vec!["a", ""]);
        let two = read_csv("a,b\nc,d\n".as_bytes(), None).unwrap();
        assert_eq!(two.columns, 2);
        let fixed = read_csv("a,b\nc,d,e\n".as_bytes(), Some(3)).unwrap();
        assert_eq!((fixed.rows.len(), fixed.bad_rows), (1, 1));
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 7u64;
        let mut bytes = Vec::new();
        for _ in 0..20000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let a = b"a,\"\n\r\xff\xc3 ";
            bytes.push(a[(seed >> 33) as usize % a.len()]);
        }
        let r = read_csv(&bytes[..], None).unwrap();
        assert!(r.rows.len() + r.bad_rows > 0);
    }
}
