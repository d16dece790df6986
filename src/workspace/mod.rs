//! The analyst's investigation on disk: a versioned JSON `*.brushfire` file (schema in
//! docs/WORKSPACE.md). Pure data and file handling, no egui: the window and `brushfire report`
//! both read it. Source paths are stored relative to the workspace file so a folder of logs and
//! its workspace can move together.
use crate::data::clean::recipe::Step;
use crate::linking::selection::{Clause, Selection, ViewId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the `format` field of every workspace file says.
pub const WORKSPACE_FORMAT: &str = "brushfire-workspace";
/// The schema version this build writes and the newest it reads.
pub const WORKSPACE_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a Brushfire workspace ({reason})")]
    NotAWorkspace { path: PathBuf, reason: String },
    #[error("{path}: workspace version {found} is newer than this Brushfire reads (up to {WORKSPACE_VERSION}); update Brushfire to open it")]
    TooNew { path: PathBuf, found: u64 },
    #[error("{path}: broken workspace: {reason}")]
    Broken { path: PathBuf, reason: String },
    #[error("{0}")]
    Write(#[from] crate::data::DataError),
}

/// One view instance on the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "view", rename_all = "snake_case", deny_unknown_fields)]
pub enum Pane {
    TimeSeries {
        id: ViewId,
    },
    TopN {
        id: ViewId,
    },
    Treemap,
    Graph,
    Records,
    Sql,
    Clean,
    Summary,
    /// Notes and bookmarks of the investigation.
    Bookmarks,
    /// The open workshop lesson (issue #15).
    Lesson,
}

/// A layout: the tile tree as nested containers. Shares are relative sizes of the children.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LayoutNode {
    Pane { pane: Pane },
    Tabs { children: Vec<LayoutNode>, active: usize },
    Horizontal { children: Vec<LayoutNode>, shares: Vec<f32> },
    Vertical { children: Vec<LayoutNode>, shares: Vec<f32> },
    Grid { children: Vec<LayoutNode> },
}

impl LayoutNode {
    /// Every pane, in order.
    pub fn panes(&self) -> Vec<Pane> {
        fn walk(n: &LayoutNode, out: &mut Vec<Pane>) {
            match n {
                LayoutNode::Pane { pane } => out.push(*pane),
                LayoutNode::Tabs { children, .. }
                | LayoutNode::Horizontal { children, .. }
                | LayoutNode::Vertical { children, .. }
                | LayoutNode::Grid { children } => children.iter().for_each(|c| walk(c, out)),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

/// A log file of the investigation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Relative to the workspace file's folder (absolute when on another drive).
    pub path: PathBuf,
    /// The format detected when the workspace was saved ("vast-netflow", ...), checked on reopen.
    pub format: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadSettings {
    /// Offset for timestamps without a zone, as typed ("+02:00"); empty is UTC.
    #[serde(default)]
    pub tz: String,
    /// Year for syslog lines without one; empty is the file's year.
    #[serde(default)]
    pub year: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSeriesSettings {
    pub id: ViewId,
    pub measure: String,
    /// "week_earlier", "day_earlier" or "off".
    pub compare: String,
    pub split: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopNSettings {
    pub id: ViewId,
    pub field: String,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreemapSettings {
    pub levels: Vec<String>,
    pub measure: String,
    #[serde(default)]
    pub drill: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewSettings {
    pub time_series: Vec<TimeSeriesSettings>,
    pub top_n: Vec<TopNSettings>,
    pub treemap: Option<TreemapSettings>,
    /// Link graph fields (2 or 3: source, [event,] target).
    pub graph_fields: Vec<String>,
    /// Records table sort: (column, descending).
    pub table_sort: Option<(String, bool)>,
}

/// One clause per source view, keyed by ViewId.
pub type Clauses = BTreeMap<ViewId, Clause>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionState {
    pub current: Clauses,
    /// Oldest first; the last entry is what Undo goes back to.
    #[serde(default)]
    pub undo: Vec<Clauses>,
    #[serde(default)]
    pub redo: Vec<Clauses>,
}

impl SelectionState {
    pub fn selection(c: &Clauses) -> Selection {
        Selection { clauses: c.clone() }
    }
}

/// A selection the analyst named: "exfil over 443 from 172.10.3.77".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bookmark {
    pub title: String,
    #[serde(default)]
    pub text: String,
    pub selection: Clauses,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlSettings {
    pub text: String,
    #[serde(default)]
    pub history: Vec<String>,
}

/// The whole investigation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workspace {
    pub format: String,
    pub version: u32,
    pub sources: Vec<Source>,
    #[serde(default)]
    pub load: LoadSettings,
    pub layout: Option<LayoutNode>,
    #[serde(default)]
    pub views: ViewSettings,
    #[serde(default)]
    pub selection: SelectionState,
    /// Cleaning steps replayed on the loaded table before the selection applies.
    #[serde(default)]
    pub cleaning: Vec<Step>,
    /// AfterGlow property file for the link graph, relative like the sources.
    #[serde(default)]
    pub graph_properties: Option<PathBuf>,
    #[serde(default)]
    pub sql: SqlSettings,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub bookmarks: Vec<Bookmark>,
    /// The SOC wall's panels, metrics, refresh and local networks (`brushfire --dashboard`).
    #[serde(default)]
    pub dashboard: crate::dashboard::DashboardConfig,
    /// The workshop lesson open in this investigation and the student's progress.
    #[serde(default)]
    pub lesson: Option<LessonProgress>,
}

/// A student's place in a lesson.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonProgress {
    /// The lesson file, relative like the sources.
    pub file: PathBuf,
    /// 0-based step shown.
    pub step: usize,
    /// 0-based steps the student has passed.
    #[serde(default)]
    pub passed: Vec<usize>,
    #[serde(default)]
    pub presenter: bool,
}

impl Workspace {
    pub fn new(sources: Vec<Source>) -> Self {
        Workspace {
            format: WORKSPACE_FORMAT.into(),
            version: WORKSPACE_VERSION,
            sources,
            load: Default::default(),
            layout: None,
            views: Default::default(),
            selection: Default::default(),
            cleaning: Vec::new(),
            graph_properties: None,
            sql: Default::default(),
            notes: String::new(),
            bookmarks: Vec::new(),
            dashboard: Default::default(),
            lesson: None,
        }
    }

    /// Parses a workspace; a wrong format, a newer version or any broken field is an error,
    /// never a partly filled workspace.
    pub fn parse(path: &Path, text: &str) -> Result<Self, WorkspaceError> {
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| WorkspaceError::NotAWorkspace { path: path.into(), reason: e.to_string() })?;
        if v.get("format").and_then(|f| f.as_str()) != Some(WORKSPACE_FORMAT) {
            return Err(WorkspaceError::NotAWorkspace {
                path: path.into(),
                reason: format!("its \"format\" is not \"{WORKSPACE_FORMAT}\""),
            });
        }
        match v.get("version").and_then(|x| x.as_u64()) {
            Some(n) if n > WORKSPACE_VERSION as u64 => {
                return Err(WorkspaceError::TooNew { path: path.into(), found: n })
            }
            Some(0) | None => {
                return Err(WorkspaceError::Broken {
                    path: path.into(),
                    reason: "\"version\" must be a positive whole number".into(),
                })
            }
            Some(_) => {}
        }
        let ws: Workspace = serde_json::from_str(text)
            .map_err(|e| WorkspaceError::Broken { path: path.into(), reason: e.to_string() })?;
        ws.check().map_err(|reason| WorkspaceError::Broken { path: path.into(), reason })?;
        Ok(ws)
    }

    /// Cross-field rules serde cannot see.
    fn check(&self) -> Result<(), String> {
        if self.sources.is_empty() {
            return Err("no sources".into());
        }
        if let Some(l) = &self.layout {
            let panes = l.panes();
            for t in &self.views.time_series {
                if !panes.contains(&Pane::TimeSeries { id: t.id }) {
                    return Err(format!("time series {} has settings but no place in the layout", t.id));
                }
            }
            for t in &self.views.top_n {
                if !panes.contains(&Pane::TopN { id: t.id }) {
                    return Err(format!("top-N list {} has settings but no place in the layout", t.id));
                }
            }
            for (i, p) in panes.iter().enumerate() {
                if panes[..i].contains(p) {
                    return Err(format!("the layout shows {p:?} twice"));
                }
            }
        }
        self.recipe().validate().map_err(|e| format!("cleaning: {e}"))?;
        Ok(())
    }

    /// The cleaning steps as a recipe.
    pub fn recipe(&self) -> crate::data::clean::recipe::Recipe {
        use crate::data::clean::recipe::{Recipe, RECIPE_VERSION};
        Recipe { version: RECIPE_VERSION, name: None, steps: self.cleaning.clone() }
    }

    pub fn read(path: &Path) -> Result<Self, WorkspaceError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| WorkspaceError::Io { path: path.into(), source: e })?;
        Self::parse(path, &text)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a workspace always serialises")
    }

    /// Writes atomically; `inputs` (the sources) are never overwritten.
    pub fn write(&self, path: &Path) -> Result<(), WorkspaceError> {
        let inputs: Vec<PathBuf> = self.sources.iter().map(|s| resolve(path, &s.path)).collect();
        crate::data::atomic::write_bytes_atomic(path, &inputs, self.to_json().as_bytes())?;
        Ok(())
    }

    /// The sources as absolute paths, each with whether it exists now.
    pub fn source_paths(&self, workspace_path: &Path) -> Vec<(PathBuf, bool)> {
        self.sources
            .iter()
            .map(|s| {
                let p = resolve(workspace_path, &s.path);
                let ok = p.is_file();
                (p, ok)
            })
            .collect()
    }
}

/// A stored path made absolute against the workspace file's folder.
pub fn resolve(workspace_path: &Path, stored: &Path) -> PathBuf {
    if stored.is_absolute() {
        stored.to_path_buf()
    } else {
        workspace_path.parent().unwrap_or(Path::new(".")).join(stored)
    }
}

/// `file` as stored in a workspace at `workspace_path`: relative to its folder when it is inside
/// it or a sibling folder tree (`../logs/a.csv`), absolute otherwise.
pub fn relative_to(workspace_path: &Path, file: &Path) -> PathBuf {
    let abs =
        |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| std::path::absolute(p).unwrap_or(p.into()));
    let base = abs(workspace_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")));
    let file = abs(file);
    let (b, f): (Vec<_>, Vec<_>) = (base.components().collect(), file.components().collect());
    let common = b.iter().zip(&f).take_while(|(x, y)| x == y).count();
    // Only the root in common: different drives or trees, keep it absolute.
    if common <= 1 {
        return file;
    }
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &f[common..] {
        out.push(c.as_os_str());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Workspace {
        let mut w = Workspace::new(vec![Source { path: "logs/a.csv".into(), format: "vast-netflow".into() }]);
        w.layout = Some(LayoutNode::Vertical {
            children: vec![
                LayoutNode::Pane { pane: Pane::TimeSeries { id: 1 } },
                LayoutNode::Tabs { children: vec![LayoutNode::Pane { pane: Pane::Records }], active: 0 },
            ],
            shares: vec![1.0, 2.0],
        });
        w.views.time_series.push(TimeSeriesSettings {
            id: 1,
            measure: "count".into(),
            compare: "week_earlier".into(),
            split: None,
        });
        w.selection.current.insert(10, Clause::values("src_ip", ["10.0.0.1".to_string()], false));
        w.selection.undo.push(Clauses::new());
        w.bookmarks.push(Bookmark {
            title: "scanner".into(),
            text: "vertical scan".into(),
            selection: w.selection.current.clone(),
        });
        w
    }

    #[test]
    fn round_trips_exactly() {
        let w = sample();
        let p = Path::new("/x/inv.brushfire");
        assert_eq!(Workspace::parse(p, &w.to_json()).unwrap(), w);
    }

    #[test]
    fn newer_broken_and_foreign_files_are_clear_errors() {
        let p = Path::new("inv.brushfire");
        let mut v: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        v["version"] = 99.into();
        let e = Workspace::parse(p, &v.to_string()).unwrap_err().to_string();
        assert!(e.contains("version 99 is newer"), "{e}");
        let mut v: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        v["views"]["time_series"][0]["measure"] = 5.into();
        let e = Workspace::parse(p, &v.to_string()).unwrap_err().to_string();
        assert!(e.contains("broken workspace") && e.contains("invalid type"), "{e}");
        let mut v: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        v["surprise"] = 1.into();
        let e = Workspace::parse(p, &v.to_string()).unwrap_err().to_string();
        assert!(e.contains("unknown field"), "{e}");
        let e = Workspace::parse(p, "{\"a\":1}").unwrap_err().to_string();
        assert!(e.contains("not a Brushfire workspace"), "{e}");
        let e = Workspace::parse(p, "\u{0}\u{90}shellcode").unwrap_err().to_string();
        assert!(e.contains("not a Brushfire workspace"), "{e}");
        let mut v: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        v["views"]["time_series"][0]["id"] = 77.into();
        let e = Workspace::parse(p, &v.to_string()).unwrap_err().to_string();
        assert!(e.contains("no place in the layout"), "{e}");
    }

    #[test]
    fn paths_are_relative_to_the_workspace() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("logs")).unwrap();
        std::fs::create_dir_all(d.path().join("cases")).unwrap();
        let f = d.path().join("logs/a.csv");
        std::fs::write(&f, "x").unwrap();
        let ws = d.path().join("cases/inv.brushfire");
        let rel = relative_to(&ws, &f);
        assert_eq!(rel, PathBuf::from("../logs/a.csv"));
        assert_eq!(std::fs::canonicalize(resolve(&ws, &rel)).unwrap(), std::fs::canonicalize(&f).unwrap());
    }
}
