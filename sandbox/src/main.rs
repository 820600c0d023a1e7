//! `checkout-sandbox [--port N] [--token-ttl-s S] [--tls-ca-out PATH] [--recharge-rate-limit off]
//! [--max-objects N]`:
//! serves the sandbox on 127.0.0.1:N (default 8088; 0 picks a free port) until killed, after printing
//! `checkout-sandbox listening on http://127.0.0.1:PORT`. With `--tls-ca-out` it serves HTTPS
//! (`https://127.0.0.1:PORT`) with a certificate from a fresh CA, whose PEM certificate it
//! writes to PATH first, for clients' `ca_bundle_path`. `--recharge-rate-limit off` turns off
//! ReCharge's 429s (for the benchmark). `--max-objects N` (default 10,000) is how many objects of
//! each kind it keeps before dropping the oldest (`SandboxConfig::max_objects`), which bounds its
//! memory.

use checkout_sandbox::{Sandbox, SandboxConfig};
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: checkout-sandbox [--port N] [--token-ttl-s SECONDS] [--tls-ca-out PATH] \
                     [--recharge-rate-limit on|off] [--max-objects N]";

fn main() -> ExitCode {
    let mut port: u16 = 8088;
    let mut config = SandboxConfig::default();
    let mut ca_out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let Some(value) = args.next() else {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        };
        let parsed = match arg.as_str() {
            "--port" => value.parse().map(|p| port = p).is_ok(),
            "--max-objects" => value.parse().map(|n| config.max_objects = n).is_ok_and(|_| config.max_objects > 0),
            "--token-ttl-s" => value.parse().map(|s| config.token_ttl = Duration::from_secs(s)).is_ok(),
            "--recharge-rate-limit" => match value.as_str() {
                "on" | "off" => {
                    config.recharge_rate_limit = value == "on";
                    true
                }
                _ => false,
            },
            "--tls-ca-out" => {
                config.tls = true;
                ca_out = Some(PathBuf::from(value));
                true
            }
            _ => false,
        };
        if !parsed {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    let sandbox = match Sandbox::bind(config, SocketAddr::from((Ipv4Addr::LOCALHOST, port))) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("checkout-sandbox: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let (Some(path), Some(pem)) = (&ca_out, sandbox.ca_pem()) {
        if let Err(e) = std::fs::write(path, pem) {
            eprintln!("checkout-sandbox: cannot write the CA certificate to {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    println!("checkout-sandbox listening on {}", sandbox.base_url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
