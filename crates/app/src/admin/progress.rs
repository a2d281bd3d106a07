//! The progress bar of `hub jobs retry|discard` and `hub replay`: on stderr when it is a terminal, hidden
//! otherwise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` steps labelled `what`; hidden when stderr is not a terminal.
pub(super) fn bar(len: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

/// Prints a line above the progress bar (a hidden bar would swallow `println`).
pub(super) fn say(bar: &ProgressBar, line: String) {
    bar.suspend(|| println!("{line}"));
}
