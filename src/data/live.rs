//! Following growing logs like `tail -F`: appends, rotation (the name points at a new file),
//! truncation (the file got shorter), and new files in a watched directory. Each poll hands back
//! the new *complete* lines per file; a partial last line waits for its newline. The bytes go
//! through the normal parsers (`load::parse_appended`) and are appended to the table
//! (`Table::append`), so nothing already read is parsed again.
use super::error::{DataError, Result};
use super::load::{list_dir, parse_appended, LoadOptions};
use super::table::Table;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Longest stretch without a newline that is held back as a partial line; past this the bytes
/// are passed on as a line (a writer that never ends its line must not grow memory forever).
const MAX_PENDING_BYTES: usize = 16 << 20;
/// At most this much is read from one file per poll, so one refresh stays short.
const MAX_READ_PER_POLL: u64 = 256 << 20;

/// What happened to a file since the last poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Read for the first time (a file given at start, or new in a watched directory).
    New,
    Appended,
    /// The name now points at another file; the old one was read to its end first.
    Rotated,
    /// The file got shorter: read again from its start.
    Truncated,
}

/// New complete lines of one file.
#[derive(Debug, Clone)]
pub struct Batch {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    /// The bytes begin at the start of the file (a header line, if any, is among them).
    pub from_start: bool,
    /// 1-based line number of the file where `bytes` begin.
    pub first_line: u64,
    pub event: Event,
}

#[derive(Debug)]
struct Followed {
    file: File,
    id: (u64, u64),
    offset: u64,
    /// Bytes after the last newline, waiting for the rest of their line.
    pending: Vec<u8>,
    /// Where `pending` begins: from the start of the file, and at which line.
    pending_from_start: bool,
    lines_done: u64,
}

#[cfg(unix)]
fn file_id(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn file_id(m: &std::fs::Metadata) -> (u64, u64) {
    // Without inodes, a rotation shows as a creation time change.
    let c = m.created().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    (0, c.map(|d| d.as_nanos() as u64).unwrap_or(0))
}

/// Follows files and directories.
#[derive(Debug, Default)]
pub struct Follower {
    files: BTreeMap<PathBuf, Followed>,
    /// Files named on the command line (kept when they disappear: they may come back).
    named: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    /// Files in watched directories that are not followed (not a log, another format), with why.
    pub skipped: BTreeMap<PathBuf, String>,
    /// Format family of the first file read: files of another family are not mixed into the table
    /// (as `load_paths` refuses to).
    family: Option<(String, PathBuf)>,
}

impl Follower {
    /// Follows `paths` (files or directories) from their start: the first poll returns every
    /// complete line present.
    pub fn new(paths: &[PathBuf]) -> Self {
        let mut f = Follower::default();
        for p in paths {
            if p.is_dir() {
                f.dirs.push(p.clone());
            } else {
                f.named.push(p.clone());
            }
        }
        f
    }

    /// Every file read so far.
    pub fn files(&self) -> Vec<PathBuf> {
        self.files.keys().cloned().collect()
    }

    /// Stops following a file (it is not a log the table can take).
    pub fn skip(&mut self, path: &Path, why: String) {
        self.files.remove(path);
        self.skipped.insert(path.to_path_buf(), why);
    }

    /// Reads what is new. A file that cannot be opened right now (rotated away and not yet
    /// recreated) is tried again on the next poll.
    pub fn poll(&mut self) -> Result<Vec<Batch>> {
        let mut candidates = self.named.clone();
        for d in &self.dirs {
            candidates.extend(list_dir(d)?);
        }
        let mut out = Vec::new();
        for path in candidates {
            if self.skipped.contains_key(&path) {
                continue;
            }
            let meta = match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => m,
                _ => {
                    // Gone for now (between rotate and create): drain what the old handle still has.
                    if let Some(f) = self.files.get_mut(&path) {
                        if let Some(b) = read_new(&path, f, Event::Appended)? {
                            out.push(b);
                        }
                    }
                    continue;
                }
            };
            let id = file_id(&meta);
            match self.files.get_mut(&path) {
                None => {
                    let file = File::open(&path).map_err(|e| DataError::io(&path, e))?;
                    let mut f = Followed {
                        file,
                        id,
                        offset: 0,
                        pending: Vec::new(),
                        pending_from_start: true,
                        lines_done: 0,
                    };
                    let b = read_new(&path, &mut f, Event::New)?;
                    self.files.insert(path.clone(), f);
                    out.extend(b);
                }
                Some(f) if f.id != id => {
                    // Rotated: the rest of the old file first (tail -F does the same), then the new one.
                    out.extend(read_new(&path, f, Event::Appended)?);
                    let file = File::open(&path).map_err(|e| DataError::io(&path, e))?;
                    *f = Followed {
                        file,
                        id,
                        offset: 0,
                        pending: Vec::new(),
                        pending_from_start: true,
                        lines_done: 0,
                    };
                    out.extend(read_new(&path, f, Event::Rotated)?);
                }
                Some(f) if meta.len() < f.offset => {
                    f.offset = 0;
                    f.pending.clear();
                    f.pending_from_start = true;
                    f.lines_done = 0;
                    f.file.seek(SeekFrom::Start(0)).map_err(|e| DataError::io(&path, e))?;
                    out.extend(read_new(&path, f, Event::Truncated)?);
                }
                Some(f) => out.extend(read_new(&path, f, Event::Appended)?),
            }
        }
        Ok(out)
    }
}

/// Reads from the handle's offset to the end; returns the complete lines, keeps the partial one.
fn read_new(path: &Path, f: &mut Followed, event: Event) -> Result<Option<Batch>> {
    f.file.seek(SeekFrom::Start(f.offset)).map_err(|e| DataError::io(path, e))?;
    let mut fresh = Vec::new();
    (&mut f.file).take(MAX_READ_PER_POLL).read_to_end(&mut fresh).map_err(|e| DataError::io(path, e))?;
    f.offset += fresh.len() as u64;
    if fresh.is_empty() && event == Event::Appended {
        return Ok(None);
    }
    let from_start = f.pending_from_start;
    let mut data = std::mem::take(&mut f.pending);
    data.extend_from_slice(&fresh);
    let cut = match memchr::memrchr(b'\n', &data) {
        Some(i) => i + 1,
        None if data.len() > MAX_PENDING_BYTES => data.len(),
        None => 0,
    };
    f.pending = data.split_off(cut);
    if data.is_empty() {
        return Ok(None);
    }
    let first_line = f.lines_done + 1;
    f.lines_done += memchr::memchr_iter(b'\n', &data).count() as u64;
    f.pending_from_start = false;
    Ok(Some(Batch { path: path.to_path_buf(), bytes: data, from_start, first_line, event }))
}

/// What one refresh added to a table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub rows: usize,
    pub rejected: u64,
    pub events: Vec<(PathBuf, Event)>,
    /// Files left out, with why (not a log, another format than the table's).
    pub skipped: Vec<String>,
}

/// Parses batches with the normal parsers and appends them to `table`. A file whose lines do
/// not parse as a log at all is skipped (with the reason) rather than failing the refresh.
pub fn apply(
    table: &mut Table,
    follower: &mut Follower,
    batches: Vec<Batch>,
    opts: &LoadOptions,
) -> Result<Applied> {
    let mut applied = Applied::default();
    for b in batches {
        if !follower.skipped.contains_key(&b.path) {
            if let Ok(det) = super::load::detect_file(&b.path) {
                match &follower.family {
                    None => follower.family = Some((det.family(), b.path.clone())),
                    Some((fam, first)) if *fam != det.family() => {
                        let why = format!(
                            "{} is {} but {} is {}: open files of one kind together",
                            b.path.display(),
                            det.name(),
                            first.display(),
                            fam
                        );
                        applied.skipped.push(why.clone());
                        follower.skip(&b.path, why);
                    }
                    Some(_) => {}
                }
            }
        }
        if follower.skipped.contains_key(&b.path) {
            continue;
        }
        let parsed = parse_appended(&b.path, &b.bytes, b.from_start, b.first_line, opts);
        let (df, rejected, notes) = match parsed {
            Ok(p) => p,
            Err(e) => {
                let why = e.to_string();
                applied.skipped.push(why.clone());
                follower.skip(&b.path, why);
                continue;
            }
        };
        applied.rows += df.height();
        applied.rejected += rejected.total;
        for n in notes {
            if !table.notes.contains(&n) {
                table.notes.push(n);
            }
        }
        if !table.files.contains(&b.path) {
            table.files.push(b.path.clone());
        }
        let name = (table.files.len() > 1 || table.df.column("source_file").is_ok())
            .then(|| b.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        table.input_bytes += b.bytes.len() as u64;
        table.append(df, rejected, name.as_deref())?;
        applied.events.push((b.path, b.event));
    }
    Ok(applied)
}

/// An empty table for a follower to fill, named after the format of the first file.
pub fn empty_table(paths: &[PathBuf]) -> Table {
    let format = paths
        .iter()
        .find(|p| p.is_file())
        .and_then(|p| super::load::detect_file(p).ok())
        .map(|d| d.name())
        .unwrap_or_else(|| "followed".into());
    Table {
        df: Default::default(),
        format,
        files: Vec::new(),
        aliases: Vec::new(),
        rejected: Default::default(),
        notes: Vec::new(),
        input_bytes: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("brushfire-live-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn append(p: &Path, s: &str) {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .unwrap()
            .write_all(s.as_bytes())
            .unwrap();
    }

    fn text(b: &[Batch]) -> Vec<String> {
        b.iter().map(|b| String::from_utf8_lossy(&b.bytes).into_owned()).collect()
    }

    #[test]
    fn appends_arrive_once_and_a_partial_line_waits_for_its_newline() {
        let d = dir("append");
        let p = d.join("a.log");
        append(&p, "one\ntwo\nthr");
        let mut f = Follower::new(std::slice::from_ref(&p));
        let b = f.poll().unwrap();
        assert_eq!(text(&b), ["one\ntwo\n"]);
        assert_eq!((b[0].event, b[0].from_start, b[0].first_line), (Event::New, true, 1));
        assert!(f.poll().unwrap().is_empty(), "nothing new: nothing returned");
        append(&p, "ee\nfour\n");
        let b = f.poll().unwrap();
        assert_eq!(text(&b), ["three\nfour\n"]);
        assert_eq!((b[0].event, b[0].from_start, b[0].first_line), (Event::Appended, false, 3));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn rotation_reads_the_old_file_to_its_end_then_the_new_one_from_its_start() {
        let d = dir("rotate");
        let p = d.join("a.log");
        append(&p, "h\n1\n");
        let mut f = Follower::new(std::slice::from_ref(&p));
        assert_eq!(text(&f.poll().unwrap()), ["h\n1\n"]);
        // logrotate: the writer adds a last line, the file is renamed, a new one is created.
        append(&p, "2\n");
        std::fs::rename(&p, d.join("a.log.1")).unwrap();
        assert!(
            f.poll().unwrap().iter().all(|b| b.event == Event::Appended),
            "gone for now: only the old rest"
        );
        append(&p, "h\n3\n");
        let b = f.poll().unwrap();
        assert_eq!(text(&b), ["h\n3\n"]);
        assert_eq!((b[0].event, b[0].from_start, b[0].first_line), (Event::Rotated, true, 1));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn rotation_while_following_drains_the_old_file_first() {
        let d = dir("rotate2");
        let p = d.join("a.log");
        append(&p, "1\n");
        let mut f = Follower::new(std::slice::from_ref(&p));
        f.poll().unwrap();
        append(&p, "2\n");
        std::fs::rename(&p, d.join("a.log.1")).unwrap();
        append(&p, "3\n");
        let b = f.poll().unwrap();
        assert_eq!(text(&b), ["2\n", "3\n"]);
        assert_eq!([b[0].event, b[1].event], [Event::Appended, Event::Rotated]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn truncation_starts_again_from_the_top() {
        let d = dir("trunc");
        let p = d.join("a.log");
        append(&p, "one\ntwo\n");
        let mut f = Follower::new(std::slice::from_ref(&p));
        f.poll().unwrap();
        // copytruncate: same file, emptied, then written again.
        std::fs::OpenOptions::new().write(true).truncate(true).open(&p).unwrap();
        append(&p, "x\n");
        let b = f.poll().unwrap();
        assert_eq!(text(&b), ["x\n"]);
        assert_eq!((b[0].event, b[0].from_start), (Event::Truncated, true));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn new_files_in_a_watched_directory_are_followed() {
        let d = dir("dir");
        append(&d.join("a.log"), "a\n");
        let mut f = Follower::new(std::slice::from_ref(&d));
        assert_eq!(text(&f.poll().unwrap()), ["a\n"]);
        append(&d.join("b.log"), "b\n");
        let b = f.poll().unwrap();
        assert_eq!((text(&b), b[0].event), (vec!["b\n".to_string()], Event::New));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn appended_csv_rows_go_through_the_parser_into_the_table() {
        let d = dir("csv");
        let p = d.join("flows.csv");
        let header = "TimeSeconds,parsedDate,dateTimeStr,ipLayerProtocol,ipLayerProtocolCode,firstSeenSrcIp,firstSeenDestIp,firstSeenSrcPort,firstSeenDestPort,moreFragments,contFragments,durationSeconds,firstSeenSrcPayloadBytes,firstSeenDestPayloadBytes,firstSeenSrcTotalBytes,firstSeenDestTotalBytes,firstSeenSrcPacketCount,firstSeenDestPacketCount,recordForceOut\n";
        let row = |t: u32| {
            format!("13647744{t:02}.0,2013-04-01 00:00:{t:02},201304010000{t:02},6,TCP,172.10.8.90,171.106.152.177,54958,443,0,0,1,10177,922,10497,962,8,1,0\n")
        };
        append(&p, &(header.to_string() + &row(10) + &row(11)));
        let opts = LoadOptions::default();
        let mut f = Follower::new(std::slice::from_ref(&p));
        let mut t = empty_table(std::slice::from_ref(&p));
        let batches = f.poll().unwrap();
        let a = apply(&mut t, &mut f, batches, &opts).unwrap();
        assert_eq!((a.rows, t.rows()), (2, 2), "{a:?}");
        append(&p, &(row(12) + "not,a,flow\n"));
        let batches = f.poll().unwrap();
        let a = apply(&mut t, &mut f, batches, &opts).unwrap();
        assert_eq!((a.rows, a.rejected, t.rows()), (1, 1, 3));
        assert_eq!(t.rejected.samples[0].line, 5, "rejects keep the line number of the file");
        assert!(t.df.column("proto").is_ok(), "derived fields as in a whole-file load");
        let _ = std::fs::remove_dir_all(&d);
    }
}
