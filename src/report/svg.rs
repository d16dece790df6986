//! Pictures for the report, drawn without egui: a time series as SVG, and the data: URI that
//! inlines a picture into one self-contained file.
use super::Series;
use crate::data::timeparse::format_short;

/// Escapes text for XML/HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0; logs carry them.
            c if c.is_control() && c != '\n' && c != '\t' => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

/// Standard base64 with padding (RFC 4648), for data: URIs.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut o = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for ch in bytes.chunks(3) {
        let b = [ch[0], *ch.get(1).unwrap_or(&0), *ch.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= ch.len() {
                o.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                o.push('=');
            }
        }
    }
    o
}

pub fn data_uri(mime: &str, bytes: &[u8]) -> String {
    format!("data:{mime};base64,{}", base64(bytes))
}

/// Hourly bars (summing the engine's base buckets) over the whole range, brushed intervals shaded.
pub fn time_series_svg(s: &Series, width: f32, height: f32) -> String {
    let (left, right, top, bottom) = (54.0f32, 10.0f32, 10.0f32, 28.0f32);
    let plot_w = (width - left - right).max(10.0);
    let plot_h = (height - top - bottom).max(10.0);
    // About one bar per 3 px at most, each bar a friendly span (minutes, hours, days).
    let want_us = s.bucket_us as f64 * s.counts.len() as f64 * 3.0 / plot_w as f64;
    const FRIENDLY_MIN: [i64; 12] = [1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 10080];
    let friendly_us =
        FRIENDLY_MIN.iter().map(|m| m * 60_000_000).find(|f| *f as f64 >= want_us).unwrap_or(i64::MAX);
    let k =
        ((friendly_us as f64 / s.bucket_us.max(1) as f64).ceil() as usize).clamp(1, s.counts.len().max(1));
    let bars: Vec<i64> = s.counts.chunks(k).map(|c| c.iter().sum()).collect();
    let bucket_us = s.bucket_us * k as i64;
    let span_us = (bars.len() as i64 * bucket_us).max(1);
    let max = bars.iter().copied().max().unwrap_or(0).max(1) as f32;
    let x_of = |us: i64| left + ((us - s.origin_us) as f32 / span_us as f32) * plot_w;
    let mut o = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">"#
    );
    o.push_str(&format!(r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##));
    for (a, b) in &s.shaded_us {
        let (xa, xb) = (x_of(*a).clamp(left, left + plot_w), x_of(*b).clamp(left, left + plot_w));
        o.push_str(&format!(
            r##"<rect x="{xa:.1}" y="{top}" width="{:.1}" height="{plot_h}" fill="#f5d76e" fill-opacity="0.5"/>"##,
            (xb - xa).max(1.0)
        ));
    }
    let bw = plot_w / bars.len().max(1) as f32;
    for (i, v) in bars.iter().enumerate().filter(|(_, v)| **v > 0) {
        let h = (*v as f32 / max) * plot_h;
        o.push_str(&format!(
            r##"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="#4682b4"/>"##,
            left + i as f32 * bw,
            top + plot_h - h,
            (bw - 0.3).max(0.5),
            h.max(0.5)
        ));
    }
    // Axes: zero line, the maximum, and the first and last time.
    o.push_str(&format!(
        r##"<line x1="{left}" y1="{0}" x2="{1}" y2="{0}" stroke="#333"/><line x1="{left}" y1="{top}" x2="{left}" y2="{0}" stroke="#333"/>"##,
        top + plot_h,
        left + plot_w
    ));
    o.push_str(&format!(
        r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
        left - 4.0,
        top + 8.0,
        max as i64
    ));
    o.push_str(&format!(r#"<text x="{}" y="{}" text-anchor="end">0</text>"#, left - 4.0, top + plot_h));
    let ty = top + plot_h + 16.0;
    o.push_str(&format!(r#"<text x="{left}" y="{ty}">{}</text>"#, escape(&format_short(s.origin_us))));
    o.push_str(&format!(
        r#"<text x="{}" y="{ty}" text-anchor="end">{} UTC</text>"#,
        left + plot_w,
        escape(&format_short(s.origin_us + span_us))
    ));
    o.push_str(&format!(
        r#"<text x="{}" y="{ty}" text-anchor="middle">records per {}</text>"#,
        left + plot_w / 2.0,
        bucket_words(bucket_us)
    ));
    o.push_str("</svg>\n");
    o
}

fn bucket_words(us: i64) -> String {
    let s = us / 1_000_000;
    match s {
        s if s % 86_400 == 0 => format!("{} day(s)", s / 86_400),
        s if s % 3600 == 0 => format!("{} hour(s)", s / 3600),
        s if s % 60 == 0 => format!("{} minute(s)", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn svg_is_balanced_and_shades_the_brush() {
        let s = Series {
            origin_us: 1_364_774_400_000_000,
            bucket_us: 60_000_000,
            counts: (0..2000).map(|i| (i % 97) as i64).collect(),
            shaded_us: vec![(1_364_774_400_000_000 + 3_600_000_000, 1_364_774_400_000_000 + 7_200_000_000)],
        };
        let svg = time_series_svg(&s, 600.0, 160.0);
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches('<').count(), svg.matches('>').count());
        assert!(svg.contains("#f5d76e"), "brushed interval shaded");
        assert!(svg.contains("2013-04-01"));
    }

    #[test]
    fn escape_handles_markup_and_controls() {
        assert_eq!(escape("<a href='x'>&\u{1}"), "&lt;a href=&#39;x&#39;&gt;&amp;\u{fffd}");
    }
}
