//! `sigstore-forge`: the private Sigstore-like instance from the command
//! line, for scripts and benchmarks.
//!
//! ```text
//! sigstore-forge init DIR
//! sigstore-forge sign DIR --digest sha256:<hex> --identity I --issuer S
//!     [--time T] [--not-before T --not-after T] [--log-index N]
//!     [--dsse] [--expired] [--tamper-checkpoint]
//! ```
//!
//! `init` writes a new instance into `DIR`, with `DIR/trusted_root.json`;
//! `sign` prints a bundle for the artifact with that digest to stdout
//! (times in Unix seconds, `--time` by default now).

use std::path::PathBuf;
use std::process::ExitCode;

use sigstore_forge::{Instance, Signing};

const USAGE: &str = "usage: sigstore-forge init DIR
       sigstore-forge sign DIR --digest sha256:<hex> --identity I --issuer S
           [--time T] [--not-before T --not-after T] [--log-index N]
           [--dsse] [--expired] [--tamper-checkpoint]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Io(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    Usage(String),
    Io(String),
}

fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

fn run(args: &[String]) -> Result<(), Failure> {
    match args {
        [command, dir] if command == "init" => {
            let dir = PathBuf::from(dir);
            Instance::new()
                .save(&dir)
                .map_err(|e| Failure::Io(format!("cannot write `{}`: {e}", dir.display())))?;
            eprintln!("     Created instance in `{}`", dir.display());
            Ok(())
        }
        [command, dir, options @ ..] if command == "sign" => {
            let dir = PathBuf::from(dir);
            let (digest, opts) = signing(options)?;
            let instance = Instance::load(&dir)
                .map_err(|e| Failure::Io(format!("cannot read `{}`: {e}", dir.display())))?;
            println!("{}", instance.sign(digest, &opts));
            Ok(())
        }
        [command, ..] if command == "-h" || command == "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        [command, ..] if command == "init" || command == "sign" => {
            Err(usage(format!("`{command}` needs a directory")))
        }
        [command, ..] => Err(usage(format!("unknown command `{command}`"))),
        [] => Err(usage("no command")),
    }
}

/// The digest and signing options of `sign`.
fn signing(options: &[String]) -> Result<([u8; 32], Signing), Failure> {
    let mut digest = None;
    let mut identity = None;
    let mut issuer = None;
    let mut time = None;
    let (mut not_before, mut not_after) = (None, None);
    let mut opts = Signing::default();
    let mut rest = options.iter();
    while let Some(option) = rest.next() {
        let mut value = || {
            rest.next()
                .ok_or_else(|| usage(format!("`{option}` needs a value")))
        };
        match option.as_str() {
            "--digest" => digest = Some(parse_digest(value()?)?),
            "--identity" => identity = Some(value()?.clone()),
            "--issuer" => issuer = Some(value()?.clone()),
            "--time" => time = Some(number(option, value()?)?),
            "--not-before" => not_before = Some(number(option, value()?)?),
            "--not-after" => not_after = Some(number(option, value()?)?),
            "--log-index" => opts.log_index = Some(number(option, value()?)?),
            "--dsse" => opts.dsse = true,
            "--expired" => opts.expired = true,
            "--tamper-checkpoint" => opts.tamper_checkpoint = true,
            other => return Err(usage(format!("unknown option `{other}`"))),
        }
    }
    let digest = digest.ok_or_else(|| usage("`--digest` is required"))?;
    opts.identity = identity.ok_or_else(|| usage("`--identity` is required"))?;
    opts.issuer = issuer.ok_or_else(|| usage("`--issuer` is required"))?;
    if !opts.identity.is_ascii() {
        return Err(usage("the identity must be ASCII"));
    }
    opts.time = match time {
        Some(t) => t,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| Failure::Io(format!("the clock is before 1970: {e}")))?
            .as_secs(),
    };
    opts.validity = match (not_before, not_after) {
        (None, None) => None,
        (Some(from), Some(to)) => Some((from, to)),
        _ => return Err(usage("`--not-before` and `--not-after` go together")),
    };
    let (earliest, latest) = (sigstore_forge::VALID_FROM, sigstore_forge::VALID_UNTIL);
    let (from, to) = opts.certificate_validity();
    if from < earliest || opts.time.max(to) > latest || from > to {
        return Err(usage(format!(
            "the certificate's validity ({from} to {to}) and the time must lie within the \
             instance's ({earliest} to {latest})"
        )));
    }
    Ok((digest, opts))
}

fn number(option: &str, text: &str) -> Result<u64, Failure> {
    text.parse()
        .map_err(|_| usage(format!("`{option}` takes a number, not `{text}`")))
}

fn parse_digest(text: &str) -> Result<[u8; 32], Failure> {
    let bad = || usage(format!("`{text}` is not `sha256:` and 64 hex digits"));
    let hex = text.strip_prefix("sha256:").ok_or_else(bad)?;
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(bad());
    }
    let mut digest = [0; 32];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(digest)
}
