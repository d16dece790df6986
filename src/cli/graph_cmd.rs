//! `brushfire graph`: AfterGlow from the command line, on any supported log or a plain CSV.
use super::{load, LoadArgs};
use crate::data;
use crate::graph::properties::OutputFormat;
use crate::graph::{self, csv_input, GraphOptions, Properties};
use anyhow::{bail, Context, Result};
use polars::prelude::{DataFrame, DataType};
use std::io::Read;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
#[command(mut_arg("input_format", super::input_format_long_only))]
pub struct GraphArgs {
    /// Log files, or a plain 2- or 3-column CSV (AfterGlow input); none or "-" reads CSV from stdin.
    pub files: Vec<PathBuf>,
    /// Two-node mode (source > target) (AfterGlow -t).
    #[arg(short = 't', long)]
    pub two_node: bool,
    /// Fields for source,event,target (or source,target).
    #[arg(long, value_delimiter = ',')]
    pub fields: Option<Vec<String>>,
    /// AfterGlow property file.
    #[arg(short = 'c', long = "config")]
    pub config: Option<PathBuf>,
    /// dot, gdf, graphml or graphson.
    #[arg(long, default_value = "dot")]
    pub format: String,
    /// GDF output, same as --format gdf (AfterGlow -k).
    #[arg(short = 'k', conflicts_with_all = ["format", "graphson"])]
    pub gdf: bool,
    /// GraphSON output, same as --format graphson (AfterGlow -j).
    #[arg(short = 'j', conflicts_with = "format")]
    pub graphson: bool,
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Omit nodes occurring this many times or fewer (AfterGlow -o).
    #[arg(short = 'o', long, default_value_t = 0)]
    pub omit_threshold: usize,
    /// Source fan-out threshold (AfterGlow -f).
    #[arg(short = 'f', long, default_value_t = 0)]
    pub source_fan_out: usize,
    /// Event fan-out threshold (AfterGlow -g).
    #[arg(short = 'g', long, default_value_t = 0)]
    pub event_fan_out: usize,
    /// Node splitting mode (AfterGlow -p 0..3).
    #[arg(short = 'p', long, default_value_t = 0)]
    pub split_mode: u8,
    /// Separate source and target nodes even for equal values, named "S:x" / "T:x" (AfterGlow -s).
    #[arg(short = 's', long)]
    pub split_source_target: bool,
    /// Largest node size when size rules apply; a property file's maxnodesize wins (AfterGlow -m).
    #[arg(short = 'm', long, default_value_t = 0.2)]
    pub max_node_size: f32,
    /// No node labels (AfterGlow -n).
    #[arg(short = 'n', long)]
    pub no_labels: bool,
    /// Append " : count" to node labels (AfterGlow -d).
    #[arg(short = 'd', long)]
    pub count_in_label: bool,
    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub lake: super::lake_cmd::LakeArgs,
}

/// Rows of the chosen fields from a loaded table, as text (nulls become empty strings).
pub fn field_rows(df: &DataFrame, fields: &[String]) -> Result<Vec<(u32, Vec<String>)>> {
    let mut cols = Vec::new();
    for f in fields {
        let c = df.column(f).map_err(|_| {
            anyhow::anyhow!(
                "no field {f:?}; fields: {}",
                df.get_column_names().iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )
        })?;
        cols.push(c.cast(&DataType::String)?.str()?.clone());
    }
    Ok((0..df.height())
        .map(|i| (i as u32, cols.iter().map(|c| c.get(i).unwrap_or("").to_string()).collect()))
        .collect())
}

pub fn run(a: GraphArgs) -> Result<()> {
    let props = match &a.config {
        Some(p) => Properties::from_path(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        None => Properties::default(),
    };
    let lake = super::lake_cmd::engine_from_args(&a.lake)?;
    let stdin = lake.is_none() && (a.files.is_empty() || a.files.iter().any(|f| f.as_os_str() == "-"));
    // A plain CSV (what AfterGlow reads) when it comes from stdin, or when no fields were named
    // and the file is a generic CSV of 2 or 3 columns.
    let plain_csv = stdin
        || (lake.is_none()
            && a.fields.is_none()
            && a.load.input_format.is_none()
            && a.files.len() == 1
            && matches!(
                data::load::detect_file(&a.files[0]),
                Ok(data::formats::Detected::GenericDelimited(b',')) | Err(_)
            ));
    let (rows, columns): (Vec<(u32, Vec<String>)>, usize) = if plain_csv {
        let mut text = Vec::new();
        if stdin {
            std::io::stdin().read_to_end(&mut text).context("reading stdin")?;
        } else {
            text = std::fs::read(&a.files[0])
                .with_context(|| format!("{}: cannot read", a.files[0].display()))?;
        }
        let input = csv_input::read_csv(&text[..], None)?;
        let name = if stdin { "stdin".to_string() } else { a.files[0].display().to_string() };
        for e in input.errors.iter().take(10) {
            eprintln!("{name}:{}: {}", e.line, e.message);
        }
        if input.bad_rows > 0 {
            eprintln!("{name}: {} rejected rows", input.bad_rows);
        }
        if input.rows.is_empty() {
            bail!("{name}: no usable rows");
        }
        let cols = input.columns;
        (input.rows.into_iter().map(|r| (r.line as u32, r.fields)).collect(), cols)
    } else {
        let fields = a.fields.clone().unwrap_or_else(|| {
            if a.two_node {
                vec!["src_ip".into(), "dst_ip".into()]
            } else {
                vec!["src_ip".into(), "dst_port".into(), "dst_ip".into()]
            }
        });
        if !(2..=3).contains(&fields.len()) {
            bail!("--fields takes 2 or 3 fields, got {}", fields.len());
        }
        let n = fields.len();
        match &lake {
            Some(engine) => (super::lake_cmd::graph_rows(engine.as_ref(), &fields)?, n),
            None => (field_rows(&load(&a.files, &a.load)?.df, &fields)?, n),
        }
    };
    let opts = GraphOptions {
        three_node: !a.two_node && columns >= 3,
        omit_threshold: a.omit_threshold,
        source_fan_out: a.source_fan_out,
        event_fan_out: a.event_fan_out,
        split_mode: a.split_mode,
        split_source_target: a.split_source_target,
        max_node_size: a.max_node_size,
        node_labels: !a.no_labels,
        node_count_in_label: a.count_in_label,
        ..Default::default()
    };
    let g = graph::build_graph(rows.into_iter(), &props, &opts)?;
    // A property file's `gdf=1` / `graphson=1` chooses the format unless the command line did.
    let format = match (a.gdf, a.graphson, props.output) {
        (true, _, _) => "gdf".to_string(),
        (_, true, _) => "graphson".to_string(),
        (_, _, Some(OutputFormat::Gdf)) if a.format == "dot" => "gdf".to_string(),
        (_, _, Some(OutputFormat::GraphSon)) if a.format == "dot" => "graphson".to_string(),
        _ => a.format.to_ascii_lowercase(),
    };
    let text = match format.as_str() {
        "dot" => graph::export::to_dot(&g, None),
        "gdf" => graph::export::to_gdf(&g),
        "graphml" => graph::export::to_graphml(&g, None),
        "graphson" | "json" => serde_json::to_string_pretty(&graph::export::to_graphson(&g, None))?,
        other => bail!("--format {other:?}: expected dot, gdf, graphml or graphson"),
    };
    match a.out {
        Some(p) => {
            crate::data::atomic::write_bytes_atomic(&p, &a.files, text.as_bytes())?;
            eprintln!("{} nodes, {} edges -> {}", g.graph.node_count(), g.graph.edge_count(), p.display());
        }
        None => out!("{text}"),
    }
    Ok(())
}
