//! AfterGlow `.properties` files (`color.source="red" if ($fields[0]=~/^10\./)` etc.).
//!
//! Line handling follows `sub propertyfile` of afterglow.pl 1.6.6: lines starting with `#` and blank lines
//! are skipped, a `#` that is not preceded by `"` or `=` starts a trailing comment, the name is split
//! from the value at the first `=`, a trailing `;` is removed and a value fully wrapped in `"..."` is
//! unquoted. Values are parsed with the safe language of [`super::expr`] instead of Perl `eval`.

use std::path::Path;

use regex::Regex;
use thiserror::Error;

use super::expr::{Program, Variables};

/// A property file problem, naming the 1-based line.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("line {line}: {message}")]
pub struct PropertyError {
    pub line: usize,
    pub message: String,
}

/// One `name=value` rule with its parsed program.
#[derive(Debug, Clone)]
pub struct Rule {
    pub line: usize,
    /// The value text after AfterGlow's clean-up (quotes and `;` stripped).
    pub text: String,
    pub program: Program,
    /// AfterGlow treats a rule containing "if" as specific (not a catch-all) for size/label caching.
    pub has_if: bool,
}

/// Rules per node type. Generic keys (`color=`, `size=`, `label=`) are appended to every list in file
/// order, exactly like afterglow.pl pushes them onto each per-type array.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub source: Vec<Rule>,
    pub event: Vec<Rule>,
    pub target: Vec<Rule>,
    pub sourcetarget: Vec<Rule>,
    pub edge: Vec<Rule>,
}

/// Output format requested by the property file (`gdf=1`, `graphson=1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Dot,
    Gdf,
    GraphSon,
}

/// Node shapes accepted by AfterGlow's `shape.*` keys.
pub const SHAPES: &[&str] = &[
    "box",
    "polygon",
    "circle",
    "ellipse",
    "invtriangle",
    "octagon",
    "pentagon",
    "diamond",
    "point",
    "triangle",
    "plaintext",
    "Mrecord",
];

/// A parsed AfterGlow property file.
#[derive(Debug, Clone)]
pub struct Properties {
    pub color: RuleSet,
    pub size: RuleSet,
    /// `label*`: for source/event/target, a value of `0` or empty disables labels (AfterGlow `__NULL_`).
    pub label: RuleSet,
    /// `cluster=` (applied to all node types first) and `cluster.source|event|target=`.
    pub cluster_all: Vec<Rule>,
    pub cluster: RuleSet,
    pub shape_source: String,
    pub shape_event: String,
    pub shape_target: String,
    /// `threshold=` (AfterGlow's omit threshold; overrides `-o` because the file is read after options).
    pub threshold: Option<usize>,
    pub threshold_source: Option<usize>,
    pub threshold_event: Option<usize>,
    pub threshold_target: Option<usize>,
    pub sum_source: bool,
    pub sum_event: bool,
    pub sum_target: bool,
    pub max_node_size: Option<f32>,
    pub url: Option<String>,
    pub output: Option<OutputFormat>,
    pub xlabels: bool,
    pub concentrate: bool,
    pub label_duplicate: bool,
    pub variables: Variables,
    /// Line of an `exit` entry, after which AfterGlow stops reading.
    pub exit_line: Option<usize>,
}

impl Default for Properties {
    fn default() -> Self {
        Properties {
            color: RuleSet::default(),
            size: RuleSet::default(),
            label: RuleSet::default(),
            cluster_all: Vec::new(),
            cluster: RuleSet::default(),
            shape_source: "ellipse".into(),
            shape_event: "ellipse".into(),
            shape_target: "ellipse".into(),
            threshold: None,
            threshold_source: None,
            threshold_event: None,
            threshold_target: None,
            sum_source: false,
            sum_event: false,
            sum_target: false,
            max_node_size: None,
            url: None,
            output: None,
            xlabels: true,
            concentrate: true,
            label_duplicate: false,
            variables: Variables::default(),
            exit_line: None,
        }
    }
}

impl Properties {
    /// Reads and strictly parses a property file (first problem is an error).
    pub fn from_path(path: &Path) -> Result<Properties, PropertyError> {
        let bytes = std::fs::read(path)
            .map_err(|e| PropertyError { line: 0, message: format!("{}: {e}", path.display()) })?;
        Properties::parse(&String::from_utf8_lossy(&bytes))
    }

    /// Strict parse: any line outside the supported language is an error.
    pub fn parse(text: &str) -> Result<Properties, PropertyError> {
        let (p, errors) = Properties::parse_lenient(text);
        match errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(p),
        }
    }

    /// Lenient parse like afterglow.pl: bad lines are reported and skipped, the rest is used.
    pub fn parse_lenient(text: &str) -> (Properties, Vec<PropertyError>) {
        let mut p = Properties::default();
        let mut errors = Vec::new();
        // `$ln =~ s/[^"=]#.*$//;` - the character before `#` goes too, which is harmless whitespace.
        let comment = Regex::new(r#"[^"=]#.*$"#).ok();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim_start();
            if trimmed.starts_with('#') || trimmed.trim().is_empty() {
                continue;
            }
            let mut ln = raw.to_string();
            if let Some(re) = &comment {
                ln = re.replace(&ln, "").into_owned();
            }
            // `exit` stops reading (afterglow.pl accepts it with or without `=...`).
            if ln.trim().trim_end_matches(';').trim() == "exit" {
                p.exit_line = Some(line);
                break;
            }
            let Some((name, value)) = split_name_value(&ln) else {
                errors.push(PropertyError {
                    line,
                    message: format!("expected name=value, found `{}`", ln.trim()),
                });
                continue;
            };
            if name == "exit" {
                p.exit_line = Some(line);
                break;
            }
            if let Err(message) = p.apply(&name, &value, line) {
                errors.push(PropertyError { line, message });
            }
        }
        (p, errors)
    }

    fn apply(&mut self, name: &str, value: &str, line: usize) -> Result<(), String> {
        let rule = |v: &str| -> Result<Rule, String> {
            // afterglow.pl takes `#RRGGBB[AA]` values verbatim (they are not valid Perl on their own).
            let is_hex = v.len() >= 7 && v.starts_with('#') && v[1..].chars().all(|c| c.is_ascii_hexdigit());
            let src = if is_hex { format!("\"{v}\"") } else { v.to_string() };
            let program =
                Program::parse(&src, false).map_err(|e| format!("{name}: cannot understand `{v}` ({e})"))?;
            Ok(Rule { line, text: v.to_string(), program, has_if: v.contains("if") })
        };
        match name {
            "gdf" => self.output = flag(value, name)?.then_some(OutputFormat::Gdf).or(self.output),
            "graphson" => self.output = flag(value, name)?.then_some(OutputFormat::GraphSon).or(self.output),
            "xlabels" => self.xlabels = flag(value, name)?,
            "concentrate" => self.concentrate = flag(value, name)?,
            "label.duplicate" => self.label_duplicate = flag(value, name)?,
            "color" => {
                let r = rule(value)?;
                for l in [&mut self.color.source, &mut self.color.target, &mut self.color.event] {
                    l.push(r.clone());
                }
                self.color.sourcetarget.push(r);
            }
            "color.source" => self.color.source.push(rule(value)?),
            "color.target" => self.color.target.push(rule(value)?),
            "color.event" => self.color.event.push(rule(value)?),
            "color.edge" => self.color.edge.push(rule(value)?),
            "color.sourcetarget" => self.color.sourcetarget.push(rule(value)?),
            "size" => {
                let r = rule(value)?;
                self.size.source.push(r.clone());
                self.size.target.push(r.clone());
                self.size.event.push(r);
            }
            "size.source" => self.size.source.push(rule(value)?),
            "size.target" => self.size.target.push(rule(value)?),
            "size.event" => self.size.event.push(rule(value)?),
            "size.edge" => self.size.edge.push(rule(value)?),
            "label" | "label.source" | "label.target" | "label.event" => {
                // `label.x=0` (or empty) switches labels off; it must not be parsed as an expression.
                let r = if value.is_empty() || value == "0" {
                    Rule {
                        line,
                        text: value.to_string(),
                        program: Program::parse("0", false).map_err(|e| e.message)?,
                        has_if: false,
                    }
                } else {
                    rule(value)?
                };
                match name {
                    "label" => {
                        self.label.source.push(r.clone());
                        self.label.event.push(r.clone());
                        self.label.target.push(r);
                    }
                    "label.source" => self.label.source.push(r),
                    "label.target" => self.label.target.push(r),
                    _ => self.label.event.push(r),
                }
            }
            "label.edge" => self.label.edge.push(rule(value)?),
            "threshold" => self.threshold = Some(count(value, name)?),
            "threshold.source" => self.threshold_source = Some(count(value, name)?),
            "threshold.event" => self.threshold_event = Some(count(value, name)?),
            "threshold.target" => self.threshold_target = Some(count(value, name)?),
            "shape.source" | "shape.event" | "shape.target" => {
                let v = value.trim_end_matches(';').trim_matches('"');
                if !SHAPES.contains(&v) {
                    return Err(format!(
                        "unrecognized value for {name}: `{value}` (one of {})",
                        SHAPES.join(", ")
                    ));
                }
                match name {
                    "shape.source" => self.shape_source = v.to_string(),
                    "shape.event" => self.shape_event = v.to_string(),
                    _ => self.shape_target = v.to_string(),
                }
            }
            "sum.source" => self.sum_source = flag01(value, name)?,
            "sum.event" => self.sum_event = flag01(value, name)?,
            "sum.target" => self.sum_target = flag01(value, name)?,
            "cluster" => self.cluster_all.push(rule(value)?),
            "cluster.source" => self.cluster.source.push(rule(value)?),
            "cluster.event" => self.cluster.event.push(rule(value)?),
            "cluster.target" => self.cluster.target.push(rule(value)?),
            "url" => self.url = Some(value.to_string()),
            "variable" => {
                let program = Program::parse(value, true)
                    .map_err(|e| format!("variable: cannot understand `{value}` ({e})"))?;
                if !program.is_assignments_only() {
                    return Err(format!(
                        "variable: only `$x = ...;` / `@x = (...);` assignments are supported: `{value}`"
                    ));
                }
                program.run_assignments(&mut self.variables);
            }
            n if n.eq_ignore_ascii_case("maxnodesize") => {
                // AfterGlow's own `s/.*?(\d*).*/\1/` truncates "0.2" to "0"; we keep the decimal value.
                let v: f32 =
                    value.trim().parse().map_err(|_| format!("maxnodesize: not a number: `{value}`"))?;
                if !(v.is_finite() && v > 0.0) {
                    return Err(format!("maxnodesize must be positive: `{value}`"));
                }
                self.max_node_size = Some(v);
            }
            n if n.starts_with("cluster") => return Err(format!("unrecognized name for cluster: {n}")),
            n => return Err(format!("unrecognized entry: `{n}`")),
        }
        Ok(())
    }

    /// True when any size rule exists for that node kind (AfterGlow then prints widths and fixedsize).
    pub fn has_size_rules(&self) -> bool {
        !(self.size.source.is_empty() && self.size.event.is_empty() && self.size.target.is_empty())
    }
}

/// `split /\s*=/, $ln, 2`, then AfterGlow's value clean-up.
fn split_name_value(ln: &str) -> Option<(String, String)> {
    let eq = ln.find('=')?;
    let name = ln[..eq].trim().to_string();
    if name.is_empty() {
        return None;
    }
    let mut value = ln[eq + 1..].trim_start();
    // `$value =~ s/^\s*=?\s*//` tolerates `name == value`.
    if let Some(v) = value.strip_prefix('=') {
        value = v.trim_start();
    }
    let mut value = value.trim_end();
    if let Some(v) = value.strip_suffix(';') {
        value = v;
    }
    // `s/^"(.*)"$/\1/`: a value wrapped entirely in quotes loses them (`"blue"` -> bareword `blue`).
    let v = if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
        &value[1..value.len() - 1]
    } else {
        value
    };
    Some((name, v.to_string()))
}

fn flag(value: &str, name: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(format!("{name}: expected 0/1 or true/false, found `{value}`")),
    }
}

fn flag01(value: &str, name: &str) -> Result<bool, String> {
    match value.trim() {
        "1" => Ok(true),
        "0" => Ok(false),
        _ => Err(format!("unrecognized value for {name}: `{value}` (expected 0 or 1)")),
    }
}

fn count(value: &str, name: &str) -> Result<usize, String> {
    value.trim().parse().map_err(|_| format!("{name}: expected a whole number, found `{value}`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::build::{evaluate_rules, RuleKind};
    use crate::graph::expr::Role;
    use std::path::PathBuf;

    fn real(name: &str) -> Option<PathBuf> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real_data/afterglow").join(name);
        if p.exists() {
            Some(p)
        } else {
            eprintln!("skipping: {} not found", p.display());
            None
        }
    }

    fn color(p: &Properties, role: Role, fields: &[&str], two_node: bool) -> Option<String> {
        let f: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        evaluate_rules(p, RuleKind::Color, role, &f, two_node).map(|v| v.to_str())
    }

    #[test]
    fn every_real_file_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real_data/afterglow");
        let Ok(rd) = std::fs::read_dir(&dir) else {
            eprintln!("skipping: {} not found", dir.display());
            return;
        };
        let mut n = 0;
        for e in rd.flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "properties") {
                Properties::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                n += 1;
            }
        }
        assert_eq!(n, 3);
    }

    #[test]
    fn parsers_color_firewall_rows() {
        let Some(path) = real("parsers-color.properties") else {
            return;
        };
        let p = Properties::from_path(&path).unwrap();
        assert_eq!(p.color.source.len(), 4);
        assert_eq!(p.color.event.len(), 4);
        assert_eq!(p.color.target.len(), 2);
        assert_eq!(p.color.source[0].line, 10);
        // source, event(=second IP in this file's 3-column layout), target port
        let row = ["192.168.0.5", "10.0.0.1", "80"];
        assert_eq!(color(&p, Role::Source, &row, false).as_deref(), Some("yellow"));
        assert_eq!(color(&p, Role::Event, &row, false).as_deref(), Some("greenyellow"));
        assert_eq!(color(&p, Role::Target, &row, false).as_deref(), Some("blue"));
        let row = ["172.16.3.3", "172.16.9.9", "8080"];
        assert_eq!(color(&p, Role::Source, &row, false).as_deref(), Some("lightyellow4"));
        assert_eq!(color(&p, Role::Event, &row, false).as_deref(), Some("lightyellow4"));
        assert_eq!(color(&p, Role::Target, &row, false).as_deref(), Some("lightblue"));
        let row = ["8.8.8.8", "1.1.1.1", "1023"];
        assert_eq!(color(&p, Role::Source, &row, false).as_deref(), Some("red"));
        assert_eq!(color(&p, Role::Event, &row, false).as_deref(), Some("red"));
        assert_eq!(color(&p, Role::Target, &row, false).as_deref(), Some("blue"));
        // no color.sourcetarget / color= rules in this file
        assert_eq!(color(&p, Role::SourceTarget, &row, false), None);
    }

    #[test]
    fn sample_properties() {
        let Some(path) = real("afterglow-sample.properties") else {
            return;
        };
        let p = Properties::from_path(&path).unwrap();
        assert_eq!(p.color.source.len(), 4);
        assert_eq!(p.color.event.len(), 4);
        assert_eq!(p.color.target.len(), 2);
        assert_eq!(p.color.sourcetarget.len(), 1);
        assert_eq!(p.color.edge.len(), 1);
        assert_eq!(p.size.edge.len(), 1);
        assert!(p.size.source.is_empty());
        assert_eq!(p.output, None); // `#gdf=1;` is commented out
        assert_eq!(
            p.url.as_deref(),
            Some("http://localhost:8000/en-US/app/search/flashtimeline?q=%20\\N%20starthoursago%3A%3A24")
        );
        let row = ["10.1.1.1", "192.168.1.1", "22"];
        assert_eq!(color(&p, Role::Source, &row, false).as_deref(), Some("greenyellow"));
        assert_eq!(color(&p, Role::Event, &row, false).as_deref(), Some("yellow"));
        assert_eq!(color(&p, Role::Event, &["a", "b", "c"], false).as_deref(), Some("green"));
        assert_eq!(color(&p, Role::Target, &row, false).as_deref(), Some("blue"));
        assert_eq!(color(&p, Role::SourceTarget, &row, false).as_deref(), Some("pink"));
        assert_eq!(color(&p, Role::Edge, &row, false).as_deref(), Some("blue"));
        let f: Vec<String> = row.iter().map(|s| s.to_string()).collect();
        let size = evaluate_rules(&p, RuleKind::Size, Role::Edge, &f, false).map(|v| v.to_num());
        assert_eq!(size, Some(1.0));
    }

    #[test]
    fn sendmail_file_and_its_commented_rules() {
        let Some(path) = real("parsers-color.sendmail.properties") else {
            return;
        };
        let p = Properties::from_path(&path).unwrap();
        // Every rule in the real file is commented out.
        assert!(p.color.source.is_empty() && p.color.target.is_empty());
        // Un-comment the file's rules and check they parse and behave on sendmail rows (from, to, size / delay).
        let text = std::fs::read_to_string(&path).unwrap();
        // Groups of consecutive `#color...` lines are the file's four example configurations.
        let mut blocks: Vec<String> = Vec::new();
        let mut cur = String::new();
        for l in text.lines() {
            if let Some(rule) = l.strip_prefix("#color") {
                cur.push_str("color");
                cur.push_str(rule);
                cur.push('\n');
            } else if !cur.is_empty() {
                blocks.push(std::mem::take(&mut cur));
            }
        }
        if !cur.is_empty() {
            blocks.push(cur);
        }
        assert_eq!(blocks.len(), 4, "{blocks:?}");
        let domain = Properties::parse(&blocks[0]).unwrap();
        assert_eq!(color(&domain, Role::Source, &["ram@seven.ch", "x@y.com"], true).as_deref(), Some("blue"));
        assert_eq!(color(&domain, Role::Source, &["a@b.com", "x@y.com"], true).as_deref(), Some("red"));
        assert_eq!(
            color(&domain, Role::Target, &["a@b.com", "x@seven.ch"], true).as_deref(),
            Some("lightblue3")
        );
        let relay = Properties::parse(&blocks[1]).unwrap();
        assert_eq!(color(&relay, Role::Source, &["a@b.com", "c@d.com"], true).as_deref(), Some("red"));
        assert_eq!(
            color(&relay, Role::Source, &["a@seven.ch", "c@d.com"], true).as_deref(),
            Some("invisible")
        );
        let big = Properties::parse(&blocks[2]).unwrap();
        assert_eq!(color(&big, Role::Event, &["a", "b", "200000"], false).as_deref(), Some("red"));
        assert_eq!(color(&big, Role::Target, &["a", "b", "2000"], false).as_deref(), Some("invisible"));
        let delay = Properties::parse(&blocks[3]).unwrap();
        assert_eq!(color(&delay, Role::Source, &["a", "00:05:00"], true).as_deref(), Some("orange"));
        assert_eq!(color(&delay, Role::Target, &["a", "00:15:00"], true).as_deref(), Some("firebrick"));
        assert_eq!(color(&delay, Role::Target, &["a", "00:01:00"], true).as_deref(), Some("invisible"));
    }

    #[test]
    fn keys_and_errors() {
        let text = "# c\n\
            variable=@violation=(\"Deny\",\"Drop\");\n\
            color.edge=#22222270\n\
            color.source=\"red\" if (grep(/^$fields[1]$/, @violation))  # trailing comment\n\
            color=\"blue\";\n\
            threshold=2\nthreshold.source=3;\nmaxnodesize=0.5\nsum.source=1;\nshape.target=triangle\n\
            label.event=0\ncluster.source=regex_replace(\"^(\\\\d+\\.\\\\d+)\").\".0.0/16\"\ngdf=1\n\
            exit\ncolor.target=this is not parsed(\n";
        let p = Properties::parse(text).unwrap();
        assert_eq!(p.threshold, Some(2));
        assert_eq!(p.threshold_source, Some(3));
        assert_eq!(p.max_node_size, Some(0.5));
        assert!(p.sum_source && !p.sum_event);
        assert_eq!(p.shape_target, "triangle");
        assert_eq!(p.output, Some(OutputFormat::Gdf));
        assert_eq!(p.exit_line, Some(14));
        assert_eq!(p.color.edge[0].text, "#22222270");
        assert_eq!(p.color.source.len(), 2);
        assert_eq!(p.color.sourcetarget.len(), 1);
        assert_eq!(color(&p, Role::Source, &["a", "Drop"], true).as_deref(), Some("red"));
        assert_eq!(color(&p, Role::Source, &["a", "Accept"], true).as_deref(), Some("blue"));

        for (bad, line) in [
            ("color.source=\"red\" if system(\"x\")\n", 1),
            ("\n\ncolor.source=\"red\" if ($fields[0] =~ /(/)\n", 3),
            ("shape.source=hexagon\n", 1),
            ("colour=red\n", 1),
            ("threshold=abc\n", 1),
            ("sum.target=2\n", 1),
            ("variable=print \"hi\"\n", 1),
            ("no equals sign\n", 1),
            ("cluster.foo=1\n", 1),
        ] {
            let e = Properties::parse(bad).unwrap_err();
            assert_eq!(e.line, line, "{bad}: {e}");
        }
        let (p, errs) = Properties::parse_lenient("colour=red\ncolor=\"blue\"\n");
        assert_eq!(errs.len(), 1);
        assert_eq!(p.color.source.len(), 1);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 99u64;
        for _ in 0..500 {
            let mut s = String::new();
            for _ in 0..(seed % 120) {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let a = b"color.source=\"#;\n $fields[0]=~/()if\\ variable@=qw(";
                s.push(a[(seed >> 33) as usize % a.len()] as char);
            }
            let _ = Properties::parse_lenient(&s);
            seed = seed.wrapping_add(3);
        }
    }
}
