//! The command line: `inspect`, `query`, `generate`, `clean`, `graph`, `bench`; with no command the GUI.
use crate::data::{self, export::ExportFormat, timeparse::format_rfc3339, LoadControl, LoadOptions, Table};
use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// println! that reports a closed stdout (`| head`) as an error instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($t)*)?
    }};
}
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($t)*)?
    }};
}

pub mod bench;
mod bench_lake;
mod bench_lines;
mod bench_native;
mod bench_query;
mod bench_startup;
pub mod fuzz_cmd;
pub mod graph_cmd;
pub mod lake_cmd;
mod lesson_cmd;
pub mod spark_args;

#[derive(Parser, Debug)]
#[command(name = "brushfire", version, about = "Visual analytics workbench for security logs")]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Files or directories to open in the GUI (the bundled sample when none is given).
    pub files: Vec<PathBuf>,
    /// AfterGlow property file for the link graph view.
    #[arg(long, value_name = "FILE.properties")]
    pub properties: Option<PathBuf>,
    /// Read the files as this format instead of detecting it (`brushfire formats` lists them).
    #[arg(long, value_name = "NAME")]
    pub format: Option<String>,
    /// Show the files, folder or workspace as a full-screen SOC wall that follows the logs.
    #[arg(long)]
    pub dashboard: bool,
    /// Inside networks for the wall's outbound lists (default: the private ranges).
    #[arg(long = "local-net", value_delimiter = ',', value_name = "PREFIX")]
    pub local_nets: Vec<String>,
    /// Open the GUI on a workshop lesson: a bundled one by name (`noon-spike`) or a lesson file.
    #[arg(long, value_name = "NAME")]
    pub lesson: Option<String>,
    /// Open a lake instead of files: a Parquet file or a hive-partitioned directory, queried
    /// where it lies (never loaded whole).
    #[arg(long, value_name = "DIR")]
    pub parquet: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct LoadArgs {
    /// Offset from UTC for timestamps without a zone, e.g. "+02:00" or "-7".
    #[arg(long, default_value = "+00:00", allow_hyphen_values = true)]
    pub tz: String,
    /// Year for timestamps without one (syslog); default: the file's modification year.
    #[arg(long)]
    pub year: Option<i32>,
    /// Read the files as this format instead of detecting it (`brushfire formats` lists them).
    /// Spelled --input-format on `query` and `graph`, where --format names the output.
    #[arg(long = "format", visible_alias = "input-format", value_name = "NAME")]
    pub input_format: Option<String>,
}

/// On commands whose --format names the output, the input format is --input-format only.
pub fn input_format_long_only(a: clap::Arg) -> clap::Arg {
    a.long("input-format").alias(None::<&str>).visible_alias(None::<&str>)
}

impl LoadArgs {
    pub fn options(&self) -> Result<LoadOptions> {
        let off = parse_tz(&self.tz)
            .with_context(|| format!("--tz {:?}: expected an offset like +02:00", self.tz))?;
        if let Some(name) = &self.input_format {
            if data::formats::format_info(name).is_none() {
                bail!("unknown format {name:?}; `brushfire formats` lists them");
            }
        }
        Ok(LoadOptions {
            tz_offset_secs: off,
            default_year: self.year,
            format: self.input_format.clone(),
            only_fields: None,
        })
    }
}

/// Parses "+02:00", "-7", "UTC" into seconds east of UTC.
pub fn parse_tz_public(s: &str) -> Option<i32> {
    data::timeparse::parse_offset_setting(s)
}

fn parse_tz(s: &str) -> Option<i32> {
    data::timeparse::parse_offset_setting(s)
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print what a file holds: format, rows, columns, time range, rejected lines.
    Inspect {
        #[arg(required_unless_present_any = ["parquet", "spark"])]
        files: Vec<PathBuf>,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Print all kept rejected lines, not just the first 20.
        #[arg(long)]
        all_rejected: bool,
        #[command(flatten)]
        load: LoadArgs,
        #[command(flatten)]
        lake: lake_cmd::LakeArgs,
    },
    /// Write deterministic VAST-layout netflow with planted ground truth.
    Generate {
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 14)]
        days: u32,
        /// Output file (".gz" compresses); the ground truth goes to stderr, or to --truth.
        #[arg(long)]
        out: PathBuf,
        /// Write the ground truth (Markdown) here.
        #[arg(long)]
        truth: Option<PathBuf>,
        /// Write the small botnet sample of the "Draw the botnet" lesson instead (2 days, fixed
        /// size: --rows and --days do not apply).
        #[arg(long)]
        botnet: bool,
    },
    /// Apply a cleaning recipe (or a built-in preset) and write the result (.csv, .parquet, .ndjson).
    Clean {
        #[arg(required_unless_present_any = ["parquet", "spark"])]
        files: Vec<PathBuf>,
        #[arg(long, conflicts_with = "preset")]
        recipe: Option<PathBuf>,
        /// Built-in recipe: marty-vast2013.
        #[arg(long)]
        preset: Option<String>,
        /// The cleaned file (.csv, .parquet, .ndjson), for files.
        #[arg(long, required_unless_present = "out_dir")]
        out: Option<PathBuf>,
        /// For a lake: the new dataset, hive-partitioned by day, written where the data lives.
        #[arg(long, conflicts_with = "out")]
        out_dir: Option<PathBuf>,
        #[command(flatten)]
        load: LoadArgs,
        #[command(flatten)]
        lake: lake_cmd::LakeArgs,
    },
    /// Build an AfterGlow link graph and write DOT, GDF, GraphML or GraphSON.
    Graph(graph_cmd::GraphArgs),
    /// Write the report of a workspace (every bookmark: filters, counts, time series, top-N
    /// tables) as self-contained HTML, or Markdown when --out ends in .md.
    Report {
        workspace: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the field dictionary and the per-format mappings (Markdown).
    Fields,
    /// List the formats --format accepts, each with a description and an example line.
    Formats,
    /// Print performance figures (never asserted in tests).
    Bench {
        #[command(subcommand)]
        what: bench::BenchCmd,
    },
    /// The SOC wall for one refresh, without a window: every tile as JSON, and/or a PNG.
    Dashboard(DashboardArgs),
    /// Run SQL against the files (table `logs`); CSV to stdout by default.
    #[command(mut_arg("input_format", input_format_long_only))]
    Query {
        #[arg(required_unless_present_any = ["parquet", "spark"])]
        files: Vec<PathBuf>,
        #[arg(long)]
        sql: String,
        /// csv, json (NDJSON) or parquet.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write here (atomically) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Load every column first, then run the SQL (the path before lazy scans; for comparisons).
        #[arg(long)]
        eager: bool,
        /// Say on stderr how each input was read (lazy scan and its columns, or eager and why).
        #[arg(long)]
        verbose: bool,
        #[command(flatten)]
        load: LoadArgs,
        #[command(flatten)]
        lake: lake_cmd::LakeArgs,
    },
    /// Write logs (default: the bundled sample) as a new Parquet dataset, hive-partitioned by day,
    /// for `--parquet DIR`.
    ExportParquet {
        files: Vec<PathBuf>,
        #[arg(long)]
        out_dir: PathBuf,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Workshop lessons: validate them (--check) or print them as Markdown handouts (--print).
    Lesson {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Parse, find the data, apply every solution and check it (and that none holds at the start).
        #[arg(long, required_unless_present = "print")]
        check: bool,
        /// Print the lesson as a Markdown handout.
        #[arg(long)]
        print: bool,
    },
}

#[derive(Args, Debug)]
pub struct DashboardArgs {
    /// Log files, folders, or one workspace (`*.brushfire`, which brings its wall settings).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the wall as a PNG picture.
    #[arg(long, value_name = "FILE.png")]
    pub snapshot: Option<PathBuf>,
    /// Picture size, WIDTHxHEIGHT.
    #[arg(long, default_value = "1920x1080")]
    pub size: String,
    /// Print every tile's value, week-earlier value, percent and band, and the outbound lists.
    #[arg(long)]
    pub json: bool,
    /// Inside networks (default: the private ranges, or the workspace's list).
    #[arg(long = "local-net", value_delimiter = ',', value_name = "PREFIX")]
    pub local_nets: Vec<String>,
    /// "last24h" (default) or "today".
    #[arg(long)]
    pub window: Option<String>,
    /// Outbound positions 11-20 instead of 1-10 in the picture.
    #[arg(long)]
    pub second_page: bool,
    /// The clock, RFC 3339 (default: now); a file that ends more than a day before it is shown
    /// as of its end.
    #[arg(long)]
    pub now: Option<String>,
    #[command(flatten)]
    pub load: LoadArgs,
}

fn run_dashboard(a: DashboardArgs) -> Result<()> {
    use crate::dashboard::{source::resolve_args, WindowKind};
    let (paths, ws_cfg, _) = resolve_args(&a.files).map_err(anyhow::Error::msg)?;
    let mut cfg = ws_cfg.unwrap_or_default();
    if !a.local_nets.is_empty() {
        cfg.local_networks = a.local_nets.clone();
    }
    match a.window.as_deref() {
        None => {}
        Some("last24h") => cfg.window = WindowKind::Last24h,
        Some("today") => cfg.window = WindowKind::Today,
        Some(w) => bail!("--window {w:?}: expected last24h or today"),
    }
    cfg.second_page |= a.second_page;
    let clock_us = match &a.now {
        Some(n) => data::timeparse::datetime_to_us(n.as_bytes(), 0)
            .with_context(|| format!("--now {n:?}: expected a time like 2013-04-15T00:00:00Z"))?,
        None => crate::app::dashboard::Clock::now_us(&crate::app::dashboard::SystemClock),
    };
    let size = a
        .size
        .split_once('x')
        .and_then(|(w, h)| Some([w.trim().parse::<f32>().ok()?, h.trim().parse::<f32>().ok()?]))
        .filter(|[w, h]| (320.0..=8192.0).contains(w) && (200.0..=8192.0).contains(h))
        .with_context(|| format!("--size {:?}: expected WIDTHxHEIGHT like 1920x1080", a.size))?;
    let opts = a.load.options()?;
    let (r, fits, picture) = if a.snapshot.is_some() {
        crate::app::dashboard::snapshot(paths, opts, cfg, clock_us, size).map_err(anyhow::Error::msg)?
    } else {
        let mut src = crate::dashboard::source::Source::open(paths, opts);
        (src.refresh(&cfg, clock_us).map_err(anyhow::Error::msg)?, Vec::new(), None)
    };
    if let Some(out) = &a.snapshot {
        let pic = picture.context("the wall could not be rendered without a window (no wgpu adapter)")?;
        crate::app::dashboard::write_png(out, &pic).map_err(anyhow::Error::msg)?;
        let cut = fits.iter().filter(|f| !f.allotted.expand(0.5).contains_rect(f.content)).count();
        eprintln!(
            "wall {}x{} -> {} ({} panels, {cut} not fitting)",
            pic.width,
            pic.height,
            out.display(),
            fits.len()
        );
    }
    for why in &r.skipped {
        eprintln!("brushfire: left out: {why}");
    }
    let w = &r.wall;
    if a.json {
        let t = |us: i64| serde_json::json!(format_rfc3339(us));
        let mut v = serde_json::to_value(w)?;
        v["now"] = t(w.now_us);
        v["window_start"] = t(w.window.start_us);
        v["window_end"] = t(w.window.end_us);
        v["data_as_of"] = w.data_end_us.map(t).unwrap_or_default();
        v["following"] = serde_json::json!(r.following);
        v["format"] = serde_json::json!(r.format);
        v["rejected_lines"] = serde_json::json!(r.rejected);
        v["skipped"] = serde_json::json!(r.skipped);
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else if a.snapshot.is_none() {
        outln!(
            "now {} ({})",
            format_rfc3339(w.now_us),
            if w.now_is_data_end { "end of data" } else { "clock" }
        );
        for tile in &w.tiles {
            outln!(
                "{:<18} {:>14} week earlier {:>14} {:>6} {} band {}",
                tile.label,
                tile.value,
                tile.week_earlier.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                tile.percent.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "-".into()),
                tile.whole_label,
                tile.band.as_deref().unwrap_or("-")
            );
        }
    }
    Ok(())
}

pub fn load(files: &[PathBuf], args: &LoadArgs) -> Result<Table> {
    let ctl = LoadControl::default();
    let opts = args.options()?;
    let subject = crate::guard::subject_of_paths(files);
    let t = crate::guard::contain("loading", &subject, || data::load_paths(files, &opts, &ctl))??;
    Ok(t)
}

pub fn inspect_json(t: &Table, all_rejected: bool) -> serde_json::Value {
    let cols: Vec<serde_json::Value> =
        t.df.columns()
            .iter()
            .map(|c| match c.dtype() {
                // Text either way; `dictionary` says it is stored as codes (`data::text_column`).
                polars::prelude::DataType::Categorical(..) => {
                    serde_json::json!({"name": c.name().as_str(), "type": "str", "dictionary": true})
                }
                // A narrowed integer (`data::compact`) is shown as its logical type.
                dt => serde_json::json!({"name": c.name().as_str(), "type": crate::data::text_column::type_name(dt)}),
            })
            .collect();
    let aliases: Vec<serde_json::Value> = t
        .aliases
        .iter()
        .map(|a| match a {
            data::table::Alias::Same { original, column } => {
                serde_json::json!({"original": original, "column": column})
            }
            data::table::Alias::Derived { original, .. } => {
                serde_json::json!({"original": original, "derived": true})
            }
        })
        .collect();
    let (tmin, tmax) = match t.time_range_us() {
        Some((a, b)) => (serde_json::json!(format_rfc3339(a)), serde_json::json!(format_rfc3339(b))),
        None => (serde_json::Value::Null, serde_json::Value::Null),
    };
    let n = if all_rejected { usize::MAX } else { 20 };
    serde_json::json!({
        "files": t.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "format": t.format,
        "rows": t.rows(),
        "columns": cols,
        "aliases": aliases,
        "time_min": tmin,
        "time_max": tmax,
        "rejected_lines": t.rejected.total,
        "rejected": t.rejected.samples.iter().take(n).collect::<Vec<_>>(),
        "notes": t.notes,
    })
}

impl Command {
    /// The subcommand as typed, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Inspect { .. } => "inspect",
            Command::Generate { .. } => "generate",
            Command::Clean { .. } => "clean",
            Command::Graph(_) => "graph",
            Command::Fields => "fields",
            Command::Bench { .. } => "bench",
            Command::Query { .. } => "query",
            Command::Report { .. } => "report",
            Command::Formats => "formats",
            Command::Dashboard(_) => "dashboard",
            Command::Lesson { .. } => "lesson",
            Command::ExportParquet { .. } => "export-parquet",
        }
    }
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Generate { seed, out, botnet: true, .. } => {
            let gz = out.extension().is_some_and(|e| e == "gz");
            let io = |e: std::io::Error| data::DataError::io(&out, e);
            let mut t = None;
            data::atomic::write_atomic(&out, &[], |w| {
                t = Some(if gz {
                    let mut enc = flate2::write::GzEncoder::new(&mut *w, flate2::Compression::new(6));
                    let t = data::generate_botnet::generate_botnet(seed, &mut enc).map_err(io)?;
                    enc.finish().map_err(io)?;
                    t
                } else {
                    data::generate_botnet::generate_botnet(seed, &mut *w).map_err(io)?
                });
                Ok(())
            })?;
            let t = t.context("generator wrote nothing")?;
            eprintln!(
                "{} rows, {} beacons from {} bots to {}:{}",
                t.rows,
                t.beacon_rows,
                data::generate_botnet::BOTNET_BOTS.len(),
                data::generate_botnet::BOTNET_CNC_IP,
                data::generate_botnet::BOTNET_CNC_PORT
            );
        }
        Command::Generate { rows, seed, days, out, truth, botnet: false } => {
            let opts = data::generate::GenOptions { rows, seed, days, ..Default::default() };
            let gz = out.extension().is_some_and(|e| e == "gz");
            let io = |e: std::io::Error| data::DataError::io(&out, e);
            let mut truth_out = None;
            data::atomic::write_atomic(&out, &[], |w| {
                let t = if gz {
                    let mut enc = flate2::write::GzEncoder::new(&mut *w, flate2::Compression::new(6));
                    let t = data::generate::generate(&opts, &mut enc).map_err(io)?;
                    enc.finish().map_err(io)?;
                    t
                } else {
                    data::generate::generate(&opts, &mut *w).map_err(io)?
                };
                truth_out = Some(t);
                Ok(())
            })?;
            let t = truth_out.context("generator wrote no ground truth")?;
            let md = data::generate::ground_truth_markdown(&opts, &t);
            match truth {
                Some(p) => {
                    std::fs::write(&p, md).with_context(|| format!("{}: cannot write", p.display()))?
                }
                None => eprintln!("{md}"),
            }
        }
        Command::Dashboard(a) => run_dashboard(a)?,
        Command::Lesson { files, check, print } => lesson_cmd::run(&files, check, print)?,
        Command::Report { workspace, out } => {
            let d = crate::report::report_from_workspace(&workspace, &out).map_err(anyhow::Error::msg)?;
            eprintln!("{} bookmark(s) -> {}", d.bookmarks.len(), out.display());
        }
        Command::Clean { files, recipe, preset, out, out_dir, load: la, lake } => {
            let r = match (recipe, preset) {
                (Some(p), _) => {
                    let text = std::fs::read_to_string(&p)
                        .with_context(|| format!("{}: cannot read", p.display()))?;
                    data::clean::recipe::parse_recipe(&text)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
                }
                (None, Some(name)) => data::clean::recipe::preset(&name).with_context(|| {
                    format!("unknown preset {name:?} (known: {})", data::clean::recipe::PRESETS.join(", "))
                })?,
                (None, None) => bail!("give --recipe FILE or --preset NAME"),
            };
            if let Some(engine) = lake_cmd::engine_from_args(&lake)? {
                let dir = out_dir.context("a lake is cleaned into a new dataset: give --out-dir PATH")?;
                let n = crate::linking::backend::clean_sql::clean_lake(engine.as_ref(), &r, &dir)?;
                eprintln!("wrote {n} cleaned records to {} (hive-partitioned by day)", dir.display());
                return Ok(());
            }
            let out = out.context("files are cleaned into one file: give --out FILE")?;
            let fmt = ExportFormat::from_path(&out).with_context(|| {
                format!("{}: the output extension must be .csv, .parquet or .ndjson", out.display())
            })?;
            let t = load(&files, &la)?;
            let (mut df, reports) = data::clean::apply::apply_recipe(&t.df, &r)?;
            for rep in &reports {
                eprintln!("{rep}");
            }
            data::export::export_atomic(&mut df, fmt, &out, &t.files)?;
            eprintln!("wrote {} records to {}", df.height(), out.display());
        }
        Command::Graph(args) => graph_cmd::run(args)?,
        Command::Bench { what } => bench::run(what)?,
        Command::Fields => outln!("{}", data::dictionary::fields_markdown()),
        Command::Formats => {
            for f in data::formats::FORMATS {
                outln!("{:<18} {}", f.name, f.description);
                outln!("{:<18} e.g. {}", "", f.example);
            }
        }
        Command::ExportParquet { files, out_dir, load: la } => {
            lake_cmd::export_parquet(&files, &la, &out_dir)?
        }
        Command::Inspect { lake, json, .. } if lake.is_set() => {
            let engine = lake_cmd::engine_from_args(&lake)?.context("no lake given")?;
            lake_cmd::inspect(engine, json)?;
        }
        Command::Inspect { files, json, all_rejected, load: la, .. } => {
            let t = load(&files, &la)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&inspect_json(&t, all_rejected))?);
            } else {
                outln!("format:   {}", t.format);
                outln!("rows:     {}", t.rows());
                if let Some((a, b)) = t.time_range_us() {
                    outln!("time:     {} .. {}", format_rfc3339(a), format_rfc3339(b));
                }
                outln!("rejected: {}", t.rejected.total);
                for r in t.rejected.samples.iter().take(if all_rejected { usize::MAX } else { 20 }) {
                    outln!("  {}:{}: {}", r.file, r.line, r.reason);
                }
                outln!("columns:");
                for c in t.df.columns() {
                    outln!("  {:<28} {}", c.name(), data::text_column::type_name(c.dtype()));
                }
                for n in &t.notes {
                    outln!("note: {n}");
                }
            }
        }
        Command::Query { files, sql, format, out, eager, verbose, load: la, lake } => {
            let fmt = ExportFormat::from_name(&format)
                .with_context(|| format!("--format {format:?}: expected csv, json or parquet"))?;
            if let Some(engine) = lake_cmd::engine_from_args(&lake)? {
                return lake_cmd::query(engine.as_ref(), &sql, fmt, out.as_deref());
            }
            let opts = la.options()?;
            let subject = crate::guard::subject_of_paths(&files);
            let q = crate::guard::contain("querying", &subject, || {
                data::lean_query::query_paths(&files, &opts, &sql, eager, &LoadControl::default())
            })??;
            if verbose {
                for how in &q.how {
                    eprintln!("query: {how}");
                }
            }
            if q.rejected.total > 0 {
                let first = q.rejected.samples.first();
                eprintln!(
                    "query: {} rejected line(s) left out{}",
                    q.rejected.total,
                    first.map(|r| format!("; first {}:{}: {}", r.file, r.line, r.reason)).unwrap_or_default()
                );
            }
            let mut df = q.df;
            let sources = q.files;
            match out {
                Some(p) => data::export::export_atomic(&mut df, fmt, &p, &sources)?,
                None => {
                    if fmt == ExportFormat::Parquet {
                        bail!("--format parquet needs --out PATH");
                    }
                    let stdout = std::io::stdout();
                    let mut lock = std::io::BufWriter::new(stdout.lock());
                    data::export::write_to(&mut df, fmt, &mut lock)?;
                }
            }
        }
    }
    Ok(())
}
