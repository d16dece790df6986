//! The report as HTML (one self-contained file: styles inline, pictures as data: URIs) and as
//! Markdown. Every value from the logs is escaped: log text carries markup and control bytes.
use super::svg::{data_uri, escape, time_series_svg};
use super::{BookmarkReport, ReportData};
use crate::data::timeparse::format_short;
use crate::views::common::thousands;

fn range_words(r: Option<(i64, i64)>) -> String {
    match r {
        Some((a, b)) => format!("{} to {} UTC", format_short(a), format_short(b)),
        None => "no time range".into(),
    }
}

fn pct(part: i64, whole: i64) -> String {
    if whole > 0 {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    } else {
        "-".into()
    }
}

/// The time series picture of a bookmark as a data: URI, when there is a series.
fn series_uri(b: &BookmarkReport) -> Option<String> {
    b.series.as_ref().map(|s| data_uri("image/svg+xml", time_series_svg(s, 900.0, 170.0).as_bytes()))
}

pub fn to_html(d: &ReportData) -> String {
    let mut o = String::new();
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    o.push_str(&format!("<title>{}</title>", escape(&d.title)));
    o.push_str(
        "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}\
         table{border-collapse:collapse;margin:.3em 1.5em .8em 0;display:inline-table;vertical-align:top}\
         td,th{border:1px solid #ccc;padding:2px 8px;font-size:13px}td.n{text-align:right}\
         section.bookmark{border-top:2px solid #4682b4;margin-top:2em}.filters li{font-family:monospace}\
         .count{font-size:1.3em;font-weight:bold}</style></head><body>\n",
    );
    o.push_str(&format!("<h1>{}</h1>\n", escape(&d.title)));
    o.push_str("<h2>Sources</h2>\n<table class=\"sources\"><tr><th>file</th><th>format</th></tr>");
    for (p, f) in &d.sources {
        o.push_str(&format!("<tr><td>{}</td><td>{}</td></tr>", escape(p), escape(f)));
    }
    o.push_str("</table>\n");
    o.push_str(&format!(
        "<p>{} records, {}.</p>\n",
        thousands(d.records as i64),
        escape(&range_words(d.time_range_us))
    ));
    if !d.cleaning.is_empty() {
        o.push_str("<h3>Cleaning applied</h3><ol>");
        for c in &d.cleaning {
            o.push_str(&format!("<li>{}</li>", escape(c)));
        }
        o.push_str("</ol>\n");
    }
    if !d.notes.trim().is_empty() {
        o.push_str(&format!("<h2>Notes</h2>\n<pre>{}</pre>\n", escape(&d.notes)));
    }
    o.push_str(&format!("<h2>Bookmarks ({})</h2>\n", d.bookmarks.len()));
    for (i, b) in d.bookmarks.iter().enumerate() {
        o.push_str(&format!("<section class=\"bookmark\" id=\"bookmark-{}\">\n", i + 1));
        o.push_str(&format!("<h2>{}</h2>\n", escape(&b.title)));
        if !b.text.is_empty() {
            o.push_str(&format!("<p class=\"text\">{}</p>\n", escape(&b.text)));
        }
        o.push_str("<p>Filters:</p><ul class=\"filters\">");
        if b.filters.is_empty() {
            o.push_str("<li>none (all records)</li>");
        }
        for f in &b.filters {
            o.push_str(&format!("<li>{}</li>", escape(f)));
        }
        o.push_str("</ul>\n");
        o.push_str(&format!(
            "<p><span class=\"count\" data-records=\"{}\">{} records</span> ({} of all), {}.</p>\n",
            b.records,
            thousands(b.records),
            pct(b.records, d.records as i64),
            escape(&range_words(b.time_range_us))
        ));
        if let Some(uri) = series_uri(b) {
            o.push_str(&format!(
                "<img class=\"timeseries\" alt=\"records over time: {}\" src=\"{uri}\">\n",
                escape(&b.title)
            ));
        }
        if let Some(svg) = &b.treemap_svg {
            o.push_str(&format!(
                "<img class=\"treemap\" alt=\"treemap: {}\" src=\"{}\">\n",
                escape(&b.title),
                data_uri("image/svg+xml", svg.as_bytes())
            ));
        }
        for t in &b.tops {
            o.push_str(&format!(
                "<table class=\"topn\" data-field=\"{0}\"><tr><th>{0}</th><th>records</th><th>%</th></tr>",
                escape(&t.field)
            ));
            for (label, v) in &t.rows {
                o.push_str(&format!(
                    "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    escape(label),
                    thousands(*v),
                    pct(*v, t.total)
                ));
            }
            o.push_str(&format!(
                "<tr><td colspan=\"3\"><i>{} distinct values</i></td></tr></table>\n",
                thousands(t.distinct as i64)
            ));
        }
        o.push_str("</section>\n");
    }
    o.push_str("</body></html>\n");
    o
}

/// Markdown table cell: no pipes or line breaks from the data.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ").chars().filter(|c| !c.is_control()).collect()
}

pub fn to_markdown(d: &ReportData) -> String {
    let mut o = format!("# {}\n\n## Sources\n\n| file | format |\n|---|---|\n", md_cell(&d.title));
    for (p, f) in &d.sources {
        o.push_str(&format!("| {} | {} |\n", md_cell(p), md_cell(f)));
    }
    o.push_str(&format!("\n{} records, {}.\n\n", thousands(d.records as i64), range_words(d.time_range_us)));
    if !d.cleaning.is_empty() {
        o.push_str("### Cleaning applied\n\n");
        for (i, c) in d.cleaning.iter().enumerate() {
            o.push_str(&format!("{}. {}\n", i + 1, md_cell(c)));
        }
        o.push('\n');
    }
    if !d.notes.trim().is_empty() {
        o.push_str(&format!("## Notes\n\n{}\n\n", d.notes.trim()));
    }
    o.push_str(&format!("## Bookmarks ({})\n\n", d.bookmarks.len()));
    for b in &d.bookmarks {
        o.push_str(&format!("### {}\n\n", md_cell(&b.title)));
        if !b.text.is_empty() {
            o.push_str(&format!("{}\n\n", b.text.trim()));
        }
        o.push_str("Filters:\n\n");
        if b.filters.is_empty() {
            o.push_str("- none (all records)\n");
        }
        for f in &b.filters {
            o.push_str(&format!("- `{}`\n", f.replace('`', "'")));
        }
        o.push_str(&format!(
            "\n**{} records** ({} of all), {}.\n\n",
            thousands(b.records),
            pct(b.records, d.records as i64),
            range_words(b.time_range_us)
        ));
        if let Some(uri) = series_uri(b) {
            o.push_str(&format!("![records over time]({uri})\n\n"));
        }
        if let Some(svg) = &b.treemap_svg {
            o.push_str(&format!("![treemap]({})\n\n", data_uri("image/svg+xml", svg.as_bytes())));
        }
        for t in &b.tops {
            o.push_str(&format!("| {} | records | % |\n|---|---:|---:|\n", md_cell(&t.field)));
            for (label, v) in &t.rows {
                o.push_str(&format!("| {} | {} | {} |\n", md_cell(label), thousands(*v), pct(*v, t.total)));
            }
            o.push_str(&format!("\n{} distinct values\n\n", thousands(t.distinct as i64)));
        }
    }
    o
}
