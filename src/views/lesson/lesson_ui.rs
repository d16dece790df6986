//! The lesson tile: step text, "step 3 of 8", the tick, hints one at a time, show me, back, next,
//! reset, presenter mode.
use super::{StepModel, Tick};
use crate::lesson::handout::describe_check;
use crate::lesson::Lesson;
use egui::{Color32, RichText};

/// What the student asked for that the app carries out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LessonEdit {
    /// Apply the shown step's solution.
    ShowMe,
    /// Put the state back to how it was when the step was entered.
    ResetStep,
    /// Another step is shown now.
    StepChanged,
}

pub const PASSED_GREEN: Color32 = Color32::from_rgb(46, 160, 67);
/// Accessible texts of the tick (tests find the tick by them).
pub const TICK_PASSED: &str = "Done";
pub const TICK_NOT_YET: &str = "Not yet";
pub const TICK_CHECKING: &str = "checking…";

struct Look {
    body: f32,
    heading: f32,
    text: Color32,
    weak: Color32,
    accent: Color32,
    fill: Option<Color32>,
}

fn look(presenter: bool, ui: &egui::Ui) -> Look {
    if presenter {
        // Projectors wash out greys: white on black, yellow accents, big type.
        Look {
            body: 24.0,
            heading: 34.0,
            text: Color32::WHITE,
            weak: Color32::from_gray(220),
            accent: Color32::from_rgb(255, 214, 0),
            fill: Some(Color32::BLACK),
        }
    } else {
        Look {
            body: 15.0,
            heading: 20.0,
            text: ui.visuals().strong_text_color(),
            weak: ui.visuals().weak_text_color(),
            accent: ui.visuals().hyperlink_color,
            fill: None,
        }
    }
}

pub fn lesson_ui(ui: &mut egui::Ui, lesson: &Lesson, m: &mut StepModel, tick: &Tick) -> Option<LessonEdit> {
    let mut edit = None;
    let lk = look(m.presenter, ui);
    let mut frame = egui::Frame::new().inner_margin(8.0);
    if let Some(f) = lk.fill {
        frame = frame.fill(f);
    }
    frame.show(ui, |ui| {
        ui.set_min_size(ui.available_size());
        egui::ScrollArea::vertical().id_salt("lesson_scroll").auto_shrink([false, false]).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new(&lesson.title).size(lk.heading).strong().color(lk.text));
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.checkbox(
                        &mut m.presenter,
                        RichText::new("Presenter").size(lk.body * 0.8).color(lk.text),
                    );
                });
            });
            let Some(step) = lesson.steps.get(m.step) else {
                return;
            };
            ui.horizontal(|ui| {
                ui.label(RichText::new(m.progress_text()).size(lk.body).strong().color(lk.accent));
                ui.label(
                    RichText::new(format!("· {} of {} done", m.passed.len(), m.steps))
                        .size(lk.body * 0.85)
                        .color(lk.weak),
                );
            });
            ui.add(
                egui::ProgressBar::new(m.passed.len() as f32 / m.steps.max(1) as f32)
                    .desired_height(if m.presenter { 10.0 } else { 5.0 }),
            );
            ui.add_space(6.0);
            ui.label(RichText::new(&step.title).size(lk.heading * 0.9).strong().color(lk.text));
            ui.add_space(4.0);
            for para in step.text.trim().split("\n\n") {
                ui.label(
                    RichText::new(para.split_whitespace().collect::<Vec<_>>().join(" "))
                        .size(lk.body)
                        .color(lk.text),
                );
                ui.add_space(3.0);
            }
            ui.add_space(4.0);
            ui.horizontal_wrapped(|ui| {
                let (text, color) = match tick {
                    Tick::Passed => (TICK_PASSED.to_string(), PASSED_GREEN),
                    Tick::NotYet => (TICK_NOT_YET.to_string(), lk.weak),
                    Tick::Checking => (TICK_CHECKING.to_string(), lk.weak),
                    Tick::Broken(e) => (format!("the check failed: {e}"), ui.visuals().error_fg_color),
                };
                tick_mark_ui(ui, *tick == Tick::Passed, color, lk.body * 1.3);
                let big = RichText::new(text).size(lk.body * 1.15).strong().color(color);
                let big = if *tick == Tick::Passed && m.presenter {
                    big.background_color(Color32::from_rgb(0, 60, 0))
                } else {
                    big
                };
                ui.label(big);
                ui.label(
                    RichText::new(format!("when {}", describe_check(&step.check)))
                        .size(lk.body * 0.8)
                        .color(lk.weak),
                );
            });
            for (i, h) in step.hints.iter().take(m.hints_shown).enumerate() {
                ui.label(
                    RichText::new(format!("Hint {}: {h}", i + 1))
                        .size(lk.body * 0.9)
                        .italics()
                        .color(lk.accent),
                );
            }
            ui.add_space(6.0);
            let button = |t: &str| egui::Button::new(RichText::new(t).size(lk.body * 0.9));
            ui.horizontal_wrapped(|ui| {
                let more = m.hints_shown < step.hints.len();
                let hint_label = if step.hints.is_empty() {
                    "No hints".to_string()
                } else {
                    format!("Hint ({} of {})", m.hints_shown.min(step.hints.len()), step.hints.len())
                };
                if ui.add_enabled(more, button(&hint_label)).clicked() {
                    m.show_hint(step.hints.len());
                }
                if ui.add(button("Show me")).on_hover_text("apply this step's solution").clicked() {
                    edit = Some(LessonEdit::ShowMe);
                }
                if ui
                    .add(button("Reset step"))
                    .on_hover_text("put the filters and views back to how they were when this step began")
                    .clicked()
                {
                    edit = Some(LessonEdit::ResetStep);
                }
            });
            ui.horizontal(|ui| {
                if ui.add_enabled(m.can_back(), button("< Back")).clicked() {
                    m.back();
                    edit = Some(LessonEdit::StepChanged);
                }
                if ui.add_enabled(m.can_next(), button("Next >")).clicked() {
                    m.next();
                    edit = Some(LessonEdit::StepChanged);
                }
            });
        });
    });
    edit
}

/// A round tick: a green disc with a check mark once the step passes, a grey ring before.
fn tick_mark_ui(ui: &mut egui::Ui, passed: bool, color: Color32, size: f32) {
    let (r, _) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    let c = r.center();
    let rad = size * 0.45;
    if passed {
        ui.painter().circle_filled(c, rad, color);
        let s = egui::Stroke::new(size * 0.12, Color32::WHITE);
        let p = |x: f32, y: f32| c + egui::vec2(x * rad, y * rad);
        ui.painter().line_segment([p(-0.5, 0.0), p(-0.1, 0.4)], s);
        ui.painter().line_segment([p(-0.1, 0.4), p(0.55, -0.4)], s);
    } else {
        ui.painter().circle_stroke(c, rad, egui::Stroke::new(size * 0.08, color));
    }
}
