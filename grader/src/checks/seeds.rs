//! The checks of the seeds' servers (001–004).

use super::*;

/// Sends each message on one connection and reads each reply.
pub(super) fn session(to: &Server, messages: &[&[u8]]) -> Result<Vec<Vec<u8>>, Outcome> {
    let mut sk = connect(to.addr)?;
    let mut replies = Vec::new();
    for m in messages {
        to.t.note(format!("发送 / sent: {}", shown(m)));
        sk.write_all(m).map_err(|e| {
            let sent = shown(m);
            Outcome::Fail(why!("无法发送 {sent}：{e}", "could not send {sent}: {e}"))
        })?;
        let reply = read_reply(&mut sk, false).bytes;
        to.t.note(format!("收到 / got: {}", shown(&reply)));
        replies.push(reply);
    }
    Ok(replies)
}

/// Judges a session's replies against the expected ones.
pub(super) fn expect_session(
    messages: &[&[u8]],
    replies: &[Vec<u8>],
    expected: &[&[u8]],
) -> Verdict {
    for ((m, r), e) in messages.iter().zip(replies).zip(expected) {
        if r.as_slice() != *e {
            let (got, sent, expected) = (shown(r), shown(m), shown(e));
            return fail(match r.is_empty() {
                true => why!(
                    "没有回复 {sent}（应回复 {expected}）",
                    "no reply to {sent} (expected {expected})"
                ),
                false => why!(
                    "对 {sent} 回复了 {got}，而不是 {expected}",
                    "replied {got} to {sent} instead of {expected}"
                ),
            });
        }
    }
    Ok(())
}

pub(super) fn echo_upper(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let messages: [&[u8]; 2] = [b"hello", "socket 你好".as_bytes()];
    let replies = session(&server, &messages)?;
    expect_session(&messages, &replies, &[b"HELLO", "SOCKET 你好".as_bytes()])
}

pub(super) fn ctime_reply(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let replies = session(&server, &[b"hello"])?;
    pass_if(is_ctime_reply(&replies[0], b"hello"), || {
        let got = shown(&replies[0]);
        why!(
            "对 'hello' 回复了 {got}（应回复 '[<time.ctime()>] hello'）",
            "replied {got} to 'hello' (expected '[<time.ctime()>] hello')"
        )
    })
}

pub(super) fn udp_ask(to: &Server, datagram: &[u8]) -> Result<Vec<u8>, Outcome> {
    let ask = || -> std::io::Result<Vec<u8>> {
        let sk = UdpSocket::bind("127.0.0.1:0")?;
        sk.set_read_timeout(Some(STEP))?;
        to.t.note(format!(
            "发送数据报 / sent the datagram: {}",
            shown(datagram)
        ));
        sk.send_to(datagram, to.addr)?;
        let mut buf = [0u8; 2048];
        let (n, _) = sk.recv_from(&mut buf)?;
        to.t.note(format!(
            "收到数据报 / got the datagram: {}",
            shown(&buf[..n])
        ));
        Ok(buf[..n].to_vec())
    };
    ask().map_err(|e| {
        let sent = shown(datagram);
        Outcome::Fail(why!(
            "数据报 {sent} 没有得到回答：{e}",
            "no answer to the datagram {sent}: {e}"
        ))
    })
}

pub(super) fn udp_echo_upper(s: &Subject) -> Verdict {
    let server = start_server(s, true)?;
    let r = udp_ask(&server, b"hello")?;
    pass_if(r == b"HELLO", || {
        let got = shown(&r);
        why!(
            "对 'hello' 回答了 {got}（应回答 'HELLO'）",
            "answered {got} to 'hello' (expected 'HELLO')"
        )
    })
}

pub(super) fn udp_echo_empty(s: &Subject) -> Verdict {
    let server = start_server(s, true)?;
    let r = udp_ask(&server, b"")?;
    pass_if(r.is_empty(), || {
        let got = shown(&r);
        why!(
            "对一个空数据报回答了 {got}",
            "answered {got} to an empty datagram"
        )
    })
}

pub(super) fn udp_echo_invalid_utf8(s: &Subject) -> Verdict {
    let mut server = start_server(s, true)?;
    udp_send(&server, &[b"\xff\xfe\x00"])?;
    match udp_ask(&server, b"after") {
        Ok(_) => Ok(()),
        Err(no_answer) => Err(server
            .exited(s, &why!("无效的 UTF-8 数据", "invalid UTF-8"))
            .unwrap_or(no_answer)),
    }
}

pub(super) fn chat_acks(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let messages: [&[u8]; 2] = [b"hello", b"tcp"];
    let replies = session(&server, &messages)?;
    expect_session(&messages, &replies, &[b"ACK", b"ACK"])
}

pub(super) fn chat_two_clients(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let _first = connect(server.addr)?;
    let replies = session(&server, &[b"second"]).map_err(|o| match o {
        Outcome::Fail(why) => Outcome::Fail(Why::new(
            format!("第一个客户端还连着时，第二个客户端：{}", why.zh),
            format!(
                "the second client, while the first was connected: {}",
                why.en
            ),
        )),
        other => other,
    })?;
    expect_session(&[b"second"], &replies, &[b"ACK"])
}

pub(super) fn download_sends(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let data = payload(900);
    let _ = std::fs::write(server.work.join("课件.txt"), &data);
    let reply = exchange(&server, "课件.txt".as_bytes(), true)?;
    pass_if(reply.bytes == data, || {
        let (sent, size) = (reply.bytes.len(), data.len());
        why!(
            "对 '课件.txt' 发送了 {sent} 字节，而不是文件的 {size} 字节",
            "sent {sent} bytes for '课件.txt', not the file's {size}"
        )
    })
}

pub(super) fn download_traversal(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    // First a real download: a server that sends nothing would refuse the
    // outside file too, for no merit.
    let data = payload(300);
    let _ = std::fs::write(server.work.join("inside.txt"), &data);
    let inside = exchange(&server, b"inside.txt", true)?;
    if inside.bytes != data {
        let (sent, size) = (inside.bytes.len(), data.len());
        return fail(why!(
            "对它文件夹里的 'inside.txt' 发送了 {sent} 字节，而不是文件的 {size} 字节：它拒绝外面的名字不能算数",
            "sent {sent} bytes for 'inside.txt', a file in its folder, not the file's {size}: its refusal of an outside name cannot count"
        ));
    }
    // It serves one client by design: started again for the outside name.
    drop(server);
    let server = start_server(s, false)?;
    let outside = scratch();
    let secret = outside.path().join("secret.txt");
    let _ = std::fs::write(&secret, b"secret");
    let got = exchange(&server, secret.to_string_lossy().as_bytes(), true)
        .map(|r| r.bytes)
        .unwrap_or_default();
    pass_if(got != b"secret", || {
        why!(
            "发送了它文件夹之外的文件（一个绝对路径名）",
            "sent a file from outside its folder (an absolute name)"
        )
    })
}
