//! The one progress facility of every long command: plain lines on standard error, at most one a
//! second per stage and always the last, e.g. `teller: checking ballots: 51200/150000 (34%)`.
//! Plain lines rather than a redrawn bar, so a log or a script reads them as they are.

use std::sync::Mutex;
use std::time::Instant;

use crate::core::verify::Progress;

/// Shows progress on standard error: at most one line a second per stage, and the last.
pub struct ProgressLine {
    quiet: bool,
    last: Mutex<(Option<&'static str>, Instant)>,
}

impl ProgressLine {
    /// Shows nothing if `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self {
            quiet,
            last: Mutex::new((None, Instant::now())),
        }
    }

    /// Shows `progress` if a second has passed, the stage is new, or it is done.
    pub fn show(&self, progress: Progress) {
        if self.quiet {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let new_stage = last.0 != Some(progress.stage);
        let finished = progress.done == progress.total;
        if new_stage || finished || last.1.elapsed().as_secs() >= 1 {
            let percent = (progress.done * 100)
                .checked_div(progress.total)
                .unwrap_or(100);
            eprintln!(
                "teller: {}: {}/{} ({percent}%)",
                progress.stage, progress.done, progress.total
            );
            *last = (Some(progress.stage), Instant::now());
        }
    }
}

impl ProgressLine {
    /// `show` as a callback, for the library's progress parameters.
    pub fn callback(&self) -> impl Fn(Progress) + Sync + '_ {
        move |p| self.show(p)
    }
}
