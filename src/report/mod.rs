//! The investigation report: for every bookmark of a workspace, its filters in words, its record
//! count, a time series picture and its top-N tables, computed by the linking engine (no egui),
//! written as one self-contained HTML file (pictures inlined as data: URIs) or as Markdown.
//! The window and `brushfire report` call the same [`compute`] and renderers.
pub mod render;
pub mod svg;
pub mod treemap;

use crate::data::Table;
use crate::linking::coordinator::{Request, Session};
use crate::linking::needs::{Need, Output};
use crate::linking::selection::{Selection, ViewId};
use crate::workspace::{Bookmark, Workspace};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

pub use render::{to_html, to_markdown};

/// ViewIds the report asks with: no view has them, so every clause of a bookmark filters them.
const REPORT_TIME: ViewId = u32::MAX - 1;
const REPORT_TABLE: ViewId = u32::MAX - 2;
const REPORT_TREE: ViewId = u32::MAX - 3;
const REPORT_TOPN_BASE: ViewId = u32::MAX - 100;
/// Rows in each top-N table.
pub const TOP_ROWS: usize = 10;

#[derive(Debug, Clone, PartialEq)]
pub struct TopTable {
    pub field: String,
    /// Records of the selection with any value of the field.
    pub total: i64,
    pub distinct: usize,
    pub rows: Vec<(String, i64)>,
}

/// A time series: per-bucket counts from `origin_us`, and the brushed intervals to shade.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub origin_us: i64,
    pub bucket_us: i64,
    pub counts: Vec<i64>,
    pub shaded_us: Vec<(i64, i64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BookmarkReport {
    pub title: String,
    pub text: String,
    /// Each clause of the selection in words ("src_ip = 172.10.3.77").
    pub filters: Vec<String>,
    pub records: i64,
    /// First and last time of the selected records (µs), when there are any.
    pub time_range_us: Option<(i64, i64)>,
    pub series: Option<Series>,
    /// The treemap of the selection as SVG (the workspace's levels, else proto > dst_port).
    pub treemap_svg: Option<String>,
    pub tops: Vec<TopTable>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportData {
    pub title: String,
    /// (path as stored in the workspace, format).
    pub sources: Vec<(String, String)>,
    pub records: usize,
    pub time_range_us: Option<(i64, i64)>,
    pub cleaning: Vec<String>,
    pub notes: String,
    pub bookmarks: Vec<BookmarkReport>,
}

/// The fields of the top-N tables: the workspace's lists, else the usual four that the data has.
fn top_fields(ws: &Workspace, table: &Table) -> Vec<String> {
    let has = |f: &str| table.df.column(f).is_ok();
    let mut out: Vec<String> = Vec::new();
    for t in &ws.views.top_n {
        if has(&t.field) && !out.contains(&t.field) {
            out.push(t.field.clone());
        }
    }
    if out.is_empty() {
        out = ["src_ip", "dst_ip", "dst_port", "proto"]
            .iter()
            .filter(|f| has(f))
            .map(|s| s.to_string())
            .collect();
    }
    out
}

/// Runs the engine for every bookmark. `table` is the data as the analyst sees it (cleaned).
/// `done` counts finished bookmarks; `cancel` stops between bookmarks.
pub fn compute(
    ws: &Workspace,
    table: &Table,
    done: &AtomicU64,
    cancel: &AtomicBool,
) -> Result<ReportData, String> {
    let df = Arc::new(table.df.clone());
    let mut session = Session::new(df).map_err(|e| format!("indexing: {e}"))?;
    let fields = top_fields(ws, table);
    let levels = tree_levels(ws, table);
    let mut bookmarks = Vec::new();
    for (i, b) in ws.bookmarks.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            return Err("report cancelled".into());
        }
        bookmarks.push(bookmark_report(&mut session, b, &fields, &levels, i as u64));
        done.store(i as u64 + 1, Ordering::Relaxed);
    }
    let title = format!(
        "Brushfire investigation: {}",
        ws.sources.iter().map(|s| s.path.display().to_string()).collect::<Vec<_>>().join(", ")
    );
    Ok(ReportData {
        title,
        sources: ws.sources.iter().map(|s| (s.path.display().to_string(), s.format.clone())).collect(),
        records: table.rows(),
        time_range_us: table.time_range_us(),
        cleaning: ws.cleaning.iter().map(|s| format!("{s:?}")).collect(),
        notes: ws.notes.clone(),
        bookmarks,
    })
}

/// Treemap levels: the workspace's, when the data has their fields, else proto > dst_port.
fn tree_levels(ws: &Workspace, table: &Table) -> Vec<String> {
    let has = |l: &String| table.df.column(crate::views::treemap::model::level_field(l).0).is_ok();
    match &ws.views.treemap {
        Some(t) if !t.levels.is_empty() && t.levels.iter().all(has) => t.levels.clone(),
        _ => ["proto", "dst_port"].iter().map(|s| s.to_string()).filter(has).collect(),
    }
}

fn bookmark_report(
    session: &mut Session,
    b: &Bookmark,
    fields: &[String],
    levels: &[String],
    seq: u64,
) -> BookmarkReport {
    let selection = Selection { clauses: b.selection.clone() };
    let mut needs = BTreeMap::new();
    needs.insert(REPORT_TIME, Need::Time { measure: "count".into(), split: None });
    needs.insert(REPORT_TABLE, Need::Table { offset: 0, limit: 0, sort: None });
    if !levels.is_empty() {
        needs.insert(REPORT_TREE, Need::Tree { levels: levels.to_vec(), measure: "count".into() });
    }
    for (i, f) in fields.iter().enumerate() {
        needs.insert(
            REPORT_TOPN_BASE + i as ViewId,
            Need::TopN { field: f.clone(), offset: 0, limit: TOP_ROWS, measure: "count".into() },
        );
    }
    let a = session.run(&Request { seq, selection, needs, want_all_rows: false });
    let records = match a.outputs.get(&REPORT_TABLE) {
        Some(Output::Table { passing, .. }) => *passing,
        _ => 0,
    };
    let shaded_us: Vec<(i64, i64)> = b
        .selection
        .values()
        .filter_map(|c| match c {
            crate::linking::selection::Clause::Time { start_us, end_us } => Some((*start_us, *end_us)),
            _ => None,
        })
        .collect();
    let series = match a.outputs.get(&REPORT_TIME) {
        Some(Output::Time { origin_us, bucket_us, total, .. }) => {
            Some(Series { origin_us: *origin_us, bucket_us: *bucket_us, counts: total.clone(), shaded_us })
        }
        _ => None,
    };
    let time_range_us = series.as_ref().and_then(|s| {
        let first = s.counts.iter().position(|&c| c > 0)?;
        let last = s.counts.iter().rposition(|&c| c > 0)?;
        Some((s.origin_us + first as i64 * s.bucket_us, s.origin_us + (last as i64 + 1) * s.bucket_us))
    });
    let tops = fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match a.outputs.get(&(REPORT_TOPN_BASE + i as ViewId)) {
            Some(Output::TopN { total, distinct, entries, .. }) => Some(TopTable {
                field: f.clone(),
                total: *total,
                distinct: *distinct,
                rows: entries.iter().map(|e| (e.label.clone(), e.value)).collect(),
            }),
            _ => None,
        })
        .collect();
    let treemap_svg = match a.outputs.get(&REPORT_TREE) {
        Some(Output::Tree { leaves, .. }) => treemap::treemap_svg(levels, leaves, 900.0, 320.0),
        _ => None,
    };
    BookmarkReport {
        treemap_svg,
        title: b.title.clone(),
        text: b.text.clone(),
        filters: b.selection.values().map(|c| c.describe()).collect(),
        records,
        time_range_us,
        series,
        tops,
    }
}

/// Which renderer a path asks for: `.md`/`.markdown` is Markdown, anything else HTML.
pub fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

/// Renders for `out`'s extension and writes atomically (the sources are never overwritten).
pub fn write(data: &ReportData, out: &Path, inputs: &[std::path::PathBuf]) -> Result<(), String> {
    let text = if is_markdown(out) { to_markdown(data) } else { to_html(data) };
    crate::data::atomic::write_bytes_atomic(out, inputs, text.as_bytes()).map_err(|e| e.to_string())
}

/// Loads a workspace's sources as the window would (load options, then the cleaning recipe).
/// A missing source is an error naming it; nothing is guessed.
pub fn load_workspace_table(ws: &Workspace, ws_path: &Path) -> Result<Table, String> {
    let mut files = Vec::new();
    for (p, ok) in ws.source_paths(ws_path) {
        if !ok {
            return Err(format!(
                "{}: source of the workspace not found (open the workspace in Brushfire to relink it)",
                p.display()
            ));
        }
        files.push(p);
    }
    let tz = if ws.load.tz.trim().is_empty() {
        0
    } else {
        crate::cli::parse_tz_public(&ws.load.tz).ok_or_else(|| {
            format!("{}: load.tz {:?} is not an offset like +02:00", ws_path.display(), ws.load.tz)
        })?
    };
    let year = match ws.load.year.trim() {
        "" => None,
        y => Some(
            y.parse::<i32>().map_err(|_| format!("{}: load.year {y:?} is not a year", ws_path.display()))?,
        ),
    };
    let opts =
        crate::data::LoadOptions { tz_offset_secs: tz, default_year: year, format: None, only_fields: None };
    let mut table = crate::data::load_paths(&files, &opts, &crate::data::LoadControl::default())
        .map_err(|e| e.to_string())?;
    if !ws.cleaning.is_empty() {
        let (df, _) =
            crate::data::clean::apply::apply_recipe(&table.df, &ws.recipe()).map_err(|e| e.to_string())?;
        table.df = df;
    }
    Ok(table)
}

/// `brushfire report inv.brushfire --out report.html`: the same report as the window's, no window.
pub fn report_from_workspace(ws_path: &Path, out: &Path) -> Result<ReportData, String> {
    let ws = Workspace::read(ws_path).map_err(|e| e.to_string())?;
    let table = load_workspace_table(&ws, ws_path)?;
    let data = compute(&ws, &table, &AtomicU64::new(0), &AtomicBool::new(false))?;
    let mut inputs = table.files.clone();
    inputs.push(ws_path.to_path_buf());
    write(&data, out, &inputs)?;
    Ok(data)
}
