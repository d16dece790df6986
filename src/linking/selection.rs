//! The shared selection: at most one clause per source view, with undo/redo.
//! Pure data, no egui, no polars: views produce clauses, the engine evaluates them.
use std::collections::BTreeMap;

/// Identifies a view that can be a source of a clause (top-N list 2, the time series, ...).
pub type ViewId = u32;

/// One condition on one field.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Pred {
    /// Field equals this value (compared as displayed text).
    Eq { field: String, value: String },
    /// IP address field lies in this CIDR prefix ("10.1.0.0/16").
    InPrefix { field: String, prefix: String },
    /// Numeric field within [min, max].
    Range { field: String, min: f64, max: f64 },
}

impl Pred {
    pub fn field(&self) -> &str {
        match self {
            Pred::Eq { field, .. } | Pred::InPrefix { field, .. } | Pred::Range { field, .. } => field,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Clause {
    /// Records with `start_us <= time < end_us`.
    Time { start_us: i64, end_us: i64 },
    /// Records matching any of the conjunctions (or none of them, when `negate`).
    /// A top-N selection of values is one single-predicate conjunction per value; a treemap
    /// subtree is one conjunction over its path; a link-graph node set is one conjunction per node.
    Match { any_of: Vec<Vec<Pred>>, negate: bool },
}

impl Clause {
    /// Values of one field, included or excluded.
    pub fn values(field: &str, values: impl IntoIterator<Item = String>, exclude: bool) -> Clause {
        Clause::Match {
            any_of: values
                .into_iter()
                .map(|v| vec![Pred::Eq { field: field.to_string(), value: v }])
                .collect(),
            negate: exclude,
        }
    }

    /// If this clause is a plain set of values of one field: (field, values, negate).
    pub fn as_values(&self) -> Option<(&str, Vec<&str>, bool)> {
        let Clause::Match { any_of, negate } = self else {
            return None;
        };
        let mut field = None;
        let mut vals = Vec::new();
        for conj in any_of {
            let [Pred::Eq { field: f, value }] = conj.as_slice() else {
                return None;
            };
            if field.is_some_and(|g| g != f.as_str()) {
                return None;
            }
            field = Some(f.as_str());
            vals.push(value.as_str());
        }
        Some((field?, vals, *negate))
    }

    /// The chip text: "time 2013-04-01 08:00 to 12:00", "dst_port in {80, 443}", "not src_ip 10.9.81.5".
    pub fn describe(&self) -> String {
        match self {
            Clause::Time { start_us, end_us } => {
                let a = fmt_minute(*start_us);
                let b = fmt_minute(*end_us);
                // Same day: print the date once.
                if a.get(..10) == b.get(..10) {
                    format!("time {} to {}", a, b.get(11..).unwrap_or(&b))
                } else {
                    format!("time {a} to {b}")
                }
            }
            Clause::Match { any_of, negate } => {
                if let Some((field, vals, neg)) = self.as_values() {
                    let shown: Vec<&str> = vals.iter().take(6).copied().collect();
                    let more =
                        if vals.len() > 6 { format!(", … {} more", vals.len() - 6) } else { String::new() };
                    return match (neg, vals.len()) {
                        (false, 1) => format!("{field} = {}", vals[0]),
                        (true, 1) => format!("not {field} {}", vals[0]),
                        (false, _) => format!("{field} in {{{}{more}}}", shown.join(", ")),
                        (true, _) => format!("{field} not in {{{}{more}}}", shown.join(", ")),
                    };
                }
                let parts: Vec<String> = any_of
                    .iter()
                    .take(4)
                    .map(|conj| {
                        // "dst_ip in 10.1.0.0/16 and dst_ip = 10.1.2.3" says no more than the equality.
                        conj.iter()
                            .filter(|p| {
                                !matches!(p, Pred::InPrefix { field, .. }
                                    if conj.iter().any(|q| matches!(q, Pred::Eq { field: f, .. } if f == field)))
                            })
                            .map(describe_pred)
                            .collect::<Vec<_>>()
                            .join(" and ")
                    })
                    .collect();
                let more = if any_of.len() > 4 {
                    format!(" or … {} more", any_of.len() - 4)
                } else {
                    String::new()
                };
                let body = if any_of.len() > 1 {
                    format!("({}){more}", parts.join(") or ("))
                } else {
                    parts.join("")
                };
                if *negate {
                    format!("not {body}")
                } else {
                    body
                }
            }
        }
    }
}

fn describe_pred(p: &Pred) -> String {
    match p {
        Pred::Eq { field, value } => format!("{field} = {value}"),
        Pred::InPrefix { field, prefix } => format!("{field} in {prefix}"),
        Pred::Range { field, min, max } => format!("{min} ≤ {field} ≤ {max}"),
    }
}

fn fmt_minute(us: i64) -> String {
    chrono::DateTime::from_timestamp(us.div_euclid(1_000_000), 0)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// One clause per source view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub clauses: BTreeMap<ViewId, Clause>,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }
    /// The clauses that filter `view`: all but its own (crossfilter).
    pub fn others(&self, view: ViewId) -> impl Iterator<Item = (&ViewId, &Clause)> {
        self.clauses.iter().filter(move |(v, _)| **v != view)
    }
    /// Canonical text used as a cache key.
    pub fn signature(&self) -> String {
        self.clauses.iter().map(|(v, c)| format!("{v}:{c:?}")).collect::<Vec<_>>().join("|")
    }
}

/// The selection with its undo/redo history. Hover never goes through here: only edits do.
#[derive(Debug, Clone, Default)]
pub struct SelectionHistory {
    current: Selection,
    undo: Vec<Selection>,
    redo: Vec<Selection>,
    /// Bumped on every change; views and the coordinator compare it.
    pub version: u64,
}

impl SelectionHistory {
    pub fn current(&self) -> &Selection {
        &self.current
    }

    fn commit(&mut self, next: Selection, coalesce: bool) {
        if next == self.current {
            return;
        }
        // A drag sends many edits for the same view; they undo as one step.
        if !coalesce {
            self.undo.push(std::mem::take(&mut self.current));
            if self.undo.len() > 200 {
                self.undo.remove(0);
            }
        }
        self.current = next;
        self.redo.clear();
        self.version += 1;
    }

    /// Sets (or with `None`, removes) the clause of `view`. `continuing` marks a drag in progress.
    pub fn set(&mut self, view: ViewId, clause: Option<Clause>, continuing: bool) {
        let mut next = self.current.clone();
        match clause {
            Some(c) => {
                next.clauses.insert(view, c);
            }
            None => {
                next.clauses.remove(&view);
            }
        }
        self.commit(next, continuing);
    }

    /// Replaces the whole selection as one undoable step (restoring a bookmark).
    pub fn replace(&mut self, next: Selection) {
        self.commit(next, false);
    }

    pub fn clear_all(&mut self) {
        self.commit(Selection::default(), false);
    }

    pub fn undo(&mut self) -> bool {
        match self.undo.pop() {
            Some(prev) => {
                self.redo.push(std::mem::replace(&mut self.current, prev));
                self.version += 1;
                true
            }
            None => false,
        }
    }

    pub fn redo(&mut self) -> bool {
        match self.redo.pop() {
            Some(next) => {
                self.undo.push(std::mem::replace(&mut self.current, next));
                self.version += 1;
                true
            }
            None => false,
        }
    }

    /// Current selection with its undo and redo stacks (oldest first), for saving.
    pub fn parts(&self) -> (&Selection, &[Selection], &[Selection]) {
        (&self.current, &self.undo, &self.redo)
    }

    /// A history restored from [`Self::parts`]; the version moves on so every view recomputes.
    pub fn restore(&mut self, current: Selection, undo: Vec<Selection>, redo: Vec<Selection>) {
        self.current = current;
        self.undo = undo;
        self.redo = redo;
        self.version += 1;
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
}

/// The conjunctions of an "any of" that are not implied by another: one holding every predicate
/// of another adds no row (`tcp > 88` once `tcp` is in), and a repeat adds none. Without them, a
/// treemap group added to one of its leaves is a clause on one field, which a field cube decides.
/// Left as is beyond 256 conjunctions (a quadratic check).
pub fn without_implied(any_of: &[Vec<Pred>]) -> Vec<&Vec<Pred>> {
    if any_of.len() > 256 {
        return any_of.iter().collect();
    }
    let within = |a: &Vec<Pred>, b: &Vec<Pred>| a.iter().all(|p| b.contains(p));
    (0..any_of.len())
        .filter(|&i| {
            !(0..any_of.len()).any(|j| {
                j != i
                    && within(&any_of[j], &any_of[i])
                    // Of two equal ones, the first stays.
                    && (!within(&any_of[i], &any_of[j]) || j < i)
            })
        })
        .map(|i| &any_of[i])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implied_conjunctions_are_dropped() {
        let eq = |f: &str, v: &str| Pred::Eq { field: f.into(), value: v.into() };
        let tcp = vec![eq("proto", "tcp")];
        let leaf = vec![eq("proto", "tcp"), eq("dst_port", "88")];
        let udp = vec![eq("proto", "udp"), eq("dst_port", "53")];
        // A leaf under a group that is in adds nothing, in either order; a repeat neither.
        let any_of = vec![leaf.clone(), tcp.clone(), udp.clone(), tcp.clone()];
        assert_eq!(without_implied(&any_of), vec![&tcp, &udp]);
        // Unrelated conjunctions all stay.
        let other = vec![eq("proto", "udp")];
        assert_eq!(without_implied(&[leaf.clone(), other.clone()]), vec![&leaf, &other]);
    }

    #[test]
    fn one_clause_per_view_and_crossfilter_others() {
        let mut h = SelectionHistory::default();
        h.set(1, Some(Clause::values("dst_port", ["80".to_string()], false)), false);
        h.set(1, Some(Clause::values("dst_port", ["443".to_string()], false)), false);
        h.set(2, Some(Clause::Time { start_us: 0, end_us: 10 }), false);
        assert_eq!(h.current().clauses.len(), 2);
        let others: Vec<_> = h.current().others(1).map(|(v, _)| *v).collect();
        assert_eq!(others, vec![2]);
    }

    #[test]
    fn undo_redo_and_drag_coalescing() {
        let mut h = SelectionHistory::default();
        h.set(2, Some(Clause::Time { start_us: 0, end_us: 10 }), false);
        h.set(2, Some(Clause::Time { start_us: 0, end_us: 20 }), true);
        h.set(2, Some(Clause::Time { start_us: 0, end_us: 30 }), true);
        assert!(h.undo());
        assert!(h.current().is_empty(), "a drag undoes as one step");
        assert!(h.redo());
        assert_eq!(h.current().clauses[&2], Clause::Time { start_us: 0, end_us: 30 });
        h.clear_all();
        assert!(h.current().is_empty());
        assert!(h.undo());
        assert_eq!(h.current().clauses.len(), 1);
    }

    #[test]
    fn chips_drop_prefixes_implied_by_an_address() {
        let c = Clause::Match {
            any_of: vec![vec![
                Pred::InPrefix { field: "dst_ip".into(), prefix: "10.1.0.0/16".into() },
                Pred::Eq { field: "dst_ip".into(), value: "10.1.2.3".into() },
                Pred::Eq { field: "proto".into(), value: "tcp".into() },
            ]],
            negate: false,
        };
        assert_eq!(c.describe(), "dst_ip = 10.1.2.3 and proto = tcp");
    }

    #[test]
    fn chips_read_well() {
        assert_eq!(
            Clause::values("dst_port", ["80".into(), "443".into()], false).describe(),
            "dst_port in {80, 443}"
        );
        assert_eq!(Clause::values("src_ip", ["10.9.81.5".into()], true).describe(), "not src_ip 10.9.81.5");
        let t = Clause::Time { start_us: 1_364_803_200_000_000, end_us: 1_364_817_600_000_000 };
        assert_eq!(t.describe(), "time 2013-04-01 08:00 to 12:00");
    }
}
