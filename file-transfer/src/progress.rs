//! Progress of a transfer: a bar with bytes, rate and ETA (indicatif) when
//! stdout is a terminal, otherwise a handful of the original's lines
//! (`已发送: 512/1024 字节`), one each time another tenth is done, instead of
//! one per KiB.

use common::log::Output;
use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    out: Output,
    /// The start of each line; `None` draws only the bar, and only on a
    /// terminal (hashing: the originals print nothing for it).
    verb: Option<&'static str>,
    total: u64,
    done: u64,
    tenths: u64,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// `verb` starts each line: `已发送` (sent) or `已接收` (received).
    pub fn new(out: &Output, verb: &'static str, total: u64) -> Self {
        Self::start(out, Some(verb), total)
    }

    /// A bar for computing the md5 of `total` bytes, on a terminal only.
    pub fn hashing(out: &Output, total: u64) -> Self {
        Self::start(out, None, total)
    }

    fn start(out: &Output, verb: Option<&'static str>, total: u64) -> Self {
        let bar = out.is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            let label = if verb.is_some() { "" } else { "md5 " };
            if let Ok(style) = ProgressStyle::with_template(&format!(
                "{label}{{bar:40}} {{bytes}}/{{total_bytes}} {{bytes_per_sec}} ETA {{eta}}"
            )) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            out: out.clone(),
            verb,
            total,
            done: 0,
            tenths: 0,
            bar,
        }
    }

    /// `n` more bytes are done.
    pub fn advance(&mut self, n: u64) {
        self.advance_to(self.done + n);
    }

    /// `done` bytes are done in all.
    pub fn advance_to(&mut self, done: u64) {
        self.done = done;
        if let Some(bar) = &self.bar {
            bar.set_position(self.done);
            return;
        }
        let Some(verb) = self.verb else { return };
        let tenths = self.done.saturating_mul(10) / self.total.max(1);
        if tenths > self.tenths {
            self.tenths = tenths;
            self.out
                .line(format!("{verb}: {}/{} 字节", self.done, self.total));
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
