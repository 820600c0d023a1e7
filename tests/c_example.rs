//! The C quickstart (`examples/c/quickstart.c`): built with `-std=c99 -Wall -Wextra -Werror
//! -pedantic` against the header, linked to the shared library, run against the sandbox, and
//! run again under valgrind memcheck with zero errors and no definite leaks.

mod common;

use common::{sandbox, tokenize};
use std::path::{Path, PathBuf};
use std::process::Command;

fn build(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = common::host::locate().expect("built cdylib");
    let lib_dir = lib.parent().unwrap();
    // The library's SONAME is `libstorefront_checkout.so.0`, the name the program will ask
    // for; cargo builds the file without that link, so it is made here, where the rpath looks.
    let soname = dir.join("libstorefront_checkout.so.0");
    let _ = std::fs::remove_file(&soname);
    std::os::unix::fs::symlink(&lib, &soname).unwrap();
    let exe = dir.join("quickstart");
    let out = Command::new("gcc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g", "-I"])
        .arg(root.join("include"))
        .arg(root.join("examples/c/quickstart.c"))
        .arg("-L")
        .arg(lib_dir)
        .arg(format!("-Wl,-rpath,{}", dir.display()))
        .args(["-lstorefront_checkout", "-o"])
        .arg(&exe)
        .output()
        .expect("gcc runs");
    assert!(out.status.success(), "gcc:\n{}", String::from_utf8_lossy(&out.stderr));
    exe
}

#[test]
fn the_c_quickstart_pays_and_frees_everything() {
    let dir = std::env::temp_dir().join(format!("storefront-c-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = build(&dir);
    let s = sandbox();
    let token = tokenize(&s, "4242424242424242");

    let out = Command::new(&exe).arg(s.base_url()).arg(&token).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("storefront-checkout 0.1.0"), "{stdout}");
    assert!(stdout.contains("checkout: cho_"), "{stdout}");
    assert!(stdout.contains(&format!("redirect: {}/hosted-checkout/cho_", s.base_url())), "{stdout}");
    assert!(stdout.contains("completion: succeeded"), "{stdout}");
    assert!(stdout.contains("unknown checkout: status 8, {\"error\":"), "{stdout}");

    let memcheck = Command::new("valgrind")
        .args(["--tool=memcheck", "--error-exitcode=42", "--leak-check=full", "--errors-for-leak-kinds=definite"])
        .args(["--show-leak-kinds=definite", "-q"])
        .arg(&exe)
        .arg(s.base_url())
        .arg(&token)
        .output()
        .expect("valgrind is installed (scripts/test installs it)");
    let report = String::from_utf8_lossy(&memcheck.stderr);
    println!("valgrind memcheck: exit {:?}\n{report}", memcheck.status.code());
    assert_eq!(memcheck.status.code(), Some(0), "memcheck found errors or definite leaks:\n{report}");
    assert!(String::from_utf8_lossy(&memcheck.stdout).contains("completion: succeeded"));
    std::fs::remove_dir_all(&dir).ok();
}
