//! Every check, by program: the registry ([`for_program`]) here, the
//! checks in a file per program (`tcp.rs`: every TCP server and 2.1; `udp.rs`:
//! 2.2; `signin.rs`: 2.4's servers and client; `file.rs`: 2.5; `seeds.rs`:
//! the seeds' servers), how a program is recognised in `recognise.rs`, and
//! how the checks talk to it in `talk.rs`. GRADING.md's table of checks is
//! made from the registry ([`table`]); to add one, write a `fn(&Subject) ->
//! Verdict` in its program's file and put it in the program's list in
//! [`for_program`].
//!
//! A failing check says what was sent, what came back and what was
//! expected ("replied '滚蛋.' instead of '不要回答,…'"), and names an
//! exception only when the program's stderr shows one.

use crate::run::{RUN, Running, START, STEP, Transcript, scratch, wait_until};
use crate::{Category, Check, Outcome, Program, Protocol, Subject, Verdict, Why, why};
use common::log::Output;
use common::stop::Stop;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use Category::*;

mod file;
mod recognise;
mod seeds;
mod signin;
mod talk;
mod tcp;
mod udp;

use file::*;
pub use recognise::recognise;
use seeds::*;
use signin::*;
use talk::*;
use tcp::*;
use udp::*;

/// How long a server may take to close after its reply.
const CLOSE: Duration = Duration::from_secs(2);
/// How long after the last byte a reply is taken to be complete, where the
/// server keeps the connection open (a session).
const SETTLE: Duration = Duration::from_millis(300);
/// An idle program uses less than this share of a core.
const SPIN: f64 = 0.1;
/// How long a fixed port may stay taken before a check gives up on it:
/// longer than Linux's TIME_WAIT (60 s).
const FREE: Duration = Duration::from_secs(65);

/// A check that needs the lab's protocol (not graded where the program
/// speaks another).
fn lab(
    name: &'static str,
    zh: &'static str,
    category: Category,
    points: u32,
    run: fn(&Subject) -> Verdict,
) -> Check {
    Check {
        name,
        zh,
        category,
        points,
        run,
        protocol: true,
        does: "",
        does_zh: "",
    }
}

/// The check both TCP clients of 2.1 and 2.4 share: nobody on its port.
fn no_server_check() -> Check {
    lab(
        "exits when no server listens",
        "没有服务器时正常退出",
        Robust,
        1,
        client_without_server,
    ).whatever_it_speaks()
    .does(
                "nobody on its port: it must exit within 10 s, with a message or silently, not with a traceback",
                "端口上没有服务器：它必须在 10 秒内退出，可以打印提示，也可以不打印，但不能抛出 traceback",
            )
}

/// Every server's last robustness check: another program holds its port.
fn port_in_use_check() -> Check {
    lab(
        "exits when its port is in use",
        "端口被占用时退出",
        Robust,
        1,
        port_in_use,
    )
    .whatever_it_speaks()
    .does(
        "the grader holds the port first: it must give up (exit) within 10 s, not hang",
        "评分程序先占用它的端口：它必须在 10 秒内放弃（退出），不能卡住",
    )
}

/// The robustness checks every TCP server gets: hostile clients, a second
/// client, no spin, a port already taken.
fn tcp_robustness(checks: &mut Vec<Check>) {
    checks.extend([
        lab(
            "keeps serving after its first client",
            "第一个客户端之后继续服务",
            Robust,
            1,
            keeps_serving,
        ).whatever_it_speaks()
            .does(
                "two normal clients, one after the other: the second must be answered too",
                "两个普通客户端先后连接：第二个也必须得到回复",
            ),
        lab(
            "survives invalid UTF-8",
            "收到非 UTF-8 数据后不崩溃",
            Robust,
            1,
            |s| survives(s, Hostile::Bytes(b"\xff\xfe\x00")),
        ).whatever_it_speaks()
        .does(
                "bytes `ff fe 00`, then a normal client must be answered (an exit with status 0 is not graded only where a fresh copy also ends after an ordinary client; else it fails)",
                "先发送字节 `ff fe 00`，之后普通客户端必须得到回复（以状态 0 退出时，只有新启动的程序在一个普通客户端之后也会结束，才不评分；否则判为未通过）",
            ),
        lab(
            "survives an empty connection",
            "空连接之后不崩溃",
            Robust,
            1,
            |s| survives(s, Hostile::Empty),
        ).whatever_it_speaks()
        .does(
                "a connection closed at once, then a normal client (an exit with status 0 is not graded only where a fresh copy also ends after an ordinary client; else it fails)",
                "一个连上就关闭的连接，然后是一个普通客户端（以状态 0 退出时，只有新启动的程序在一个普通客户端之后也会结束，才不评分；否则判为未通过）",
            ),
        lab(
            "survives a reset connection",
            "连接被重置之后不崩溃",
            Robust,
            1,
            |s| survives(s, Hostile::Reset),
        ).whatever_it_speaks()
        .does(
                "a connection reset (RST), then a normal client (an exit with status 0 is not graded only where a fresh copy also ends after an ordinary client; else it fails)",
                "一个被重置（RST）的连接，然后是一个普通客户端（以状态 0 退出时，只有新启动的程序在一个普通客户端之后也会结束，才不评分；否则判为未通过）",
            ),
        lab(
            "does not spin after a client leaves",
            "客户端离开后不空转占用 CPU",
            Robust,
            1,
            no_spin_after_a_client,
        ).whatever_it_speaks()
            .does(
                "one normal client, then under 10 % of a core for 2 s (CPU time read with sysinfo, on Linux, macOS and Windows)",
                "一个普通客户端之后，2 秒内占用不到一个 CPU 核的 10 %（用 sysinfo 读取 CPU 时间，Linux、macOS 和 Windows 上都可以）",
            ),
        port_in_use_check(),
    ]);
}

/// The checks of one program.
pub fn for_program(program: Program) -> Vec<Check> {
    let mut checks = match program {
        Program::TcpServer => vec![
            lab(
                "replies 不要回答 and closes",
                "回复“不要回答”并关闭连接",
                Correct,
                3,
                tcp_server_replies,
            )
                .does(
                "sends 请求占领地球, expects exactly `不要回答,不要回答,不要回答` and the end of the stream",
                "发送“请求占领地球”，收到的必须恰好是 `不要回答,不要回答,不要回答`，然后连接结束",
            ),
            lab(
                "prints server waiting... and the request",
                "打印 server waiting... 和请求内容",
                Correct,
                1,
                tcp_server_prints,
            )
                .does(
                "its stdout starts `server waiting...`, `请求占领地球`, `server waiting...`",
                "它的标准输出以 `server waiting...`、`请求占领地球`、`server waiting...` 开头",
            ),
            lab(
                "serves the Rust client",
                "能为 Rust 客户端服务",
                Interop,
                1,
                tcp_server_rust_client,
            )
                .does(
                "`tcp-basic client` prints the reply",
                "`tcp-basic client` 打印出回复",
            ),
            lab(
                "serves the Python client",
                "能为 Python 原版客户端服务",
                Interop,
                1,
                tcp_server_python_client,
            )
                .does(
                "`tcp_client.py` prints the reply",
                "`tcp_client.py` 打印出回复",
            ),
        ],
        Program::TcpClient => vec![
            lab(
                "sends 请求占领地球 and prints the reply",
                "发送“请求占领地球”并打印回复",
                Correct,
                3,
                tcp_client_exchange,
            )
                .does(
                "against the Rust server: what arrived, and its stdout",
                "连接 Rust 服务器：检查服务器收到了什么，以及它的标准输出",
            ),
            lab(
                "works against the Python server",
                "能与 Python 原版服务器配合",
                Interop,
                1,
                tcp_client_python_server,
            )
                .does(
                "against `tcp_server.py`",
                "连接 `tcp_server.py`",
            ),
            no_server_check(),
            lab(
                "exits when the server closes without a reply",
                "服务器不回复就关闭时退出",
                Robust,
                1,
                tcp_client_no_reply,
            ).whatever_it_speaks()
                .does(
                "a server that reads and closes: it must not wait forever",
                "服务器读完请求就关闭连接、不回复：它不能一直等下去",
            ),
        ],
        Program::UdpServer => vec![
            lab(
                "prints each datagram",
                "打印每个数据报",
                Correct,
                3,
                udp_server_prints,
            )
                .does(
                "`hello` and `你好，UDP` are printed, in order",
                "按顺序打印 `hello` 和 `你好，UDP`",
            ),
            lab(
                "prints what the Python client sends",
                "打印 Python 原版客户端发送的内容",
                Interop,
                1,
                udp_server_python_client,
            )
                .does(
                "`udp_client.py`'s lines",
                "`udp_client.py` 发送的各行",
            ),
            lab(
                "survives invalid UTF-8",
                "收到非 UTF-8 数据后不崩溃",
                Robust,
                2,
                udp_server_invalid_utf8,
            ).whatever_it_speaks()
                .does(
                "a datagram `ff fe 00`, then one that must be printed",
                "先发一个数据报 `ff fe 00`，之后的数据报必须被打印",
            ),
            lab(
                "keeps 1024 bytes of a longer datagram",
                "长数据报保留前 1024 字节",
                Robust,
                1,
                udp_server_long_datagram,
            )
                .does(
                "2000 bytes of `a`: the longest run of them it prints is 1024 (`recv(1024)`), whatever it prints around them",
                "2000 个字节的 `a`：它打印出的最长一串 `a` 是 1024 个（`recv(1024)`），前后打印什么都可以",
            ),
            lab(
                "does not spin after a datagram",
                "收到数据报后不空转占用 CPU",
                Robust,
                1,
                udp_no_spin,
            ).whatever_it_speaks()
                .does(
                "under 10 % of a core for 2 s",
                "2 秒内占用不到一个 CPU 核的 10 %",
            ),
            port_in_use_check(),
        ],
        Program::UdpClient => vec![
            lab(
                "prompts 数据： and sends each stripped line",
                "提示“数据：”并发送去掉首尾空白的每一行",
                Correct,
                3,
                udp_client_sends,
            )
                .does(
                "`  hi,zlz  ` arrives as `hi,zlz`",
                "输入 `  hi,zlz  `，服务器收到的是 `hi,zlz`",
            ),
            lab(
                "stops at exit",
                "输入 exit 时停止",
                Correct,
                1,
                udp_client_exit,
            )
                .does(
                "nothing is sent after `exit`",
                "输入 `exit` 之后不再发送任何内容",
            ),
            lab(
                "ends cleanly at the end of input",
                "输入结束时正常退出",
                Robust,
                2,
                udp_client_eof,
            ).whatever_it_speaks()
                .does(
                "stdin closed: exit status 0 within 10 s, no traceback",
                "标准输入关闭：10 秒内以状态 0 退出，没有 traceback",
            ),
        ],
        Program::MultithreadServer => signin_checks(),
        Program::MultithreadClient => vec![
            lab(
                "signs in twenty clients and prints their lines",
                "二十个客户端签到并打印各自的输出",
                Correct,
                3,
                signin_client_twenty,
            )
                .does(
                "the Rust server sees twenty sign-ins; each client's three lines",
                "Rust 服务器收到二十次签到；每个客户端打印三行",
            ),
            no_server_check(),
        ],
        Program::ThreadpoolServer => {
            let mut checks = signin_checks();
            checks.push(lab(
                "serves ten at once and no more (a pool)",
                "同时服务十个且不超过十个（线程池）",
                Concurrent,
                2,
                pool_is_bounded,
            )
                .does(
                "from below: with k silent clients held (k up to 9), a sign-in is answered within 2 s (a serial server or a pool of 2 fails, saying how many it served at once); from above: ten held, an eleventh waits (a bounded second: absence has no event to wait for); one let go, it is answered. The server's prints are not relied on",
                "从下方：连着 k 个不说话的客户端（k 最多 9）时，一次签到在 2 秒内得到回复（串行的服务器或只有 2 个线程的池不通过，并说明它同时服务了几个）；从上方：连着十个时，第十一个要等待（等待有上限：“没有发生”没有事件可等）；放走一个后，它得到回复。不依赖服务器打印的内容",
            ));
            checks
        }
        Program::FileServer => vec![
            lab(
                "saves a 100 KB name|size upload byte for byte",
                "逐字节保存 100 KB 的 name|size 上传",
                Correct,
                3,
                file_server_saves,
            )
                .does(
                "`实验报告.bin|100000` gets `实验报告.bin已发送`, and every byte lands (a server that keeps 1024 bytes is caught)",
                "发送 `实验报告.bin|100000`，收到 `实验报告.bin已发送`，并且每个字节都保存下来（只保存 1024 字节的服务器会被发现）",
            ),
            lab(
                "saves the Python client's upload",
                "保存 Python 原版客户端的上传",
                Interop,
                1,
                file_server_python_client,
            )
                .does(
                "`file_client.py`",
                "用 `file_client.py` 上传",
            ),
            lab(
                "saves the Rust client's upload",
                "保存 Rust 客户端的上传",
                Interop,
                1,
                file_server_rust_client,
            )
                .does(
                "`file-transfer client` (framed header, falling back to `name|size`)",
                "用 `file-transfer client` 上传（带帧头，不行时退回 `name|size`）",
            ),
            lab(
                "refuses traversal and absolute names",
                "拒绝目录穿越和绝对路径文件名",
                Safe,
                2,
                file_server_traversal,
            )
                .does(
                "`../escape.txt`, `../../escape.txt` and an absolute path land nowhere outside its folder",
                "`../escape.txt`、`../../escape.txt` 和绝对路径都不会写到它的文件夹之外",
            ),
            lab(
                "leaves no partial file after a truncated upload",
                "上传中断后不留下残缺文件",
                Safe,
                2,
                file_server_truncated,
            )
                .does(
                "400 of 1000 bytes, then the client closes",
                "只发送 1000 字节中的 400 字节，然后客户端关闭连接",
            ),
            lab(
                "does not spin when a client vanishes mid-upload",
                "上传中途客户端消失时不空转",
                Safe,
                1,
                file_server_spin,
            )
                .does(
                "under 10 % of a core in the 2 s after that",
                "之后 2 秒内占用不到一个 CPU 核的 10 %",
            ),
            lab(
                "does not overwrite a file silently",
                "不悄悄覆盖同名文件",
                Safe,
                1,
                file_server_overwrite,
            )
                .does(
                "the same name twice: the first file survives",
                "同一个文件名上传两次：第一个文件保留下来",
            ),
        ],
        Program::FileClient => vec![
            lab(
                "uploads a file intact and prints the lab's lines",
                "完整上传文件并打印实验要求的输出",
                Correct,
                3,
                file_client_uploads,
            )
                .does(
                "against the Rust server: the file arrives; 服务器确认 and 文件上传成功！ are printed",
                "连接 Rust 服务器：文件完整到达；打印“服务器确认”和“文件上传成功！”",
            ),
            lab(
                "says so and exits when no server listens",
                "没有服务器时提示并退出",
                Robust,
                1,
                client_without_server,
            ).whatever_it_speaks()
                .does(
                "given a file that exists, prints 无法连接到服务器，请检查服务器是否运行！ and exits",
                "输入一个存在的文件名：打印“无法连接到服务器，请检查服务器是否运行！”并退出",
            ),
            lab(
                "ends at the end of input",
                "输入结束时退出",
                Robust,
                2,
                file_client_eof,
            ).whatever_it_speaks()
                .does(
                "stdin closed at once: it must exit within 10 s",
                "标准输入立即关闭：它必须在 10 秒内退出",
            ),
        ],
        Program::EchoServer => vec![lab(
            "answers every message in upper case, in one session",
            "在一个会话中把每条消息转成大写回复",
            Correct,
            3,
            echo_upper,
        )
            .does(
                "`hello`, `socket 你好` on one connection",
                "在一个连接上发送 `hello`、`socket 你好`",
            )],
        Program::CtimeServer => vec![lab(
            "answers [ctime] data",
            "回复 [时间] 数据",
            Correct,
            3,
            ctime_reply,
        )
            .does(
                "`[Tue Dec  1 10:00:00 2026] hello`",
                "回复形如 `[Tue Dec  1 10:00:00 2026] hello`",
            )],
        Program::UdpEchoServer => vec![
            lab(
                "answers each datagram in upper case",
                "把每个数据报转成大写回复",
                Correct,
                3,
                udp_echo_upper,
            )
                .does(
                "`hello`, `socket 你好` come back as `HELLO`, `SOCKET 你好`",
                "`hello`、`socket 你好` 回来时是 `HELLO`、`SOCKET 你好`",
            ),
            lab(
                "answers an empty datagram",
                "回复空数据报",
                Robust,
                1,
                udp_echo_empty,
            )
                .does(
                "UDP can carry an empty datagram (seed 002 §二)",
                "UDP 可以传送空数据报（文档 002 §二）",
            ),
            lab(
                "survives invalid UTF-8",
                "收到非 UTF-8 数据后不崩溃",
                Robust,
                1,
                udp_echo_invalid_utf8,
            ).whatever_it_speaks()
                .does(
                "a datagram `ff fe 00`, then `after` must be answered",
                "先发一个数据报 `ff fe 00`，之后的 `after` 必须得到回复",
            ),
        ],
        Program::ChatServer => vec![
            lab(
                "answers every message with ACK",
                "每条消息都回复 ACK",
                Correct,
                3,
                chat_acks,
            )
                .does(
                "two messages, two `ACK`s",
                "两条消息，两个 `ACK`",
            ),
            lab(
                "two clients are served at once",
                "同时为两个客户端服务",
                Concurrent,
                1,
                chat_two_clients,
            )
                .does(
                "two sessions open at once, each answered",
                "同时打开两个会话，每个都得到回复",
            ),
        ],
        Program::DownloadServer => vec![
            lab(
                "sends the named file",
                "发送指定的文件",
                Correct,
                3,
                download_sends,
            )
                .does(
                "the name, then the file's bytes",
                "发送文件名，收到文件的字节",
            ),
            lab(
                "refuses a name outside its folder",
                "拒绝目录以外的文件名",
                Safe,
                2,
                download_traversal,
            )
                .does(
                "a real download first (a file in its folder arrives byte for byte), then an absolute path to a file elsewhere is not sent",
                "先正常下载一次（它文件夹里的文件逐字节到达），然后指向别处文件的绝对路径不会被发送",
            ),
        ],
    };
    // Every TCP server but seed 003 五's download server, which serves one
    // client by design, gets the same robustness checks.
    if program.is_server() && !program.is_udp() && program != Program::DownloadServer {
        tcp_robustness(&mut checks);
    }
    checks
}

/// GRADING.md's tables of the checks, made from the registry: the
/// robustness checks every TCP server gets, then each program's own.
/// `grade checks` prints them; a test fails where GRADING.md differs.
pub fn table() -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    let mut out = String::from(
        "| check | 检查 | points | what it does | 检查方法 |\n|---|---|---|---|---|\n",
    );
    let mut common = Vec::new();
    tcp_robustness(&mut common);
    for c in &common {
        out += &format!(
            "| {} | {} | {} | {} | {} |\n",
            cell(c.name),
            cell(c.zh),
            c.points,
            cell(c.does),
            cell(c.does_zh)
        );
    }
    out += "\n| program | check | 检查 | category | points | what it does | 检查方法 |\n|---|---|---|---|---|---|---|\n";
    for program in Program::ALL {
        let own = for_program(program)
            .into_iter()
            .filter(|c| !common.iter().any(|k| k.name == c.name && k.does == c.does));
        for (i, c) in own.enumerate() {
            let name = if i == 0 {
                program.name()
            } else {
                String::new()
            };
            out += &format!(
                "| {name} | {} | {} | {} | {} | {} | {} |\n",
                cell(c.name),
                cell(c.zh),
                c.category.name(),
                c.points,
                cell(c.does),
                cell(c.does_zh)
            );
        }
    }
    out
}

/// The checks both sign-in servers share (the robustness ones are added
/// by [`for_program`]).
fn signin_checks() -> Vec<Check> {
    vec![
        lab(
            "answers 你已签到 and prints the lab's lines",
            "回复“你已签到”并打印实验要求的输出",
            Correct,
            3,
            signin_correct,
        )
        .does(
            "one sign-in; its lines (连接成功, 内容为:拔尖班7号签到, 回复消息, 的连接关闭)",
            "一次签到；它打印的各行（连接成功、内容为:拔尖班7号签到、回复消息、的连接关闭）",
        ),
        lab(
            "serves the Python client",
            "能为 Python 原版客户端服务",
            Interop,
            1,
            signin_python_client,
        )
        .does(
            "`multithread_client.py`: twenty sign in",
            "用 `multithread_client.py`：二十个客户端签到",
        ),
        lab(
            "answers a client that sends invalid UTF-8",
            "回复发送非 UTF-8 数据的客户端",
            Robust,
            1,
            signin_invalid_utf8,
        )
        .whatever_it_speaks()
        .does(
            "that client gets an answer, and so does the next",
            "这个客户端得到回复，下一个客户端也得到回复",
        ),
        lab(
            "an idle client does not block the others",
            "空闲客户端不阻塞其他客户端",
            Concurrent,
            2,
            signin_idle_does_not_block,
        )
        .does(
            "with one silent client connected, a sign-in is answered within 2 s",
            "连着一个不说话的客户端时，一次签到在 2 秒内得到回复",
        ),
        lab(
            "twenty sign-ins at once are all answered",
            "同时二十个签到都得到回复",
            Concurrent,
            2,
            signin_twenty,
        )
        .does("twenty threads at once", "二十个线程同时签到"),
    ]
}

#[cfg(test)]
mod tests {
    use super::recognise::other_protocol;
    use super::*;

    #[test]
    fn grading_md_holds_the_registrys_tables() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../GRADING.md");
        let doc = std::fs::read_to_string(&path).expect("GRADING.md beside the grader");
        assert!(
            doc.contains(&table()),
            "GRADING.md's tables of the checks differ from the registry: paste the output of `cargo run -p grader -- checks` into it"
        );
    }

    #[test]
    fn every_check_says_what_it_does_in_both_languages() {
        for program in Program::ALL {
            for c in for_program(program) {
                assert!(
                    !c.does.is_empty() && !c.zh.is_empty() && !c.does_zh.is_empty(),
                    "{}: {}",
                    program.name(),
                    c.name
                );
            }
        }
    }

    #[test]
    fn a_programs_checks_have_names_of_their_own() {
        // A student's feedback finds a check's description by its name.
        for program in Program::ALL {
            let checks = for_program(program);
            for (i, c) in checks.iter().enumerate() {
                assert!(
                    checks[..i].iter().all(|k| k.name != c.name),
                    "{}: {} twice",
                    program.name(),
                    c.name
                );
            }
        }
    }

    #[test]
    fn bytes_are_shown_as_text_or_as_python_bytes() {
        assert_eq!(shown("不要回答".as_bytes()), "'不要回答'");
        assert_eq!(shown("滚蛋.\n".as_bytes()), "'滚蛋.\\n'");
        assert_eq!(shown(b"\xff\xfe\x00"), "b'\\xff\\xfe\\x00'");
    }

    #[test]
    fn an_exception_is_named_only_when_stderr_shows_one() {
        let traceback = "Traceback (most recent call last):\n  File \"x.py\"\nUnicodeDecodeError: 'utf-8' codec can't decode byte 0xff\n";
        let named = |stderr: &str| exception(stderr).map(|why| why.en);
        assert_eq!(named(traceback).as_deref(), Some("UnicodeDecodeError"));
        assert_eq!(
            named("socket.timeout: timed out\nConnectionResetError: [Errno 104]").as_deref(),
            Some("ConnectionResetError")
        );
        assert_eq!(
            exception("thread 'main' panicked at src/main.rs:3:5:"),
            Some(why!("panic", "a panic"))
        );
        assert_eq!(exception(""), None);
        assert_eq!(exception("bye\n"), None);
        assert_eq!(exception("error: cannot bind: in use"), None);
    }

    #[test]
    fn other_protocols_are_named() {
        let named = |request: &[u8], reply: &[u8]| other_protocol(request, reply).map(|w| w.en);
        assert_eq!(
            named(b"hello", b"HELLO").as_deref(),
            Some("an upper-case echo server")
        );
        assert_eq!(
            named(b"hello", b"hello").as_deref(),
            Some("a plain echo server")
        );
        assert_eq!(
            named("拔尖班0号签到".as_bytes(), "拔尖班0号签到".as_bytes()).as_deref(),
            Some("an echo server")
        );
        assert_eq!(
            named(b"hello", b"ACK").as_deref(),
            Some("seed 001's chat server (ACK)")
        );
        assert_eq!(other_protocol(b"hello", "滚蛋.".as_bytes()), None);
        // Each kind has its own Chinese words.
        assert_eq!(
            other_protocol(b"hello", b"HELLO").map(|w| w.zh).as_deref(),
            Some("一个大写回显服务器")
        );
        assert!(is_ctime_reply(b"[Tue Dec  1 10:00:00 2026] hi", b"hi"));
        assert!(!is_ctime_reply(b"[soon] hi", b"hi"));
    }
}
