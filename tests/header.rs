//! The committed C header is exactly what the pinned cbindgen generates, compiles as strict
//! C99, and documents every export.

use std::path::PathBuf;
use std::process::Command;

fn header_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include/storefront_checkout.h")
}

fn generate() -> Vec<u8> {
    let crate_dir = env!("CARGO_MANIFEST_DIR");
    let mut config = cbindgen::Config::from_file(format!("{crate_dir}/cbindgen.toml")).expect("cbindgen.toml");
    // The version macros, from Cargo.toml's version: the header is checked against them here.
    config.after_includes = Some(format!(
        "\n/* The library's version (checkout_version() returns it as text). */\n\
         #define STOREFRONT_CHECKOUT_VERSION \"{}\"\n\
         #define STOREFRONT_CHECKOUT_VERSION_MAJOR {}\n\
         #define STOREFRONT_CHECKOUT_VERSION_MINOR {}\n\
         #define STOREFRONT_CHECKOUT_VERSION_PATCH {}",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
    ));
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    out
}

#[test]
fn committed_header_matches_cbindgen() {
    let fresh = generate();
    if std::env::var_os("STOREFRONT_BLESS_HEADER").is_some() {
        std::fs::write(header_path(), &fresh).expect("write the header");
    }
    let committed = std::fs::read(header_path()).expect("include/storefront_checkout.h is committed");
    assert!(
        committed == fresh,
        "include/storefront_checkout.h differs from cbindgen's output; regenerate it with \
         STOREFRONT_BLESS_HEADER=1 cargo test --test header, and commit it"
    );
}

const EXPORTS: [&str; 24] = [
    "checkout_version",
    "checkout_client_new",
    "checkout_client_free",
    "checkout_create",
    "checkout_get",
    "checkout_complete",
    "session_redirect_url",
    "checkout_web_component_token",
    "checkout_webhook_verify",
    "checkout_string_free",
    "checkout_create_async",
    "checkout_get_async",
    "checkout_complete_async",
    "session_redirect_url_async",
    "checkout_web_component_token_async",
    "checkout_refund",
    "checkout_refunds",
    "checkout_void",
    "checkout_refund_async",
    "checkout_refunds_async",
    "checkout_void_async",
    "checkout_async_wait_idle",
    "checkout_client_set_log_callback",
    "checkout_client_flush_log",
];

#[test]
fn header_compiles_as_strict_c99_and_declares_every_export() {
    let dir = std::env::temp_dir().join(format!("storefront-header-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let probe = dir.join("probe.c");
    let mut src = String::from("#include \"storefront_checkout.h\"\nint main(void) {\n");
    for name in EXPORTS {
        src.push_str(&format!("    (void)&{name};\n"));
    }
    src.push_str("    return CHECKOUT_OK + CHECKOUT_ERR_INTERNAL * 0;\n}\n");
    std::fs::write(&probe, src).unwrap();
    let out = Command::new("gcc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only", "-I"])
        .arg(header_path().parent().unwrap())
        .arg(&probe)
        .output()
        .expect("gcc runs");
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "gcc rejected the header:\n{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn every_export_is_documented_with_ownership_and_null_behaviour() {
    let header = std::fs::read_to_string(header_path()).unwrap();
    for name in EXPORTS {
        let declaration =
            ["int32_t ", "void ", "const char *"].iter().find_map(|ty| header.find(&format!("\n{ty}{name}(")));
        let at = declaration.unwrap_or_else(|| panic!("{name} is not declared"));
        let before = &header[..at];
        let comment_end = before.rfind("*/").unwrap_or_else(|| panic!("{name} has no comment"));
        let comment_start = before[..comment_end].rfind("/*").unwrap();
        let between = &before[comment_end + 2..];
        assert!(!between.contains(';'), "{name}'s comment belongs to another declaration");
        let doc = before[comment_start..comment_end].split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(doc.contains("NULL"), "{name}'s comment does not say how NULL is handled");
        if name != "checkout_client_free" && name != "checkout_string_free" {
            assert!(
                doc.contains("owns") || doc.contains("must not free") || doc.contains("owned by the caller"),
                "{name}'s comment does not say who owns the result"
            );
        }
    }
    for status in ["CHECKOUT_OK", "CHECKOUT_ERR_NULL_ARGUMENT", "CHECKOUT_ERR_SIGNATURE", "CHECKOUT_ERR_INTERNAL"] {
        assert!(header.contains(&format!("#define {status} ")), "{status} is not defined");
    }
}
