//! eframe glue.
use std::path::PathBuf;

pub fn run_gui(_files: Vec<PathBuf>) -> anyhow::Result<()> {
    anyhow::bail!("GUI not built yet")
}
