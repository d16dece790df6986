//! Workshop lessons (issue #15): a TOML file of steps, each with instruction text, hints, a check
//! on the app's state and a solution that reaches it. Format: docs/LESSONS.md.
//!
//! Shared by the lesson panel (`views::lesson`, `app::lesson`) and `brushfire lesson`. The checks
//! are evaluated against a plain-data [`check::Snapshot`] of the app's state, so the window and the
//! command line (which replays the solutions headless, [`sim`]) decide the same way.
pub mod check;
pub mod handout;
pub mod sim;

use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

pub use check::{Check, Snapshot};

#[derive(Debug, thiserror::Error)]
pub enum LessonError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// Not TOML, or not the lesson shape. `line` is 1-based.
    #[error("{path}:{line}: {message}")]
    Syntax { path: PathBuf, line: usize, message: String },
    /// Well-formed, but a value makes no sense (no steps, an empty check, a bad time).
    #[error("{path}:{line}: {message}")]
    Invalid { path: PathBuf, line: usize, message: String },
    /// A check could not be evaluated (a SQL check's query failed, ...).
    #[error("{0}")]
    Eval(String),
}

/// One lesson as written in its file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonFile {
    title: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    summary: String,
    /// Path of the data, relative to the lesson file (or absolute).
    dataset: Spanned<String>,
    #[serde(rename = "step", default)]
    steps: Vec<Spanned<StepFile>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    title: String,
    text: String,
    #[serde(default)]
    hints: Vec<String>,
    check: Check,
    solution: Vec<Action>,
}

/// What "show me" does: a change to the app's state, the same one a person makes with the mouse.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Select (or exclude) values of a field, as a click in a top-N list does.
    Select {
        field: String,
        values: Vec<String>,
        #[serde(default)]
        exclude: bool,
    },
    /// Brush a time interval on the time series: RFC 3339 start and end.
    Brush { start: String, end: String },
    /// Type this query in the SQL console and run it.
    Sql { query: String },
    /// Apply a cleaning step: "repair_inverted" (source port in `ports`, destination > 1024),
    /// "null_ports_non_tcp_udp" or "exclude_scanners" (the scanners the workbench finds).
    Clean {
        step: String,
        #[serde(default)]
        ports: Vec<i32>,
    },
    /// The cleaning workbench's "Preview flagged records" for these service ports.
    PreviewInverted { ports: Vec<i32> },
    /// Set the link graph's fields and, optionally, a property file (relative to the lesson file).
    Graph {
        fields: Vec<String>,
        #[serde(default)]
        properties: Option<String>,
    },
    /// Set the treemap's levels.
    Treemap { levels: Vec<String> },
    /// Show `field` in a top-N list, from position `offset` + 1.
    TopN {
        field: String,
        #[serde(default)]
        offset: usize,
    },
    /// Clear every filter.
    ClearSelection,
}

/// Cleaning steps a lesson may name (the kinds of `data::clean::recipe::Step` the workbench applies).
pub const CLEAN_STEPS: [&str; 3] = ["repair_inverted", "null_ports_non_tcp_udp", "exclude_scanners"];

#[derive(Debug, Clone)]
pub struct Step {
    pub title: String,
    pub text: String,
    pub hints: Vec<String>,
    pub check: Check,
    pub solution: Vec<Action>,
    /// Line of the step's `[[step]]` table in the file, for messages.
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Lesson {
    pub title: String,
    pub audience: String,
    pub summary: String,
    /// The data, resolved against the lesson file's folder.
    pub dataset: PathBuf,
    pub dataset_line: usize,
    pub steps: Vec<Step>,
    /// The lesson file.
    pub path: PathBuf,
}

impl Lesson {
    /// The file stem: the NAME of `brushfire --lesson NAME`.
    pub fn name(&self) -> String {
        self.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
    }

    /// A path a lesson names (dataset, property file), relative to the lesson's folder.
    pub fn resolve(&self, rel: &str) -> PathBuf {
        resolve(&self.path, rel)
    }
}

fn resolve(lesson_path: &Path, rel: &str) -> PathBuf {
    let p = Path::new(rel);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        lesson_path.parent().unwrap_or(Path::new(".")).join(p)
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

pub fn load(path: &Path) -> Result<Lesson, LessonError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| LessonError::Io { path: path.to_path_buf(), source })?;
    parse(&text, path)
}

/// Parses a lesson; `path` names it in errors and anchors its relative paths.
pub fn parse(text: &str, path: &Path) -> Result<Lesson, LessonError> {
    let f: LessonFile = toml::from_str(text).map_err(|e| LessonError::Syntax {
        path: path.to_path_buf(),
        line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
        message: e.message().trim().to_string(),
    })?;
    let invalid =
        |line: usize, message: String| LessonError::Invalid { path: path.to_path_buf(), line, message };
    if f.title.trim().is_empty() {
        return Err(invalid(1, "the lesson has no title".into()));
    }
    if f.steps.is_empty() {
        return Err(invalid(1, "the lesson has no [[step]]".into()));
    }
    let mut steps = Vec::new();
    for s in f.steps {
        let line = line_of(text, s.span().start);
        let s = s.into_inner();
        let n = steps.len() + 1;
        if s.text.trim().is_empty() {
            return Err(invalid(line, format!("step {n} ({}) has no text", s.title)));
        }
        if s.solution.is_empty() {
            return Err(invalid(line, format!("step {n} ({}) has no solution", s.title)));
        }
        s.check.validate().map_err(|m| invalid(line, format!("step {n} ({}): check: {m}", s.title)))?;
        for a in &s.solution {
            validate_action(a)
                .map_err(|m| invalid(line, format!("step {n} ({}): solution: {m}", s.title)))?;
        }
        steps.push(Step {
            title: s.title,
            text: s.text,
            hints: s.hints,
            check: s.check,
            solution: s.solution,
            line,
        });
    }
    let dataset_line = line_of(text, f.dataset.span().start);
    Ok(Lesson {
        title: f.title,
        audience: f.audience,
        summary: f.summary,
        dataset: resolve(path, f.dataset.get_ref()),
        dataset_line,
        steps,
        path: path.to_path_buf(),
    })
}

fn validate_action(a: &Action) -> Result<(), String> {
    match a {
        Action::Select { field, values, .. } if field.is_empty() || values.is_empty() => {
            Err("select needs a field and at least one value".into())
        }
        Action::Brush { start, end } => {
            let (a, b) = (check::parse_time_us(start)?, check::parse_time_us(end)?);
            if b <= a {
                return Err(format!("brush ends ({end}) before it starts ({start})"));
            }
            Ok(())
        }
        Action::Sql { query } if query.trim().is_empty() => Err("sql has an empty query".into()),
        Action::Clean { step, ports } if step == "repair_inverted" && ports.is_empty() => {
            Err("repair_inverted needs its service ports".into())
        }
        Action::PreviewInverted { ports } if ports.is_empty() => Err("preview_inverted needs ports".into()),
        Action::Clean { step, .. } if !CLEAN_STEPS.contains(&step.as_str()) => {
            Err(format!("unknown cleaning step {step:?} (one of {})", CLEAN_STEPS.join(", ")))
        }
        Action::Graph { fields, .. } if !(2..=3).contains(&fields.len()) => {
            Err("a graph has 2 or 3 fields".into())
        }
        Action::Treemap { levels } if !(1..=3).contains(&levels.len()) => {
            Err("a treemap has 1 to 3 levels".into())
        }
        _ => Ok(()),
    }
}

/// The folder of the bundled lessons, found beside the sources or the executable.
pub fn bundled_dir() -> Option<PathBuf> {
    let name = "sample_data/lessons";
    let candidates = [
        std::env::current_dir().ok().map(|d| d.join(name)),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name)),
        std::env::current_exe().ok().and_then(|e| e.parent().map(|p| p.join(name))),
    ];
    candidates.into_iter().flatten().find(|p| p.is_dir())
}

/// A bundled lesson by file stem (`noon-spike`), or a path to a lesson file.
pub fn find(name: &str) -> Result<PathBuf, String> {
    let p = Path::new(name);
    if p.extension().is_some_and(|e| e == "toml") && p.exists() {
        return Ok(p.to_path_buf());
    }
    let dir = bundled_dir().ok_or("the bundled lessons (sample_data/lessons) are not here")?;
    let f = dir.join(format!("{name}.toml"));
    if f.exists() {
        return Ok(f);
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|r| {
            r.flatten()
                .filter_map(|e| {
                    let p = e.path();
                    (p.extension().is_some_and(|x| x == "toml"))
                        .then(|| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                        .flatten()
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    Err(format!("no lesson {name:?}; bundled lessons: {}", names.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
title = "T"
dataset = "../data.csv"

[[step]]
title = "one"
text = "do it"
hints = ["h1", "h2"]
check = { kind = "selection", field = "src_ip", values = ["1.2.3.4"] }
solution = [{ do = "select", field = "src_ip", values = ["1.2.3.4"] }]
"#;

    #[test]
    fn parses_steps_with_their_lines_and_resolves_the_dataset() {
        let l = parse(OK, Path::new("/x/lessons/a.toml")).unwrap();
        assert_eq!(l.steps.len(), 1);
        assert_eq!(l.steps[0].line, 5);
        assert_eq!(l.steps[0].hints.len(), 2);
        assert_eq!(l.dataset, Path::new("/x/lessons/../data.csv"));
        assert_eq!(l.name(), "a");
    }

    #[test]
    fn syntax_errors_carry_the_line() {
        let bad = OK.replace("values = [\"1.2.3.4\"] }\nsolution", "valuez = [\"1.2.3.4\"] }\nsolution");
        let e = parse(&bad, Path::new("a.toml")).unwrap_err().to_string();
        assert!(e.starts_with("a.toml:9:"), "{e}");
        let e = parse("title = \"T\"\ndataset = \n", Path::new("b.toml")).unwrap_err().to_string();
        assert!(e.starts_with("b.toml:2:"), "{e}");
    }

    #[test]
    fn semantic_errors_name_the_step_line() {
        let bad = OK.replace(
            "do = \"select\", field = \"src_ip\", values = [\"1.2.3.4\"]",
            "do = \"clean\", step = \"x\"",
        );
        let e = parse(&bad, Path::new("a.toml")).unwrap_err().to_string();
        assert!(e.starts_with("a.toml:5:") && e.contains("unknown cleaning step"), "{e}");
        let e = parse("title = \"T\"\ndataset = \"d\"\n", Path::new("c.toml")).unwrap_err().to_string();
        assert!(e.contains("no [[step]]"), "{e}");
    }
}
