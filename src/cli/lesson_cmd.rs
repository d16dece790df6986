//! `brushfire lesson FILE... --check | --print`: the teacher's tools.
use crate::lesson;
use anyhow::{bail, Result};
use std::io::Write;
use std::path::PathBuf;

pub fn run(files: &[PathBuf], check: bool, print: bool) -> Result<()> {
    let mut failed = 0;
    for f in files {
        let l = match lesson::load(f) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("FAIL {e}");
                failed += 1;
                continue;
            }
        };
        if check {
            match lesson::sim::check_lesson(&l) {
                Ok(()) => eprintln!("ok   {}: {} ({} steps)", f.display(), l.title, l.steps.len()),
                Err(e) => {
                    eprintln!("FAIL {e}");
                    failed += 1;
                    continue;
                }
            }
        }
        if print {
            std::io::stdout().lock().write_all(lesson::handout::markdown(&l).as_bytes())?;
        }
    }
    if failed > 0 {
        bail!("{failed} of {} lesson(s) failed", files.len());
    }
    Ok(())
}
