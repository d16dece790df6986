//! `brushfire bench startup`'s view from inside the window: with `BRUSHFIRE_STARTUP_PROBE` set,
//! the app prints one line when its first frame is built and one when every view holds its first
//! answer, then closes. The bench times those lines from outside (process start included).
use std::io::Write;

/// The variable that turns the probe on.
pub const ENV: &str = "BRUSHFIRE_STARTUP_PROBE";
/// Printed after the first frame is built.
pub const FIRST_FRAME: &str = "startup: first frame";
/// Printed once the data is loaded and every view has its first answer.
pub const VIEWS_READY: &str = "startup: views ready";

#[derive(Default)]
pub struct StartupProbe {
    first_frame_said: bool,
    views_ready_said: bool,
}

impl StartupProbe {
    /// A probe when the variable is set (a probed run must not touch the user's last session).
    pub fn from_env() -> Option<Self> {
        std::env::var_os(ENV).map(|_| Self::default())
    }

    /// Called after each frame is built: says what is reached, and closes the window at the end.
    pub fn after_frame(&mut self, ctx: &egui::Context, views_ready: bool) {
        let mut out = std::io::stdout().lock();
        if !self.first_frame_said {
            self.first_frame_said = true;
            let _ = writeln!(out, "{FIRST_FRAME}");
            let _ = out.flush();
        }
        if views_ready && !self.views_ready_said {
            self.views_ready_said = true;
            let _ = writeln!(out, "{VIEWS_READY}");
            let _ = out.flush();
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if !self.views_ready_said {
            // Keep frames coming while the load and the first answers run in the background.
            ctx.request_repaint();
        }
    }
}
