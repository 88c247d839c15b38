//! Transfer progress on stderr, shown only when stderr is a terminal and the
//! transfer is large enough to be worth watching.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Transfers smaller than this (in bytes) show no progress.
const MIN_BYTES: u64 = 4 * 1024 * 1024;
const REDRAW: Duration = Duration::from_millis(100);

/// A shared byte counter that redraws one status line on stderr.
///
/// Cloning shares the counter. When stderr is not a terminal, or the total
/// is under 4 MiB, every method is a no-op.
#[derive(Debug, Clone)]
pub struct Progress(Option<Rc<RefCell<State>>>);

#[derive(Debug)]
struct State {
    label: String,
    total: u64,
    done: u64,
    started: Instant,
    drawn: Option<Instant>,
}

impl Progress {
    /// A progress line `label` for a transfer of `total` bytes.
    pub fn new(label: impl Into<String>, total: u64) -> Progress {
        if total < MIN_BYTES || !stderr_is_terminal() {
            return Progress(None);
        }
        Progress(Some(Rc::new(RefCell::new(State {
            label: label.into(),
            total,
            done: 0,
            started: Instant::now(),
            drawn: None,
        }))))
    }

    /// Counts `n` more bytes transferred.
    pub fn advance(&self, n: u64) {
        let Some(state) = &self.0 else { return };
        let mut s = state.borrow_mut();
        s.done += n;
        let now = Instant::now();
        if s.drawn.is_none_or(|t| now - t >= REDRAW) || s.done >= s.total {
            s.drawn = Some(now);
            let secs = (now - s.started).as_secs_f64().max(0.001);
            let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
            let _ = write!(
                std::io::stderr(),
                "\r\x1b[2K{:>12} {:.1}/{:.1} MiB ({:.1} MiB/s)",
                s.label,
                mib(s.done),
                mib(s.total),
                mib(s.done) / secs
            );
        }
    }

    /// Clears the status line.
    pub fn finish(&self) {
        if let Some(state) = &self.0
            && state.borrow().drawn.is_some()
        {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

fn stderr_is_terminal() -> bool {
    wasip2::cli::terminal_stderr::get_terminal_stderr().is_some()
}

/// A status line on stderr in cargo's layout: the verb right-aligned in 12
/// columns, then the message (`      Locked wasi:http 0.2.3`).
pub fn status(verb: &str, message: impl std::fmt::Display) {
    eprintln!("{verb:>12} {message}");
}
