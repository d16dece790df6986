//! Bytes that are not UTF-8 (shellcode in request lines, NOP sleds, Latin-1 user names) are shown
//! escaped as `\xNN`, never dropped or replaced by U+FFFD: an analyst must see what was sent.
use std::borrow::Cow;

/// Valid UTF-8 borrowed as is; otherwise every invalid byte becomes `\xNN` (lower-case hex).
pub fn escape_invalid_utf8(b: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(b) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(b.len() + b.len() / 2);
    for chunk in b.utf8_chunks() {
        out.push_str(chunk.valid());
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_only_invalid_bytes() {
        assert!(matches!(escape_invalid_utf8("plain é".as_bytes()), Cow::Borrowed("plain é")));
        assert_eq!(escape_invalid_utf8(b"GET /\x90\x90\x89\xe3 \xc3\xa9"), "GET /\\x90\\x90\\x89\\xe3 é");
        assert_eq!(escape_invalid_utf8(b"\xff"), "\\xff");
        // A truncated multibyte sequence is escaped byte by byte.
        assert_eq!(escape_invalid_utf8(b"a\xe2\x82"), "a\\xe2\\x82");
    }
}
