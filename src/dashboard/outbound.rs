//! Servers connecting outbound: top 20 inside sources by bytes or by connections to outside
//! destinations, with their rank one week earlier.
use super::Cols;
use serde::Serialize;
use std::collections::HashMap;

/// Positions kept: 1-10 on the first page, 11-20 on the second.
pub const KEPT: usize = 20;
pub const PAGE: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Bytes,
    Connections,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboundEntry {
    /// 1-based.
    pub rank: usize,
    pub src_ip: String,
    pub value: f64,
    /// Share of all outbound bytes / connections in the window.
    pub percent: f64,
    /// Rank in the same window a week earlier (any rank, not only the top 20).
    pub rank_week_earlier: Option<usize>,
    /// Positive = climbed.
    pub rank_change: Option<i64>,
    /// In the top 10 now, not a week earlier.
    pub new_in_top10: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboundList {
    /// "bytes" or "connections".
    pub by: String,
    pub total: f64,
    /// Inside sources with outbound traffic in the window.
    pub sources: usize,
    /// Positions 1-20.
    pub entries: Vec<OutboundEntry>,
    /// False when the data does not reach a week back (no rank change can be given).
    pub has_week_earlier: bool,
}

fn ranking(c: &Cols, outbound: &[bool], rows: &[u32], by: By) -> (Vec<(String, f64)>, f64) {
    let src = c.src_ip.as_ref().expect("outbound lists need src_ip");
    let mut sums: HashMap<&str, f64> = HashMap::new();
    let mut total = 0.0;
    for &i in rows {
        let i = i as usize;
        if !outbound[i] {
            continue;
        }
        let Some(s) = src.get(i) else { continue };
        let v = match by {
            By::Connections => 1.0,
            By::Bytes => c.bytes.as_ref().and_then(|b| b.get(i)).unwrap_or(0).max(0) as f64,
        };
        *sums.entry(s).or_default() += v;
        total += v;
    }
    let mut v: Vec<(String, f64)> = sums.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    // Ties by address so the order is stable between refreshes.
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    (v, total)
}

pub(crate) fn top(c: &Cols, outbound: &[bool], now: &[u32], week: Option<&[u32]>, by: By) -> OutboundList {
    let (now_rank, total) = ranking(c, outbound, now, by);
    let before: Option<HashMap<String, usize>> = week.map(|w| {
        ranking(c, outbound, w, by).0.into_iter().enumerate().map(|(i, (k, _))| (k, i + 1)).collect()
    });
    let entries = now_rank
        .iter()
        .take(KEPT)
        .enumerate()
        .map(|(i, (ip, v))| {
            let rank = i + 1;
            let prev = before.as_ref().and_then(|b| b.get(ip).copied());
            OutboundEntry {
                rank,
                src_ip: ip.clone(),
                value: *v,
                percent: if total > 0.0 { 100.0 * v / total } else { 0.0 },
                rank_week_earlier: prev,
                rank_change: prev.map(|p| p as i64 - rank as i64),
                new_in_top10: before.is_some() && rank <= PAGE && prev.is_none_or(|p| p > PAGE),
            }
        })
        .collect();
    OutboundList {
        by: match by {
            By::Bytes => "bytes",
            By::Connections => "connections",
        }
        .into(),
        total,
        sources: now_rank.len(),
        entries,
        has_week_earlier: before.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn ranks_change_and_newcomers_are_flagged() {
        let df = df!(
            "time" => [1i64, 2, 3, 4, 5, 6],
            "src_ip" => ["10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.1", "10.0.0.1", "10.0.0.3"],
            "dst_ip" => ["8.8.8.8"; 6],
            "bytes_sent" => [5i64, 1, 1, 1, 1, 9],
        )
        .unwrap();
        let c = Cols::of(&df).unwrap();
        let out = super::super::Inside::private().outbound_rows(&c);
        // A week earlier: rows 0-2 (10.0.0.1 first by bytes); now: rows 3-5.
        let l = top(&c, &out, &[3, 4, 5], Some(&[0, 1, 2]), By::Bytes);
        assert_eq!(l.total, 11.0);
        let e = &l.entries;
        assert_eq!((e[0].src_ip.as_str(), e[0].value, e[0].new_in_top10), ("10.0.0.3", 9.0, true));
        assert_eq!(
            (e[1].src_ip.as_str(), e[1].rank_week_earlier, e[1].rank_change),
            ("10.0.0.1", Some(1), Some(-1))
        );
        let n = top(&c, &out, &[3, 4, 5], None, By::Connections);
        assert_eq!((n.entries[0].src_ip.as_str(), n.entries[0].value), ("10.0.0.1", 2.0));
        assert!(!n.entries[0].new_in_top10, "nothing to compare with: nothing is new");
    }
}
