//! `checkout-sandbox [--port N] [--token-ttl-s S]`: serves the sandbox on 127.0.0.1:N
//! (default 8088; 0 picks a free port) until killed, after printing
//! `checkout-sandbox listening on http://127.0.0.1:PORT`.

use checkout_sandbox::{Sandbox, SandboxConfig};
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let mut port: u16 = 8088;
    let mut config = SandboxConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        let parsed = match (arg.as_str(), value.as_deref().map(str::parse::<u64>)) {
            ("--port", Some(Ok(p))) if p <= u16::MAX as u64 => {
                port = p as u16;
                true
            }
            ("--token-ttl-s", Some(Ok(s))) => {
                config.token_ttl = Duration::from_secs(s);
                true
            }
            _ => false,
        };
        if !parsed {
            eprintln!("usage: checkout-sandbox [--port N] [--token-ttl-s SECONDS]");
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
    println!("checkout-sandbox listening on {}", sandbox.base_url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
