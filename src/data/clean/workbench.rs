//! What the cleaning workbench decides, kept apart from how it is drawn: parsing the analyst's
//! port list, the selection clause that previews a repair, and recognising a named preset.
use super::flow_repair::{marty_vast2013, RepairRule};
use super::recipe::Step;
use crate::linking::selection::{Clause, Pred};

/// "20, 21 53;80" -> ports. A token that is not a port number in 0..=65535 is an error naming it.
pub fn parse_ports(s: &str) -> Result<Vec<i32>, String> {
    s.split([',', ' ', ';'])
        .filter(|t| !t.trim().is_empty())
        .map(|t| match t.trim().parse::<i32>() {
            Ok(p) if (0..=65535).contains(&p) => Ok(p),
            _ => Err(format!("'{}' is not a port number (0-65535)", t.trim())),
        })
        .collect()
}

/// The preset's ports as the text the workbench shows.
pub fn ports_text(rule: &RepairRule) -> String {
    rule.service_ports.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
}

/// The records the repair would flip, as a selection clause: source port is one of the service
/// ports and destination port is above the ephemeral bound.
pub fn inverted_preview_clause(service_ports: &[i32], min_dst_port_exclusive: i32) -> Clause {
    let any_of = service_ports
        .iter()
        .map(|p| {
            vec![
                Pred::Eq { field: "src_port".into(), value: p.to_string() },
                Pred::Range {
                    field: "dst_port".into(),
                    min: (min_dst_port_exclusive + 1) as f64,
                    max: 65535.0,
                },
            ]
        })
        .collect();
    Clause::Match { any_of, negate: false }
}

/// The name of the preset these settings equal, so a saved recipe says where its ports came from.
pub fn preset_name(service_ports: &[i32], min_dst_port_exclusive: i32) -> Option<String> {
    let m = marty_vast2013();
    let ports: std::collections::BTreeSet<i32> = service_ports.iter().copied().collect();
    (ports == m.service_ports && min_dst_port_exclusive == m.min_dst_port_exclusive)
        .then(|| "marty-vast2013".to_string())
}

/// The recipe step for a repair with these settings.
pub fn repair_step(service_ports: Vec<i32>, min_dst_port_exclusive: i32) -> Step {
    let preset = preset_name(&service_ports, min_dst_port_exclusive);
    Step::RepairInverted { service_ports, min_dst_port_exclusive, preset }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_parse_with_clear_errors() {
        assert_eq!(parse_ports("20, 21 53;80").unwrap(), vec![20, 21, 53, 80]);
        assert!(parse_ports("80, http").unwrap_err().contains("'http'"));
        assert!(
            parse_ports("70000").unwrap_err().contains("'70000'"),
            "out of range is an error, not dropped"
        );
    }

    #[test]
    fn preset_is_recognised_only_when_equal() {
        let m = marty_vast2013();
        let ports: Vec<i32> = m.service_ports.iter().copied().collect();
        assert_eq!(preset_name(&ports, 1024).as_deref(), Some("marty-vast2013"));
        assert_eq!(preset_name(&ports, 1023), None);
        assert_eq!(preset_name(&ports[1..], 1024), None);
        assert_eq!(parse_ports(&ports_text(&m)).unwrap(), ports);
    }

    #[test]
    fn preview_clause_is_one_conjunction_per_port() {
        let c = inverted_preview_clause(&[53, 80], 1024);
        assert_eq!(
            c.describe(),
            "(src_port = 53 and 1025 ≤ dst_port ≤ 65535) or (src_port = 80 and 1025 ≤ dst_port ≤ 65535)"
        );
    }
}
