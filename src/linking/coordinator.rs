//! Runs the engine on a worker thread. The UI posts the current selection and the views' needs
//! every time they change; the worker always jumps to the newest request (latest wins), and the
//! UI ignores any answer older than one it has already shown. A frame never waits.
use super::backend::cube_store::CubeStore;
use super::backend::pushdown::LakeSession;
use super::backend::SqlEngine;
use super::engine::Engine;
use super::index::Index;
use super::needs::{Need, Output, Planner};
use super::selection::{Selection, ViewId};
use crossbeam_channel::{unbounded, Receiver, Sender, TryRecvError};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

pub struct Request {
    pub seq: u64,
    pub selection: Selection,
    pub needs: BTreeMap<ViewId, Need>,
    /// Ask for the table rows of every record in the selection (export, SQL `selection`).
    pub want_all_rows: bool,
}

pub struct Answer {
    pub seq: u64,
    pub outputs: BTreeMap<ViewId, Output>,
    pub total_rows: usize,
    pub compute_ms: f64,
    pub strategy: &'static str,
    pub all_rows: Option<Arc<Vec<u32>>>,
}

enum Msg {
    Data(Arc<DataFrame>),
    Update(Request),
    /// The pointer entered this view: build its cube so a click there is a lookup.
    HoverEnter(ViewId),
    /// Answer from a SQL engine that holds the data (the lake) instead of a table in memory;
    /// where its cube parts are kept, and whether they are read ahead while idle.
    Lake(Arc<dyn SqlEngine>, Option<Arc<CubeStore>>, bool),
}

pub enum Event {
    Indexing,
    Ready {
        rows: usize,
        index_ms: f64,
    },
    Answer(Answer),
    Failed(String),
    /// One view's output of a request still in progress (lake: views answer one by one).
    Partial {
        seq: u64,
        view: ViewId,
        output: Output,
    },
    /// While idle, the worker read the cube of `view` for the selection of request `seq` ahead
    /// into the store (`cube_warm`): `ready` parts of it are now kept (none when the view has no
    /// cube).
    ReadAhead {
        seq: u64,
        view: ViewId,
        ready: usize,
    },
}

/// The tag of a cube fetch on a lake. A new request cancels it (latest wins), unless the request
/// only changes the clause of the view the cube is for: the cube will answer that one.
pub const CUBE_TAG: &str = "brushfire-cube";

/// The longest a lake cube may be expected to take for a click inside its view to wait for it
/// (the round-trip goal of issue #12). A slower cube gives way to the click, which goes to the
/// engine at once.
pub const CUBE_WAIT_MS: u64 = 3_000;

/// The tag of the queries reading a cube ahead while idle: every request and hover cancels it.
pub const READ_AHEAD_TAG: &str = "brushfire-read-ahead";

pub fn lake_tag(seq: u64) -> String {
    format!("brushfire-req-{seq}")
}

/// One engine state, usable inline (tests, benchmark) or inside the worker.
pub struct Session {
    pub engine: Engine,
    pub planner: Planner,
}

impl Session {
    pub fn new(df: Arc<DataFrame>) -> PolarsResult<Self> {
        Ok(Self { engine: Engine::new(Index::build(df)?), planner: Planner::new() })
    }

    pub fn run(&mut self, req: &Request) -> Answer {
        let t0 = Instant::now();
        let outputs = self.planner.run(&mut self.engine, &req.selection, &req.needs);
        let all_rows = req.want_all_rows.then(|| Arc::new(self.engine.all_passing_rows()));
        Answer {
            seq: req.seq,
            outputs,
            total_rows: self.engine.n(),
            compute_ms: t0.elapsed().as_secs_f64() * 1000.0,
            strategy: self.engine.last_stats.strategy,
            all_rows,
        }
    }

    /// The work the last answer left for idle time (see [`Engine::settle`]); the time spent, in ms.
    pub fn settle(&mut self) -> f64 {
        let t0 = Instant::now();
        self.engine.settle();
        t0.elapsed().as_secs_f64() * 1000.0
    }

    /// Builds the cube of `view` (see [`Engine::prefetch`]); whether one is ready, and the time spent.
    pub fn prefetch(&mut self, view: ViewId, stop: &AtomicBool) -> (bool, f64) {
        let t0 = Instant::now();
        let ok = self.engine.prefetch(view, stop);
        (ok, t0.elapsed().as_secs_f64() * 1000.0)
    }
}

pub struct Coordinator {
    tx: Sender<Msg>,
    rx: Receiver<Event>,
    next_seq: u64,
    /// Newest answer shown so far.
    pub shown_seq: u64,
    /// Set by every request so a cube build in progress gives way to it.
    stop: Arc<AtomicBool>,
    /// Set by every request and hover so a cube read ahead gives way to it.
    read_ahead_stop: Arc<AtomicBool>,
    /// The view last reported entered, and the request it was reported after.
    hovered: Option<(ViewId, u64)>,
    /// The lake engine, when the data lives there (stale queries are cancelled on it).
    lake: Option<Arc<dyn SqlEngine>>,
    /// When the newest request was posted (views show how long they wait).
    pub sent_at: Option<Instant>,
    /// The newest request's selection and needs (whether a new one leaves a cube fetch useful).
    last_posted: Option<(Selection, BTreeMap<ViewId, Need>)>,
    /// What a cube of this lake is expected to take, in ms: the last one fetched, or before any,
    /// the lake's first answer (a cube is a grouped query per view, as an answer is); 0 unknown.
    /// Written by the worker.
    cube_ms: Arc<AtomicU64>,
    /// Where a Parquet lake's cube parts and slow answers are kept (`CubeStore::from_env`: the
    /// user's cache folder; tests give their own).
    pub cube_store: Option<Arc<CubeStore>>,
    /// Whether a Parquet lake's views' cubes are read ahead into that store while the worker is
    /// idle (`cube_warm`; on unless `BRUSHFIRE_READ_AHEAD=off`). Taken when a lake is set.
    pub read_ahead: bool,
}

impl Default for Coordinator {
    fn default() -> Self {
        Self::new()
    }
}

impl Coordinator {
    pub fn new() -> Self {
        let (tx, wrx) = unbounded::<Msg>();
        let (wtx, rx) = unbounded::<Event>();
        let stop = Arc::new(AtomicBool::new(false));
        let worker_stop = stop.clone();
        let cube_ms = Arc::new(AtomicU64::new(0));
        let worker_cube_ms = cube_ms.clone();
        let read_ahead_stop = Arc::new(AtomicBool::new(false));
        let stops = Stops { request: worker_stop, read_ahead: read_ahead_stop.clone() };
        std::thread::Builder::new()
            .name("brushfire-linking".into())
            .spawn(move || worker(wrx, wtx, stops, worker_cube_ms))
            .expect("spawning the linking worker thread");
        Self {
            tx,
            rx,
            next_seq: 0,
            shown_seq: 0,
            stop,
            read_ahead_stop,
            hovered: None,
            lake: None,
            sent_at: None,
            last_posted: None,
            cube_ms,
            cube_store: CubeStore::from_env().map(Arc::new),
            read_ahead: std::env::var("BRUSHFIRE_READ_AHEAD").map_or(true, |v| v != "off"),
        }
    }

    /// Stops a cube being read ahead: the worker has something to do.
    fn stop_read_ahead(&self) {
        self.read_ahead_stop.store(true, Ordering::Relaxed);
        if let Some(engine) = &self.lake {
            engine.cancel(READ_AHEAD_TAG);
        }
    }

    /// The pointer entered `view` (a list, the treemap, the graph): the worker builds its cube
    /// between requests, so the click that usually follows is a lookup. Repeated hints for the
    /// same view and selection are dropped here.
    pub fn hover_enter(&mut self, view: ViewId) {
        if self.hovered == Some((view, self.next_seq)) {
            return;
        }
        self.hovered = Some((view, self.next_seq));
        let _ = self.tx.send(Msg::HoverEnter(view));
        self.stop_read_ahead();
    }

    pub fn set_data(&mut self, df: Arc<DataFrame>) {
        let _ = self.tx.send(Msg::Data(df));
        // After the message is queued, so the worker cannot start another read ahead in between.
        self.stop_read_ahead();
        self.lake = None;
    }

    /// Answers from now on come from `engine` (the pushdown planner), never from a table in memory.
    pub fn set_lake(&mut self, engine: Arc<dyn SqlEngine>) {
        self.cube_ms.store(0, Ordering::Relaxed);
        let _ = self.tx.send(Msg::Lake(engine.clone(), self.cube_store.clone(), self.read_ahead));
        self.stop_read_ahead();
        self.lake = Some(engine);
    }

    /// How long this lake's last cube read from the lake took (ms); 0 before any. A click waits
    /// for a cube being read only while this is within a round trip (`CUBE_WAIT_MS`).
    pub fn last_cube_ms(&self) -> u64 {
        self.cube_ms.load(Ordering::Relaxed)
    }

    pub fn lake(&self) -> Option<&Arc<dyn SqlEngine>> {
        self.lake.as_ref()
    }

    /// Posts a request; returns its sequence number.
    pub fn request(
        &mut self,
        selection: Selection,
        needs: BTreeMap<ViewId, Need>,
        want_all_rows: bool,
    ) -> u64 {
        self.next_seq += 1;
        let seq = self.next_seq;
        // A brush or click inside the view whose cube is being fetched keeps the fetch: the cube
        // answers it, and every edit after it, once it arrives. Unless this lake's cubes take
        // longer than a round trip: at 100 M flows a list's cube takes 20 s and more, and the
        // first click in the list waited for all of it (58 s in the app on a busy machine). The
        // click then goes to the engine at once, and as the pointer is still in the view, the
        // cube is asked for again once the worker is idle.
        let inside_cube = match (&self.hovered, &self.last_posted) {
            (Some((v, _)), Some((sel, n))) => *n == needs && differ_only_in(sel, &selection, *v),
            _ => false,
        } && self.cube_ms.load(Ordering::Relaxed) <= CUBE_WAIT_MS;
        self.last_posted = Some((selection.clone(), needs.clone()));
        let _ = self.tx.send(Msg::Update(Request { seq, selection, needs, want_all_rows }));
        self.stop.store(true, Ordering::Relaxed);
        self.stop_read_ahead();
        // Latest wins on the lake too: queries of older requests still running are cancelled.
        if let Some(engine) = &self.lake {
            if !inside_cube {
                engine.cancel(CUBE_TAG);
            }
            for old in (self.shown_seq + 1).max(seq.saturating_sub(8))..seq {
                engine.cancel(&lake_tag(old));
            }
        }
        self.sent_at = Some(Instant::now());
        seq
    }

    /// Events since the last call; stale answers (older than one shown) are dropped here.
    pub fn poll(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        while let Ok(ev) = self.rx.try_recv() {
            match ev {
                Event::Answer(a) if a.seq <= self.shown_seq => {}
                Event::Answer(a) => {
                    self.shown_seq = a.seq;
                    out.push(Event::Answer(a));
                }
                Event::Partial { seq, .. } if seq <= self.shown_seq || seq < self.next_seq => {}
                other => out.push(other),
            }
        }
        out
    }

    /// Blocks until the answer to `seq` (or a failure) arrives. For tests and the CLI only.
    pub fn wait_for(&mut self, seq: u64) -> Option<Answer> {
        loop {
            match self.rx.recv().ok()? {
                Event::Answer(a) if a.seq >= seq => {
                    self.shown_seq = a.seq;
                    return Some(a);
                }
                Event::Failed(_) => return None,
                _ => {}
            }
        }
    }
}

/// Whether two selections hold the same clauses apart from `view`'s own.
fn differ_only_in(a: &Selection, b: &Selection, view: ViewId) -> bool {
    a.clauses.iter().filter(|(v, _)| **v != view).eq(b.clauses.iter().filter(|(v, _)| **v != view))
}

/// The flags the coordinator sets for the worker to give way: every request, and every request
/// or hover (a cube read ahead).
struct Stops {
    request: Arc<AtomicBool>,
    read_ahead: Arc<AtomicBool>,
}

/// Idle on a lake: reads the next view's cube ahead into the store, unless a message waits.
/// Returns whether it tried one (the worker then looks at its messages again).
fn read_ahead(
    lake: &mut LakeSession,
    seq: u64,
    rx: &Receiver<Msg>,
    stop: &AtomicBool,
    tx: &Sender<Event>,
) -> bool {
    // Cleared before looking at the queue: a request posted from here on sets it again.
    stop.store(false, Ordering::Relaxed);
    if !rx.is_empty() {
        return false;
    }
    let Some(view) = lake.next_to_warm() else { return false };
    let describe = lake.engine.describe();
    match crate::guard::contain("reading a cube ahead", &describe, || lake.warm(view, READ_AHEAD_TAG, stop)) {
        Ok(Ok(w)) => {
            let _ = tx.send(Event::ReadAhead { seq, view, ready: w.read + w.kept_before + w.in_subset });
        }
        // Given way to a message; read again when next idle.
        Ok(Err(super::backend::BackendError::Cancelled)) => {}
        // A failure is the hover's to report, if the analyst goes there.
        Ok(Err(_)) => {}
        Err(_) => lake.skip_warm(view),
    }
    true
}

fn worker(rx: Receiver<Msg>, tx: Sender<Event>, stops: Stops, cube_ms: Arc<AtomicU64>) {
    let stop = stops.request;
    let mut session: Option<Session> = None;
    let mut lake: Option<LakeSession> = None;
    // Kept to rebuild the engine if a query panics (its bit sets may be half updated).
    let mut data: Option<Arc<DataFrame>> = None;
    let mut pending: Option<Msg> = None;
    // The last request answered over the lake (what cubes are read ahead for).
    let mut lake_seq = 0;
    loop {
        let msg = match pending.take() {
            Some(m) => m,
            None => {
                if lake.as_mut().is_some_and(|l| read_ahead(l, lake_seq, &rx, &stops.read_ahead, &tx)) {
                    continue;
                }
                match rx.recv() {
                    Ok(m) => m,
                    Err(_) => return,
                }
            }
        };
        match msg {
            Msg::Lake(engine, store, ahead) => {
                let _ = tx.send(Event::Indexing);
                let t0 = Instant::now();
                session = None;
                data = None;
                match crate::guard::contain("opening the lake", &engine.describe(), || {
                    // Cube parts and slow answers of a Parquet lake are kept on disk between
                    // hovers and sessions.
                    LakeSession::open(engine.clone(), store.clone())
                }) {
                    Ok(Ok(mut l)) => {
                        l.read_ahead = ahead;
                        let rows = l.stats().rows.max(0) as usize;
                        lake = Some(l);
                        let _ = tx.send(Event::Ready { rows, index_ms: t0.elapsed().as_secs_f64() * 1000.0 });
                    }
                    Ok(Err(e)) => {
                        lake = None;
                        let _ = tx.send(Event::Failed(e.to_string()));
                    }
                    Err(p) => {
                        lake = None;
                        let _ = tx.send(Event::Failed(p.to_string()));
                    }
                }
            }
            Msg::Data(df) => {
                lake = None;
                let _ = tx.send(Event::Indexing);
                let t0 = Instant::now();
                data = Some(df.clone());
                let built = crate::guard::contain("indexing", "the loaded table", || Session::new(df))
                    .map_err(|p| p.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()));
                match built {
                    Ok(s) => {
                        let rows = s.engine.n();
                        session = Some(s);
                        let _ = tx.send(Event::Ready { rows, index_ms: t0.elapsed().as_secs_f64() * 1000.0 });
                    }
                    Err(e) => {
                        session = None;
                        let _ = tx.send(Event::Failed(e));
                    }
                }
            }
            Msg::HoverEnter(view) => {
                // Only when idle: a queued request comes first, and one posted during the build
                // stops it.
                stop.store(false, Ordering::Relaxed);
                if let (Some(s), true) = (session.as_mut(), rx.is_empty()) {
                    s.prefetch(view, &stop);
                }
                // The lake: fetch the list's cube so clicks in it are answered here (a newer
                // request cancels the fetch by its tag).
                if let (Some(l), true) = (lake.as_mut(), rx.is_empty()) {
                    if l.hover(view, CUBE_TAG).is_ok() {
                        if let Some(ms) = l.last_cube_ms.take() {
                            cube_ms.store(ms as u64, Ordering::Relaxed);
                        }
                    }
                }
            }
            Msg::Update(mut req) => {
                // Latest wins: skip to the newest queued update (but never past new data).
                loop {
                    match rx.try_recv() {
                        Ok(Msg::Update(r)) => req = r,
                        Ok(other) => {
                            pending = Some(other);
                            break;
                        }
                        Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => break,
                    }
                }
                if let Some(l) = lake.as_mut() {
                    let tag = lake_tag(req.seq);
                    let seq = req.seq;
                    lake_seq = seq;
                    let on_view = |view: ViewId, output: &Output| {
                        let _ = tx.send(Event::Partial { seq, view, output: output.clone() });
                    };
                    // A cancelled request sends nothing: a newer one is already queued.
                    if let Some(ans) = l.run_with(&req, &tag, &on_view) {
                        // Answers read from the disk tell nothing of how long the lake takes.
                        if ans.strategy == "pushdown" && l.last_kept_reads == 0 {
                            let _ = cube_ms.compare_exchange(
                                0,
                                ans.compute_ms.max(1.0) as u64,
                                Ordering::Relaxed,
                                Ordering::Relaxed,
                            );
                        }
                        let _ = tx.send(Event::Answer(ans));
                    }
                } else if let Some(s) = session.as_mut() {
                    match crate::guard::contain("linking query", "the loaded table", || s.run(&req)) {
                        Ok(ans) => {
                            let _ = tx.send(Event::Answer(ans));
                            // Idle until the next message: do what the answer left undone, so
                            // the next click does not pay for it.
                            let settled = !rx.is_empty()
                                || crate::guard::contain("linking upkeep", "the loaded table", || s.settle())
                                    .is_ok();
                            if !settled {
                                // Half-done upkeep leaves the mask unknown: start clean.
                                session = data.clone().and_then(|df| {
                                    crate::guard::contain("indexing", "the loaded table", || Session::new(df))
                                        .ok()
                                        .and_then(Result::ok)
                                });
                            }
                        }
                        Err(p) => {
                            let _ = tx.send(Event::Failed(p.to_string()));
                            // A fresh engine over the same rows; the next request starts clean.
                            session = data.clone().and_then(|df| {
                                crate::guard::contain("indexing", "the loaded table", || Session::new(df))
                                    .ok()
                                    .and_then(Result::ok)
                            });
                        }
                    }
                }
                if let Some(Msg::Data(_)) = &pending {
                    continue;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linking::backend::{BackendError, Dialect};
    use crate::linking::selection::Clause;
    use std::sync::Mutex;

    /// A lake that answers nothing and logs which tags it was told to cancel.
    #[derive(Default)]
    struct Cancels(Mutex<Vec<String>>);

    impl SqlEngine for Cancels {
        fn describe(&self) -> String {
            "a test lake".into()
        }
        fn dialect(&self) -> Dialect {
            Dialect::Polars
        }
        fn schema(&self) -> Result<Schema, BackendError> {
            Err(BackendError::Other("no table".into()))
        }
        fn query(&self, _: &str, _: &str) -> Result<DataFrame, BackendError> {
            Err(BackendError::Other("no table".into()))
        }
        fn cancel(&self, tag: &str) {
            self.0.lock().unwrap().push(tag.to_string());
        }
        fn write_parquet(&self, _: &str, _: &std::path::Path, _: &[&str]) -> Result<u64, BackendError> {
            Err(BackendError::Other("no table".into()))
        }
    }

    #[test]
    fn a_click_in_the_hovered_view_waits_for_its_cube_only_when_cubes_are_quick() {
        let lake = Arc::new(Cancels::default());
        let mut coord = Coordinator::new();
        coord.set_lake(lake.clone());
        let needs: BTreeMap<ViewId, Need> =
            [(10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() })]
                .into();
        let cube_cancels = || lake.0.lock().unwrap().iter().filter(|t| *t == CUBE_TAG).count();
        let click = |v: &str| {
            let mut s = Selection::default();
            s.clauses.insert(10, Clause::values("src_ip", [v.to_string()], false));
            s
        };
        coord.request(Selection::default(), needs.clone(), false);
        coord.hover_enter(10);
        let before = cube_cancels();
        // Unknown or quick cubes: the click waits for the cube of the list it is in.
        coord.request(click("10.0.0.1"), needs.clone(), false);
        assert_eq!(cube_cancels(), before);
        coord.cube_ms.store(CUBE_WAIT_MS, Ordering::Relaxed);
        coord.request(click("10.0.0.2"), needs.clone(), false);
        assert_eq!(cube_cancels(), before);
        // This lake's cubes take longer than a round trip: the click does not wait.
        coord.cube_ms.store(20_000, Ordering::Relaxed);
        coord.request(click("10.0.0.3"), needs.clone(), false);
        assert_eq!(cube_cancels(), before + 1);
        // Another lake: nothing is known of its cubes yet.
        coord.set_lake(lake.clone());
        coord.request(click("10.0.0.4"), needs, false);
        assert_eq!(cube_cancels(), before + 1);
    }

    #[test]
    fn every_request_and_hover_stops_a_cube_read_ahead() {
        let lake = Arc::new(Cancels::default());
        let mut coord = Coordinator::new();
        coord.set_lake(lake.clone());
        let ahead_cancels = || lake.0.lock().unwrap().iter().filter(|t| *t == READ_AHEAD_TAG).count();
        let needs: BTreeMap<ViewId, Need> =
            [(10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() })]
                .into();
        let before = ahead_cancels();
        coord.request(Selection::default(), needs, false);
        assert_eq!(ahead_cancels(), before + 1);
        assert!(coord.read_ahead_stop.load(Ordering::Relaxed));
        coord.read_ahead_stop.store(false, Ordering::Relaxed);
        coord.hover_enter(10);
        assert_eq!(ahead_cancels(), before + 2);
        assert!(coord.read_ahead_stop.load(Ordering::Relaxed));
    }

    #[test]
    fn an_idle_worker_reads_the_views_cubes_ahead_and_the_hover_then_reads_the_disk() {
        let levels = vec!["src_ip/16".to_string(), "src_ip/24".to_string()];
        let needs = vec![
            (1, Need::Time { measure: "count".into(), split: None }),
            (10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() }),
            (11, Need::TopN { field: "proto".into(), offset: 0, limit: 10, measure: "bytes".into() }),
            (30, Need::Tree { levels, measure: "count".into() }),
        ];
        let (dir, _, mut memory, req) =
            crate::linking::backend::parquet::tests::lake_beside_memory(3000, 9, needs);
        let kept = tempfile::tempdir().unwrap();
        let store = Arc::new(CubeStore::new(kept.path().to_path_buf(), 1 << 30));
        let mut coord = Coordinator::new();
        coord.cube_store = Some(store.clone());
        coord.read_ahead = true;
        let engine =
            crate::linking::backend::parquet::ParquetEngine::open(&dir.path().join("flows")).unwrap();
        coord.set_lake(Arc::new(engine));
        let r = req(0, &Selection::default());
        let seq = coord.request(r.selection.clone(), r.needs.clone(), false);
        assert!(coord.wait_for(seq).is_some());
        // Nothing more is asked: the worker reads the lists', the time series' and the treemap's
        // cubes into the store on its own, and says so.
        let mut seen = std::collections::BTreeSet::new();
        let t0 = Instant::now();
        while seen.len() < 4 {
            for ev in coord.poll() {
                if let Event::ReadAhead { view, .. } = ev {
                    seen.insert(view);
                }
            }
            assert!(t0.elapsed().as_secs() < 60, "read ahead so far: {seen:?}");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), [1, 10, 11, 30]);
        let saved = store.saved.load(Ordering::Relaxed);
        assert!(saved >= 8, "{saved}");
        // The pointer enters the address list and clicks: the cube comes from the disk, and the
        // click is answered from it as the in-memory engine answers.
        let hits = store.hits.load(Ordering::Relaxed);
        coord.hover_enter(10);
        // (The cube's two parts read back, before the click: a click queued behind the hover
        // would go first.)
        let t0 = Instant::now();
        while store.hits.load(Ordering::Relaxed) < hits + 2 {
            assert!(t0.elapsed().as_secs() < 60, "the hover read nothing from the disk");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let mut sel = Selection::default();
        sel.clauses.insert(10, Clause::values("src_ip", ["10.0.1.2".to_string()], false));
        let seq = coord.request(sel.clone(), r.needs.clone(), false);
        let got = coord.wait_for(seq).unwrap();
        assert!(got.strategy.starts_with("lake cube"), "{}", got.strategy);
        let want = memory.run(&req(seq, &sel));
        let canonical = |o| crate::linking::backend::testing::canonical(o, &DataFrame::empty());
        for v in [1, 11, 30] {
            assert_eq!(canonical(&got.outputs[&v]), canonical(&want.outputs[&v]), "view {v}");
        }
    }
}
