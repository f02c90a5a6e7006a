//! The one error type of the command line, and its exit codes.

use ibsim::exit;
use ibsim::run::Failure;
use ibsim::scenario::Diagnostic;

/// Why a subcommand did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Wrong usage (a value out of range, a refused run): exit code 2.
    #[error("{0}")]
    Usage(String),
    /// The scenario does not validate: its problems, one a line; exit code 1.
    #[error("{} problem(s) in the scenario", .0.len())]
    Scenario(Vec<Diagnostic>),
    /// Anything else that failed (a file, a shard, threads): exit code 1.
    #[error("{0}")]
    Failed(String),
    /// Already told on the terminal (an invalid file among several, a check
    /// that found differences): exit code 1.
    #[error("failed")]
    Reported,
}

impl Error {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Scenario(_) | Error::Failed(_) | Error::Reported => exit::FAILURE,
        }
    }

    /// Prints the error on stderr: `error: ...`, or a scenario's problems.
    pub fn print(&self) {
        match self {
            Error::Usage(m) | Error::Failed(m) => eprintln!("error: {m}"),
            Error::Scenario(diags) => {
                for d in diags {
                    eprintln!("{d}");
                }
            }
            Error::Reported => {}
        }
    }
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Error {
        match f {
            Failure::Usage(m) => Error::Usage(m),
            Failure::Scenario(d) => Error::Scenario(d),
            Failure::Failed(m) => Error::Failed(m),
        }
    }
}
