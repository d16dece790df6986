//! Numbers as people read them, for views and for messages written below the views (a lake
//! engine's "more than 250,000 pairs").

/// Thousands separators: 1234567 -> "1,234,567".
pub fn thousands(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_of_three_from_the_right() {
        assert_eq!(super::thousands(250_000), "250,000");
        assert_eq!(super::thousands(-1_000), "-1,000");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(i64::MIN), "-9,223,372,036,854,775,808");
    }
}
