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
use crate::linking::needs::{Need, Output};
use crate::linking::selection::{Clause, Selection, ViewId};
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

    /// A lower bound on the records meeting `clause` (view `owner`'s), from that list's last
    /// output: the counts of its picked values. `None` when it cannot be told.
    fn clause_rows_at_least(&self, owner: ViewId, clause: &Clause) -> Option<i64> {
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
    /// Only for an engine on this machine; a cluster keeps its records.
    pub(super) fn choose_subset(
        &mut self,
        sel: &Selection,
        remote: &BTreeMap<ViewId, Need>,
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
            let texts: Vec<String> = users.iter().flat_map(|(v, n)| self.need_texts(sel, **v, n)).collect();
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

    /// The subset's records, when one is held (the bench and tests report it).
    pub fn subset_rows(&self) -> Option<usize> {
        self.subset.as_ref().map(|s| s.engine.rows())
    }
}
