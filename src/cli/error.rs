//! The one error type of the command line, and its exit codes.

use ibsim::exit;
use ibsim::run::Failure;

/// Why a subcommand did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What the library reports (usage, an invalid scenario, a failure).
    #[error(transparent)]
    Run(#[from] Failure),
    /// Already told on the terminal (an invalid file among several, a check
    /// that found differences): exit code 1.
    #[error("failed")]
    Reported,
}

impl Error {
    /// Wrong usage (a value out of range, a refused run): exit code 2.
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Run(Failure::Usage(message.into()))
    }

    /// Anything else that failed (a file, a shard, threads): exit code 1.
    pub fn failed(message: impl Into<String>) -> Error {
        Error::Run(Failure::Failed(message.into()))
    }

    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Run(Failure::Usage(_)) => exit::USAGE,
            Error::Run(Failure::Scenario(_) | Failure::Failed(_)) | Error::Reported => {
                exit::FAILURE
            }
        }
    }

    /// The error as one text (a scenario's problems joined by `; `).
    pub fn message(&self) -> String {
        match self {
            Error::Run(Failure::Usage(m) | Failure::Failed(m)) => m.clone(),
            Error::Run(Failure::Scenario(diags)) => diags
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            Error::Reported => "failed".into(),
        }
    }

    /// Prints the error on stderr: `error: ...`, or a scenario's problems
    /// one a line.
    pub fn print(&self) {
        match self {
            Error::Run(Failure::Usage(m) | Failure::Failed(m)) => eprintln!("error: {m}"),
            Error::Run(Failure::Scenario(diags)) => {
                for d in diags {
                    eprintln!("{d}");
                }
            }
            Error::Reported => {}
        }
    }
}
