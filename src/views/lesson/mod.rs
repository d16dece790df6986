//! The lesson panel's pure part: which step is shown, how many hints are open, which steps the
//! student has passed, presenter mode. The panel (`lesson_ui`) draws it and returns what was
//! clicked; the app applies solutions and evaluates checks.
pub mod lesson_ui;

use std::collections::BTreeSet;

/// Where a check stands for the shown step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tick {
    /// The app's state satisfies the step.
    Passed,
    NotYet,
    /// Being evaluated (a SQL check runs off the UI thread).
    Checking,
    /// The check itself failed to run (a broken lesson query): shown, never green.
    Broken(String),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepModel {
    /// 0-based step shown.
    pub step: usize,
    pub steps: usize,
    /// Hints opened on the shown step.
    pub hints_shown: usize,
    /// Steps whose check the student's state satisfied at some point.
    pub passed: BTreeSet<usize>,
    /// Larger type and high contrast for a projector.
    pub presenter: bool,
}

impl StepModel {
    pub fn new(steps: usize) -> Self {
        StepModel { steps, ..Default::default() }
    }

    /// "step 3 of 8".
    pub fn progress_text(&self) -> String {
        format!("step {} of {}", self.step + 1, self.steps)
    }

    pub fn can_back(&self) -> bool {
        self.step > 0
    }

    pub fn can_next(&self) -> bool {
        self.step + 1 < self.steps
    }

    pub fn back(&mut self) {
        if self.can_back() {
            self.step -= 1;
            self.hints_shown = 0;
        }
    }

    pub fn next(&mut self) {
        if self.can_next() {
            self.step += 1;
            self.hints_shown = 0;
        }
    }

    /// Opens the next hint of the step; false when all are open.
    pub fn show_hint(&mut self, hints: usize) -> bool {
        if self.hints_shown < hints {
            self.hints_shown += 1;
            true
        } else {
            false
        }
    }

    /// Records what the check said about the shown step.
    pub fn observe(&mut self, tick: &Tick) {
        if *tick == Tick::Passed {
            self.passed.insert(self.step);
        }
    }

    /// Restores saved progress, clamped to this lesson's steps.
    pub fn restore(&mut self, step: usize, passed: impl IntoIterator<Item = usize>) {
        self.step = step.min(self.steps.saturating_sub(1));
        self.passed = passed.into_iter().filter(|s| *s < self.steps).collect();
        self.hints_shown = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_move_within_bounds_and_hints_reset() {
        let mut m = StepModel::new(3);
        assert_eq!(m.progress_text(), "step 1 of 3");
        m.back();
        assert_eq!(m.step, 0);
        assert!(m.show_hint(2) && m.show_hint(2) && !m.show_hint(2));
        m.next();
        assert_eq!((m.step, m.hints_shown), (1, 0));
        m.next();
        m.next();
        assert_eq!(m.progress_text(), "step 3 of 3");
        m.observe(&Tick::NotYet);
        assert!(m.passed.is_empty());
        m.observe(&Tick::Passed);
        assert!(m.passed.contains(&2));
        m.restore(9, [0, 7]);
        assert_eq!(m.step, 2);
        assert_eq!(m.passed.iter().copied().collect::<Vec<_>>(), vec![0]);
    }
}
