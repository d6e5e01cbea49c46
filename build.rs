//! Builds the booth's WebAssembly (`wasm/`, Teller's `core` for the browser) so that `teller
//! serve` embeds it: `cargo build` on a machine with only Rust gives a binary whose booth works.
//! It builds `wasm/` twice: the booth's module (profile `booth`) and the verifier page's (feature
//! `verifier`, profile `verifier`).
//! Why a nested cargo and no wasm-bindgen: docs/design/booth.md.
//!
//! Only with the `server` feature (the verifier-only build serves nothing), and never when this
//! crate is itself being built for wasm32 (that is the nested build).

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";

fn main() {
    // The module is the library built without the server: any source may be in it. The nested
    // cargo decides what actually changed, and is a no-op otherwise.
    for path in [
        "build.rs",
        "src",
        "wasm",
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
    ] {
        println!("cargo::rerun-if-changed={path}");
    }
    // The migrations are embedded (store::Store::open) by a macro that cannot tell cargo when a
    // folder is added to them; without this, a new migration is missing from the binary.
    println!("cargo::rerun-if-changed=migrations");
    println!("cargo::rerun-if-env-changed=TELLER_BOOTH_WASM");
    println!("cargo::rerun-if-env-changed=TELLER_VERIFIER_WASM");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let building_wasm = std::env::var("TARGET").is_ok_and(|t| t.starts_with("wasm32"));
    if std::env::var_os("CARGO_FEATURE_SERVER").is_none() || building_wasm {
        return;
    }
    build_module(
        &out,
        "booth",
        None,
        "teller_booth.wasm",
        "TELLER_BOOTH_WASM",
    );
    build_module(
        &out,
        "verifier",
        Some("verifier"),
        "teller_verifier.wasm",
        "TELLER_VERIFIER_WASM",
    );
}

/// Builds `wasm/` with `profile` (and `feature`) into `out/name`, or copies the prebuilt module
/// the environment variable `given` names (e.g. one a scrutineer built themselves).
fn build_module(out: &Path, profile: &str, feature: Option<&str>, name: &str, given: &str) {
    let wasm_out = out.join(name);
    if let Some(given) = std::env::var_os(given) {
        std::fs::copy(&given, &wasm_out)
            .unwrap_or_else(|e| panic!("{}: {e}", Path::new(&given).display()));
        return;
    }
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    ensure_target();
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("booth-wasm");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--profile",
            profile,
            "-p",
            "teller-booth",
            "--target",
            TARGET,
        ])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    if let Some(feature) = feature {
        command.args(["--features", feature]);
    }
    // The outer build's settings are not the booth's: its flags (sanitizers, clippy's wrapper,
    // a --target) would change or break the module.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_PROFILE_RELEASE_LTO",
    ] {
        command.env_remove(var);
    }
    // Reproducible: no path of this machine in the module, so a scrutineer's build of the same
    // commit with the same toolchain has the same SHA-256 (the start page shows it).
    let cargo_home = std::env::var("CARGO_HOME").ok().or_else(|| {
        std::env::var("HOME")
            .ok()
            .map(|home| format!("{home}/.cargo"))
    });
    let mut flags = vec![
        "--cfg".to_owned(),
        "getrandom_backend=\"unsupported\"".to_owned(),
        format!("--remap-path-prefix={}=/teller", root.display()),
    ];
    if let Some(home) = cargo_home {
        flags.push(format!("--remap-path-prefix={home}=/cargo"));
    }
    command.env("CARGO_ENCODED_RUSTFLAGS", flags.join("\u{1f}"));
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("running cargo to build {name}: {e}"));
    assert!(
        status.success(),
        "building {name} (wasm/, profile {profile}) failed; see the errors above"
    );
    let built = target_dir
        .join(TARGET)
        .join(profile)
        .join("teller_booth.wasm");
    std::fs::copy(&built, &wasm_out)
        .unwrap_or_else(|e| panic!("copying {} into the build: {e}", built.display()));
}

/// Installs the wasm32 target through rustup if this toolchain lacks it, saying so.
fn ensure_target() {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let libdir = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if libdir.is_some_and(|dir| dir.is_dir()) {
        return;
    }
    println!(
        "cargo::warning=installing the {TARGET} target with rustup (the booth is WebAssembly)"
    );
    let installed = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        installed,
        "the booth needs the {TARGET} target: run `rustup target add {TARGET}` and build again"
    );
}
