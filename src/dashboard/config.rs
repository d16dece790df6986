//! What a wall shows, saved in the workspace (`Workspace::dashboard`, every field defaulted so
//! older workspaces and other builds' files still load).
use serde::{Deserialize, Serialize};

/// One metric a tile can show. Each is a filter over the field dictionary (`docs/FIELDS.md`)
/// and is offered only when its fields exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// `action` is block / drop / deny / reject (and their past tenses).
    FirewallBlocks,
    /// `event_type = alert` (Suricata eve).
    IdsAlerts,
    /// `action = failed` / `failure` / `logon-failed`, or Windows events 4625 / 4771.
    FailedLogins,
    /// Distinct `src_ip`.
    DistinctSources,
    /// Bytes sent (`bytes_sent`, else `total_bytes`) from inside sources to outside destinations.
    BytesOut,
}

impl MetricKind {
    pub const ALL: [MetricKind; 5] = [
        MetricKind::FirewallBlocks,
        MetricKind::IdsAlerts,
        MetricKind::FailedLogins,
        MetricKind::DistinctSources,
        MetricKind::BytesOut,
    ];

    pub fn label(self) -> &'static str {
        match self {
            MetricKind::FirewallBlocks => "Firewall blocks",
            MetricKind::IdsAlerts => "IDS alerts",
            MetricKind::FailedLogins => "Failed logins",
            MetricKind::DistinctSources => "Distinct sources",
            MetricKind::BytesOut => "Bytes out",
        }
    }

    /// What the percent is a share of.
    pub fn whole_label(self) -> &'static str {
        match self {
            MetricKind::FirewallBlocks => "of firewall events",
            MetricKind::IdsAlerts => "of IDS events",
            MetricKind::FailedLogins => "of login events",
            MetricKind::DistinctSources => "of all sources seen",
            MetricKind::BytesOut => "of all bytes",
        }
    }
}

/// A panel of the wall besides the metric tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelKind {
    Metrics,
    OutboundByBytes,
    OutboundByConnections,
}

/// The "now" window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// The 24 hours up to now.
    #[default]
    Last24h,
    /// Since midnight UTC.
    Today,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DashboardConfig {
    /// Panels in screen order.
    pub panels: Vec<PanelKind>,
    /// Metric tiles in order; empty = every metric the data offers.
    pub metrics: Vec<MetricKind>,
    /// Seconds between refreshes (new rows are read and the wall recomputed).
    pub refresh_secs: u32,
    /// After this many seconds without new data, "data as of" turns into a warning.
    pub quiet_secs: u32,
    pub window: WindowKind,
    /// Inside networks ("172.10.0.0/16"); empty = the private ranges.
    pub local_networks: Vec<String>,
    /// Show positions 11-20 of the outbound lists instead of 1-10.
    pub second_page: bool,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        Self {
            panels: vec![PanelKind::Metrics, PanelKind::OutboundByBytes, PanelKind::OutboundByConnections],
            metrics: Vec::new(),
            // Marty: a wall is context, not detection; a minute is fresh enough and cheap.
            refresh_secs: 30,
            quiet_secs: 15 * 60,
            window: WindowKind::Last24h,
            local_networks: Vec::new(),
            second_page: false,
        }
    }
}
