//! Finds what some integration tests need from the machine, so that a test
//! that cannot run is reported by `cargo test` as *ignored*, with the
//! reason, instead of passing without having run. It runs again when what
//! it looked at changes (the folders below, PATH and the folders on it), so
//! installing Python or bringing the lab's programs needs no `cargo clean`;
//! `.ci/run` fails when a test is ignored that its allow-list does not name:
//!
//! * `python_originals`: a Python 3 (`python3`, `python` or `py -3`) and the
//!   folder of the main lab's scripts: `PY_ORIGINALS` (a relative path is
//!   taken from the workspace root), or else `../shared/originals` beside
//!   the workspace. Both are passed on as `SOCKET_LAB_PYTHON` and
//!   `SOCKET_LAB_ORIGINALS`.
//! * `seed_peers`: a Python 3 and the folder of seeds 001–004's programs:
//!   `SOCKET_LAB_PEERS` (a relative path is taken from the workspace root),
//!   or else `../shared/peers` beside the workspace. Passed on as
//!   `SOCKET_LAB_PEERS`. The seeds' code is not the project's, so it is
//!   never copied into the repository.
//! * `pids_cgroup`: a writable cgroup v1 pids controller, to limit how many
//!   threads a server may start (Linux, as root).
//! * `ipv6_loopback`: `[::1]` can be bound.
//! * `namespaces`: `unshare --user --map-root-user --net --pid` can make a
//!   namespace and `ip` can bring up its loopback (Linux): the grader's
//!   sandbox, and bench's MTU-1500 link.
//! * `nftables`: `nft` runs (bench's MTU-1500 link drops fragments with it).
//! * `lab_seeds`: the lab's documents, `../shared/seeds` beside the
//!   workspace (the claims' quotes are checked against them).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

// The grader's own probes, compiled here too, so that a test is ignored
// exactly where the grader would find the thing missing.
#[path = "../grader/src/machine.rs"]
mod machine;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(python_originals)");
    println!("cargo::rustc-check-cfg=cfg(seed_peers)");
    println!("cargo::rustc-check-cfg=cfg(pids_cgroup)");
    println!("cargo::rustc-check-cfg=cfg(ipv6_loopback)");
    println!("cargo::rustc-check-cfg=cfg(namespaces)");
    println!("cargo::rustc-check-cfg=cfg(nftables)");
    println!("cargo::rustc-check-cfg=cfg(lab_seeds)");
    println!("cargo::rerun-if-env-changed=PY_ORIGINALS");
    println!("cargo::rerun-if-env-changed=SOCKET_LAB_PEERS");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=../grader/src/machine.rs");
    // Python found (or not) on PATH: a change of PATH, or of a folder on
    // it (a Python installed there), finds it again, with no `cargo clean`.
    println!("cargo::rerun-if-env-changed=PATH");
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path).filter(|d| d.is_dir()) {
            println!("cargo::rerun-if-changed={}", dir.display());
        }
    }

    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest.parent().expect("tests/ is inside the workspace");
    let originals = folder(workspace, "PY_ORIGINALS", "../shared/originals");
    let peers = folder(workspace, "SOCKET_LAB_PEERS", "../shared/peers");
    let python = machine::find_python().map(|words| words.join(" "));
    match (&python, originals.join("tcp_server.py").is_file()) {
        (Some(python), true) => {
            let originals = originals.canonicalize().unwrap_or(originals);
            println!("cargo::rustc-cfg=python_originals");
            println!("cargo::rustc-env=SOCKET_LAB_PYTHON={python}");
            println!(
                "cargo::rustc-env=SOCKET_LAB_ORIGINALS={}",
                originals.display()
            );
        }
        (None, _) => println!(
            "cargo::warning=no Python 3 (python3, python or py -3): the interop and transcript tests are ignored"
        ),
        (_, false) => println!(
            "cargo::warning=no Python originals at {} (set PY_ORIGINALS): the interop and transcript tests are ignored",
            originals.display()
        ),
    }
    match (&python, peers.join("002_tcp_server.py").is_file()) {
        (Some(_), true) => {
            let peers = peers.canonicalize().unwrap_or(peers);
            println!("cargo::rustc-cfg=seed_peers");
            println!("cargo::rustc-env=SOCKET_LAB_PEERS={}", peers.display());
        }
        (None, _) => println!(
            "cargo::warning=no Python 3 (python3, python or py -3): the seed tests are ignored"
        ),
        (_, false) => println!(
            "cargo::warning=no seed peers at {} (set SOCKET_LAB_PEERS): the seed tests are ignored",
            peers.display()
        ),
    }
    if pids_cgroup() {
        println!("cargo::rustc-cfg=pids_cgroup");
    }
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        println!("cargo::rustc-cfg=ipv6_loopback");
    }
    let seeds = workspace.join("../shared/seeds");
    println!("cargo::rerun-if-changed={}", seeds.display());
    if seeds.is_dir() {
        println!("cargo::rustc-cfg=lab_seeds");
    }
    let nft = Command::new("nft")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if nft {
        println!("cargo::rustc-cfg=nftables");
    }
    if machine::namespaces().is_ok() {
        println!("cargo::rustc-cfg=namespaces");
    } else {
        println!(
            "cargo::warning=no Linux namespaces (unshare --user --net --pid, ip): the grader's sandbox tests are ignored"
        );
    }
}

/// The folder `var` names (relative to the workspace root), or else
/// `default` beside the workspace; a change in it rebuilds.
fn folder(workspace: &Path, var: &str, default: &str) -> PathBuf {
    let dir = match std::env::var_os(var) {
        Some(dir) if !dir.is_empty() => workspace.join(dir),
        _ => workspace.join(default),
    };
    println!("cargo::rerun-if-changed={}", dir.display());
    dir
}

/// True when a pids cgroup can be made (and is removed again) here.
fn pids_cgroup() -> bool {
    let root = Path::new("/sys/fs/cgroup/pids");
    let probe = root.join(format!("socket-lab-probe-{}", std::process::id()));
    let made = std::fs::create_dir(&probe).is_ok();
    if made {
        let _ = std::fs::remove_dir(&probe);
    }
    made
}
