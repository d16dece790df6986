//! The SOC wall, computed (no egui): metric tiles with the same window one week earlier, bands
//! from the previous four weeks at the same time of day, percent of the whole, and the outbound
//! top lists. The window (`app/dashboard.rs`) and `brushfire dashboard` both call [`compute`].
pub mod config;
mod inside;
mod outbound;
pub mod source;

pub use config::{DashboardConfig, MetricKind, PanelKind, WindowKind};
pub use inside::Inside;
pub use outbound::{OutboundEntry, OutboundList};

use polars::prelude::*;
use serde::Serialize;

pub const HOUR_US: i64 = 3_600_000_000;
pub const DAY_US: i64 = 24 * HOUR_US;
pub const WEEK_US: i64 = 7 * DAY_US;
/// How many earlier days the bands are drawn from.
pub const BAND_DAYS: i64 = 28;
/// Fewer earlier windows than this give no bands (a quartile of two values says nothing).
pub const MIN_BAND_SAMPLES: usize = 3;

/// A half-open time window `[start, end)` in µs since the epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start_us: i64,
    pub end_us: i64,
}

impl Window {
    pub fn shifted(self, by_us: i64) -> Self {
        Window { start_us: self.start_us - by_us, end_us: self.end_us - by_us }
    }
}

/// Qualitative ranges from earlier windows (Few's bullet graph background).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bands {
    pub samples: usize,
    pub min: f64,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub max: f64,
}

impl Bands {
    fn from(mut v: Vec<f64>) -> Option<Self> {
        if v.len() < MIN_BAND_SAMPLES {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let q = |p: f64| {
            // Linear interpolation between closest ranks.
            let x = p * (v.len() - 1) as f64;
            let (lo, hi) = (x.floor() as usize, x.ceil() as usize);
            v[lo] + (v[hi] - v[lo]) * (x - lo as f64)
        };
        Some(Bands {
            samples: v.len(),
            min: v[0],
            p25: q(0.25),
            median: q(0.5),
            p75: q(0.75),
            max: v[v.len() - 1],
        })
    }

    /// Where a value lies: below / low / normal / high / above.
    pub fn classify(&self, value: f64) -> &'static str {
        if value < self.min {
            "below"
        } else if value < self.p25 {
            "low"
        } else if value <= self.p75 {
            "normal"
        } else if value <= self.max {
            "high"
        } else {
            "above"
        }
    }
}

/// One metric tile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tile {
    pub metric: MetricKind,
    pub label: String,
    pub value: f64,
    /// The same window one week earlier; `None` when the data does not reach back that far.
    pub week_earlier: Option<f64>,
    /// The whole the percent is a share of, and the share (0-100).
    pub whole: f64,
    pub whole_label: String,
    pub percent: Option<f64>,
    pub bands: Option<Bands>,
    /// `Bands::classify` of the value, or `None` without bands.
    pub band: Option<String>,
}

/// Everything the wall shows for one refresh.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wall {
    /// The instant "now" stands for, and whether it is the end of the data (a file that is not
    /// growing) or the clock.
    pub now_us: i64,
    pub now_is_data_end: bool,
    pub window: Window,
    pub week_earlier_window: Window,
    /// Newest record time in the data.
    pub data_end_us: Option<i64>,
    pub data_start_us: Option<i64>,
    pub rows: usize,
    pub tiles: Vec<Tile>,
    pub outbound_by_bytes: Option<OutboundList>,
    pub outbound_by_connections: Option<OutboundList>,
}

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error("{0}")]
    Polars(#[from] PolarsError),
    #[error("local network {0:?} is not an address or prefix like 10.0.0.0/8")]
    BadNetwork(String),
}

/// The columns the metrics read, extracted once.
pub(crate) struct Cols {
    pub time: Vec<Option<i64>>,
    pub action: Option<StringChunked>,
    pub event_type: Option<StringChunked>,
    pub event_id: Option<Int64Chunked>,
    pub src_ip: Option<StringChunked>,
    pub dst_ip: Option<StringChunked>,
    pub bytes: Option<Int64Chunked>,
}

fn str_col(df: &DataFrame, name: &str) -> PolarsResult<Option<StringChunked>> {
    match df.column(name) {
        Ok(c) => Ok(Some(c.as_materialized_series().cast(&DataType::String)?.str()?.clone())),
        Err(_) => Ok(None),
    }
}

fn int_col(df: &DataFrame, name: &str) -> PolarsResult<Option<Int64Chunked>> {
    match df.column(name) {
        // A non-numeric value (a text column) becomes null rather than failing the whole wall.
        Ok(c) => Ok(Some(
            c.as_materialized_series()
                .strict_cast(&DataType::Int64)
                .or_else(|_| c.as_materialized_series().cast(&DataType::Int64))?
                .i64()?
                .clone(),
        )),
        Err(_) => Ok(None),
    }
}

impl Cols {
    pub fn of(df: &DataFrame) -> PolarsResult<Self> {
        let time = match df.column("time") {
            Ok(c) => c.as_materialized_series().cast(&DataType::Int64)?.i64()?.iter().collect(),
            Err(_) => vec![None; df.height()],
        };
        let bytes = match int_col(df, "bytes_sent")? {
            Some(b) => Some(b),
            None => int_col(df, "total_bytes")?,
        };
        Ok(Cols {
            time,
            action: str_col(df, "action")?,
            event_type: str_col(df, "event_type")?,
            event_id: int_col(df, "event_id")?,
            src_ip: str_col(df, "src_ip")?,
            dst_ip: str_col(df, "dst_ip")?,
            bytes,
        })
    }
}

const BLOCK_WORDS: [&str; 8] =
    ["block", "blocked", "drop", "dropped", "deny", "denied", "reject", "rejected"];
const FAILED_WORDS: [&str; 4] = ["failed", "failure", "logon-failed", "fail"];
/// Windows Security events that are failed logons: 4625 (logon failure), 4771 (Kerberos
/// pre-authentication failed).
const FAILED_LOGON_EVENTS: [i64; 2] = [4625, 4771];

fn is_word(v: Option<&str>, words: &[&str]) -> bool {
    v.is_some_and(|s| words.iter().any(|w| s.trim().eq_ignore_ascii_case(w)))
}

/// Per row: does it count for the metric (`hit`), and is it part of the whole (`of`).
/// Value-summing metrics (bytes out) return the amounts instead.
pub(crate) struct RowTest<'a> {
    kind: MetricKind,
    c: &'a Cols,
    outbound: Vec<bool>,
}

impl<'a> RowTest<'a> {
    /// `None` when the data lacks the metric's fields.
    pub fn new(kind: MetricKind, c: &'a Cols, inside: &'a Inside) -> Option<Self> {
        let ok = match kind {
            MetricKind::FirewallBlocks => c.action.is_some(),
            MetricKind::IdsAlerts => c.event_type.is_some(),
            MetricKind::FailedLogins => c.action.is_some() || c.event_id.is_some(),
            MetricKind::DistinctSources => c.src_ip.is_some(),
            MetricKind::BytesOut => c.src_ip.is_some() && c.dst_ip.is_some() && c.bytes.is_some(),
        };
        if !ok {
            return None;
        }
        let outbound = if kind == MetricKind::BytesOut { inside.outbound_rows(c) } else { Vec::new() };
        Some(RowTest { kind, c, outbound })
    }

    /// (amount counted, amount of the whole) for row `i`.
    fn row(&self, i: usize) -> (f64, f64) {
        let c = self.c;
        match self.kind {
            MetricKind::FirewallBlocks => {
                let a = c.action.as_ref().and_then(|a| a.get(i));
                (is_word(a, &BLOCK_WORDS) as u8 as f64, a.is_some() as u8 as f64)
            }
            MetricKind::IdsAlerts => {
                let e = c.event_type.as_ref().and_then(|a| a.get(i));
                (e.is_some_and(|e| e.eq_ignore_ascii_case("alert")) as u8 as f64, e.is_some() as u8 as f64)
            }
            MetricKind::FailedLogins => {
                let a = c.action.as_ref().and_then(|a| a.get(i));
                let id = c.event_id.as_ref().and_then(|a| a.get(i));
                let hit = is_word(a, &FAILED_WORDS) || id.is_some_and(|id| FAILED_LOGON_EVENTS.contains(&id));
                (hit as u8 as f64, (a.is_some() || id.is_some()) as u8 as f64)
            }
            MetricKind::DistinctSources => unreachable!("distinct sources are counted as a set"),
            MetricKind::BytesOut => {
                let b = c.bytes.as_ref().and_then(|b| b.get(i)).unwrap_or(0).max(0) as f64;
                (if self.outbound[i] { b } else { 0.0 }, b)
            }
        }
    }

    /// (value, whole) over rows `rows` (indices into the table).
    fn eval(&self, rows: &[u32], all_rows: &[u32]) -> (f64, f64) {
        if self.kind == MetricKind::DistinctSources {
            let src = self.c.src_ip.as_ref().expect("checked in new");
            let distinct = |rows: &[u32]| {
                rows.iter()
                    .filter_map(|&i| src.get(i as usize))
                    .collect::<std::collections::HashSet<_>>()
                    .len() as f64
            };
            return (distinct(rows), distinct(all_rows));
        }
        rows.iter().fold((0.0, 0.0), |(v, w), &i| {
            let (a, b) = self.row(i as usize);
            (v + a, w + b)
        })
    }

    /// Whether the loaded data has anything this metric counts at all (used to offer it).
    fn any_hit(&self, all_rows: &[u32]) -> bool {
        match self.kind {
            MetricKind::DistinctSources => self.c.src_ip.as_ref().is_some_and(|s| s.null_count() < s.len()),
            _ => all_rows.iter().any(|&i| self.row(i as usize).0 > 0.0),
        }
    }
}

/// Rows with a time, sorted by time: every window is a contiguous slice.
pub(crate) struct TimeOrder {
    rows: Vec<u32>,
    times: Vec<i64>,
}

impl TimeOrder {
    pub fn of(c: &Cols) -> Self {
        let mut pairs: Vec<(i64, u32)> =
            c.time.iter().enumerate().filter_map(|(i, t)| t.map(|t| (t, i as u32))).collect();
        pairs.sort_unstable();
        TimeOrder { times: pairs.iter().map(|p| p.0).collect(), rows: pairs.iter().map(|p| p.1).collect() }
    }

    pub fn slice(&self, w: Window) -> &[u32] {
        let a = self.times.partition_point(|&t| t < w.start_us);
        let b = self.times.partition_point(|&t| t < w.end_us);
        &self.rows[a..b]
    }

    pub fn up_to(&self, end_us: i64) -> &[u32] {
        &self.rows[..self.times.partition_point(|&t| t < end_us)]
    }

    pub fn bounds(&self) -> Option<(i64, i64)> {
        Some((*self.times.first()?, *self.times.last()?))
    }
}

/// The "now" window for `now_us`.
pub fn window_for(kind: WindowKind, now_us: i64) -> Window {
    // Inclusive of the newest record: the end is one µs past now.
    let end_us = now_us + 1;
    match kind {
        WindowKind::Last24h => Window { start_us: end_us - DAY_US, end_us },
        WindowKind::Today => Window { start_us: now_us.div_euclid(DAY_US) * DAY_US, end_us },
    }
}

/// Which "now" to use: the clock, unless the data ends more than a day before it (a file that
/// is not being written: the wall then shows the end of the data and says so).
pub fn anchor(clock_us: i64, data_end_us: Option<i64>) -> (i64, bool) {
    match data_end_us {
        Some(end) if end < clock_us - DAY_US || end > clock_us => (end, true),
        _ => (clock_us, false),
    }
}

/// The metrics shown: the configured list (those whose fields exist), or every metric the data
/// has something for.
fn metrics_shown(cfg: &DashboardConfig, c: &Cols, inside: &Inside, all: &[u32]) -> Vec<MetricKind> {
    if cfg.metrics.is_empty() {
        MetricKind::ALL
            .into_iter()
            .filter(|k| RowTest::new(*k, c, inside).is_some_and(|t| t.any_hit(all)))
            .collect()
    } else {
        cfg.metrics.iter().copied().filter(|k| RowTest::new(*k, c, inside).is_some()).collect()
    }
}

/// Metrics the data offers (for the settings panel).
pub fn offered_metrics(df: &DataFrame) -> Vec<MetricKind> {
    let Ok(c) = Cols::of(df) else { return Vec::new() };
    let inside = Inside::private();
    MetricKind::ALL.into_iter().filter(|k| RowTest::new(*k, &c, &inside).is_some()).collect()
}

/// Computes one refresh of the wall. `clock_us` is the current time (injected so tests control it).
pub fn compute(df: &DataFrame, cfg: &DashboardConfig, clock_us: i64) -> Result<Wall, DashboardError> {
    let inside = Inside::from_config(&cfg.local_networks)?;
    let c = Cols::of(df)?;
    let order = TimeOrder::of(&c);
    let bounds = order.bounds();
    let (now_us, now_is_data_end) = anchor(clock_us, bounds.map(|b| b.1));
    let window = window_for(cfg.window, now_us);
    let week = window.shifted(WEEK_US);
    let covered = |w: Window| bounds.is_some_and(|(start, _)| w.start_us >= start);
    let all_so_far = order.up_to(window.end_us);
    let mut tiles = Vec::new();
    for kind in metrics_shown(cfg, &c, &inside, all_so_far) {
        let Some(test) = RowTest::new(kind, &c, &inside) else { continue };
        let (value, window_whole) = test.eval(order.slice(window), all_so_far);
        // Distinct sources: a share of every source seen up to now; the rest: of the window.
        let whole = window_whole;
        let week_earlier = covered(week).then(|| test.eval(order.slice(week), &[]).0);
        let earlier: Vec<f64> = (1..=BAND_DAYS)
            .map(|d| window.shifted(d * DAY_US))
            .filter(|w| covered(*w))
            .map(|w| test.eval(order.slice(w), &[]).0)
            .collect();
        let bands = Bands::from(earlier);
        tiles.push(Tile {
            metric: kind,
            label: kind.label().into(),
            value,
            week_earlier,
            whole,
            whole_label: kind.whole_label().into(),
            percent: (whole > 0.0).then(|| 100.0 * value / whole),
            band: bands.map(|b| b.classify(value).to_string()),
            bands,
        });
    }
    let wants = |p: PanelKind| cfg.panels.contains(&p);
    let (by_bytes, by_conns) = if c.src_ip.is_some() && c.dst_ip.is_some() {
        let out = inside.outbound_rows(&c);
        let now_rows = order.slice(window);
        let week_rows = covered(week).then(|| order.slice(week));
        let b = (wants(PanelKind::OutboundByBytes) && c.bytes.is_some())
            .then(|| outbound::top(&c, &out, now_rows, week_rows, outbound::By::Bytes));
        let n = wants(PanelKind::OutboundByConnections)
            .then(|| outbound::top(&c, &out, now_rows, week_rows, outbound::By::Connections));
        (b, n)
    } else {
        (None, None)
    };
    Ok(Wall {
        now_us,
        now_is_data_end,
        window,
        week_earlier_window: week,
        data_end_us: bounds.map(|b| b.1),
        data_start_us: bounds.map(|b| b.0),
        rows: df.height(),
        tiles,
        outbound_by_bytes: by_bytes,
        outbound_by_connections: by_conns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(rows: &[(i64, &str, &str, &str, i64, &str)]) -> DataFrame {
        let t: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let s = Series::new("time".into(), t).cast(&crate::data::table::time_dtype()).unwrap();
        df!(
            "time" => s,
            "src_ip" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "dst_ip" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            "action" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            "bytes_sent" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
            "event_type" => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn the_window_the_week_earlier_and_bands_count_what_they_say() {
        // One blocked and one accepted event every day at noon for 20 days, plus 3 more blocks today.
        let noon = |d: i64| d * DAY_US + 12 * HOUR_US;
        let mut rows = Vec::new();
        for d in 0..20 {
            rows.push((noon(d), "10.0.0.1", "8.8.8.8", "block", 100, "flow"));
            rows.push((noon(d), "10.0.0.2", "10.0.0.3", "accept", 50, "alert"));
        }
        for k in 1..=3 {
            rows.push((noon(19) + k, "10.0.0.9", "1.1.1.1", "DROP", 7, "flow"));
        }
        let df = frame(&rows);
        let wall = compute(&df, &DashboardConfig::default(), noon(19) + 3).unwrap();
        assert!(!wall.now_is_data_end);
        let t = |k| wall.tiles.iter().find(|t| t.metric == k).unwrap();
        let blocks = t(MetricKind::FirewallBlocks);
        assert_eq!(blocks.value, 4.0);
        assert_eq!(blocks.week_earlier, Some(1.0));
        assert_eq!(blocks.whole, 5.0);
        assert_eq!(blocks.percent, Some(80.0));
        let b = blocks.bands.unwrap();
        // The window starts just after noon of day 18; shifted by 1..=18 days it starts after
        // the first record (noon of day 0), by 19 days before it: 18 covered earlier windows.
        assert_eq!((b.samples, b.min, b.max), (18, 1.0, 1.0));
        assert_eq!(blocks.band.as_deref(), Some("above"));
        assert_eq!(t(MetricKind::IdsAlerts).value, 1.0);
        assert_eq!(t(MetricKind::DistinctSources).value, 3.0);
        let out = t(MetricKind::BytesOut);
        // 10.0.0.1 -> 8.8.8.8 and 10.0.0.9 -> 1.1.1.1 are outbound; 10.0.0.2 -> 10.0.0.3 is not.
        assert_eq!((out.value, out.whole), (121.0, 171.0));
        assert!(RowTest::new(MetricKind::FailedLogins, &Cols::of(&df).unwrap(), &Inside::private()).is_some());
        assert!(
            wall.tiles.iter().all(|t| t.metric != MetricKind::FailedLogins),
            "no failed login anywhere: not offered"
        );
    }

    #[test]
    fn a_static_file_is_shown_as_of_its_end() {
        let df = frame(&[(1_000 * DAY_US, "10.0.0.1", "8.8.8.8", "block", 1, "flow")]);
        let wall = compute(&df, &DashboardConfig::default(), 2_000 * DAY_US).unwrap();
        assert!(wall.now_is_data_end);
        assert_eq!(wall.now_us, 1_000 * DAY_US);
        assert_eq!(wall.tiles[0].value, 1.0);
        assert_eq!(wall.tiles[0].week_earlier, None, "no data a week earlier: no marker, not zero");
        assert!(wall.tiles[0].bands.is_none());
    }

    #[test]
    fn bands_need_three_samples_and_classify() {
        assert!(Bands::from(vec![1.0, 2.0]).is_none());
        let b = Bands::from(vec![4.0, 1.0, 3.0, 2.0, 5.0]).unwrap();
        assert_eq!((b.min, b.p25, b.median, b.p75, b.max), (1.0, 2.0, 3.0, 4.0, 5.0));
        assert_eq!(b.classify(0.0), "below");
        assert_eq!(b.classify(1.5), "low");
        assert_eq!(b.classify(3.0), "normal");
        assert_eq!(b.classify(4.5), "high");
        assert_eq!(b.classify(9.0), "above");
    }

    #[test]
    fn today_starts_at_midnight_utc() {
        let w = window_for(WindowKind::Today, 10 * DAY_US + 5 * HOUR_US);
        assert_eq!(w.start_us, 10 * DAY_US);
    }
}
