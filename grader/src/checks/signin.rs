//! The checks of 2.4's sign-in servers (thread per connection, the pool)
//! and client.

use super::*;

/// Signs in as client `i`: what the server replied.
pub(super) fn sign_in(to: &Server, i: usize) -> Result<Reply, Outcome> {
    exchange(to, multithread::client::message(i).as_bytes(), false)
}

pub(super) fn signin_correct(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let request = multithread::client::message(7);
    let reply = sign_in(&server, 7)?;
    expect_reply(&reply, request.as_bytes(), "你已签到".as_bytes(), false)?;
    let ok = server.proc.wait_stdout(STEP, |o| {
        o.starts_with("server waiting...")
            && o.contains("的信息,内容为:拔尖班7号签到")
            && o.contains("回复消息")
            && o.contains("的连接关闭")
            && o.contains("连接成功")
    });
    pass_if(ok, || {
        let printed = shown(server.proc.stdout().as_bytes());
        why!(
            "输出了 {printed}（应有 server waiting...、连接成功、请求内容、回复消息 和 的连接关闭 这几行）",
            "printed {printed} (expected server waiting..., 连接成功, the request, 回复消息 and 的连接关闭 lines)"
        )
    })
}

pub(super) fn signin_python_client(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let out = python_original(s, "multithread_client.py", server.addr.port(), "")?;
    pass_if(
        out.matches("成功签到，接收消息:你已签到").count() == 20,
        || {
            let signed = out.matches("成功签到").count();
            why!("20 个中有 {signed} 个签到成功", "{signed} of 20 signed in")
        },
    )
}

pub(super) fn signin_invalid_utf8(s: &Subject) -> Verdict {
    let mut server = start_server(s, false)?;
    let bad = b"\xff\xfe\x00";
    let answered = exchange(&server, bad, false).is_ok_and(|r| !r.bytes.is_empty());
    if !answered
        && let Some(outcome) = server.exited(s, &why!("无效的 UTF-8 数据", "invalid UTF-8"))
    {
        return Err(outcome);
    }
    if !answered {
        let sent = shown(bad);
        return fail(match exception(&server.proc.stderr()) {
            Some(name) => Why::new(
                format!("没有回答 {sent}：处理它的线程死了（{}）", name.zh),
                format!("no answer to {sent}: the handler died ({})", name.en),
            ),
            None => why!("没有回答 {sent}", "no answer to {sent}"),
        });
    }
    pass_if(answers(s, &server), || {
        why!("下一个客户端没有得到回答", "the next client got no answer")
    })
}

pub(super) fn signin_idle_does_not_block(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let _idle = connect(server.addr)?;
    let started = Instant::now();
    let reply = sign_in(&server, 1)?;
    let took = started.elapsed();
    if reply.bytes.is_empty() {
        return fail(why!(
            "有一个客户端空闲时，{STEP:?} 内没有回答",
            "no answer within {STEP:?} while one client was idle"
        ));
    }
    pass_if(took < Duration::from_secs(2), || {
        why!(
            "有一个客户端空闲时，过了 {took:.1?} 才回答",
            "answered only after {took:.1?} while one client was idle"
        )
    })
}

pub(super) fn signin_twenty(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    // Twenty clients at once, each noting in this check's transcript.
    let server = &server;
    let replies: Vec<Vec<u8>> = thread::scope(|scope| {
        let answers: Vec<_> = (0..20)
            .map(|i| scope.spawn(move || sign_in(server, i)))
            .collect();
        answers
            .into_iter()
            .filter_map(|a| a.join().ok().and_then(Result::ok))
            .map(|r| r.bytes)
            .collect()
    });
    let ok = replies.iter().filter(|r| !r.is_empty()).count();
    pass_if(ok == 20, || {
        why!("20 个中有 {ok} 个得到回答", "{ok} of 20 were answered")
    })
}

/// The lab's pool size.
pub(super) const POOL: usize = 10;
/// How long a sign-in may wait for a free worker before it counts as
/// queued, in the pool check from below.
pub(super) const QUEUED: Duration = Duration::from_secs(2);

/// A sign-in on a new connection, answered within `limit` (`false`: no
/// answer by then, or an error).
pub(super) fn signed_in_within(addr: SocketAddr, i: usize, limit: Duration) -> bool {
    let Ok(mut sk) = connect(addr) else {
        return false;
    };
    let _ = sk.set_read_timeout(Some(limit));
    let _ = sk.write_all(multithread::client::message(i).as_bytes());
    matches!(sk.read(&mut [0u8; 256]), Ok(n) if n > 0)
}

pub(super) fn pool_is_bounded(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    // From below: with k silent clients held (k < ten), a free worker
    // still answers a sign-in at once. The first k at which none does is
    // how many it serves at once: a serial server or a pool of 2 fails.
    let mut held: Vec<TcpStream> = Vec::new();
    for k in 0..POOL {
        if k > 0 {
            held.push(connect(server.addr)?);
        }
        if !signed_in_within(server.addr, 100 + k, QUEUED) {
            return fail(why!(
                "同时只服务了 {k} 个客户端：占着 {k} 个不说话的客户端时，一次签到在 {QUEUED:?} 内没有得到回答（实验的线程池同时服务 {POOL} 个）",
                "served only {k} client(s) at once: with {k} silent client(s) held, a sign-in got no answer within {QUEUED:?} (the lab's pool serves {POOL})"
            ));
        }
    }
    // From above: ten silent clients, accepted in order, hold the pool's
    // ten workers (the server's prints are not relied on: any text will
    // do).
    held.extend((held.len()..POOL).filter_map(|_| connect(server.addr).ok()));
    if held.len() < POOL {
        let accepted = held.len();
        return fail(why!(
            "十个客户端只接受了 {accepted} 个",
            "accepted only {accepted} of ten clients"
        ));
    }
    thread::scope(|scope| {
        let eleventh = scope.spawn(|| sign_in(&server, 11));
        // While ten are held, the eleventh must wait. Absence is checked
        // for a bounded second: there is no event to wait for.
        thread::sleep(Duration::from_secs(1));
        if eleventh.is_finished() {
            return fail(why!(
                "占着十个客户端时第十一个也得到了回答：同时服务了十个以上，不是实验要求的十个线程的池",
                "the eleventh client was answered while ten were held: more than ten at once, not the lab's pool of ten"
            ));
        }
        // Let one go: the eleventh is served.
        if let Some(mut first) = held.pop() {
            let _ = first.write_all(multithread::client::message(0).as_bytes());
        }
        drop(held);
        match eleventh.join() {
            Ok(Ok(reply)) if !reply.bytes.is_empty() => Ok(()),
            _ => fail(why!(
                "有线程空闲下来后，第十一个客户端仍没有得到回答",
                "the eleventh client got no answer once a worker was free"
            )),
        }
    })
}

pub(super) fn signin_client_twenty(s: &Subject) -> Verdict {
    let reference = Reference::tcp(s.grader_port(), |l, sd, o| {
        multithread::server::run(l, &opts(), Duration::ZERO, sd, o)
    })?;
    let dir = scratch();
    let (out, _) = run_client(s, reference.port, "", dir.path())?;
    let received = reference.printed(|o| o.matches("号签到").count() == 20);
    let signed = (0..20).all(|i| {
        out.contains(&format!("客户端{i}发送签到请求成功"))
            && out.contains(&format!("客户端{i}成功签到，接收消息:你已签到"))
            && out.contains(&format!("客户端{i}断开连接成功"))
    });
    pass_if(received && signed, || {
        let got = reference.out.contents().matches("号签到").count();
        let lines = out.lines().filter(|l| !l.is_empty()).count();
        why!(
            "服务器收到 {got} 次签到；客户端输出了 {lines} 行",
            "the server got {got} sign-ins; the client printed {lines} lines"
        )
    })
}
