//! Time series view: draws the series with the comparison line behind it and turns drags into
//! time-interval clauses.
use super::{as_steps, brush_for, display_bucket_us, gesture_at, rebin, BrushGesture, Compare};
use crate::linking::selection::Clause;
use crate::views::common::{compact, palette, ViewEdit};
use egui_plot::{Legend, Line, LineStyle, Plot, PlotPoint, Span, Text, VLine};

/// The engine's base series for this view.
pub struct TimeData<'a> {
    pub origin_us: i64,
    pub bucket_us: i64,
    pub total: &'a [i64],
    pub series: &'a [(String, Vec<i64>)],
}

pub struct TimeSeriesState {
    pub measure: String,
    pub compare: Compare,
    /// Split into series by the top values of this field.
    pub split: Option<String>,
    gesture: Option<BrushGesture>,
    drag_brush: Option<(f64, f64)>,
    /// Visible x range (secs) as of the last frame; None until first shown.
    visible: Option<(f64, f64)>,
    reset_view: bool,
    width_px: f32,
    /// Bookmarks to mark on the time axis: (start secs, title). Set by the app every frame.
    pub marks: Vec<(f64, String)>,
    /// The plot's data frame on screen and the x range (secs) it shows, as of the last frame.
    screen_map: Option<(egui::Rect, (f64, f64))>,
    /// Brushes snap to multiples of this width (µs since the epoch): set by the app over a lake,
    /// whose time cube answers brushes on its bin grid within a frame (Falcon's pixel bins).
    pub snap_us: Option<i64>,
}

impl Default for TimeSeriesState {
    fn default() -> Self {
        Self {
            measure: "count".into(),
            compare: Compare::WeekEarlier,
            split: None,
            gesture: None,
            drag_brush: None,
            visible: None,
            reset_view: true,
            width_px: 800.0,
            marks: Vec::new(),
            screen_map: None,
            snap_us: None,
        }
    }
}

impl TimeSeriesState {
    /// Where time lies on screen as of the last frame: the plot's data frame and the x range
    /// (epoch seconds) it spans (for pointing at a time, as tests do).
    pub fn x_screen_map(&self) -> Option<(egui::Rect, (f64, f64))> {
        self.screen_map
    }

    /// Call when new data is loaded: the view fits the whole range again.
    pub fn reset(&mut self) {
        self.reset_view = true;
        self.visible = None;
        self.gesture = None;
        self.drag_brush = None;
    }
}

const MEASURES: [&str; 3] = ["count", "bytes", "packets"];

/// Controls, plot and brush. Returns the edit of this view's clause, if any.
pub fn timeseries_ui(
    ui: &mut egui::Ui,
    state: &mut TimeSeriesState,
    data: Option<TimeData<'_>>,
    own: Option<&Clause>,
    split_fields: &[String],
) -> Option<ViewEdit> {
    let mut edit = None;
    // Wraps in a narrow tile (beside a lesson) instead of pushing the plot past the window.
    ui.horizontal_wrapped(|ui| {
        ui.strong("Time series");
        crate::views::common::labeled_combo(ui, "Measure", state.measure.clone(), |ui| {
            for m in MEASURES {
                ui.selectable_value(&mut state.measure, m.to_string(), m);
            }
        });
        crate::views::common::labeled_combo(ui, "Compare with", state.compare.label(), |ui| {
            for c in [Compare::WeekEarlier, Compare::DayEarlier, Compare::Off] {
                ui.selectable_value(&mut state.compare, c, c.label());
            }
        });
        let split_text = state.split.clone().map(|s| format!("top 5 {s}")).unwrap_or_else(|| "none".into());
        crate::views::common::labeled_combo(ui, "Split", split_text, |ui| {
            ui.selectable_value(&mut state.split, None, "none");
            for f in split_fields {
                ui.selectable_value(&mut state.split, Some(f.clone()), format!("top 5 {f}"));
            }
        });
        if ui.button("Fit").on_hover_text("Show the whole time range").clicked() {
            state.reset_view = true;
        }
        if own.is_some() && ui.button("Clear brush").clicked() {
            edit = Some(ViewEdit { clause: None, continuing: false });
        }
        ui.weak("drag: brush · drag inside: move · edges: resize · Esc / double-click: clear · scroll: zoom");
    });
    let Some(data) = data else {
        ui.centered_and_justified(|ui| ui.weak("no time data"));
        return edit;
    };
    if data.total.is_empty() {
        ui.centered_and_justified(|ui| ui.weak("no records with a time in this selection"));
        return edit;
    }
    let full_from = data.origin_us as f64 / 1e6;
    let full_to = (data.origin_us + data.bucket_us * data.total.len() as i64) as f64 / 1e6;
    let (vis_from, vis_to) = state.visible.unwrap_or((full_from, full_to));
    let span = (vis_to - vis_from).max(1e-3);
    let bucket_us = display_bucket_us(data.bucket_us, span * 1e6, state.width_px, 4.0);
    let bucket_secs = bucket_us as f64 / 1e6;
    // Draw a little beyond the visible range so panning shows no gaps at the edges.
    let from_us = ((vis_from - span * 0.1) * 1e6) as i64;
    let to_us = ((vis_to + span * 0.1) * 1e6) as i64;
    let line_of = |values: &[i64], shift: i64| {
        as_steps(
            &rebin(values, data.origin_us, data.bucket_us, bucket_us, from_us, to_us, shift),
            bucket_secs,
        )
    };
    let main = line_of(data.total, 0);
    let cmp = state.compare.shift_us().map(|s| line_of(data.total, s));
    let series: Vec<(String, Vec<[f64; 2]>)> =
        data.series.iter().take(6).map(|(name, v)| (name.clone(), line_of(v, 0))).collect();

    let own_brush = match own {
        Some(Clause::Time { start_us, end_us }) => Some((*start_us as f64 / 1e6, *end_us as f64 / 1e6)),
        _ => None,
    };
    let shown_brush = state.drag_brush.or(own_brush);
    let reset = std::mem::take(&mut state.reset_view);
    let measure = state.measure.clone();
    let bucket_label = human_duration(bucket_secs);
    let compare = state.compare;
    let marks = state.marks.clone();
    let plot = Plot::new("timeseries_plot")
        .allow_drag(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .allow_zoom([true, false])
        .allow_scroll([true, false])
        .auto_bounds([false, true])
        .include_y(0.0)
        .default_x_bounds(full_from, full_to)
        .legend(Legend::default())
        .y_grid_spacer(egui_plot::uniform_grid_spacer(|g| super::nice_y_steps(g.base_step_size)))
        .y_axis_formatter(|m, _| compact(m.value))
        .y_axis_label(format!("{measure} per {bucket_label}"))
        .x_grid_spacer(egui_plot::uniform_grid_spacer(|g| super::nice_time_steps(g.base_step_size)))
        .x_axis_formatter(move |m, r| super::axis_label(m.value, m.step_size, r.end() - r.start()))
        .label_formatter(move |hover| {
            let (name, p) = match hover {
                egui_plot::HoverPosition::NearDataPoint { plot_name, position, .. } => {
                    (*plot_name, *position)
                }
                egui_plot::HoverPosition::Elsewhere { position } => ("", *position),
            };
            chrono::DateTime::from_timestamp(p.x.floor() as i64, 0)
                .map(|d| format!("{name}\n{}\n{}", d.format("%Y-%m-%d %H:%M:%S"), compact(p.y)))
        });
    let resp = plot.show(ui, |pui| {
        if reset {
            pui.set_plot_bounds_x(full_from..=full_to);
        }
        if let Some(points) = cmp {
            pui.line(
                Line::new(format!("{} ({})", measure, compare.label()), points)
                    .color(palette::WEEK_EARLIER)
                    .style(LineStyle::dashed_dense())
                    .width(2.0),
            );
        }
        if series.is_empty() {
            pui.line(Line::new(format!("{measure} (selection)"), main).color(palette::BAR).width(2.0));
        } else {
            for (i, (name, pts)) in series.into_iter().enumerate() {
                let c = palette::CATEGORICAL[i % palette::CATEGORICAL.len()];
                pui.line(Line::new(name, pts).color(c).width(1.8));
            }
        }
        if let Some((a, b)) = shown_brush {
            pui.add(
                Span::new("", a..=b)
                    .fill(palette::BRUSH_FILL)
                    .border_color(palette::BAR_SELECTED)
                    .border_width(1.5),
            );
        }
        let b = pui.plot_bounds();
        for (x, title) in &marks {
            pui.vline(VLine::new("", *x).color(palette::BAR_SELECTED).width(1.0));
            let at = PlotPoint::new(*x, b.max()[1] * 0.97);
            pui.text(
                Text::new("", at, egui::RichText::new(title.as_str()).small()).anchor(egui::Align2::LEFT_TOP),
            );
        }
        (b.min()[0], b.max()[0])
    });
    state.visible = Some(resp.inner);
    state.width_px = resp.response.rect.width().max(100.0);
    let response = resp.response.clone();
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Figure, true, "Time series plot"));
    let transform = resp.transform;
    state.screen_map = Some((*transform.frame(), (transform.bounds().min()[0], transform.bounds().max()[0])));
    let x_at = |pos: egui::Pos2| transform.value_from_position(pos).x;
    let tol_secs = 6.0 / transform.dpos_dvalue_x().abs().max(1e-12);
    let snap_us = state.snap_us;
    let to_clause = |(a, b): (f64, f64)| -> Option<Clause> {
        let (a, b) = crate::linking::needs::snap_brush_us(((a * 1e6) as i64, (b * 1e6) as i64), snap_us);
        (b > a).then_some(Clause::Time { start_us: a, end_us: b })
    };

    if response.drag_started_by(egui::PointerButton::Primary) {
        if let Some(p) = response.interact_pointer_pos() {
            state.gesture = Some(gesture_at(own_brush, x_at(p), tol_secs));
        }
    }
    if let (Some(g), true) = (state.gesture, response.dragged_by(egui::PointerButton::Primary)) {
        if let Some(p) = response.interact_pointer_pos().or(ui.ctx().pointer_latest_pos()) {
            let b = brush_for(g, x_at(p));
            // Shown as it will filter: on the snap grid when there is one.
            let (sa, sb) =
                crate::linking::needs::snap_brush_us(((b.0 * 1e6) as i64, (b.1 * 1e6) as i64), snap_us);
            state.drag_brush = Some((sa as f64 / 1e6, sb as f64 / 1e6));
            if let Some(c) = to_clause(b) {
                edit = Some(ViewEdit { clause: Some(c), continuing: true });
            }
        }
    }
    if response.drag_stopped() {
        if let (Some(g), Some(p)) = (state.gesture.take(), ui.ctx().pointer_latest_pos()) {
            let b = brush_for(g, x_at(p));
            // A click-sized drag is not a brush.
            edit = Some(ViewEdit {
                clause: to_clause(b).filter(|_| (b.1 - b.0) > tol_secs / 3.0),
                continuing: false,
            });
        }
        state.drag_brush = None;
    }
    if response.double_clicked() && own.is_some() {
        edit = Some(ViewEdit { clause: None, continuing: false });
    }
    if response.hovered() && own.is_some() && ui.input(|i| i.key_pressed(egui::Key::Escape)) {
        edit = Some(ViewEdit { clause: None, continuing: false });
    }
    edit
}

pub fn human_duration(secs: f64) -> String {
    let s = secs.round() as i64;
    match s {
        s if s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}
