//! `ibsim serve`: binds the deal room's page to a local port and serves it
//! until interrupted.

use std::path::PathBuf;
use std::sync::Arc;

use super::{Error, LangFlag};

/// Options of `ibsim serve`.
#[derive(clap::Args)]
pub struct Args {
    /// A scenario file, or a folder whose scenarios the page offers.
    target: PathBuf,
    /// Port to listen on.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on (127.0.0.1: this machine only).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The page's starting language.
    #[arg(long, value_enum, default_value_t)]
    lang: LangFlag,
    /// Trials per run (2 to 200,000).
    #[arg(long, default_value_t = ibsim::serve::DEFAULT_TRIALS)]
    trials: u64,
}

/// `ibsim serve`.
pub fn run(a: &Args) -> Result<(), Error> {
    if !(2..=ibsim::serve::MAX_TRIALS).contains(&a.trials) {
        return Err(Error::usage(format!(
            "--trials {}: expected 2 to {}",
            a.trials,
            ibsim::serve::MAX_TRIALS
        )));
    }
    let room =
        ibsim::serve::Room::open(&a.target, a.trials, a.lang.into()).map_err(Error::failed)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::failed(format!("cannot start the server: {e}")))?;
    runtime.block_on(async {
        let addr = format!("{}:{}", a.host, a.port);
        let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| {
            Error::failed(if e.kind() == std::io::ErrorKind::AddrInUse {
                format!(
                    "port {} is taken on {}: choose another with --port",
                    a.port, a.host
                )
            } else {
                format!("cannot listen on {addr}: {e}")
            })
        })?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::failed(e.to_string()))?;
        println!("ibsim deal room on http://{local}/ (Ctrl-C stops it)");
        axum::serve(listener, ibsim::serve::router(Arc::new(room)))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| Error::failed(format!("the server stopped: {e}")))
    })
}
