//! Cleaning recipes: a human-readable JSON file listing cleaning steps in order, so a cleaning can be
//! reviewed, versioned and replayed on other data.
//!
//! ```json
//! {
//!   "version": 1,
//!   "name": "VAST 2013 as in Marty et al.",
//!   "steps": [
//!     { "step": "repair_inverted", "service_ports": [20, 21, 25, 53], "min_dst_port_exclusive": 1024,
//!       "preset": "marty-vast2013" },
//!     { "step": "null_ports_non_tcp_udp" },
//!     { "step": "exclude_scanners", "src_ips": ["172.10.9.99"] },
//!     { "step": "exclude_values", "field": "firstSeenDestIp", "values": ["239.255.255.250"] },
//!     { "step": "filter", "sql_where": "durationSeconds < 86400" }
//!   ]
//! }
//! ```

use serde::{Deserialize, Serialize};

use super::flow_repair::marty_vast2013;

/// The only recipe format version so far.
pub const RECIPE_VERSION: u32 = 1;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Swap source and destination of rows whose source port is in `service_ports` and whose destination
    /// port is > `min_dst_port_exclusive`. `preset` names the rule the ports came from, if any.
    RepairInverted {
        service_ports: Vec<i32>,
        min_dst_port_exclusive: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        preset: Option<String>,
    },
    /// Null the ports of rows whose protocol is neither TCP nor UDP.
    NullPortsNonTcpUdp,
    /// Drop rows whose source address is one of `src_ips`.
    ExcludeScanners { src_ips: Vec<String> },
    /// Drop rows whose `field` equals one of `values` (compared as text).
    ExcludeValues { field: String, values: Vec<String> },
    /// Keep rows matching an SQL WHERE clause (evaluated by the caller's SQL engine).
    Filter { sql_where: String },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecipeError {
    /// Not valid JSON, or not the recipe shape (unknown step, missing field, wrong type).
    #[error("recipe syntax error at line {line}, column {column}: {message}")]
    Syntax { line: usize, column: usize, message: String },
    #[error("unsupported recipe version {found} (this build reads version {supported})")]
    UnsupportedVersion { found: u32, supported: u32 },
    /// A step is well-formed JSON but its values make no sense. `step` is 1-based.
    #[error("recipe step {step} ({kind}): {message}")]
    Invalid { step: usize, kind: &'static str, message: String },
}

impl Step {
    /// The `step` tag as written in the file.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::RepairInverted { .. } => "repair_inverted",
            Step::NullPortsNonTcpUdp => "null_ports_non_tcp_udp",
            Step::ExcludeScanners { .. } => "exclude_scanners",
            Step::ExcludeValues { .. } => "exclude_values",
            Step::Filter { .. } => "filter",
        }
    }

    fn check(&self) -> Result<(), String> {
        let port_ok = |p: i32| (0..=65535).contains(&p);
        match self {
            Step::RepairInverted { service_ports, min_dst_port_exclusive, .. } => {
                if service_ports.is_empty() {
                    return Err("service_ports is empty".into());
                }
                if let Some(p) = service_ports.iter().find(|p| !port_ok(**p)) {
                    return Err(format!("service port {p} out of range 0..=65535"));
                }
                if !port_ok(*min_dst_port_exclusive) {
                    return Err(format!(
                        "min_dst_port_exclusive {min_dst_port_exclusive} out of range 0..=65535"
                    ));
                }
            }
            Step::NullPortsNonTcpUdp => {}
            Step::ExcludeScanners { src_ips } => {
                if src_ips.is_empty() {
                    return Err("src_ips is empty".into());
                }
                if src_ips.iter().any(|s| s.trim().is_empty()) {
                    return Err("src_ips contains an empty address".into());
                }
            }
            Step::ExcludeValues { field, values } => {
                if field.trim().is_empty() {
                    return Err("field is empty".into());
                }
                if values.is_empty() {
                    return Err("values is empty".into());
                }
            }
            Step::Filter { sql_where } => {
                if sql_where.trim().is_empty() {
                    return Err("sql_where is empty".into());
                }
            }
        }
        Ok(())
    }
}

impl Recipe {
    /// Semantic checks (run by [`parse_recipe`]; call it too on recipes built in code before saving).
    pub fn validate(&self) -> Result<(), RecipeError> {
        if self.version != RECIPE_VERSION {
            return Err(RecipeError::UnsupportedVersion { found: self.version, supported: RECIPE_VERSION });
        }
        for (i, step) in self.steps.iter().enumerate() {
            step.check().map_err(|message| RecipeError::Invalid {
                step: i + 1,
                kind: step.kind(),
                message,
            })?;
        }
        Ok(())
    }

    /// Pretty JSON, the on-disk form.
    pub fn to_json(&self) -> String {
        // Serializing these plain types cannot fail (no maps with non-string keys, no custom impls).
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Parses and validates a recipe file.
pub fn parse_recipe(text: &str) -> Result<Recipe, RecipeError> {
    let recipe: Recipe = serde_json::from_str(text).map_err(|e| RecipeError::Syntax {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    recipe.validate()?;
    Ok(recipe)
}

/// serde_json appends " at line L column C" to its messages; we report the position separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Names accepted by [`preset`].
pub const PRESETS: [&str; 1] = ["marty-vast2013"];

/// Built-in recipes. `"marty-vast2013"`: repair inversions with the rule of Marty et al. for VAST 2013
/// MC3, then null ports of non-TCP/UDP rows.
pub fn preset(name: &str) -> Option<Recipe> {
    match name {
        "marty-vast2013" => {
            let rule = marty_vast2013();
            Some(Recipe {
                version: RECIPE_VERSION,
                name: Some("marty-vast2013".into()),
                steps: vec![
                    Step::RepairInverted {
                        service_ports: rule.service_ports.into_iter().collect(),
                        min_dst_port_exclusive: rule.min_dst_port_exclusive,
                        preset: Some("marty-vast2013".into()),
                    },
                    Step::NullPortsNonTcpUdp,
                ],
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_contents_and_round_trip() {
        let r = preset("marty-vast2013").expect("preset");
        assert_eq!(
            r.steps[0],
            Step::RepairInverted {
                service_ports: vec![20, 21, 25, 53, 80, 123, 137, 138, 389, 1900, 1984, 3389, 5355],
                min_dst_port_exclusive: 1024,
                preset: Some("marty-vast2013".into()),
            }
        );
        assert_eq!(r.steps[1], Step::NullPortsNonTcpUdp);
        assert!(preset("nope").is_none());
        let mut full = r.clone();
        full.steps.push(Step::ExcludeScanners { src_ips: vec!["172.10.9.99".into()] });
        full.steps
            .push(Step::ExcludeValues { field: "firstSeenDestIp".into(), values: vec!["1.2.3.4".into()] });
        full.steps.push(Step::Filter { sql_where: "durationSeconds < 86400".into() });
        let text = full.to_json();
        assert!(text.contains("\"step\": \"null_ports_non_tcp_udp\""), "{text}");
        assert_eq!(parse_recipe(&text), Ok(full));
    }

    #[test]
    fn doc_example_parses() {
        let text = r#"{
          "version": 1,
          "steps": [
            { "step": "repair_inverted", "service_ports": [80], "min_dst_port_exclusive": 1024 },
            { "step": "null_ports_non_tcp_udp" }
          ]
        }"#;
        let r = parse_recipe(text).expect("parse");
        assert_eq!(r.name, None);
        assert_eq!(
            r.steps[0],
            Step::RepairInverted { service_ports: vec![80], min_dst_port_exclusive: 1024, preset: None }
        );
    }

    fn err(text: &str) -> RecipeError {
        parse_recipe(text).expect_err("should fail")
    }

    #[test]
    fn bad_recipes_give_clear_errors() {
        let e = err("{\n  \"version\": 1,\n  \"steps\": [\n    { \"step\": \"frobnicate\" }\n  ]\n}");
        match &e {
            RecipeError::Syntax { line, message, .. } => {
                assert_eq!(*line, 4);
                assert!(message.contains("unknown variant `frobnicate`"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().starts_with("recipe syntax error at line 4, column"));

        let e = err(r#"{"version": 2, "steps": []}"#);
        assert_eq!(e, RecipeError::UnsupportedVersion { found: 2, supported: 1 });

        let e = err(r#"{"version": 1, "steps": [{"step": "null_ports_non_tcp_udp"},
            {"step": "repair_inverted", "service_ports": [], "min_dst_port_exclusive": 1024}]}"#);
        assert_eq!(e.to_string(), "recipe step 2 (repair_inverted): service_ports is empty");

        let e = err(r#"{"version": 1, "steps": [
            {"step": "repair_inverted", "service_ports": [80, 70000], "min_dst_port_exclusive": 1024}]}"#);
        assert_eq!(
            e.to_string(),
            "recipe step 1 (repair_inverted): service port 70000 out of range 0..=65535"
        );

        let e = err(r#"{"version": 1, "steps": [
            {"step": "repair_inverted", "service_ports": [80], "min_dst_port_exclusive": -1}]}"#);
        assert!(matches!(e, RecipeError::Invalid { step: 1, .. }));

        let e = err(r#"{"version": 1, "steps": [{"step": "repair_inverted", "service_ports": [80]}]}"#);
        assert!(e.to_string().contains("missing field `min_dst_port_exclusive`"), "{e}");

        let e = err(r#"{"version": 1, "steps": [{"step": "filter", "sql_where": "  "}]}"#);
        assert_eq!(e.to_string(), "recipe step 1 (filter): sql_where is empty");

        let e = err(r#"{"version": 1, "steps": [{"step": "exclude_values", "field": "x", "values": []}]}"#);
        assert_eq!(e.to_string(), "recipe step 1 (exclude_values): values is empty");

        let e = err(r#"{"version": 1, "steps": [{"step": "exclude_scanners", "src_ips": []}]}"#);
        assert_eq!(e.to_string(), "recipe step 1 (exclude_scanners): src_ips is empty");

        let e = err(r#"{"version": 1, "steps": [{"step": "filter", "sql_where": "a", "typo": 1}]}"#);
        assert!(e.to_string().contains("unknown field `typo`"), "{e}");

        let e = err(r#"{"steps": []}"#);
        assert!(e.to_string().contains("missing field `version`"), "{e}");

        let e = err(r#"{"version": 1, "steps": [{"service_ports": [80]}]}"#);
        assert!(e.to_string().contains("missing field `step`"), "{e}");
    }

    #[test]
    fn garbage_never_panics() {
        let valid = preset("marty-vast2013").expect("preset").to_json();
        let bytes = valid.as_bytes();
        for cut in 0..bytes.len() {
            let _ = parse_recipe(&String::from_utf8_lossy(&bytes[..cut]));
        }
        let mut x: u64 = 0x1234_5678;
        for _ in 0..2000 {
            let mut s = bytes.to_vec();
            for _ in 0..4 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = (x % s.len() as u64) as usize;
                s[i] = (x >> 32) as u8;
            }
            let _ = parse_recipe(&String::from_utf8_lossy(&s));
        }
        assert!(parse_recipe("").is_err());
        assert!(parse_recipe("null").is_err());
    }
}
