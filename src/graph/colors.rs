//! Colour names as AfterGlow users write them: AfterGlow's own test for "is this a colour", the X11 /
//! Graphviz colour table (shipped as data in `x11_colors.txt`) and RGB values for every renderer (GDF,
//! GraphSON, the GUI and its PNG/SVG export).

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

/// The `@colors` list of afterglow.pl 1.6.6, in its order. AfterGlow gives property values that are not
/// colours the next entry of this list (starting at index 1), so `color=$fields[1]` colours by category.
pub const AFTERGLOW_COLORS: &str = include_str!("afterglow_colors.txt");

/// The colour that drops a record entirely.
pub const INVISIBLE: &str = "invisible";

/// X11/Graphviz names -> RGB, from `x11_colors.txt` (names lower-case without spaces).
fn x11_table() -> &'static HashMap<&'static str, [u8; 3]> {
    static TABLE: OnceLock<HashMap<&'static str, [u8; 3]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("x11_colors.txt")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                let name = it.next()?;
                let mut rgb = [0u8; 3];
                for c in &mut rgb {
                    *c = it.next()?.parse().ok()?;
                }
                Some((name, rgb))
            })
            .collect()
    })
}

fn afterglow_list() -> &'static [&'static str] {
    static LIST: OnceLock<Vec<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| AFTERGLOW_COLORS.split_whitespace().collect())
}

/// RGB of an X11/Graphviz colour name; case and spaces are ignored like Graphviz does ("Light Blue").
pub fn x11_rgb(name: &str) -> Option<[u8; 3]> {
    let key: String = name.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    x11_table().get(key.as_str()).copied()
}

/// `#RRGGBB` or `#RRGGBBAA` (surrounding quotes allowed) as RGBA.
pub fn hex_rgba(s: &str) -> Option<[u8; 4]> {
    let hex = s.trim_matches('"').strip_prefix('#')?;
    if !(hex.len() == 6 || hex.len() == 8) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let p = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([p(0)?, p(2)?, p(4)?, if hex.len() == 8 { p(6)? } else { 255 }])
}

/// True when a value contains a `#` followed by 6 to 8 hex digits, which afterglow.pl passes through
/// as a colour (`$color =~ /\#[\da-fA-F]{6,8}/`).
pub fn is_afterglow_hex(s: &str) -> bool {
    static HEX: OnceLock<Option<Regex>> = OnceLock::new();
    HEX.get_or_init(|| Regex::new(r"#[0-9a-fA-F]{6,8}").ok()).as_ref().is_some_and(|h| h.is_match(s))
}

/// The first `@colors` entry that afterglow.pl's test `grep(/$value/, @colors)` finds for a value: the
/// value is used as a regular expression, so "yellow" is found inside "greenyellow" and "80" inside
/// "gray80". A value that is not a valid expression matches nothing (afterglow.pl would die instead).
pub fn afterglow_list_match(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        return None;
    }
    let list = afterglow_list();
    // Plain words need no regex engine.
    if value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ' ') {
        return list.iter().copied().find(|c| c.contains(value));
    }
    let re = Regex::new(value).ok()?;
    list.iter().copied().find(|c| re.is_match(c))
}

/// Whether a rule's value is a colour (drawn as itself) rather than a category (given the next palette
/// colour): a `#RRGGBB[AA]` value, a value AfterGlow accepts by its list test, or any X11/Graphviz name.
pub fn is_color_name(value: &str) -> bool {
    is_afterglow_hex(value) || afterglow_list_match(value).is_some() || x11_rgb(value).is_some()
}

/// RGBA to draw a colour value with: hex, an X11/Graphviz name, `transparent`/`invisible` (alpha 0),
/// or, for a value AfterGlow accepts only by its substring test ("80"), the list colour it matched.
/// None for values that are not colours at all.
pub fn color_rgba(value: &str) -> Option<[u8; 4]> {
    let v = value.trim().trim_matches('"');
    if let Some(c) = hex_rgba(v) {
        return Some(c);
    }
    if v.eq_ignore_ascii_case("transparent") || v.eq_ignore_ascii_case(INVISIBLE) {
        return Some([255, 255, 254, 0]);
    }
    let rgb = x11_rgb(v).or_else(|| afterglow_list_match(v).and_then(x11_rgb))?;
    Some([rgb[0], rgb[1], rgb[2], 255])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn afterglow_rule_is_a_regex_over_its_list() {
        // The issue's case: "yellow" is not in @colors, but inside "greenyellow".
        assert!(!afterglow_list().contains(&"yellow"));
        assert_eq!(afterglow_list_match("yellow"), Some("greenyellow"));
        assert_eq!(afterglow_list_match("80"), Some("gray80"));
        assert_eq!(afterglow_list_match("^red$"), Some("red"));
        assert_eq!(afterglow_list_match("gr.y5"), Some("gray5"));
        assert_eq!(afterglow_list_match("443"), None);
        assert_eq!(afterglow_list_match("Deny"), None);
        assert_eq!(afterglow_list_match("("), None);
        assert_eq!(afterglow_list_match(""), None);
        assert!(is_color_name("yellow") && is_color_name("red") && is_color_name("Light Blue"));
        assert!(is_color_name("#00ff00") && is_color_name("lightyellow4") && is_color_name("crimson"));
        assert!(!is_color_name("147.32.84.165") && !is_color_name("tcp"));
        assert_eq!(afterglow_list().len(), 647);
    }

    #[test]
    fn rgb_values() {
        assert_eq!(x11_rgb("yellow"), Some([255, 255, 0]));
        assert_eq!(x11_rgb("GhostWhite"), Some([248, 248, 255]));
        assert_eq!(x11_rgb("ghost white"), Some([248, 248, 255]));
        assert_eq!(x11_rgb("gray80"), Some([204, 204, 204]));
        assert_eq!(x11_rgb("nosuchcolour"), None);
        assert_eq!(color_rgba("\"#11223344\""), Some([17, 34, 51, 68]));
        assert_eq!(color_rgba("yellow"), Some([255, 255, 0, 255]));
        assert_eq!(color_rgba("80"), Some([204, 204, 204, 255]));
        assert_eq!(color_rgba("transparent").map(|c| c[3]), Some(0));
        assert_eq!(color_rgba("tcp"), None);
        // Every name of AfterGlow's list except the two specials has an RGB value.
        for c in afterglow_list() {
            assert!(color_rgba(c).is_some(), "{c}");
        }
    }
}
