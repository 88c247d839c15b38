//! `wkg.wasm`: the `wasi:cli/run` entry point.

use std::io::Write;

fn main() {
    let args = std::env::args().collect();
    let code = wstd::runtime::block_on(wkg_guest::cli::run(args));
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    if code != 0 {
        // `std::process::exit` collapses every failure to 1; usage errors are 2.
        wasip2::cli::exit::exit_with_code(code);
    }
}
