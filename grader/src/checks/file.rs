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
    to: &Server,
    name: &str,
    data: &[u8],
    send: usize,
) -> Result<Upload, Outcome> {
    let mut sk = connect(to.addr)?;
    let header = format!("{name}|{}", data.len());
    let io = |e: std::io::Error| {
        Outcome::Fail(why!(
            "上传 {name} 失败了：{e}",
            "the upload of {name} failed: {e}"
        ))
    };
    to.t.note(format!(
        "发送文件头，再发送 {send}/{len} 字节 / sent the header, then {send} of {len} bytes: {}",
        shown(header.as_bytes()),
        len = data.len()
    ));
    sk.write_all(header.as_bytes()).map_err(io)?;
    let confirmation = read_reply(&mut sk, false).bytes;
    to.t.note(format!(
        "文件头的回答 / got for the header: {}",
        shown(&confirmation)
    ));
    sk.write_all(&data[..send.min(data.len())]).map_err(io)?;
    let _ = sk.shutdown(std::net::Shutdown::Write);
    // The final reply, if any; a server that never closes is not waited
    // for long (the checks look at what it did).
    let _ = read_reply(&mut sk, true);
    Ok(Upload { confirmation })
}

/// A client that vanishes mid-upload: it announces 1000 bytes as `name`,
/// sends 400 and half-closes.
pub(super) fn abandoned_upload(to: &Server, name: &str) {
    let _ = legacy_upload(to, name, &payload(1000), 400);
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
pub(super) fn plain_upload(server: &Server, name: &str) -> Verdict {
    let data = payload(UPLOAD);
    let upload = legacy_upload(server, name, &data, data.len())?;
    let expected = format!("{name}已发送");
    if upload.confirmation != expected.as_bytes() {
        let (got, expected) = (shown(&upload.confirmation), shown(expected.as_bytes()));
        return fail(why!(
            "对文件头 '{name}|{UPLOAD}' 回答了 {got}（应回答 {expected}）",
            "answered the header '{name}|{UPLOAD}' with {got} (expected {expected})"
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
        [] => why!(
            "上传了 {UPLOAD} 字节，却没有保存文件 {name}",
            "saved no file {name} from a {UPLOAD}-byte upload"
        ),
        [len] if *len < UPLOAD => why!(
            "{name} 的 {UPLOAD} 字节只保存了 {len} 字节",
            "saved {len} of the {UPLOAD} bytes of {name}"
        ),
        _ => why!(
            "保存的 {name} 与发送的字节不同（大小 {sizes:?}）",
            "saved {name} with other bytes than were sent (sizes {sizes:?})"
        ),
    })
}

/// A file server whose plain upload works, for the safety checks, which
/// would otherwise pass on a server that saves nothing.
pub(super) fn safe_to_judge(s: &Subject) -> Result<Server, Outcome> {
    let server = start_server(s, false)?;
    match plain_upload(&server, "plain.bin") {
        Ok(()) => Ok(server),
        Err(Outcome::Fail(why)) => Err(Outcome::NotGraded(Why::new(
            format!("没有一次上传成功（{}），所以无法判断安全性", why.zh),
            format!(
                "no upload succeeded ({}), so safety could not be judged",
                why.en
            ),
        ))),
        Err(other) => Err(other),
    }
}

pub(super) fn file_server_saves(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    plain_upload(&server, "实验报告.bin")
}

pub(super) fn file_server_python_client(s: &Subject) -> Verdict {
    let client = Why::quoted("file_client.py");
    saved_from(s, "py_upload.bin", &client, |server, path| {
        let typed = format!("{}\n", path.display());
        python_original(s, "file_client.py", server.addr.port(), &typed).map(drop)
    })
}

pub(super) fn file_server_rust_client(s: &Subject) -> Verdict {
    let client = why!("Rust 客户端", "the Rust client");
    saved_from(s, "rs_upload.bin", &client, |server, path| {
        let cfg = file_transfer::client::Config {
            server: server.addr,
            legacy: false,
            timeout: STEP,
        };
        refusal_retried(|| file_transfer::client::upload(&cfg, path, &Output::discard())).map_err(
            |e| {
                Outcome::Fail(why!(
                    "Rust 客户端失败了：{e:#}",
                    "the Rust client failed: {e:#}"
                ))
            },
        )
    })
}

/// A 3000-byte file named `name`, uploaded by `client` (`upload`), must be
/// saved byte for byte.
fn saved_from(
    s: &Subject,
    name: &str,
    client: &Why,
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
        Why::new(
            format!("{} 上传的 3000 字节没有逐字节保存下来", client.zh),
            format!(
                "{}'s 3000-byte upload was not saved byte for byte",
                client.en
            ),
        )
    })
}

pub(super) fn file_server_traversal(s: &Subject) -> Verdict {
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
        let _ = legacy_upload(&server, name, b"owned", 5);
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
        why!(
            "对名字 {names:?} 之一，把文件写到了它的文件夹之外",
            "wrote a file outside its folder for one of the names {names:?}"
        )
    })
}

pub(super) fn file_server_truncated(s: &Subject) -> Verdict {
    let server = safe_to_judge(s)?;
    abandoned_upload(&server, "cut.bin");
    // A partial file shows up within a moment, or not at all.
    let partial = wait_until(Duration::from_millis(1500), || {
        find_files(&server.work, "cut.bin")
            .iter()
            .any(|f| f.len() != 1000)
    });
    pass_if(!partial, || {
        why!(
            "客户端停止发送后，留下了不完整的 cut.bin（1000 字节中的 400 字节）",
            "left a partial cut.bin (400 of 1000 bytes) after the client stopped sending"
        )
    })
}

pub(super) fn file_server_spin(s: &Subject) -> Verdict {
    let server = safe_to_judge(s)?;
    abandoned_upload(&server, "vanish.bin");
    judge_spin(
        &server,
        &why!("客户端上传到一半消失", "a client vanished mid-upload"),
    )
}

pub(super) fn file_server_overwrite(s: &Subject) -> Verdict {
    let server = safe_to_judge(s)?;
    let _ = legacy_upload(&server, "same.txt", b"first", 5);
    let _ = legacy_upload(&server, "same.txt", b"other", 5);
    // Kept both, or refused the second: the first is never lost. A second
    // file shows up within a moment, or not at all.
    let _ = wait_until(Duration::from_millis(1500), || {
        find_files(&server.work, "same").len() >= 2
    });
    let kept = find_files(&server.work, "same").contains(&b"first".to_vec());
    pass_if(kept, || {
        why!(
            "第二次上传的 same.txt 覆盖了第一次的",
            "the second upload of same.txt replaced the first"
        )
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
        return fail(why!(
            "4000 字节的文件没有逐字节到达",
            "the 4000-byte file did not arrive byte for byte"
        ));
    }
    pass_if(
        out.contains("服务器确认: 上传.bin已发送") && out.contains("文件上传成功！"),
        || printed(&out),
    )
}

pub(super) fn file_client_eof(s: &Subject) -> Verdict {
    let save = scratch();
    let reference = file_reference(s.grader_port(), save.path())?;
    let src = scratch();
    match run_client(s, reference.port, "", src.path()) {
        Ok(_) => Ok(()),
        Err(Outcome::Fail(why)) => fail(Why::new(
            format!("输入结束时，它{}", why.zh),
            format!(
                "at the end of input it {}",
                why.en.replace("did not exit", "did not stop")
            ),
        )),
        Err(o) => Err(o),
    }
}
