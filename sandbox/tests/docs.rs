//! docs/sandbox.md documents the whole admin API: every `/__sandbox/...` route of the router
//! (with its method), every key an admin request body is read by, every fault kind and every
//! command-line flag. The routes and keys are read from the sandbox's sources, and each route
//! found there is checked to answer on a running sandbox, so that a route added to the router
//! and left out of the page fails here.

use checkout_sandbox::{Sandbox, SandboxConfig};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

fn source(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(name)).unwrap()
}

fn page() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/sandbox.md"))
        .expect("docs/sandbox.md documents the sandbox")
}

/// Every `.route("/__sandbox/...", get(..).post(..))` in the sandbox's sources, as
/// `("GET", "/__sandbox/ledger")`.
fn admin_routes() -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("src")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for (at, _) in text.match_indices(".route(\"/__sandbox/") {
            let call = &text[at + ".route(\"".len()..];
            let (path, rest) = call.split_once('"').unwrap();
            let handlers = &rest[..rest.find('\n').unwrap_or(rest.len())];
            for method in ["get", "post", "put", "patch", "delete"] {
                if handlers.contains(&format!("{method}(")) {
                    routes.push((method.to_ascii_uppercase(), path.to_owned()));
                }
            }
        }
    }
    routes
}

/// The keys of `v["..."]` in `text`: what an admin request's JSON body is read by.
fn body_keys(text: &str) -> Vec<String> {
    text.match_indices("v[\"").map(|(at, _)| text[at + 3..].split('"').next().unwrap().to_owned()).collect()
}

#[test]
fn every_admin_route_is_documented_and_served() {
    let routes = admin_routes();
    assert!(routes.len() >= 7, "the admin routes were not found in the sources: {routes:?}");
    let doc = page();
    let missing: Vec<String> = routes
        .iter()
        .map(|(method, path)| format!("`{method} {path}`"))
        .filter(|route| !doc.contains(route.as_str()))
        .collect();
    assert!(missing.is_empty(), "docs/sandbox.md does not document {missing:?}");

    // Each route read from the sources is one the running sandbox serves.
    let s = Sandbox::bind(SandboxConfig::default(), SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    for (method, path) in &routes {
        let url = format!("{}{path}", s.base_url());
        let status = match method.as_str() {
            "GET" => agent.get(&url).call(),
            _ => agent.post(&url).header("Content-Type", "application/json").send("{}"),
        }
        .unwrap()
        .status()
        .as_u16();
        assert!(![404, 405].contains(&status), "{method} {path} answered {status}: not a route of the router");
    }
}

#[test]
fn every_admin_body_key_fault_kind_and_flag_is_documented() {
    let doc = page();
    let faults = source("faults.rs");
    let mut names = body_keys(&source("admin.rs"));
    names.extend(body_keys(&faults));
    // The flag faults: `("reset", FaultKind::Reset)`.
    names.extend(faults.match_indices("(\"").filter_map(|(at, _)| {
        let (name, rest) = faults[at + 2..].split_once('"')?;
        rest.starts_with(", FaultKind::").then(|| name.to_owned())
    }));
    for kind in ["status", "delay_ms", "reset", "truncate", "not_json", "wrong_content_type", "huge", "times", "after"]
    {
        assert!(names.iter().any(|n| n == kind), "{kind} was not found in the sources: {names:?}");
    }
    let missing: Vec<&String> = names.iter().filter(|n| !doc.contains(&format!("`{n}`"))).collect();
    assert!(missing.is_empty(), "docs/sandbox.md does not document the keys {missing:?}");

    let main = source("main.rs");
    let usage = main.split("const USAGE").nth(1).unwrap().split(';').next().unwrap();
    let flags: Vec<&str> = usage.split(['[', ' ']).filter(|w| w.starts_with("--")).collect();
    assert!(flags.len() >= 5, "the flags were not found in USAGE: {usage}");
    for flag in flags {
        assert!(doc.contains(&format!("`{flag} ")), "docs/sandbox.md does not document {flag}");
        assert!(main.contains(&format!("\"{flag}\" =>")), "{flag} is in USAGE but not parsed");
    }
}
