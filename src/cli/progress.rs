//! The progress bar of a run on a terminal (none in CI, when quiet, or
//! when stderr is not a terminal).

use ibsim::run::Progress;

/// A progress bar, or nothing.
pub struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    /// A bar over trials when stderr is a terminal and not in CI or quiet.
    pub fn trials(quiet: bool) -> Bar {
        if quiet || !shown() {
            return Bar(None);
        }
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {bar:40} {pos}/{len} trials ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Bar(Some(b))
    }

    /// Moves the bar as the run reports.
    pub fn update(&self, p: Progress) {
        if let Some(b) = &self.0 {
            match p {
                Progress::Pass(n) => {
                    b.set_length(n);
                    b.set_position(0);
                }
                Progress::Done(k) => b.inc(k),
            }
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// Whether progress belongs on stderr: a terminal, and not CI.
pub fn shown() -> bool {
    std::env::var_os("CI").is_none() && std::io::IsTerminal::is_terminal(&std::io::stderr())
}
