//! The `ibsim` command line: parses the arguments and runs the subcommand
//! (see [`cli`]).

mod cli;

use clap::Parser;

fn main() {
    ibsim::output::install_interrupt_handler();
    let code = cli::main(cli::Cli::parse());
    std::process::exit(code);
}
