//! Exports of a [`LinkGraph`]: DOT (as afterglow.pl prints it), GDF (GUESS/Gephi, afterglow.pl `-k`),
//! GraphML, and GraphSON 1.0 (TinkerPop 2 `{"graph":{"mode":"NORMAL","vertices":[..],"edges":[..]}}`,
//! the layout afterglow.pl `-j` writes). Optional positions (x, y) per node can be added to DOT
//! (`pos="x,y"`), GraphML and GraphSON.

use std::collections::HashMap;
use std::fmt::Write as _;

use petgraph::stable_graph::NodeIndex;
use petgraph::visit::{EdgeRef, IntoEdgeReferences};

use super::build::{LinkGraph, NodeType};
use super::colors;

/// Node positions keyed by node index (e.g. from a GUI layout).
pub type Positions = HashMap<NodeIndex, (f32, f32)>;

/// Quotes a DOT ID: `"` and `\` are escaped, newlines become `\n`.
pub fn dot_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// DOT in afterglow.pl's layout: header, graph caption, global node/edge defaults, nodes, then edges.
pub fn to_dot(g: &LinkGraph, positions: Option<&Positions>) -> String {
    let mut o = String::new();
    o.push_str("digraph structs {\n");
    let _ = writeln!(o, "graph [label={}, fontsize=8];", dot_quote(&g.caption));
    let mut opts = String::new();
    if g.graph.node_weights().any(|n| n.size.is_some()) {
        opts.push_str(", fixedsize=true");
    }
    if let Some(u) = &g.url_template {
        // `\N` must reach graphviz unescaped (it expands to the node name), so quote by hand.
        let _ = write!(opts, ", URL=\"{}\"", u.replace('"', "\\\""));
    }
    let _ = writeln!(
        o,
        "node [shape=ellipse, style=filled, penwidth=0, fontsize=10, width={s}, height={s}, fontcolor=\"black\", label=\"\"{opts}];",
        s = g.max_node_size
    );
    o.push_str("edge [len=1.5];\n");
    if g.concentrate {
        o.push_str("concentrate=true;\n");
    }
    for ni in g.graph.node_indices() {
        let Some(n) = g.graph.node_weight(ni) else {
            continue;
        };
        let label_attr = if g.xlabels { "xlabel" } else { "label" };
        let _ = write!(
            o,
            "{} [fillcolor={}, {}={}",
            dot_quote(&n.id),
            dot_quote(&n.color),
            label_attr,
            dot_quote(&n.label)
        );
        if let Some(s) = n.size {
            let _ = write!(o, ",width=\"{s:.2}\",height=\"{s:.2}\"");
        }
        if n.shape != "ellipse" {
            let _ = write!(o, ",shape={}", dot_quote(&n.shape));
        }
        if let Some((x, y)) = positions.and_then(|p| p.get(&ni)) {
            let _ = write!(o, ",pos=\"{x},{y}\"");
        }
        o.push_str("];\n");
    }
    for e in (&g.graph).edge_references() {
        let (Some(a), Some(b)) = (g.graph.node_weight(e.source()), g.graph.node_weight(e.target())) else {
            continue;
        };
        let w = e.weight();
        let _ = write!(o, "{} -> {}", dot_quote(&a.id), dot_quote(&b.id));
        let mut attrs = Vec::new();
        if let Some(c) = &w.color {
            attrs.push(format!("color={},style=solid", dot_quote(c)));
        }
        if let Some(s) = w.size.filter(|s| *s > 0.0) {
            attrs.push(format!("penwidth={s}"));
        }
        if let Some(l) = &w.label {
            attrs.push(format!("label={}", dot_quote(l)));
        }
        if !attrs.is_empty() {
            let _ = write!(o, " [{}]", attrs.join(","));
        }
        o.push_str(";\n");
    }
    o.push_str("}\n");
    o
}

/// `r,g,b` of a color for GDF/GraphSON, as afterglow.pl's `rgb()`: hex `#RRGGBB[AA]` or an X11/Graphviz
/// name (see [`colors::color_rgba`]); None if the value is not a colour.
pub fn rgb(color: &str) -> Option<String> {
    colors::color_rgba(color).map(|[r, g, b, _]| format!("{r},{g},{b}"))
}

/// afterglow.pl's default GDF color for unset/unknown colors.
const GDF_DEFAULT_RGB: &str = "100,100,100";

fn gdf_str(s: &str) -> String {
    // GDF quotes strings with `"`; embedded quotes are doubled like CSV.
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// GDF as written by afterglow.pl `-k`; with edge labels, one edge line per label (label.duplicate).
pub fn to_gdf(g: &LinkGraph) -> String {
    let mut o = String::from("nodedef>name VARCHAR,label VARCHAR,width DOUBLE,height DOUBLE,color VARCHAR\n");
    for n in g.graph.node_weights() {
        let size = n.size.map(|s| format!("{s:.2}")).unwrap_or_else(|| "1".into());
        let rgb = rgb(&n.color).unwrap_or_else(|| GDF_DEFAULT_RGB.into());
        let _ = writeln!(o, "{},{},{size},{size},'{rgb}'", gdf_str(&n.id), gdf_str(&n.label));
    }
    let labelled = g.graph.edge_weights().any(|e| !e.labels.is_empty());
    o.push_str("edgedef>node1 VARCHAR,node2 VARCHAR,directed BOOLEAN,color VARCHAR,weight DOUBLE");
    if labelled {
        o.push_str(",label VARCHAR,labelvisible BOOLEAN");
    }
    o.push('\n');
    for e in (&g.graph).edge_references() {
        let (Some(a), Some(b)) = (g.graph.node_weight(e.source()), g.graph.node_weight(e.target())) else {
            continue;
        };
        let w = e.weight();
        let rgb = w.color.as_deref().and_then(rgb).unwrap_or_else(|| GDF_DEFAULT_RGB.into());
        let size = w.size.filter(|s| *s != 0.0).unwrap_or(1.0);
        let head = format!("{},{},true,'{rgb}',{size}", gdf_str(&a.id), gdf_str(&b.id));
        if w.labels.is_empty() {
            let _ = writeln!(o, "{head}{}", if labelled { ",,false" } else { "" });
        } else {
            for l in &w.labels {
                let _ = writeln!(o, "{head},{},true", gdf_str(l));
            }
        }
    }
    o
}

/// Escapes text for XML content and attribute values; drops characters XML 1.0 forbids.
pub fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' => o.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => o.push(c),
        }
    }
    o
}

/// GraphML with keys for every node and edge attribute.
pub fn to_graphml(g: &LinkGraph, positions: Option<&Positions>) -> String {
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    o.push_str("<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n");
    for (id, dom, name, ty) in [
        ("label", "node", "label", "string"),
        ("type", "node", "type", "string"),
        ("count", "node", "count", "int"),
        ("color", "node", "color", "string"),
        ("size", "node", "size", "double"),
        ("shape", "node", "shape", "string"),
        ("url", "node", "url", "string"),
        ("x", "node", "x", "double"),
        ("y", "node", "y", "double"),
        ("ecount", "edge", "count", "int"),
        ("ecolor", "edge", "color", "string"),
        ("elabel", "edge", "label", "string"),
        ("esize", "edge", "size", "double"),
    ] {
        let _ = writeln!(o, "  <key id=\"{id}\" for=\"{dom}\" attr.name=\"{name}\" attr.type=\"{ty}\"/>");
    }
    o.push_str("  <graph id=\"afterglow\" edgedefault=\"directed\">\n");
    let data = |o: &mut String, k: &str, v: &str| {
        let _ = writeln!(o, "      <data key=\"{k}\">{}</data>", xml_escape(v));
    };
    for ni in g.graph.node_indices() {
        let Some(n) = g.graph.node_weight(ni) else {
            continue;
        };
        let _ = writeln!(o, "    <node id=\"n{}\">", ni.index());
        data(&mut o, "label", &n.label);
        data(&mut o, "type", n.node_type.as_str());
        data(&mut o, "count", &n.count.to_string());
        data(&mut o, "color", &n.color);
        if let Some(s) = n.size {
            data(&mut o, "size", &s.to_string());
        }
        data(&mut o, "shape", &n.shape);
        if let Some(u) = &n.url {
            data(&mut o, "url", u);
        }
        if let Some((x, y)) = positions.and_then(|p| p.get(&ni)) {
            data(&mut o, "x", &x.to_string());
            data(&mut o, "y", &y.to_string());
        }
        o.push_str("    </node>\n");
    }
    for e in (&g.graph).edge_references() {
        let w = e.weight();
        let _ = writeln!(
            o,
            "    <edge id=\"e{}\" source=\"n{}\" target=\"n{}\">",
            e.id().index(),
            e.source().index(),
            e.target().index()
        );
        data(&mut o, "ecount", &w.count.to_string());
        if let Some(c) = &w.color {
            data(&mut o, "ecolor", c);
        }
        if let Some(l) = &w.label {
            data(&mut o, "elabel", l);
        }
        if let Some(s) = w.size {
            data(&mut o, "esize", &s.to_string());
        }
        o.push_str("    </edge>\n");
    }
    o.push_str("  </graph>\n</graphml>\n");
    o
}

/// GraphSON 1.0 (TinkerPop 2) as afterglow.pl `-j` lays it out; ids are 1-based strings, colors "r,g,b".
/// Unlike afterglow.pl, vertex `_label` is the node id (its label may be empty) and the display label
/// goes to `label`; edge `_label` is `sourcetarget`, `sourcevent` or `eventtarget`.
pub fn to_graphson(g: &LinkGraph, positions: Option<&Positions>) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let mut ids = HashMap::new();
    let mut vertices = Vec::new();
    for (i, ni) in g.graph.node_indices().enumerate() {
        let Some(n) = g.graph.node_weight(ni) else {
            continue;
        };
        ids.insert(ni, i + 1);
        let mut v = Map::new();
        if let Some(c) = rgb(&n.color) {
            v.insert("color".into(), json!(c));
        }
        v.insert("size".into(), json!(n.size.map(|s| format!("{s:.2}")).unwrap_or_else(|| "1".into())));
        v.insert("shape".into(), json!(n.shape));
        v.insert("occurrences".into(), json!(n.count.to_string()));
        v.insert("label".into(), json!(n.label));
        v.insert("type".into(), json!(n.node_type.as_str()));
        if let Some((x, y)) = positions.and_then(|p| p.get(&ni)) {
            v.insert("x".into(), json!(x));
            v.insert("y".into(), json!(y));
        }
        v.insert("_id".into(), json!((i + 1).to_string()));
        v.insert("_type".into(), json!("vertex"));
        v.insert("_label".into(), json!(n.id));
        vertices.push(Value::Object(v));
    }
    let mut edges = Vec::new();
    for (i, e) in (&g.graph).edge_references().enumerate() {
        let w = e.weight();
        let (Some(a), Some(b)) = (ids.get(&e.source()), ids.get(&e.target())) else {
            continue;
        };
        let kind = match (
            g.graph.node_weight(e.source()).map(|n| n.node_type),
            g.graph.node_weight(e.target()).map(|n| n.node_type),
            g.three_node,
        ) {
            (_, _, false) => "sourcetarget",
            (_, Some(NodeType::Event), true) => "sourcevent",
            _ => "eventtarget",
        };
        let mut v = Map::new();
        if let Some(c) = w.color.as_deref().and_then(rgb) {
            v.insert("color".into(), json!(c));
        }
        if let Some(s) = w.size {
            v.insert("size".into(), json!(s.to_string()));
        }
        v.insert("count".into(), json!(w.count));
        if let Some(l) = &w.label {
            v.insert("label".into(), json!(l));
        }
        v.insert("_id".into(), json!((i + 1).to_string()));
        v.insert("_type".into(), json!("edge"));
        v.insert("_outV".into(), json!(a.to_string()));
        v.insert("_inV".into(), json!(b.to_string()));
        v.insert("_label".into(), json!(kind));
        edges.push(Value::Object(v));
    }
    json!({"graph": {"mode": "NORMAL", "vertices": vertices, "edges": edges}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::build::{build_graph, GraphOptions};
    use crate::graph::properties::Properties;

    fn sample() -> LinkGraph {
        let props = Properties::parse(
            "color.source=\"red\"\ncolor.target=\"#22222270\"\ncolor.edge=\"blue\"\nsize.source=$sourceCount{$sourceName}\n\
             url=http://x/?q=\\N\nlabel.edge=$fields[1]",
        )
        .unwrap();
        let rows = vec![
            (0, vec!["a \"q\"".to_string(), "e<1>".into(), "t&1".into()]),
            (1, vec!["a \"q\"".to_string(), "e2".into(), "t\\2".into()]),
            (2, vec!["b".to_string(), "e2".into(), "t&1".into()]),
        ];
        build_graph(rows.into_iter(), &props, &GraphOptions::default()).unwrap()
    }

    /// Minimal structural DOT reader: returns (node statements, edge statements) after un-quoting.
    fn dot_structure(dot: &str) -> (Vec<String>, Vec<(String, String)>) {
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        let unq = |s: &str| -> Option<(String, usize)> {
            let b = s.as_bytes();
            if b.first() != Some(&b'"') {
                return None;
            }
            let mut out = String::new();
            let mut i = 1;
            while i < b.len() {
                match b[i] {
                    b'\\' if i + 1 < b.len() => {
                        out.push(b[i + 1] as char);
                        i += 2;
                    }
                    b'"' => return Some((out, i + 1)),
                    _ => {
                        let ch = s[i..].chars().next()?;
                        out.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            None
        };
        for line in dot.lines() {
            if let Some((a, end)) = unq(line) {
                let rest = &line[end..];
                if let Some(r) = rest.strip_prefix(" -> ") {
                    let (b, _) = unq(r).expect("edge target quoted");
                    edges.push((a, b));
                } else {
                    assert!(rest.starts_with(" [") && rest.ends_with("];"), "bad node line {line}");
                    nodes.push(a);
                }
            }
        }
        (nodes, edges)
    }

    #[test]
    fn dot_structure_round_trip() {
        let g = sample();
        let dot = to_dot(&g, None);
        assert!(dot.starts_with("digraph structs {\ngraph [label=\"AfterGlow 1.6.6\", fontsize=8];\n"));
        assert!(dot.contains("node [shape=ellipse, style=filled, penwidth=0, fontsize=10, width=0.2, height=0.2, fontcolor=\"black\", label=\"\", fixedsize=true, URL=\"http://x/?q=\\N\"];"));
        assert!(dot.ends_with("}\n"));
        let (nodes, edges) = dot_structure(&dot);
        assert_eq!(nodes.len(), g.graph.node_count());
        assert_eq!(edges.len(), g.graph.edge_count());
        assert!(nodes.contains(&"a \"q\"".to_string()));
        assert!(nodes.contains(&"t\\2".to_string()));
        assert!(edges.contains(&("a \"q\"".to_string(), "e<1>".to_string())));
        assert!(dot.contains("\"e2\" [fillcolor=\"cyan\"") || dot.contains("\"e2\" [fillcolor="));
        assert!(dot.contains("shape=\"box\""));
        assert!(dot.contains("fillcolor=\"#22222270\""));
        assert!(dot.contains("color=\"blue\",style=solid"));
    }

    #[test]
    fn dot_renders_with_graphviz() {
        let Ok(out) = std::process::Command::new("dot").arg("-V").output() else {
            eprintln!("skipping: graphviz `dot` not installed");
            return;
        };
        if !out.status.success() {
            eprintln!("skipping: graphviz `dot` not usable");
            return;
        }
        use std::io::Write;
        let dot = to_dot(&sample(), None);
        let mut child = std::process::Command::new("dot")
            .arg("-Tsvg")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn dot");
        child.stdin.take().expect("stdin").write_all(dot.as_bytes()).expect("write");
        let out = child.wait_with_output().expect("dot output");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
    }

    /// Tiny XML well-formedness check: balanced tags, quoted attributes, only known entities.
    fn well_formed(xml: &str) -> Result<usize, String> {
        let mut stack: Vec<String> = Vec::new();
        let mut elements = 0;
        let mut rest = xml;
        while let Some(i) = rest.find(['<', '&']) {
            let text = &rest[..i];
            if text.contains('>') {
                return Err(format!("stray > in {text}"));
            }
            rest = &rest[i..];
            if rest.starts_with('&') {
                let end = rest.find(';').ok_or("unterminated entity")?;
                if !["&amp", "&lt", "&gt", "&quot", "&apos"].contains(&&rest[..end]) {
                    return Err(format!("bad entity {}", &rest[..end]));
                }
                rest = &rest[end + 1..];
                continue;
            }
            let end = rest.find('>').ok_or("unterminated tag")?;
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            if tag.starts_with('?') {
                continue;
            }
            if let Some(name) = tag.strip_prefix('/') {
                if stack.pop().as_deref() != Some(name.trim()) {
                    return Err(format!("mismatched </{name}>"));
                }
                continue;
            }
            if tag.matches('"').count() & 1 == 1 || tag.contains('<') {
                return Err(format!("bad attributes in <{tag}>"));
            }
            elements += 1;
            let name = tag.split_whitespace().next().unwrap_or("").trim_end_matches('/').to_string();
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
        if stack.is_empty() {
            Ok(elements)
        } else {
            Err(format!("unclosed {stack:?}"))
        }
    }

    #[test]
    fn graphml_well_formed() {
        let g = sample();
        let mut pos = Positions::new();
        pos.insert(NodeIndex::new(0), (1.5, -2.0));
        let xml = to_graphml(&g, Some(&pos));
        well_formed(&xml).unwrap();
        assert_eq!(xml.matches("<node ").count(), g.graph.node_count());
        assert_eq!(xml.matches("<edge ").count(), g.graph.edge_count());
        assert!(xml.contains("t&amp;1") && xml.contains("a &quot;q&quot;") || xml.contains("&amp;"));
        assert!(well_formed("<a><b></a></b>").is_err());
        assert!(well_formed("<a>&bogus;</a>").is_err());
    }

    #[test]
    fn graphson_and_gdf() {
        let g = sample();
        let v = to_graphson(&g, None);
        let text = serde_json::to_string(&v).unwrap();
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["graph"]["vertices"].as_array().map(|a| a.len()), Some(g.graph.node_count()));
        assert_eq!(back["graph"]["edges"].as_array().map(|a| a.len()), Some(g.graph.edge_count()));
        assert_eq!(back["graph"]["mode"], "NORMAL");
        assert_eq!(rgb("red").as_deref(), Some("255,0,0"));
        assert_eq!(rgb("#22222270").as_deref(), Some("34,34,34"));
        assert_eq!(rgb("nosuchcolor"), None);
        let gdf = to_gdf(&g);
        assert!(
            gdf.starts_with("nodedef>name VARCHAR,label VARCHAR,width DOUBLE,height DOUBLE,color VARCHAR\n")
        );
        assert!(gdf.contains("edgedef>node1 VARCHAR,node2 VARCHAR,directed BOOLEAN,color VARCHAR,weight DOUBLE,label VARCHAR,labelvisible BOOLEAN\n"));
        assert!(gdf.contains("\"a \"\"q\"\"\",\"e<1>\",true,'0,0,255',1,\"e<1>\",true"));
        assert_eq!(gdf.lines().count(), 2 + g.graph.node_count() + g.graph.edge_count());
    }
}
