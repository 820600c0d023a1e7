//! The sandbox's resident memory while it serves many checkouts, for RELIABILITY.md:
//!
//! ```sh
//! cargo build --release -p checkout-sandbox --bins --examples
//! target/release/examples/rss 50000 [SANDBOX_ARGS...]
//! ```
//!
//! Starts `checkout-sandbox --port 0 SANDBOX_ARGS` (the binary beside `examples/`), then makes
//! N JustiFi checkouts, each created and completed (with `pm_test_visa`), each request with an
//! `Idempotency-Key` of its own, as the library sends them, on two threads; it prints the
//! sandbox's RSS (`VmRSS` of `/proc/PID/status`) at the start and after every tenth of the run.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const CLIENT_ID: &str = "test_sandbox_client_id";
const CLIENT_SECRET: &str = "test_sandbox_client_secret";
const SUB_ACCOUNT: &str = "acc_5Et9iXrSSAZR2KSouQGAWi";
const THREADS: u64 = 2;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmRSS in kB")
}

fn post(agent: &ureq::Agent, url: &str, token: Option<&str>, key: &str, body: &str) -> serde_json::Value {
    let mut r = agent.post(url).header("Sub-Account", SUB_ACCOUNT).header("Idempotency-Key", key);
    if let Some(t) = token {
        r = r.header("Authorization", format!("Bearer {t}"));
    }
    let mut resp = r.content_type("application/json").send(body).expect("the sandbox answers");
    serde_json::from_str(&resp.body_mut().read_to_string().expect("a body")).expect("JSON")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).expect("usage: rss N [SANDBOX_ARGS...]");
    let exe = std::env::current_exe().expect("own path");
    let bin = exe.parent().and_then(|d| d.parent()).expect("target/PROFILE/examples").join("checkout-sandbox");
    let mut sandbox = Command::new(&bin)
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (build it with --bins)", bin.display()));
    let mut line = String::new();
    BufReader::new(sandbox.stdout.take().expect("stdout")).read_line(&mut line).expect("the listening line");
    let base = Arc::new(line.trim().rsplit(' ').next().expect("a URL").to_owned());
    let pid = sandbox.id();
    println!("start: rss_kib={}", rss_kib(pid));
    let done = Arc::new(AtomicU64::new(0));
    let step = (n / 10).max(1);
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (base, done) = (base.clone(), done.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
                let grant = format!(r#"{{"client_id":"{CLIENT_ID}","client_secret":"{CLIENT_SECRET}"}}"#);
                let token = post(&agent, &format!("{base}/oauth/token"), None, "grant", &grant)["access_token"]
                    .as_str()
                    .expect("a token")
                    .to_owned();
                for i in (t..n).step_by(THREADS as usize) {
                    let body = r#"{"amount":1799,"description":"One Chocolate Donut"}"#;
                    let created = post(&agent, &format!("{base}/v1/checkouts"), Some(&token), &format!("c{i}"), body);
                    let id = created["data"]["id"].as_str().expect("a checkout id");
                    let url = format!("{base}/v1/checkouts/{id}/complete");
                    let paid =
                        post(&agent, &url, Some(&token), &format!("p{i}"), r#"{"payment_token":"pm_test_visa"}"#);
                    assert_eq!(paid["data"]["payment_status"], "succeeded", "{paid}");
                    let count = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if count % step == 0 {
                        println!("checkouts={count}: rss_kib={}", rss_kib(pid));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("a worker");
    }
    println!("end: checkouts={n} rss_kib={}", rss_kib(pid));
    let _ = sandbox.kill();
    let _ = sandbox.wait();
}
