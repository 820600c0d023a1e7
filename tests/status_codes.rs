//! One table of status codes: `Status::all()` (its `code()` and `name()`) is what the header's
//! `CHECKOUT_ERR_*` defines, and the Python, PHP, Node and TypeScript error classes, must say.
//! A status added in Rust and forgotten in a binding fails here.

use std::collections::BTreeMap;
use storefront_checkout::Status;

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// `null_argument` → `NullArgument`.
fn camel(name: &str) -> String {
    name.split('_').map(|w| w[..1].to_ascii_uppercase() + &w[1..]).collect()
}

/// The Rust table: code → (C name suffix, class stem).
fn table() -> BTreeMap<i32, (String, String)> {
    Status::all().iter().map(|s| (s.code(), (s.name().to_ascii_uppercase(), camel(s.name())))).collect()
}

/// Every `(code, name)` pair a line-oriented pattern finds: `before` the code, then the name
/// between `open` and `close`.
fn pairs(text: &str, code_then: &str, open: &str, close: &str) -> BTreeMap<i32, String> {
    let mut found = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        let Some((code, rest)) = line.split_once(code_then) else { continue };
        let (Ok(code), Some(start)) = (code.trim().parse::<i32>(), rest.find(open)) else { continue };
        let rest = &rest[start + open.len()..];
        if let Some(end) = rest.find(close) {
            found.insert(code, rest[..end].to_owned());
        }
    }
    found
}

#[test]
fn the_header_defines_every_status() {
    let header = read("include/storefront_checkout.h");
    let defines: BTreeMap<i32, String> = header
        .lines()
        .filter_map(|l| l.strip_prefix("#define CHECKOUT_ERR_"))
        .map(|rest| {
            let (name, code) = rest.split_once(' ').unwrap();
            (code.trim().parse().unwrap(), name.to_owned())
        })
        .collect();
    let expected: BTreeMap<i32, String> = table().into_iter().map(|(c, (name, _))| (c, name)).collect();
    assert_eq!(defines, expected);
    assert!(header.contains("#define CHECKOUT_OK 0"));
}

#[test]
fn every_binding_has_one_class_per_status() {
    let expected = |suffix: &str| -> BTreeMap<i32, String> {
        table().into_iter().map(|(c, (_, stem))| (c, format!("{stem}{suffix}"))).collect()
    };
    let python = read("bindings/python/src/storefront_checkout/errors.py");
    assert_eq!(pairs(&python, ":", " ", ","), expected("Error"), "Python _BY_STATUS");
    let php = read("bindings/php/src/exceptions.php");
    assert_eq!(pairs(&php, " =>", " ", "::class"), expected("Exception"), "PHP fromStatus");
    let node = read("bindings/node/index.js");
    let table_line = node.lines().skip_while(|l| !l.starts_with("const ERROR_CLASSES")).take_while(|l| *l != "};");
    let mut found = BTreeMap::new();
    for entry in table_line.flat_map(|l| l.split(',')) {
        if let Some((code, name)) = entry.split_once(": '") {
            if let Ok(code) = code.trim().parse::<i32>() {
                found.insert(code, name.trim_end_matches(['\'', ' ']).to_owned());
            }
        }
    }
    assert_eq!(found, expected("Error"), "Node ERROR_CLASSES");
    let (types, esm) = (read("bindings/node/index.d.ts"), read("bindings/node/index.mjs"));
    for name in expected("Error").values() {
        assert!(types.contains(&format!("export class {name} extends ")), "index.d.ts declares {name}");
        assert!(esm.contains(&format!(" {name},")), "index.mjs exports {name}");
    }
}
