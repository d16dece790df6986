//! A click's round trip over a lake on this machine reads the lake once, not once per view
//! (Mosaic's shared filter). After a click in view A, every other view's queries (their main
//! histogram, both comparison windows, the records count) are filtered by A's clause. When few
//! records meet that clause, they are fetched once, with only the columns those queries read, and
//! the same SQL then runs over them in memory: the answers are the lake's, because every row those
//! queries count is in the subset. View A itself (filtered by the other clauses only) still goes
//! to the lake, or keeps its output when only its own clause changed.
//!
//! At 100 M flows each view's query is a scan of seconds; a click on a source of a million flows
//! then costs one scan, and the next clicks that keep that source selected cost none.
use super::pushdown::LakeSession;
use super::sql;
use super::{BackendError, Dialect, SqlEngine};
use crate::linking::needs::{Need, Output, TreeLeaf};
use crate::linking::selection::{Clause, Pred, Selection, ViewId};
use polars::prelude::*;
use polars::sql::SQLContext;
use std::collections::BTreeMap;
use std::path::Path;

/// Most records a subset may hold. Only the columns the views read are kept (about 60 bytes a
/// record for the VAST layout's views), so this bounds it to a few hundred MB.
pub const SUBSET_MAX_ROWS: usize = 4_000_000;

/// [`SqlEngine`] over a table in memory: the subset of a lake the views' queries need.
pub struct FrameEngine {
    df: DataFrame,
    what: String,
}

impl FrameEngine {
    pub fn new(df: DataFrame, what: String) -> Self {
        Self { df, what }
    }

    pub fn rows(&self) -> usize {
        self.df.height()
    }
}

impl SqlEngine for FrameEngine {
    fn describe(&self) -> String {
        self.what.clone()
    }

    fn dialect(&self) -> Dialect {
        Dialect::Polars
    }

    fn schema(&self) -> Result<Schema, BackendError> {
        Ok(self.df.schema().as_ref().clone())
    }

    fn query(&self, sql: &str, _tag: &str) -> Result<DataFrame, BackendError> {
        let fail =
            |reason: String| BackendError::Query { engine: self.describe(), sql: sql.to_string(), reason };
        let mut ctx = SQLContext::new();
        ctx.register("logs", self.df.clone().lazy());
        // On the streaming engine, as the lake's own queries run: polars 0.55's in-memory engine
        // gave a shared subexpression the height 1 beside the frame's columns (its debug build
        // panics on that).
        let lf = ctx.execute(sql).map_err(|e| fail(e.to_string()))?;
        match crate::guard::contain("subset query", &self.what, || lf.collect_with_engine(Engine::Streaming))
        {
            Ok(r) => r.map(|r| r.unwrap_single()).map_err(|e| fail(e.to_string())),
            Err(panic) => Err(fail(panic.to_string())),
        }
    }

    /// A query over a bounded subset in memory takes milliseconds: nothing to stop.
    fn cancel(&self, _tag: &str) {}

    fn write_parquet(&self, _sql: &str, out_dir: &Path, _by: &[&str]) -> Result<u64, BackendError> {
        Err(BackendError::Other(format!(
            "{}: a subset in memory does not write datasets; write from the lake",
            out_dir.display()
        )))
    }

    fn concurrent_queries(&self) -> bool {
        false
    }
}

/// The records meeting one view's clause, fetched for the other views' queries.
pub struct Subset {
    /// The view whose clause it is, and that clause as SQL.
    pub owner: ViewId,
    pub clause_sql: String,
    /// The lake's columns it holds.
    pub columns: Vec<String>,
    pub engine: FrameEngine,
}

/// The records of a treemap's `leaves` that lie wholly within `clause`: those of each leaf whose
/// path names, at levels of the predicates' fields and kinds, every label of one of its
/// conjunctions (a click on a group or a leaf, or several). For an exclusion, those of each leaf
/// that lies wholly outside what it excludes: whose path, in every conjunction, names a label
/// that rules one predicate out (another value of the field, or a prefix disjoint from it). The
/// clicks of a treemap over 100 M flows each hold more records than a subset may, and fetching up
/// to the cap only to learn it took 0.2-0.4 s a click (0.16 s for the exclusion of a /16).
fn tree_rows_within(levels: &[String], leaves: &[TreeLeaf], clause: &Clause) -> Option<i64> {
    let Clause::Match { any_of, negate } = clause else {
        return None;
    };
    let names = |pred: &Pred, path: &[String]| {
        levels.iter().zip(path).any(|(level, label)| match (pred, super::pushdown::split_level(level)) {
            (Pred::Eq { field, value }, (f, None)) => f == field && label == value,
            (Pred::InPrefix { field, prefix }, (f, Some(_))) => f == field && label == prefix,
            _ => false,
        })
    };
    let rules_out = |pred: &Pred, path: &[String]| {
        levels.iter().zip(path).any(|(level, label)| match (pred, super::pushdown::split_level(level)) {
            (Pred::Eq { field, value }, (f, None)) => f == field && label != value,
            (Pred::InPrefix { field, prefix }, (f, Some(_))) => f == field && disjoint(label, prefix),
            _ => false,
        })
    };
    let counted = |path: &[String]| {
        if *negate {
            any_of.iter().all(|conj| conj.iter().any(|p| rules_out(p, path)))
        } else {
            any_of.iter().any(|conj| !conj.is_empty() && conj.iter().all(|p| names(p, path)))
        }
    };
    Some(leaves.iter().filter(|l| counted(&l.path)).map(|l| l.value).sum())
}

/// Whether no record of the treemap group `label` (a prefix, or the non-addresses) can be in
/// the prefix `prefix` (or among the non-addresses): two prefixes are disjoint when neither holds
/// the other. A label or prefix that reads as neither rules nothing out.
fn disjoint(label: &str, prefix: &str) -> bool {
    use crate::data::net::{addr_in_prefix, parse_prefix, NON_IP};
    if label == prefix {
        return false;
    }
    if label == NON_IP || prefix == NON_IP {
        return parse_prefix(if label == NON_IP { prefix } else { label }).is_some();
    }
    match (parse_prefix(label), parse_prefix(prefix)) {
        (Some(a), Some(b)) => !addr_in_prefix(a.0, b) && !addr_in_prefix(b.0, a),
        _ => false,
    }
}

impl LakeSession {
    /// The SQL texts the queries of `view`'s need run; what a subset must hold columns for. The
    /// records page's own rows are always read from the lake (every column); its count and time
    /// bound read the filter's columns and the time.
    fn need_texts(&self, sel: &Selection, view: ViewId, need: &Need) -> Vec<String> {
        let d = self.engine.dialect();
        match need {
            Need::Table { .. } => vec![self.conditions().others(sel, view), sql::ident(d, "time")],
            _ => self.grouped(sel, view, need).map(|g| g.sql()).into_iter().collect(),
        }
    }

    /// A lower bound on the records meeting `clause` (view `owner`'s), from that view's last
    /// output: the counts of a list's picked values, or of a treemap's leaves within its picked
    /// groups. `None` when it cannot be told.
    pub(super) fn clause_rows_at_least(&self, owner: ViewId, clause: &Clause) -> Option<i64> {
        if let Some(Output::Tree { levels, measure, leaves, .. }) = self.last_output(owner) {
            return (measure == "count").then(|| tree_rows_within(levels, leaves, clause)).flatten();
        }
        let (field, values, negate) = clause.as_values()?;
        let Some(Output::TopN { field: f, measure, total, entries, .. }) = self.last_output(owner) else {
            return None;
        };
        if f != field || measure != "count" {
            return None;
        }
        let mut picked = 0;
        for v in &values {
            picked += entries.iter().find(|e| e.label == *v)?.value;
        }
        Some(if negate { total - picked } else { picked })
    }

    /// Picks the subset the queries of `remote` (the needs not answered otherwise) run over: the
    /// records of one view's clause, fetched once (or kept from an earlier request) when they are
    /// at most `subset_max_rows`. Returns its owner: every view but that one reads the subset.
    /// Only for an engine on this machine; a cluster keeps its records. It holds the columns every
    /// view of `needs` but the owner reads, not only those asked now: the cube of a view entered
    /// next reads its parts filtered by the owner's clause from it (`subset_answers`).
    pub(super) fn choose_subset(
        &mut self,
        sel: &Selection,
        remote: &BTreeMap<ViewId, Need>,
        needs: &BTreeMap<ViewId, Need>,
        tag: &str,
    ) -> Result<Option<ViewId>, BackendError> {
        if self.engine.concurrent_queries() || self.subset_max_rows == 0 {
            self.subset = None;
            return Ok(None);
        }
        let c = self.conditions();
        // Each view's clause, as the other views' queries state it.
        let clauses: Vec<(ViewId, String, &Clause)> = sel
            .clauses
            .iter()
            .filter(|(_, cl)| matches!(cl, Clause::Match { .. }))
            .map(|(v, cl)| (*v, c.clause(cl), cl))
            .collect();
        // A subset of a clause no longer selected is of no more use.
        if let Some(s) = &self.subset {
            if !clauses.iter().any(|(v, q, _)| *v == s.owner && *q == s.clause_sql) {
                self.subset = None;
            }
        }
        let schema_cols: Vec<String> = self.schema().iter_names().map(|n| n.to_string()).collect();
        let d = self.engine.dialect();
        let mut candidates = Vec::new();
        for (owner, clause_sql, clause) in clauses {
            let users: Vec<(&ViewId, &Need)> = remote.iter().filter(|(v, _)| **v != owner).collect();
            // One query over the lake costs as much as fetching the subset.
            if users.len() < 2 {
                continue;
            }
            let texts: Vec<String> = needs
                .iter()
                .filter(|(v, _)| **v != owner)
                .flat_map(|(v, n)| self.need_texts(sel, *v, n))
                .collect();
            let columns: Vec<String> = schema_cols
                .iter()
                .filter(|col| {
                    let id = sql::ident(d, col);
                    texts.iter().any(|t| t.contains(&id))
                })
                .cloned()
                .collect();
            if let Some(s) = &self.subset {
                if s.owner == owner
                    && s.clause_sql == clause_sql
                    && columns.iter().all(|c| s.columns.contains(c))
                {
                    return Ok(Some(owner));
                }
            }
            let at_least = self.clause_rows_at_least(owner, clause);
            if at_least.is_some_and(|n| n > self.subset_max_rows as i64)
                || self.subset_too_big.get(&clause_sql).is_some_and(|cap| *cap >= self.subset_max_rows)
            {
                continue;
            }
            candidates.push((at_least.unwrap_or(i64::MAX), owner, clause_sql, columns));
        }
        // The smallest known one first; one fetch per request at most.
        candidates.sort_by_key(|c| c.0);
        let Some((_, owner, clause_sql, columns)) = candidates.into_iter().next() else {
            return Ok(None);
        };
        let cols = if columns.is_empty() {
            // Only counts are read: any one column carries the rows.
            match schema_cols.first() {
                Some(c) => sql::ident(d, c),
                None => return Ok(None),
            }
        } else {
            columns.iter().map(|c| sql::ident(d, c)).collect::<Vec<_>>().join(", ")
        };
        let cap = self.subset_max_rows;
        // The subset held goes before the next is read, as a cube does.
        if self.subset.take().is_some() {
            crate::alloc::release_free_memory();
        }
        let df = self
            .engine
            .query(&format!("SELECT {cols} FROM logs WHERE {clause_sql} LIMIT {}", cap + 1), tag)?;
        if df.height() > cap {
            self.subset_too_big.insert(clause_sql, cap);
            return Ok(None);
        }
        let what = format!("{} where {clause_sql}", self.engine.describe());
        self.subset = Some(Subset { owner, clause_sql, columns, engine: FrameEngine::new(df, what) });
        Ok(Some(owner))
    }

    /// Whether the subset held has every record part `id` of `view`'s cube counts, and every column
    /// its SQL `part_sql` reads: the part is then read from memory. A part is filtered by every
    /// clause but the two views' own (`base` is the selection without `view`'s), so it counts only
    /// records meeting the owner's clause when the owner is neither view. A time cube's records per
    /// bin (`id` < 0) are unfiltered.
    pub(super) fn subset_answers(&self, view: ViewId, base: &Selection, id: i64, part_sql: &str) -> bool {
        let Some(s) = &self.subset else { return false };
        if id < 0 || s.owner == view || s.owner as i64 == id {
            return false;
        }
        let c = self.conditions();
        if base.clauses.get(&s.owner).map(|cl| c.clause(cl)).as_ref() != Some(&s.clause_sql) {
            return false;
        }
        let d = self.engine.dialect();
        self.schema()
            .iter_names()
            .filter(|col| part_sql.contains(&sql::ident(d, col)))
            .all(|col| s.columns.iter().any(|h| h.as_str() == col.as_str()))
    }

    /// The subset's records, when one is held (the bench and tests report it).
    pub fn subset_rows(&self) -> Option<usize> {
        self.subset.as_ref().map(|s| s.engine.rows())
    }
}

#[cfg(test)]
mod tests {
    use super::super::cube_store::CubeStore;
    use super::super::parquet::tests::lake_beside_memory;
    use super::super::testing::canonical;
    use crate::linking::needs::{Need, Output};
    use crate::linking::selection::{Clause, Pred, Selection};
    use polars::prelude::DataFrame;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    fn needs() -> Vec<(crate::linking::selection::ViewId, Need)> {
        vec![
            (1, Need::Time { measure: "count".into(), split: None }),
            (10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() }),
            (11, Need::TopN { field: "dst_port".into(), offset: 0, limit: 10, measure: "count".into() }),
            (12, Need::TopN { field: "proto".into(), offset: 0, limit: 10, measure: "bytes".into() }),
            (20, Need::Table { offset: 0, limit: 20, sort: None }),
            (40, Need::Tuples { fields: vec!["src_ip".into(), "dst_port".into()] }),
        ]
    }

    #[test]
    fn a_treemap_click_counts_the_leaves_within_its_groups() {
        use crate::linking::needs::TreeLeaf;
        let levels = vec!["dst_ip/16".to_string(), "dst_ip/24".to_string(), "dst_port".to_string()];
        let leaf = |path: &[&str], value| TreeLeaf {
            path: path.iter().map(|p| p.to_string()).collect::<Vec<_>>().into(),
            value,
            cur: None,
            prev: None,
        };
        let leaves = vec![
            leaf(&["10.1.0.0/16", "10.1.2.0/24", "80"], 5),
            leaf(&["10.1.0.0/16", "10.1.2.0/24", "443"], 7),
            leaf(&["10.1.0.0/16", "10.1.3.0/24", "80"], 11),
            leaf(&["10.2.0.0/16", "10.2.2.0/24", "80"], 13),
        ];
        let prefix = |p: &str| Pred::InPrefix { field: "dst_ip".into(), prefix: p.into() };
        let port = |v: &str| Pred::Eq { field: "dst_port".into(), value: v.into() };
        let clause = |any_of, negate| Clause::Match { any_of, negate };
        let within = |c: &Clause| super::tree_rows_within(&levels, &leaves, c);
        assert_eq!(within(&clause(vec![vec![prefix("10.1.0.0/16")]], false)), Some(23));
        assert_eq!(
            within(&clause(vec![vec![prefix("10.1.0.0/16"), prefix("10.1.2.0/24")]], false)),
            Some(12)
        );
        let leaf_80 = vec![prefix("10.1.0.0/16"), prefix("10.1.2.0/24"), port("80")];
        assert_eq!(within(&clause(vec![leaf_80.clone(), vec![prefix("10.2.0.0/16")]], false)), Some(18));
        // A label at a level of another kind says nothing of the records (a port is no prefix).
        assert_eq!(within(&clause(vec![vec![prefix("80")]], false)), Some(0));
        // An exclusion counts the leaves it rules out wholly: another /16, another port.
        assert_eq!(within(&clause(vec![vec![prefix("10.1.0.0/16")]], true)), Some(13));
        assert_eq!(within(&clause(vec![leaf_80.clone()], true)), Some(7 + 11 + 13));
        assert_eq!(within(&clause(vec![vec![prefix("10.1.2.0/24")]], true)), Some(11 + 13));
        // A /8 holds both /16s; a /20 within 10.1.0.0/16 holding both its /24s rules out 10.2 alone.
        assert_eq!(within(&clause(vec![vec![prefix("10.0.0.0/8")]], true)), Some(0));
        assert_eq!(within(&clause(vec![vec![prefix("10.1.0.0/20")]], true)), Some(13));
        assert_eq!(within(&clause(vec![vec![prefix("10.1.0.0/16")], leaf_80], true)), Some(13));
    }

    #[test]
    fn a_treemap_click_holding_more_records_than_a_subset_may_is_not_fetched_to_learn_it() {
        let tree =
            Need::Tree { levels: vec!["src_ip/16".into(), "src_ip/24".into()], measure: "count".into() };
        let (_dir, mut lake, mut memory, req) =
            lake_beside_memory(4000, 23, needs().into_iter().chain([(30, tree)]).collect());
        let first = lake.run(&req(1, &Selection::default()), "t");
        let Some(Output::Tree { leaves, .. }) = first.outputs.get(&30) else { panic!() };
        let mut groups = std::collections::BTreeMap::<String, i64>::new();
        for l in leaves {
            *groups.entry(l.path[0].clone()).or_default() += l.value;
        }
        let mut groups: Vec<(String, i64)> = groups.into_iter().collect();
        groups.sort_by_key(|(_, n)| -n);
        let click = |group: &str| {
            let prefix = Pred::InPrefix { field: "src_ip".into(), prefix: group.into() };
            let mut sel = Selection::default();
            sel.clauses.insert(30, Clause::Match { any_of: vec![vec![prefix]], negate: false });
            sel
        };
        let check = |lake: &mut super::LakeSession,
                     memory: &mut crate::linking::coordinator::Session,
                     seq,
                     sel: &Selection| {
            let r = req(seq, sel);
            let (got, want) = (lake.run(&r, "t"), memory.run(&r));
            for v in [1, 10, 11, 12, 40] {
                let c = |o| canonical(o, &DataFrame::empty());
                assert_eq!(c(&got.outputs[&v]), c(&want.outputs[&v]), "view {v}");
            }
        };
        // The largest group's records, as the treemap counts them, are over the cap: nothing is
        // fetched.
        let (largest, smaller) = (&groups[0], &groups[1]);
        lake.subset_max_rows = largest.1 as usize - 1;
        check(&mut lake, &mut memory, 2, &click(&largest.0));
        assert_eq!(lake.subset_rows(), None);
        assert!(lake.subset_too_big.is_empty(), "no fetch up to the cap to learn it");
        // A group with room for its records: they are fetched once and serve the other views.
        check(&mut lake, &mut memory, 3, &click(&smaller.0));
        assert_eq!(lake.subset_rows(), Some(smaller.1 as usize));
    }

    #[test]
    fn after_a_click_held_in_memory_entering_a_view_reads_the_parts_it_filters_from_memory() {
        let (_dir, mut lake, mut memory, req) = lake_beside_memory(4000, 23, needs());
        let first = lake.run(&req(1, &Selection::default()), "t");
        let Some(Output::TopN { entries, .. }) = first.outputs.get(&10) else { panic!() };
        let src = entries[0].label.clone();
        // A click on the busiest source: its records are fetched once for the other views.
        let mut sel = Selection::default();
        sel.clauses.insert(10, Clause::values("src_ip", [src.clone()], false));
        lake.run(&req(2, &sel), "t");
        assert!(lake.subset_rows().is_some(), "the source's records are held");
        let same =
            |lake: &mut super::LakeSession, memory: &mut crate::linking::coordinator::Session, seq, sel| {
                let r = req(seq, sel);
                let (got, want) = (lake.run(&r, "t"), memory.run(&r));
                assert!(lake.last_local.0 >= 2, "answered from the cube");
                for v in [1, 10, 11, 12, 40] {
                    let c = |o| canonical(o, &DataFrame::empty());
                    assert_eq!(c(&got.outputs[&v]), c(&want.outputs[&v]), "view {v} of {sel:?}");
                }
            };
        // The port list's parts for the time series and the protocols are filtered by the source:
        // read from memory. Its part for the source list is not (a part is never filtered by its
        // own view's clause): read from the lake.
        assert!(lake.hover(11, "cube").unwrap());
        let p = lake.last_cube_parts;
        assert_eq!((p.from_lake, p.from_subset), (1, 2), "{p:?}");
        let mut clicked = sel.clone();
        clicked.clauses.insert(11, Clause::values("dst_port", ["80".to_string()], true));
        same(&mut lake, &mut memory, 3, &clicked);
        lake.run(&req(4, &sel), "t");
        // The graph's cube likewise, and an edge clicked in it.
        assert!(lake.hover(40, "cube").unwrap());
        let p = lake.last_cube_parts;
        assert_eq!((p.from_lake, p.from_subset), (1, 3), "{p:?}");
        let Some(Output::Tuples { tuples, .. }) = memory.run(&req(5, &sel)).outputs.remove(&40) else {
            panic!()
        };
        let [s, d] = <[String; 2]>::try_from(tuples.tuple(0)).unwrap();
        let edge = vec![
            Pred::Eq { field: "src_ip".into(), value: s },
            Pred::Eq { field: "dst_port".into(), value: d },
        ];
        let mut clicked = sel.clone();
        clicked.clauses.insert(40, Clause::Match { any_of: vec![edge], negate: false });
        same(&mut lake, &mut memory, 6, &clicked);
        lake.run(&req(7, &sel), "t");
        // A time cube's records per bin are unfiltered: read from the lake, as is its source part.
        assert!(lake.hover(1, "cube").unwrap());
        let p = lake.last_cube_parts;
        assert_eq!((p.from_lake, p.from_subset), (2, 2), "{p:?}");
        // A subset without a column a part reads does not answer it.
        lake.subset.as_mut().unwrap().columns.retain(|c| c != "proto");
        assert!(lake.hover(11, "cube").unwrap());
        let p = lake.last_cube_parts;
        assert_eq!((p.from_lake, p.from_subset), (2, 1), "{p:?}");
        // Reading ahead leaves to the hover what the subset holds.
        let kept = tempfile::tempdir().unwrap();
        lake.cube_store = Some(Arc::new(CubeStore::new(kept.path().to_path_buf(), 1 << 30)));
        lake.subset.as_mut().unwrap().columns.push("proto".into());
        lake.run(&req(8, &sel), "t");
        let w = lake.warm(12, "ahead", &AtomicBool::new(false)).unwrap();
        assert_eq!((w.read, w.in_subset), (1, 2), "{w:?}");
    }
}
