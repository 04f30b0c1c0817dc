//! The reader against the real kernel: a network namespace of our own (named uniquely, deleted
//! on drop, so also when a test fails), real TCP connections on its loopback, and the states
//! and owners the reader reports for them. Needs root (CI runs as root) and `ip` (iproute2).

use proto::state::TcpState;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::Command;
use tcpoff::kernel::{read_sockets, KernelSocket};

/// `ip netns add NAME` with lo up; `ip netns del NAME` on drop.
struct Netns {
    name: String,
}

impl Netns {
    fn new(tag: &str) -> Netns {
        let name = format!(
            "tcpoff-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let ok = |args: &[&str]| {
            let o = Command::new("ip")
                .args(args)
                .output()
                .expect("run ip (iproute2)");
            assert!(
                o.status.success(),
                "ip {args:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        };
        ok(&["netns", "add", &name]);
        let ns = Netns { name };
        ok(&["-n", &ns.name, "link", "set", "lo", "up"]);
        ns
    }

    /// Run `f` on a thread that has entered the namespace (`setns(2)`, `CLONE_NEWNET`).
    fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let fd = std::fs::File::open(&path).expect("open the namespace");
            // SAFETY: plain syscall on a valid fd; only this thread changes namespace.
            let r = unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(r, 0, "setns: {}", std::io::Error::last_os_error());
            f()
        })
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

fn find(
    socks: &[KernelSocket],
    local: SocketAddrV4,
    remote: SocketAddrV4,
) -> Option<&KernelSocket> {
    socks
        .iter()
        .find(|s| s.local == local && s.remote == remote)
}

fn v4(a: std::net::SocketAddr) -> SocketAddrV4 {
    match a {
        std::net::SocketAddr::V4(a) => a,
        a => panic!("{a} is not IPv4"),
    }
}

/// Read until `done` holds for the dump (the kernel finishes a loopback FIN exchange in its own
/// time); at most `tries` dumps, 10 ms apart.
fn settle(done: impl Fn(&[KernelSocket]) -> bool) -> Vec<KernelSocket> {
    for _ in 0..500 {
        let s = read_sockets().expect("sock_diag dump");
        if done(&s) {
            return s;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    read_sockets().unwrap()
}

#[test]
fn sees_the_namespaces_connections_with_their_states_and_owner() {
    let ns = Netns::new("reader");
    let (socks, addrs) = ns.run(|| {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let la = v4(l.local_addr().unwrap());
        // 1: established both ways
        let c1 = TcpStream::connect(la).unwrap();
        let (s1, _) = l.accept().unwrap();
        // 2: the client half-closes: the server holds CLOSE-WAIT, the client FIN-WAIT-2
        let c2 = TcpStream::connect(la).unwrap();
        let (s2, _) = l.accept().unwrap();
        c2.shutdown(Shutdown::Write).unwrap();
        let mut b = [0u8; 1];
        assert_eq!((&s2).read(&mut b).unwrap(), 0, "the server saw the FIN");
        // 3: the client closes first, then the server: the client is left in TIME-WAIT
        let mut c3 = TcpStream::connect(la).unwrap();
        let (s3, _) = l.accept().unwrap();
        c3.write_all(b"x").unwrap();
        let c3a = v4(c3.local_addr().unwrap());
        drop(c3);
        assert_eq!((&s3).read(&mut b).unwrap(), 1);
        assert_eq!((&s3).read(&mut b).unwrap(), 0);
        drop(s3);
        let addrs = [
            la,
            v4(c1.local_addr().unwrap()),
            v4(c2.local_addr().unwrap()),
            c3a,
        ];
        let socks = settle(|s| {
            find(s, addrs[3], la).is_some_and(|k| k.state == TcpState::TimeWait)
                && find(s, addrs[2], la).is_some_and(|k| k.state == TcpState::FinWait2)
        });
        drop((c1, s1, c2, s2, l));
        (socks, addrs)
    });
    let [la, c1, c2, c3] = addrs;
    let me = std::process::id();
    let state = |local, remote| find(&socks, local, remote).map(|s| s.state);

    let listener = socks
        .iter()
        .find(|s| s.local == la && s.state == TcpState::Listen)
        .expect("the listener");
    assert!(listener.owners.iter().any(|o| o.pid == me), "{listener:?}");

    assert_eq!(state(c1, la), Some(TcpState::Established));
    assert_eq!(state(la, c1), Some(TcpState::Established));
    assert_eq!(state(la, c2), Some(TcpState::CloseWait));
    assert_eq!(state(c2, la), Some(TcpState::FinWait2));
    assert_eq!(state(c3, la), Some(TcpState::TimeWait));
    assert_eq!(state(la, c3), None, "the server's end is gone");

    let cw = find(&socks, la, c2).unwrap();
    assert!(
        cw.peer_idle_ms.is_some(),
        "tcp_info came with the dump: {cw:?}"
    );
    assert_ne!(cw.inode, 0);
    let owner = &cw.owners[..];
    assert_eq!(owner.len(), 1, "{owner:?}");
    assert_eq!(owner[0].pid, me);
    let tw = find(&socks, c3, la).unwrap();
    assert!(
        tw.owners.is_empty() && tw.inode == 0,
        "TIME-WAIT has no file: {tw:?}"
    );

    // the join against the device's view: the server's end as the NIC would track it
    use proto::events::DumpRecord;
    use proto::table::{Entry, FlowKey};
    use tcpoff::reconcile::{reconcile, Agreement, Finding, Options};
    let rec = |slot: u32, host: SocketAddrV4, peer: SocketAddrV4, st: TcpState| DumpRecord {
        slot,
        entry: Entry::new(
            FlowKey {
                peer_addr: peer.ip().octets(),
                host_addr: host.ip().octets(),
                peer_port: peer.port(),
                host_port: host.port(),
            },
            st,
        ),
    };
    let gone = SocketAddrV4::new(*la.ip(), 1);
    let device = [
        rec(1, la, c1, TcpState::Established),
        rec(2, la, c2, TcpState::CloseWait),
        rec(3, la, gone, TcpState::Established),
    ];
    let rows = reconcile(&device, &socks, &Options { close_wait_ms: 0 });
    let row = |peer: SocketAddrV4| {
        rows.iter()
            .find(|r| r.flow.host == la && r.flow.peer == peer)
            .unwrap()
    };
    assert_eq!(row(c1).agreement, Some(Agreement::Same));
    assert_eq!(row(c1).kernel.as_ref().unwrap().owners[0].pid, me);
    assert!(matches!(
        row(c2).findings[..],
        [Finding::CloseWaitTooLong { .. }]
    ));
    assert_eq!(
        row(gone).findings,
        vec![Finding::HalfOpen {
            device: TcpState::Established
        }]
    );

    // and none of it leaks into the namespace the test runs in
    let outside = read_sockets().unwrap();
    assert!(find(&outside, c1, la).is_none());
}
