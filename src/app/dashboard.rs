//! Wall mode: the SOC dashboard full screen. No scrolling and no editing chrome: the layout is
//! computed from the available rectangle, type is scaled to it, and every text is fitted to its
//! box. Refreshes run on a background job (`dashboard::source::Source::refresh`); the clock is
//! injected so tests can move time.
use super::jobs::Job;
use crate::dashboard::source::{Refreshed, Source};
use crate::dashboard::{DashboardConfig, OutboundList, Tile, WindowKind};
use crate::data::timeparse::format_rfc3339;
use crate::data::LoadOptions;
use crate::views::bullet::{self, bullet_ui::paint_bullet};
use egui::{Align2, Color32, FontId, Pos2, Rect, Vec2};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

/// The time the wall shows and refreshes by.
pub trait Clock: Send + Sync {
    fn now_us(&self) -> i64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_us(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0)
    }
}

/// A clock tests move by hand.
#[derive(Default)]
pub struct ManualClock(pub AtomicI64);

impl ManualClock {
    pub fn new(now_us: i64) -> Self {
        ManualClock(AtomicI64::new(now_us))
    }
    pub fn advance_secs(&self, secs: i64) {
        self.0.fetch_add(secs * 1_000_000, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now_us(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// One panel of the wall: the rectangle it was given and the one its content took.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelFit {
    pub name: String,
    pub allotted: Rect,
    pub content: Rect,
}

pub struct WallState {
    pub cfg: DashboardConfig,
    pub clock: Arc<dyn Clock>,
    source: Arc<Mutex<Source>>,
    job: Option<Job<Refreshed>>,
    pub last: Option<Refreshed>,
    pub error: Option<String>,
    /// Clock time at which new rows last arrived.
    pub last_arrival_us: Option<i64>,
    next_refresh_us: i64,
    /// Refreshes finished so far.
    pub refreshes: u64,
    /// Panels of the last frame drawn (tests check that content fits).
    pub fits: Vec<PanelFit>,
    /// Off for a one-shot picture (`brushfire dashboard --snapshot`).
    pub auto_refresh: bool,
}

impl WallState {
    pub fn new(paths: Vec<PathBuf>, opts: LoadOptions, cfg: DashboardConfig, clock: Arc<dyn Clock>) -> Self {
        let next_refresh_us = clock.now_us();
        WallState {
            cfg,
            clock,
            source: Arc::new(Mutex::new(Source::open(paths, opts))),
            job: None,
            last: None,
            error: None,
            last_arrival_us: None,
            next_refresh_us,
            refreshes: 0,
            fits: Vec::new(),
            auto_refresh: true,
        }
    }

    /// No refresh running.
    pub fn idle(&self) -> bool {
        self.job.is_none()
    }

    fn take(&mut self, r: Result<Refreshed, String>) {
        self.refreshes += 1;
        match r {
            Ok(r) => {
                if r.new_rows > 0 {
                    self.last_arrival_us = Some(self.clock.now_us());
                }
                self.error = None;
                self.last = Some(r);
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Collects a finished refresh and starts the next one when it is due.
    pub fn pump(&mut self) {
        if let Some(r) = self.job.as_ref().and_then(|j| j.poll()) {
            self.job = None;
            self.take(r);
        }
        let now = self.clock.now_us();
        if self.auto_refresh && self.job.is_none() && now >= self.next_refresh_us {
            self.next_refresh_us = now + i64::from(self.cfg.refresh_secs.max(1)) * 1_000_000;
            let (src, cfg) = (self.source.clone(), self.cfg.clone());
            self.job = Some(Job::spawn("refreshing the wall".into(), 0, move |_, _| {
                let mut s = src.lock().map_err(|_| "the wall's data was left broken by a failed refresh")?;
                s.refresh(&cfg, now)
            }));
        }
    }

    /// The followed logs brought nothing new for longer than the chosen quiet time.
    pub fn quiet_warning(&self, now_us: i64) -> Option<i64> {
        let following = self.last.as_ref().is_some_and(|r| r.following);
        let quiet_for = now_us - self.last_arrival_us?;
        (following && quiet_for > i64::from(self.cfg.quiet_secs) * 1_000_000).then_some(quiet_for)
    }

    /// Runs one refresh on this thread (the CLI twin; the window never calls this).
    pub fn refresh_blocking(&mut self) {
        let now = self.clock.now_us();
        let r = match self.source.lock() {
            Ok(mut s) => s.refresh(&self.cfg, now),
            Err(_) => Err("the wall's data was left broken by a failed refresh".into()),
        };
        self.take(r);
    }

    /// The whole wall into the available rectangle.
    pub fn wall_ui(&mut self, ui: &mut egui::Ui) {
        self.pump();
        let rect = ui.max_rect();
        ui.painter().rect_filled(rect, 0.0, BG);
        let now = self.clock.now_us();
        self.fits = paint_wall(ui.painter(), rect, self, now);
        // Cover the whole rect so nothing else lays out there, without a scroll area.
        ui.allocate_rect(rect, egui::Sense::hover());
        let wait = if self.job.is_some() { 0.1 } else { 1.0 };
        ui.ctx().request_repaint_after(std::time::Duration::from_secs_f32(wait));
    }
}

const BG: Color32 = Color32::from_rgb(16, 18, 22);
const PANEL: Color32 = Color32::from_rgb(28, 31, 37);
const TEXT: Color32 = Color32::from_gray(235);
const DIM: Color32 = Color32::from_gray(160);
const WARN: Color32 = Color32::from_rgb(255, 120, 80);
const HIGH: Color32 = Color32::from_rgb(255, 170, 60);
const LOW: Color32 = Color32::from_rgb(110, 170, 255);
const NEW: Color32 = Color32::from_rgb(255, 220, 90);

/// Where the header, the tiles and the lists go; pure, from the rectangle alone.
#[derive(Debug, Clone, PartialEq)]
pub struct WallRects {
    pub scale: f32,
    pub header: Rect,
    pub tiles: Vec<Rect>,
    pub lists: Vec<Rect>,
}

pub fn wall_rects(rect: Rect, n_tiles: usize, n_lists: usize) -> WallRects {
    let scale = (rect.width() / 1920.0).min(rect.height() / 1080.0);
    let m = 16.0 * scale;
    let inner = rect.shrink(m);
    let header_h = inner.height() * 0.10;
    let header = Rect::from_min_size(inner.min, Vec2::new(inner.width(), header_h));
    let body_top = header.bottom() + m;
    let tiles_h =
        if n_lists == 0 { inner.bottom() - body_top } else { (inner.height() - header_h - m) * 0.40 };
    let tiles = grid(
        Rect::from_min_max(Pos2::new(inner.left(), body_top), Pos2::new(inner.right(), body_top + tiles_h)),
        n_tiles,
        m,
    );
    let lists_top = if n_tiles == 0 { body_top } else { body_top + tiles_h + m };
    let lists = grid(Rect::from_min_max(Pos2::new(inner.left(), lists_top), inner.max), n_lists, m);
    WallRects { scale, header, tiles, lists }
}

/// `n` boxes in one row (two rows past five: a tile narrower than a fifth is unreadable).
fn grid(area: Rect, n: usize, gap: f32) -> Vec<Rect> {
    if n == 0 || area.height() <= 0.0 {
        return Vec::new();
    }
    let rows = if n > 5 { 2 } else { 1 };
    let cols = n.div_ceil(rows);
    let w = (area.width() - gap * (cols - 1) as f32) / cols as f32;
    let h = (area.height() - gap * (rows - 1) as f32) / rows as f32;
    (0..n)
        .map(|i| {
            let (r, c) = (i / cols, i % cols);
            Rect::from_min_size(
                Pos2::new(area.left() + c as f32 * (w + gap), area.top() + r as f32 * (h + gap)),
                Vec2::new(w, h),
            )
        })
        .collect()
}

/// Paints `text` with its `anchor` at `pos`, shrunk until it is at most `max_w` wide; returns
/// the rectangle it took.
fn fit_text(
    p: &egui::Painter,
    pos: Pos2,
    anchor: Align2,
    text: &str,
    size: f32,
    max_w: f32,
    color: Color32,
) -> Rect {
    let mut size = size.max(4.0);
    let mut galley = p.layout_no_wrap(text.to_string(), FontId::proportional(size), color);
    if galley.size().x > max_w && max_w > 0.0 {
        size = (size * max_w / galley.size().x * 0.98).max(4.0);
        galley = p.layout_no_wrap(text.to_string(), FontId::proportional(size), color);
    }
    let r = anchor.anchor_size(pos, galley.size());
    p.galley(r.min, galley, color);
    r
}

fn clock_text(us: i64) -> String {
    let s = format_rfc3339(us);
    // "2013-04-14T23:59:58.123456Z" -> "2013-04-14 23:59:58 UTC"
    let s = s.replace('T', " ");
    format!("{} UTC", s.split('.').next().unwrap_or(&s).trim_end_matches('Z'))
}

fn paint_wall(p: &egui::Painter, rect: Rect, st: &WallState, now_us: i64) -> Vec<PanelFit> {
    let (tiles, lists): (&[Tile], Vec<&OutboundList>) = match &st.last {
        Some(r) => (
            &r.wall.tiles,
            [r.wall.outbound_by_bytes.as_ref(), r.wall.outbound_by_connections.as_ref()]
                .into_iter()
                .flatten()
                .collect(),
        ),
        None => (&[], Vec::new()),
    };
    let rects = wall_rects(rect, tiles.len(), lists.len());
    let s = rects.scale;
    let mut fits = vec![PanelFit {
        name: "header".into(),
        allotted: rects.header,
        content: header(p, rects.header, s, st, now_us),
    }];
    let Some(r) = &st.last else {
        let msg = match &st.error {
            Some(e) => format!("cannot show the wall: {e}"),
            None => "reading the logs…".into(),
        };
        fit_text(
            p,
            rect.center(),
            Align2::CENTER_CENTER,
            &msg,
            40.0 * s,
            rect.width() * 0.9,
            if st.error.is_some() { WARN } else { DIM },
        );
        return fits;
    };
    if r.wall.tiles.is_empty() {
        let msg =
            "none of the wall's metrics has its fields in these logs (action, event_type, src_ip, bytes)";
        let c = Rect::from_min_max(Pos2::new(rect.left(), rects.header.bottom()), rect.max).center();
        fits.push(PanelFit {
            name: "no metrics".into(),
            allotted: rect,
            content: fit_text(p, c, Align2::CENTER_CENTER, msg, 30.0 * s, rect.width() * 0.9, DIM),
        });
    }
    for (t, tr) in tiles.iter().zip(&rects.tiles) {
        fits.push(PanelFit { name: t.label.clone(), allotted: *tr, content: tile(p, *tr, s, t) });
    }
    for (l, lr) in lists.iter().zip(&rects.lists) {
        fits.push(PanelFit {
            name: format!("outbound by {}", l.by),
            allotted: *lr,
            content: outbound(p, *lr, s, l, st.cfg.second_page),
        });
    }
    fits
}

fn header(p: &egui::Painter, r: Rect, s: f32, st: &WallState, now_us: i64) -> Rect {
    let w = r.width();
    let line = r.height() / 2.0;
    let mut c =
        fit_text(p, r.left_top(), Align2::LEFT_TOP, "Brushfire · SOC wall", line * 0.75, w * 0.5, TEXT);
    let clock = clock_text(now_us);
    c = c.union(fit_text(p, r.right_top(), Align2::RIGHT_TOP, &clock, line * 0.75, w * 0.45, TEXT));
    let (left2, right2, warn) = match &st.last {
        Some(rf) => {
            let wall = &rf.wall;
            let what = match st.cfg.window {
                WindowKind::Last24h => "last 24 h",
                WindowKind::Today => "today so far",
            };
            let left = format!(
                "{what} to {} vs the same window a week earlier · {} rows · {}",
                clock_text(wall.now_us),
                rf.rows,
                rf.format
            );
            let as_of = wall.data_end_us.map(clock_text).unwrap_or_else(|| "no timed records".into());
            let (right, warn) = if !rf.following {
                (format!("data as of {as_of} (a finished file: now = end of data)"), false)
            } else if let Some(q) = st.quiet_warning(now_us) {
                (format!("NO NEW DATA for {} min · data as of {as_of}", q / 60_000_000), true)
            } else {
                (format!("data as of {as_of} · following, refresh every {} s", st.cfg.refresh_secs), false)
            };
            (left, right, warn)
        }
        None => ("reading…".into(), String::new(), false),
    };
    let y = r.top() + line;
    c = c.union(fit_text(p, Pos2::new(r.left(), y), Align2::LEFT_TOP, &left2, line * 0.45, w * 0.52, DIM));
    if !right2.is_empty() {
        c = c.union(fit_text(
            p,
            Pos2::new(r.right(), y),
            Align2::RIGHT_TOP,
            &right2,
            line * 0.45,
            w * 0.46,
            if warn { WARN } else { DIM },
        ));
    }
    if let Some(e) = &st.error {
        c = c.union(fit_text(
            p,
            Pos2::new(r.center().x, r.top()),
            Align2::CENTER_TOP,
            &format!("refresh failed: {e}"),
            line * 0.4,
            w * 0.3,
            WARN,
        ));
    }
    let _ = s;
    c
}

fn is_bytes(t: &Tile) -> bool {
    t.metric == crate::dashboard::MetricKind::BytesOut
}

fn tile(p: &egui::Painter, r: Rect, s: f32, t: &Tile) -> Rect {
    p.rect_filled(r, 6.0 * s, PANEL);
    let pad = (12.0 * s).max(4.0);
    let inner = r.shrink(pad);
    let w = inner.width();
    let h = inner.height();
    // Rows as shares of the tile height: label, value, bullet, two lines of context.
    let label_h = h * 0.15;
    let value_h = h * 0.30;
    let bullet_h = h * 0.17;
    let line_h = h * 0.13;
    let mut c = fit_text(p, inner.left_top(), Align2::LEFT_TOP, &t.label, label_h * 0.85, w, DIM);
    let color = match t.band.as_deref() {
        Some("above") | Some("high") => HIGH,
        Some("below") | Some("low") => LOW,
        _ => TEXT,
    };
    let y_value = inner.top() + label_h;
    let value = bullet::human(t.value, is_bytes(t));
    c = c.union(fit_text(
        p,
        Pos2::new(inner.left(), y_value),
        Align2::LEFT_TOP,
        &value,
        value_h * 0.9,
        w * 0.55,
        color,
    ));
    let pct = t.percent.map(|x| format!("{x:.1} %")).unwrap_or_else(|| "– %".into());
    c = c.union(fit_text(
        p,
        Pos2::new(inner.right(), y_value),
        Align2::RIGHT_TOP,
        &pct,
        value_h * 0.5,
        w * 0.42,
        TEXT,
    ));
    c = c.union(fit_text(
        p,
        Pos2::new(inner.right(), y_value + value_h * 0.55),
        Align2::RIGHT_TOP,
        &format!("{} {}", t.whole_label, bullet::human(t.whole, is_bytes(t))),
        value_h * 0.28,
        w * 0.42,
        DIM,
    ));
    let by = y_value + value_h + h * 0.03;
    let brect = Rect::from_min_size(Pos2::new(inner.left(), by), Vec2::new(w, bullet_h));
    paint_bullet(p, brect, &bullet::layout(t), color, TEXT);
    c = c.union(brect);
    let y1 = by + bullet_h + h * 0.04;
    let week = match t.week_earlier {
        Some(v) => format!(
            "week earlier {} · {}",
            bullet::human(v, is_bytes(t)),
            bullet::change_text(t.value, Some(v))
        ),
        None => bullet::change_text(t.value, None),
    };
    c = c.union(fit_text(p, Pos2::new(inner.left(), y1), Align2::LEFT_TOP, &week, line_h * 0.8, w, TEXT));
    let band = match (&t.bands, &t.band) {
        (Some(b), Some(name)) => format!(
            "{name} · usual {}–{} ({} earlier days)",
            bullet::human(b.p25, is_bytes(t)),
            bullet::human(b.p75, is_bytes(t)),
            b.samples
        ),
        _ => "no bands: fewer than 3 earlier days".into(),
    };
    c.union(fit_text(p, Pos2::new(inner.left(), y1 + line_h), Align2::LEFT_TOP, &band, line_h * 0.7, w, DIM))
}

fn outbound(p: &egui::Painter, r: Rect, s: f32, l: &OutboundList, second_page: bool) -> Rect {
    p.rect_filled(r, 6.0 * s, PANEL);
    let pad = (12.0 * s).max(4.0);
    let inner = r.shrink(pad);
    let w = inner.width();
    // Title, column heads and ten rows.
    let row_h = inner.height() / 12.0;
    let (from, to) = if second_page { (10, 20) } else { (0, 10) };
    let title = format!(
        "Outbound by {} · {}-{} of {} inside sources · total {}",
        l.by,
        from + 1,
        to,
        l.sources,
        bullet::human(l.total, l.by == "bytes")
    );
    let mut c = fit_text(p, inner.left_top(), Align2::LEFT_TOP, &title, row_h * 0.75, w, TEXT);
    let font = row_h * 0.62;
    // Columns: rank | source | value | share bar | change.
    let x_rank = inner.left();
    let x_src = inner.left() + w * 0.08;
    let x_val = inner.left() + w * 0.56;
    let x_bar = inner.left() + w * 0.58;
    let bar_w = w * 0.20;
    let x_chg = inner.right();
    let y_head = inner.top() + row_h;
    for (x, a, t, mw) in [
        (x_rank, Align2::LEFT_TOP, "#", w * 0.07),
        (x_src, Align2::LEFT_TOP, "source", w * 0.3),
        (x_val, Align2::RIGHT_TOP, l.by.as_str(), w * 0.2),
        (x_bar, Align2::LEFT_TOP, "share", bar_w),
        (x_chg, Align2::RIGHT_TOP, if l.has_week_earlier { "vs week" } else { "no week earlier" }, w * 0.2),
    ] {
        c = c.union(fit_text(p, Pos2::new(x, y_head), a, t, font * 0.8, mw, DIM));
    }
    let max_pct = l.entries.first().map(|e| e.percent).unwrap_or(0.0).max(1e-9);
    for (i, e) in l.entries.iter().skip(from).take(to - from).enumerate() {
        let y = y_head + row_h * (i as f32 + 1.0);
        let color = if e.new_in_top10 { NEW } else { TEXT };
        if e.new_in_top10 {
            let hl = Rect::from_min_size(Pos2::new(inner.left(), y), Vec2::new(w, row_h * 0.92));
            p.rect_filled(hl, 3.0 * s, Color32::from_rgba_unmultiplied(255, 220, 90, 28));
        }
        c = c.union(fit_text(
            p,
            Pos2::new(x_rank, y),
            Align2::LEFT_TOP,
            &e.rank.to_string(),
            font,
            w * 0.07,
            DIM,
        ));
        c = c.union(fit_text(p, Pos2::new(x_src, y), Align2::LEFT_TOP, &e.src_ip, font, w * 0.34, color));
        c = c.union(fit_text(
            p,
            Pos2::new(x_val, y),
            Align2::RIGHT_TOP,
            &bullet::human(e.value, l.by == "bytes"),
            font,
            w * 0.2,
            color,
        ));
        let bh = row_h * 0.45;
        let bar = Rect::from_min_size(
            Pos2::new(x_bar, y + (row_h - bh) / 2.0),
            Vec2::new((bar_w * (e.percent / max_pct) as f32).max(1.0), bh),
        );
        p.rect_filled(bar, 0.0, Color32::from_gray(120));
        c = c.union(fit_text(
            p,
            Pos2::new(x_bar + bar_w + 6.0 * s, y + row_h * 0.5),
            Align2::LEFT_CENTER,
            &format!("{:.1}%", e.percent),
            font * 0.8,
            w * 0.09,
            DIM,
        ));
        let (chg, col) = match (e.new_in_top10, e.rank_change) {
            (true, _) => ("NEW".to_string(), NEW),
            (false, Some(0)) => ("=".to_string(), DIM),
            (false, Some(d)) if d > 0 => (format!("up {d}"), HIGH),
            (false, Some(d)) => (format!("down {}", -d), LOW),
            (false, None) if l.has_week_earlier => ("NEW".to_string(), NEW),
            (false, None) => ("–".to_string(), DIM),
        };
        c = c.union(fit_text(p, Pos2::new(x_chg, y), Align2::RIGHT_TOP, &chg, font, w * 0.11, col));
    }
    if l.entries.len() <= from {
        c = c.union(fit_text(
            p,
            Pos2::new(inner.left(), y_head + row_h),
            Align2::LEFT_TOP,
            "no outbound traffic in these positions",
            font,
            w,
            DIM,
        ));
    }
    c
}

/// The headless twin of the wall: one refresh at `clock_us`, drawn at `size` by the same
/// [`WallState::wall_ui`] the window uses, on a CPU/GPU wgpu renderer without a window.
pub fn snapshot(
    paths: Vec<PathBuf>,
    opts: LoadOptions,
    cfg: DashboardConfig,
    clock_us: i64,
    size: [f32; 2],
) -> Result<(Refreshed, Vec<PanelFit>, Option<Picture>), String> {
    let mut st = WallState::new(paths, opts, cfg, Arc::new(ManualClock::new(clock_us)));
    st.auto_refresh = false;
    st.refresh_blocking();
    if let Some(e) = &st.error {
        return Err(e.clone());
    }
    let refreshed = st.last.clone().ok_or("no refresh result")?;
    let state = Arc::new(Mutex::new(st));
    let s2 = state.clone();
    let mut h = egui_kittest::Harness::builder().with_size(size).wgpu().build_ui(move |ui| {
        if let Ok(mut st) = s2.lock() {
            st.wall_ui(ui);
        }
    });
    h.run_steps(2);
    let img = h.render().ok().map(|i| Picture { width: i.width(), height: i.height(), rgba: i.into_raw() });
    drop(h);
    let fits = state.lock().map(|s| s.fits.clone()).unwrap_or_default();
    Ok((refreshed, fits, img))
}

/// A rendered wall: 8-bit RGBA rows, top to bottom.
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// Writes an RGBA picture as PNG, atomically.
pub fn write_png(path: &std::path::Path, img: &Picture) -> Result<(), String> {
    crate::data::atomic::write_atomic(path, &[], |w| {
        let mut enc = png::Encoder::new(w, img.width, img.height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let io = |e: png::EncodingError| crate::data::DataError::Other(format!("{}: {e}", path.display()));
        let mut wr = enc.write_header().map_err(io)?;
        wr.write_image_data(&img.rgba).map_err(io)?;
        wr.finish().map_err(io)?;
        Ok(())
    })
    .map_err(|e| e.to_string())
}

/// `brushfire --dashboard`: the wall alone, full screen. Esc leaves full screen.
pub struct WallApp {
    pub state: WallState,
}

impl eframe::App for WallApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if ui.ctx().input(|i| i.key_pressed(egui::Key::Escape)) {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
        }
        if ui.ctx().input(|i| i.key_pressed(egui::Key::Space)) {
            // Page the outbound lists (1-10 / 11-20) without any visible control.
            self.state.cfg.second_page = !self.state.cfg.second_page;
        }
        self.state.wall_ui(ui);
    }
}

pub fn run_wall(args: Vec<PathBuf>, local_networks: Vec<String>, tz: Option<i32>) -> anyhow::Result<()> {
    let (paths, cfg, load) = crate::dashboard::source::resolve_args(&args).map_err(anyhow::Error::msg)?;
    let mut cfg = cfg.unwrap_or_default();
    if !local_networks.is_empty() {
        cfg.local_networks = local_networks;
    }
    let opts = LoadOptions {
        tz_offset_secs: tz.or_else(|| crate::data::timeparse::parse_offset_setting(&load.tz)).unwrap_or(0),
        default_year: load.year.trim().parse().ok(),
        format: None,
        only_fields: None,
    };
    let state = WallState::new(paths, opts, cfg, Arc::new(SystemClock));
    let options = eframe::NativeOptions {
        // Full screen; where that is not granted (an X session without a window manager) a
        // 1920x1080 window, the usual wall screen.
        viewport: egui::ViewportBuilder::default()
            .with_title("Brushfire wall")
            .with_inner_size([1920.0, 1080.0])
            .with_position([0.0, 0.0])
            .with_fullscreen(true),
        ..Default::default()
    };
    eframe::run_native("Brushfire wall", options, Box::new(move |_cc| Ok(Box::new(WallApp { state }))))
        .map_err(|e| anyhow::anyhow!("could not start the wall: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rects_stay_inside_the_screen_and_do_not_overlap() {
        for size in [[1280.0, 720.0], [3840.0, 2160.0], [1920.0, 1080.0]] {
            let screen = Rect::from_min_size(Pos2::ZERO, size.into());
            let r = wall_rects(screen, 5, 2);
            let all: Vec<Rect> =
                std::iter::once(r.header).chain(r.tiles.clone()).chain(r.lists.clone()).collect();
            for (i, a) in all.iter().enumerate() {
                assert!(screen.contains_rect(*a), "{a:?} outside {screen:?}");
                for b in &all[i + 1..] {
                    assert!(!a.intersects(*b) || a.intersect(*b).area() == 0.0, "{a:?} overlaps {b:?}");
                }
            }
        }
    }
}
