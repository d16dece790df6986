//! Cube parts kept on disk, the workstation's form of Mosaic's materialized pre-aggregates.
//!
//! A cube part over a 100 M-flow lake is a full scan and a two-key group-by: seconds each, over
//! 20 s a cube on two cores, however the query is written (the protocol column alone takes 2.4 s
//! to read). Its result depends only on its SQL and the lake's files, so it is written here once
//! read and read back the next time the pointer enters that view over the same selection: after
//! a hover elsewhere, after a click is cleared, in the next session. A part is keyed by its SQL
//! and the lake's fingerprint (every file's path, size and modification time), so a lake whose
//! files change gets new parts, never stale ones; and the key is stored in the file and compared,
//! so a hash collision or a damaged file is a miss. The store never holds more than its bound:
//! the least recently used parts go first.
use super::cube_part::Part;
use super::{BackendError, SqlEngine};
use polars::io::ipc::{IpcCompression, IpcStreamReader, IpcStreamWriter};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// What a file holds and how; a new layout gets a new one, so old files are misses.
const MAGIC: &[u8; 8] = b"BFCUBE01";
const EXT: &str = "bfcube";

/// The default bound of the store's bytes on disk (`BRUSHFIRE_CUBE_CACHE_MB`): a 100 M-flow lake's
/// list, time and treemap cubes take about 0.3 GB.
pub const DEFAULT_MAX_BYTES: u64 = 4 << 30;

/// The header of a part's file, before its rows.
#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    /// The whole key ([`CubeStore::key_text`]) the file was written for.
    key: String,
    /// A part's bin labels, by code (empty for a time cube's records per bin).
    labels: Vec<String>,
    /// Rows of the frame that follows, and the hash of its bytes: a file cut short or changed
    /// on disk is a miss, never a cube with other numbers.
    rows: usize,
    sum: String,
}

/// Parts on disk in one folder, with what they saved.
pub struct CubeStore {
    dir: PathBuf,
    max_bytes: u64,
    /// Parts read from disk, and parts read from the lake and written here, since it was made.
    pub hits: AtomicU64,
    pub saved: AtomicU64,
}

/// A 64-bit FNV-1a hash from `basis`: stable across builds and platforms, unlike `std`'s.
fn fnv1a(basis: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(basis, |h, b| (h ^ *b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

/// 128 bits of hash as hex, from two FNV-1a bases: a file name that two keys share by chance
/// only costs a miss (the key in the file is compared).
pub fn hash_hex(bytes: impl AsRef<[u8]>) -> String {
    let b = bytes.as_ref();
    format!("{:016x}{:016x}", fnv1a(0xcbf2_9ce4_8422_2325, b), fnv1a(0x6c62_272e_07bb_0142, b))
}

impl CubeStore {
    pub fn new(dir: PathBuf, max_bytes: u64) -> Self {
        Self { dir, max_bytes, hits: AtomicU64::new(0), saved: AtomicU64::new(0) }
    }

    /// The store the app uses: `$BRUSHFIRE_CACHE_DIR/cubes`, else `$XDG_CACHE_HOME/brushfire/cubes`,
    /// else `~/.cache/brushfire/cubes`, bounded by `$BRUSHFIRE_CUBE_CACHE_MB` (default
    /// [`DEFAULT_MAX_BYTES`]); none with `BRUSHFIRE_CUBE_CACHE=off` or without a home.
    pub fn from_env() -> Option<Self> {
        if std::env::var("BRUSHFIRE_CUBE_CACHE").is_ok_and(|v| v.eq_ignore_ascii_case("off")) {
            return None;
        }
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let base = var("BRUSHFIRE_CACHE_DIR")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("brushfire")))
            .or_else(|| var("HOME").map(|h| h.join(".cache").join("brushfire")))?;
        let max = std::env::var("BRUSHFIRE_CUBE_CACHE_MB")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(DEFAULT_MAX_BYTES, |mb| mb << 20);
        Some(Self::new(base.join("cubes"), max))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key of a part: the store's layout, this build's version, the lake and the part's SQL.
    fn key_text(lake: &str, sql: &str) -> String {
        format!("{}\n{}\n{lake}\n{sql}", String::from_utf8_lossy(MAGIC), env!("CARGO_PKG_VERSION"))
    }

    fn path_of(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{}.{EXT}", hash_hex(key)))
    }

    /// The part of `sql` over the lake `lake` (its fingerprint) with `n_keys` key columns, if
    /// stored.
    pub(super) fn load_part(&self, lake: &str, sql: &str, n_keys: usize) -> Option<Part> {
        let (labels, df) = self.read(lake, sql)?;
        let part = Part::from_frame(&df, n_keys, labels);
        self.count_hit(part.is_some(), lake, sql).then_some(part).flatten()
    }

    /// A time cube's records per bin start over `lake`, if stored.
    pub(super) fn load_bins(&self, lake: &str, sql: &str) -> Option<BTreeMap<i64, i64>> {
        let (_, df) = self.read(lake, sql)?;
        let bins = (|| {
            let (s, n) = (df.column("start").ok()?.i64().ok()?, df.column("n").ok()?.i64().ok()?);
            s.iter().zip(n.iter()).map(|(s, n)| Some((s?, n?))).collect::<Option<BTreeMap<_, _>>>()
        })();
        self.count_hit(bins.is_some(), lake, sql).then_some(bins).flatten()
    }

    /// The result of `sql` over `lake`, if kept ([`Self::save_frame`]).
    pub(super) fn load_frame(&self, lake: &str, sql: &str) -> Option<DataFrame> {
        let df = self.read(lake, sql).map(|(_, df)| df);
        if df.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        df
    }

    /// Whether a result of `sql` over `lake` may be kept (its file is there; [`Self::load_frame`]
    /// tells whether it reads back whole).
    pub(super) fn has_frame(&self, lake: &str, sql: &str) -> bool {
        self.path_of(&Self::key_text(lake, sql)).is_file()
    }

    /// Keeps a query's result as it came from the lake (a view's answer, the lake's stats).
    pub(super) fn save_frame(&self, lake: &str, sql: &str, df: &DataFrame) {
        self.write(lake, sql, &[], &mut df.clone());
    }

    /// Keeps that the part of `sql` was over the room `room` (read in full or in part): with as
    /// little room or less it is refused again without reading the lake.
    pub(super) fn save_refusal(&self, lake: &str, sql: &str, room: usize) {
        let col = Column::new("room".into(), [room as u64]);
        if let Ok(df) = DataFrame::new_infer_height(vec![col]) {
            self.save_frame(lake, &format!("refused\n{sql}"), &df);
        }
    }

    /// The room the part of `sql` was refused at, if kept.
    pub(super) fn refused_at(&self, lake: &str, sql: &str) -> Option<usize> {
        let df = self.load_frame(lake, &format!("refused\n{sql}"))?;
        df.column("room").ok()?.u64().ok()?.get(0).map(|r| r as usize)
    }

    /// Whether a file is kept for `sql` over `lake`: a part, records per bin or an answer (not
    /// read, so neither checked nor counted as used; a damaged one is found when it is read).
    pub(super) fn holds(&self, lake: &str, sql: &str) -> bool {
        self.path_of(&Self::key_text(lake, sql)).is_file()
    }

    /// Counts a hit; a file that did not read as what its key says is removed.
    fn count_hit(&self, ok: bool, lake: &str, sql: &str) -> bool {
        if ok {
            self.hits.fetch_add(1, Ordering::Relaxed);
        } else {
            let _ = std::fs::remove_file(self.path_of(&Self::key_text(lake, sql)));
        }
        ok
    }

    pub(super) fn save_part(&self, lake: &str, sql: &str, part: &Part, n_keys: usize) {
        if let Ok(mut df) = part.to_frame(n_keys) {
            self.write(lake, sql, &part.labels, &mut df);
        }
    }

    pub(super) fn save_bins(&self, lake: &str, sql: &str, bins: &BTreeMap<i64, i64>) {
        let cols = vec![
            Column::new("start".into(), bins.keys().copied().collect::<Vec<i64>>()),
            Column::new("n".into(), bins.values().copied().collect::<Vec<i64>>()),
        ];
        if let Ok(mut df) = DataFrame::new_infer_height(cols) {
            self.write(lake, sql, &[], &mut df);
        }
    }

    /// The labels and rows stored under this key; `None` when there are none or the file is not
    /// one of ours for it (each read touches the file: the least recently used go first).
    fn read(&self, lake: &str, sql: &str) -> Option<(Vec<String>, DataFrame)> {
        let key = Self::key_text(lake, sql);
        let path = self.path_of(&key);
        let mut f = std::fs::File::open(&path).ok()?;
        let damaged = || {
            let _ = std::fs::remove_file(&path);
        };
        let header = (|| -> Option<Header> {
            let mut head = [0u8; 16];
            f.read_exact(&mut head).ok()?;
            if &head[..8] != MAGIC {
                return None;
            }
            let len = u64::from_le_bytes(head[8..16].try_into().ok()?);
            let mut json = vec![0u8; usize::try_from(len).ok().filter(|l| *l < 1 << 30)?];
            f.read_exact(&mut json).ok()?;
            serde_json::from_slice(&json).ok()
        })();
        let Some(header) = header else {
            damaged();
            return None;
        };
        if header.key != key {
            // Another key with the same hash: a miss, and the file stays.
            return None;
        }
        let mut body = Vec::new();
        if f.read_to_end(&mut body).is_err() || hash_hex(&body) != header.sum {
            damaged();
            return None;
        }
        let df = match IpcStreamReader::new(std::io::Cursor::new(body)).finish() {
            Ok(df) if df.height() == header.rows => df,
            _ => {
                damaged();
                return None;
            }
        };
        let _ = f.set_modified(std::time::SystemTime::now());
        Some((header.labels, df))
    }

    /// Writes the key's file atomically, then keeps the store under its bound. A store that cannot
    /// be written only costs the next hover its time: the cube itself is unaffected.
    fn write(&self, lake: &str, sql: &str, labels: &[String], df: &mut DataFrame) {
        let key = Self::key_text(lake, sql);
        let path = self.path_of(&key);
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let mut body = Vec::new();
        if IpcStreamWriter::new(&mut body).with_compression(Some(IpcCompression::LZ4)).finish(df).is_err() {
            return;
        }
        let header = Header { key, labels: labels.to_vec(), rows: df.height(), sum: hash_hex(&body) };

        let Ok(json) = serde_json::to_vec(&header) else { return };
        let written = crate::data::atomic::write_atomic(&path, &[], |w| {
            let io = |e: std::io::Error| crate::data::error::DataError::io(&path, e);
            w.write_all(MAGIC).map_err(io)?;
            w.write_all(&(json.len() as u64).to_le_bytes()).map_err(io)?;
            w.write_all(&json).map_err(io)?;
            w.write_all(&body).map_err(io)
        });
        if written.is_ok() {
            self.saved.fetch_add(1, Ordering::Relaxed);
            self.evict();
        }
    }

    /// Files of the store, oldest read first, with their bytes.
    fn files(&self) -> Vec<(std::time::SystemTime, u64, PathBuf)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Vec::new() };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == EXT))
            .filter_map(|p| {
                let m = std::fs::metadata(&p).ok()?;
                Some((m.modified().ok()?, m.len(), p))
            })
            .collect();
        files.sort();
        files
    }

    /// Removes every part and answer kept; returns how many files and bytes went.
    pub fn clear(&self) -> (usize, u64) {
        let (mut n, mut bytes) = (0, 0);
        for (_, len, path) in self.files() {
            if std::fs::remove_file(&path).is_ok() {
                n += 1;
                bytes += len;
            }
        }
        (n, bytes)
    }

    /// Bytes the store holds on disk.
    pub fn bytes(&self) -> u64 {
        self.files().iter().map(|f| f.1).sum()
    }

    /// Removes the least recently read parts until the store is within its bound.
    fn evict(&self) {
        let files = self.files();
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        for (_, len, path) in files {
            if total <= self.max_bytes {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }
}

/// A query over the lake that took this long is worth keeping in the cube store (its result is
/// read back in milliseconds); quicker ones are asked again.
pub const KEEP_MIN_MS: u128 = 300;
/// Most rows of a query result kept in the cube store (a view's answer, not a cube's part).
const KEEP_MAX_ROWS: usize = 2_000_000;

impl super::pushdown::LakeSession {
    /// `sql` over `eng`; over the lake itself with a store, its result is read from the store
    /// when these files answered it before, and kept there when it took long (a reopened 100 M
    /// lake's first answer took 14 s). Records held in memory (a subset) are quick already.
    pub(super) fn query_kept(
        &self,
        eng: &dyn SqlEngine,
        sql: &str,
        tag: &str,
    ) -> Result<DataFrame, BackendError> {
        let keep = match (&self.cube_store, &self.lake_print) {
            (Some(s), Some(lake)) if std::ptr::addr_eq(eng, &*self.engine) => Some((s, lake)),
            _ => None,
        };
        if let Some(df) = keep.and_then(|(s, lake)| s.load_frame(lake, sql)) {
            return Ok(df);
        }
        let t0 = Instant::now();
        // Run with the request's other queries to the lake (`LakeSession::prefetch`): as slow as
        // they were together.
        let prefetched = if std::ptr::addr_eq(eng, &*self.engine) {
            self.prefetched.lock().ok().and_then(|p| p.get(sql).cloned())
        } else {
            None
        };
        let (df, ms) = match prefetched {
            Some(hit) => hit,
            None => (eng.query(sql, tag)?, t0.elapsed().as_millis()),
        };
        if let Some((s, lake)) = keep {
            if ms >= self.keep_min_ms && df.height() <= KEEP_MAX_ROWS {
                s.save_frame(lake, sql, &df);
            }
        }
        Ok(df)
    }

    /// Takes the lake's fingerprint again when there is a store: files may have changed since the
    /// last request or cube, and what is kept is for the lake as it is now.
    pub(super) fn refresh_lake_print(&mut self) {
        if self.cube_store.is_some() {
            self.lake_print = self.engine.fingerprint();
        }
    }

    pub(super) fn store_hits(&self) -> u64 {
        self.cube_store.as_ref().map_or(0, |s| s.hits.load(std::sync::atomic::Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key's labels and its rows.
    type Keyed<'a> = (&'a [&'a str], &'a [super::super::cube_part::Row]);

    fn part(keys: &[Keyed], labels: &[&str]) -> Part {
        let mut p = Part {
            labels: labels.iter().map(|s| s.to_string()).collect(),
            by_value: keys
                .iter()
                .map(|(k, rows)| (k.iter().map(|s| s.to_string()).collect(), rows.to_vec()))
                .collect(),
            ..Default::default()
        };
        p.sum_totals();
        p
    }

    #[test]
    fn a_part_reads_back_as_written_and_only_under_its_own_key() {
        let d = tempfile::tempdir().unwrap();
        let store = CubeStore::new(d.path().to_path_buf(), DEFAULT_MAX_BYTES);
        // Two key fields, a key with several rows, a null value's label, and labels with the
        // characters a key's text could run together on.
        let p = part(
            &[
                (&["10.0.0.1", "(null)"], &[(0, 5, 1, 2), (2, 7, 0, 0)]),
                (&["10.0.0.1", "80"], &[(1, 1, 1, 0)]),
                (&["a:b", ""], &[(0, -3, 4, 9)]),
            ],
            &["tcp", "udp", "1:x"],
        );
        store.save_part("lake-1", "SELECT 1", &p, 2);
        let back = store.load_part("lake-1", "SELECT 1", 2).expect("a hit");
        assert_eq!(back.labels, p.labels);
        assert_eq!(back.by_value, p.by_value);
        assert_eq!(back.rows, 4);
        assert!(store.load_part("lake-2", "SELECT 1", 2).is_none(), "another lake is a miss");
        assert!(store.load_part("lake-1", "SELECT 2", 2).is_none(), "another query is a miss");
        assert_eq!(store.hits.load(Ordering::Relaxed), 1);

        let bins: BTreeMap<i64, i64> = [(0, 4), (3_600_000_000, 0), (-7, 2)].into_iter().collect();
        store.save_bins("lake-1", "SELECT bins", &bins);
        assert_eq!(store.load_bins("lake-1", "SELECT bins"), Some(bins));
        // A refusal is kept apart from the part of the same query.
        store.save_refusal("lake-1", "SELECT 9", 40);
        assert_eq!(store.refused_at("lake-1", "SELECT 9"), Some(40));
        assert!(store.load_part("lake-1", "SELECT 9", 1).is_none());
        assert_eq!(store.refused_at("lake-1", "SELECT 1"), None);
    }

    #[test]
    fn a_damaged_file_is_a_miss_and_removed_and_the_store_keeps_its_bound() {
        let d = tempfile::tempdir().unwrap();
        let store = CubeStore::new(d.path().to_path_buf(), DEFAULT_MAX_BYTES);
        let p = part(&[(&["x"], &[(0, 1, 0, 0)])], &["a"]);
        store.save_part("lake", "q", &p, 1);
        let path = store.path_of(&CubeStore::key_text("lake", "q"));
        let bytes = std::fs::read(&path).unwrap();
        // Cut short, or one byte of the rows changed: a miss, and the file is removed.
        for damaged in [bytes[..bytes.len() - 20].to_vec(), {
            let mut b = bytes.clone();
            let at = b.len() - 40;
            b[at] ^= 0x10;
            b
        }] {
            std::fs::write(&path, &damaged).unwrap();
            assert!(store.load_part("lake", "q", 1).is_none());
            assert!(!path.exists(), "a damaged part is removed");
        }
        // A part whose codes point past its labels is not a part.
        let bad = Part {
            labels: vec!["a".into()],
            by_value: [(vec!["x".to_string()], vec![(3, 1, 0, 0)])].into_iter().collect(),
            ..Default::default()
        };
        store.save_part("lake", "q", &bad, 1);
        assert!(store.load_part("lake", "q", 1).is_none());

        // A bound of one part's bytes: writing a second evicts the first, least recently read.
        store.save_part("lake", "q1", &p, 1);
        let one = store.bytes();
        let small = CubeStore::new(d.path().to_path_buf(), one);
        std::thread::sleep(std::time::Duration::from_millis(20));
        small.save_part("lake", "q2", &p, 1);
        assert!(small.bytes() <= one);
        assert!(small.load_part("lake", "q2", 1).is_some());
        assert!(small.load_part("lake", "q1", 1).is_none());
    }
}
