//! Gives the shared library a versioned SONAME on Linux, `libstorefront_checkout.so.<major>`
//! (cargo-c's convention, which rustls-ffi's `librustls` follows): programs linked against it
//! (`-lstorefront_checkout` through pkg-config) load `libstorefront_checkout.so.0`, and a
//! release that breaks the ABI would bump the name. `scripts/package` installs the file under
//! `libstorefront_checkout.so.<version>` with the SONAME and development links beside it.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libstorefront_checkout.so.{major}");
        // Never unloaded once loaded (DF_1_NODELETE): PHP's FFI closes the library at the end
        // of every request, which would drop the process-wide token cache and connection pool
        // between the requests of one FPM worker.
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    }
}
