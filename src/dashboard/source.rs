//! Where a wall's rows come from: files followed as they grow (`data::live`), or a file that
//! cannot be followed (gzip, Parquet, binary captures) read once. One [`Source::refresh`] reads
//! what is new and recomputes the wall; the window runs it on a background job, `brushfire
//! dashboard` runs it once.
use super::{compute, DashboardConfig, Wall};
use crate::data::live::{self, Follower};
use crate::data::load::LoadOptions;
use crate::data::{load_paths, LoadControl, Table};
use std::path::{Path, PathBuf};

pub struct Source {
    pub paths: Vec<PathBuf>,
    pub opts: LoadOptions,
    pub table: Table,
    /// `None`: read once (not followable).
    follower: Option<Follower>,
    loaded: bool,
}

/// What a refresh produced.
#[derive(Debug, Clone)]
pub struct Refreshed {
    pub wall: Wall,
    /// Rows added by this refresh (all rows on the first).
    pub new_rows: usize,
    pub rows: usize,
    pub rejected: u64,
    pub following: bool,
    /// Files left out (not logs, another format), with why.
    pub skipped: Vec<String>,
    pub format: String,
}

/// Whether a path can be followed line by line: a plain-text log or a folder of them.
fn followable(p: &Path) -> bool {
    if p.is_dir() {
        // A folder of compressed or binary files is read once.
        return crate::data::load::list_dir(p)
            .map(|fs| fs.iter().all(|f| followable_file(f)))
            .unwrap_or(false);
    }
    followable_file(p)
}

fn followable_file(p: &Path) -> bool {
    let gz = std::fs::File::open(p)
        .and_then(|mut f| {
            let mut m = [0u8; 2];
            std::io::Read::read(&mut f, &mut m).map(|n| n == 2 && m == [0x1f, 0x8b])
        })
        .unwrap_or(true);
    use crate::data::formats::Detected;
    !gz && matches!(
        crate::data::load::detect_file(p),
        Ok(Detected::Lines(_)
            | Detected::Vast(_)
            | Detected::Argus(_)
            | Detected::NfdumpCsv
            | Detected::ZeekTsv
            | Detected::GenericDelimited(_))
    )
}

impl Source {
    pub fn open(paths: Vec<PathBuf>, opts: LoadOptions) -> Self {
        let follow = !paths.is_empty() && paths.iter().all(|p| followable(p));
        Source {
            table: live::empty_table(&paths),
            follower: follow.then(|| Follower::new(&paths)),
            paths,
            opts,
            loaded: false,
        }
    }

    pub fn following(&self) -> bool {
        self.follower.is_some()
    }

    /// Reads what is new (everything, the first time) and computes the wall for `clock_us`.
    pub fn refresh(&mut self, cfg: &DashboardConfig, clock_us: i64) -> Result<Refreshed, String> {
        let before = self.table.rows();
        let mut skipped = Vec::new();
        match &mut self.follower {
            Some(f) => {
                let batches = f.poll().map_err(|e| e.to_string())?;
                let applied =
                    live::apply(&mut self.table, f, batches, &self.opts).map_err(|e| e.to_string())?;
                skipped = applied.skipped;
            }
            None if !self.loaded => {
                self.table = load_paths(&self.paths, &self.opts, &LoadControl::default())
                    .map_err(|e| e.to_string())?;
            }
            None => {}
        }
        self.loaded = true;
        let wall = compute(&self.table.df, cfg, clock_us).map_err(|e| e.to_string())?;
        Ok(Refreshed {
            wall,
            new_rows: self.table.rows() - before,
            rows: self.table.rows(),
            rejected: self.table.rejected.total,
            following: self.following(),
            skipped,
            format: self.table.format.clone(),
        })
    }
}

/// The sources and settings a `--dashboard` argument names: a workspace (`*.brushfire`: its
/// sources, load settings and dashboard settings) or files and folders.
pub fn resolve_args(
    args: &[PathBuf],
) -> Result<(Vec<PathBuf>, Option<DashboardConfig>, crate::workspace::LoadSettings), String> {
    if let [one] = args {
        if one.extension().is_some_and(|e| e == "brushfire") {
            let ws = crate::workspace::Workspace::read(one).map_err(|e| e.to_string())?;
            let paths = ws.source_paths(one).into_iter().map(|(p, _)| p).collect();
            return Ok((paths, Some(ws.dashboard.clone()), ws.load.clone()));
        }
    }
    Ok((args.to_vec(), None, Default::default()))
}
