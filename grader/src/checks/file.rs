//! The checks of 2.5's file server and client.

use super::*;

/// What the server said during a `name|size` upload.
pub(super) struct Upload {
    /// Its answer to the header.
    pub(super) confirmation: Vec<u8>,
}

/// Uploads the first `send` bytes of `data` as `name` with the original's
/// `name|size` header.
pub(super) fn legacy_upload(
    t: &Transcript,
    addr: SocketAddr,
    name: &str,
    data: &[u8],
    send: usize,
) -> Result<Upload, Outcome> {
    let mut sk = connect(addr)?;
    let header = format!("{name}|{}", data.len());
    let io = |e: std::io::Error| Outcome::Fail(format!("the upload of {name} failed: {e}"));
    t.note(format!(
        "sent the header {}, then {send} of {} bytes",
        shown(header.as_bytes()),
        data.len()
    ));
    sk.write_all(header.as_bytes()).map_err(io)?;
    let confirmation = read_reply(&mut sk, false).bytes;
    t.note(format!("got {} for the header", shown(&confirmation)));
    sk.write_all(&data[..send.min(data.len())]).map_err(io)?;
    let _ = sk.shutdown(std::net::Shutdown::Write);
    // The final reply, if any; a server that never closes is not waited
    // for long (the checks look at what it did).
    let _ = read_reply(&mut sk, true);
    Ok(Upload { confirmation })
}

/// Every file named `name` below `dir`, with its contents.
pub(super) fn find_files(dir: &Path, name: &str) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(find_files(&path, name));
        } else if entry.file_name().to_string_lossy().contains(name) {
            found.push(std::fs::read(&path).unwrap_or_default());
        }
    }
    found
}

/// The size of the plain upload every file-server check starts from.
pub(super) const UPLOAD: usize = 100_000;

/// A plain 100 KB upload, which must arrive byte for byte: what was
/// saved, or why it was not.
pub(super) fn plain_upload(t: &Transcript, server: &Server, name: &str) -> Verdict {
    let data = payload(UPLOAD);
    let upload = legacy_upload(t, server.addr, name, &data, data.len())?;
    let expected = format!("{name}已发送");
    if upload.confirmation != expected.as_bytes() {
        return fail(format!(
            "answered the header '{name}|{UPLOAD}' with {} (expected {})",
            shown(&upload.confirmation),
            shown(expected.as_bytes())
        ));
    }
    let saved = wait_until(STEP, || find_files(&server.work, name).contains(&data));
    if saved {
        return Ok(());
    }
    let sizes: Vec<usize> = find_files(&server.work, name)
        .iter()
        .map(Vec::len)
        .collect();
    fail(match sizes.as_slice() {
        [] => format!("saved no file {name} from a {UPLOAD}-byte upload"),
        [len] if *len < UPLOAD => {
            format!("saved {len} of the {UPLOAD} bytes of {name}")
        }
        _ => format!("saved {name} with other bytes than were sent (sizes {sizes:?})"),
    })
}

/// A file server whose plain upload works, for the safety checks, which
/// would otherwise pass on a server that saves nothing.
pub(super) fn safe_to_judge(s: &Subject) -> Result<Server, Outcome> {
    let t = &s.transcript;
    let server = start_server(s, false)?;
    match plain_upload(t, &server, "plain.bin") {
        Ok(()) => Ok(server),
        Err(Outcome::Fail(why)) => Err(Outcome::NotGraded(format!(
            "no upload succeeded ({why}), so safety could not be judged"
        ))),
        Err(other) => Err(other),
    }
}

pub(super) fn file_server_saves(s: &Subject) -> Verdict {
    let t = &s.transcript;
    let server = start_server(s, false)?;
    plain_upload(t, &server, "实验报告.bin")
}

pub(super) fn file_server_python_client(s: &Subject) -> Verdict {
    saved_from(s, "py_upload.bin", "file_client.py", |server, path| {
        let typed = format!("{}\n", path.display());
        python_original(s, "file_client.py", server.addr.port(), &typed).map(drop)
    })
}

pub(super) fn file_server_rust_client(s: &Subject) -> Verdict {
    saved_from(s, "rs_upload.bin", "the Rust client", |server, path| {
        let cfg = file_transfer::client::Config {
            server: server.addr,
            legacy: false,
            timeout: STEP,
        };
        refusal_retried(|| file_transfer::client::upload(&cfg, path, &Output::discard()))
            .map_err(|e| Outcome::Fail(format!("the Rust client failed: {e:#}")))
    })
}

/// A 3000-byte file named `name`, uploaded by `client` (`upload`), must be
/// saved byte for byte.
fn saved_from(
    s: &Subject,
    name: &str,
    client: &str,
    upload: impl FnOnce(&Server, &Path) -> Verdict,
) -> Verdict {
    let server = start_server(s, false)?;
    let src = scratch();
    let path = src.path().join(name);
    let data = payload(3000);
    let _ = std::fs::write(&path, &data);
    upload(&server, &path)?;
    let saved = wait_until(STEP, || find_files(&server.work, name).contains(&data));
    pass_if(saved, || {
        format!("{client}'s 3000-byte upload was not saved byte for byte")
    })
}

pub(super) fn file_server_traversal(s: &Subject) -> Verdict {
    let t = &s.transcript;
    let server = safe_to_judge(s)?;
    // The server runs in a folder of its own; a name that climbs out of its
    // save folder, or an absolute one, must not land outside that folder.
    let outside = scratch();
    let absolute = outside.path().join("absolute.txt");
    let names = [
        "../../escape.txt".to_string(),
        "../escape.txt".to_string(),
        absolute.to_string_lossy().into_owned(),
    ];
    for name in &names {
        let _ = legacy_upload(t, server.addr, name, b"owned", 5);
    }
    // From a save folder inside `work`, those land in `work` or its parent.
    let above = server
        .work
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    // A file appears within a moment, or not at all: a bounded check for
    // absence.
    let escaped = wait_until(Duration::from_millis(1500), || {
        absolute.exists()
            || above.join("escape.txt").exists()
            || server.work.join("escape.txt").exists()
    });
    pass_if(!escaped, || {
        format!("wrote a file outside its folder for one of the names {names:?}")
    })
}

pub(super) fn file_server_truncated(s: &Subject) -> Verdict {
    let t = &s.transcript;
    let server = safe_to_judge(s)?;
    let data = payload(1000);
    let _ = legacy_upload(t, server.addr, "cut.bin", &data, 400);
    // A partial file shows up within a moment, or not at all.
    let partial = wait_until(Duration::from_millis(1500), || {
        find_files(&server.work, "cut.bin")
            .iter()
            .any(|f| f.len() != 1000)
    });
    pass_if(!partial, || {
        "left a partial cut.bin (400 of 1000 bytes) after the client stopped sending".into()
    })
}

pub(super) fn file_server_spin(s: &Subject) -> Verdict {
    let t = &s.transcript;
    let server = safe_to_judge(s)?;
    let data = payload(1000);
    let _ = legacy_upload(t, server.addr, "vanish.bin", &data, 400);
    judge_spin(&server, "a client vanished mid-upload")
}

pub(super) fn file_server_overwrite(s: &Subject) -> Verdict {
    let t = &s.transcript;
    let server = safe_to_judge(s)?;
    let _ = legacy_upload(t, server.addr, "same.txt", b"first", 5);
    let _ = legacy_upload(t, server.addr, "same.txt", b"other", 5);
    // Kept both, or refused the second: the first is never lost. A second
    // file shows up within a moment, or not at all.
    let _ = wait_until(Duration::from_millis(1500), || {
        find_files(&server.work, "same").len() >= 2
    });
    let kept = find_files(&server.work, "same").contains(&b"first".to_vec());
    pass_if(kept, || {
        "the second upload of same.txt replaced the first".into()
    })
}

/// The Rust file server on `port`, saving into `dir`.
pub(super) fn file_reference(port: u16, dir: &Path) -> Result<Reference, Outcome> {
    let cfg = file_transfer::server::Config {
        dir: dir.to_path_buf(),
        max_size: None,
        overwrite: false,
        sync: false,
    };
    Reference::tcp(port, move |l, sd, o| {
        file_transfer::server::run(l, &cfg, &opts(), sd, o)
    })
}

pub(super) fn file_client_uploads(s: &Subject) -> Verdict {
    let save = scratch();
    let reference = file_reference(s.grader_port(), save.path())?;
    let src = scratch();
    let path = src.path().join("上传.bin");
    let data = payload(4000);
    let _ = std::fs::write(&path, &data);
    let (out, _) = run_client(
        s,
        reference.port,
        &format!("{}\n", path.display()),
        src.path(),
    )?;
    let saved = reference.printed(|o| o.contains("upload successed."))
        && std::fs::read(save.path().join("上传.bin")).ok() == Some(data);
    if !saved {
        return fail("the 4000-byte file did not arrive byte for byte");
    }
    pass_if(
        out.contains("服务器确认: 上传.bin已发送") && out.contains("文件上传成功！"),
        || format!("printed {}", shown(out.as_bytes())),
    )
}

pub(super) fn file_client_eof(s: &Subject) -> Verdict {
    let save = scratch();
    let reference = file_reference(s.grader_port(), save.path())?;
    let src = scratch();
    match run_client(s, reference.port, "", src.path()) {
        Ok(_) => Ok(()),
        Err(Outcome::Fail(why)) => fail(format!(
            "at the end of input it {}",
            why.replace("did not exit", "did not stop")
        )),
        Err(o) => Err(o),
    }
}
