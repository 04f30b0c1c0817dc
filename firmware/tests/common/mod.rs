//! Shared test rig: the reference model (`proto::nic::Nic`) and the firmware over a simulated
//! device holding a copy of the model's table, with frame builders for both ends.
#![allow(dead_code)]

use firmware::sim::SimHw;
use firmware::timers::Timers;
use firmware::Firmware;
use proto::config::NicConfig;
use proto::decision::{Outcome, Port};
use proto::nic::Nic;
use proto::state::TcpState;
use proto::table::{FlowKey, Geometry};
use proto::time::Instant;
use proto::wire::{SegmentSpec, TcpFlags};

pub const SLOTS: usize = 4096;
pub const PEER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
pub const HOST_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];
pub const PISN: u32 = 1_000;
pub const HISN: u32 = 5_000_000;

pub fn key(n: u16) -> FlowKey {
    FlowKey {
        peer_addr: [198, 51, 100, (n % 250) as u8 + 1],
        host_addr: [192, 0, 2, 10],
        peer_port: 20_000 + n,
        host_port: 80,
    }
}

pub fn secs(s: f64) -> Instant {
    Instant::from_nanos((s * 1e9).round() as u64)
}

/// A segment of flow `k`, from the peer (`from_peer`) or from the host.
pub fn seg(k: &FlowKey, from_peer: bool, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let (src_mac, dst_mac, src_ip, dst_ip, sp, dp) = if from_peer {
        (
            PEER_MAC,
            HOST_MAC,
            k.peer_addr,
            k.host_addr,
            k.peer_port,
            k.host_port,
        )
    } else {
        (
            HOST_MAC,
            PEER_MAC,
            k.host_addr,
            k.peer_addr,
            k.host_port,
            k.peer_port,
        )
    };
    SegmentSpec {
        src_mac,
        dst_mac,
        vlan_tci: None,
        src_ip,
        dst_ip,
        tos: 0,
        ip_id: 1,
        dont_fragment: true,
        ttl: 64,
        src_port: sp,
        dst_port: dp,
        seq,
        ack,
        flags,
        window: 65_535,
        options: &[],
        payload,
    }
    .to_vec()
    .unwrap()
}

pub const A: u8 = TcpFlags::ACK;
pub const S: u8 = TcpFlags::SYN;
pub const F: u8 = TcpFlags::FIN;

/// The model, and the firmware over a device that shares the model's table (copied in after
/// every model step) and gets the model's transitions as its event feed.
pub struct Rig {
    pub nic: Nic,
    pub now: Instant,
}

impl Rig {
    pub fn new(cfg: NicConfig) -> Rig {
        Rig {
            nic: Nic::new(cfg, Geometry::SMALL),
            now: Instant::ZERO,
        }
    }

    pub fn send(&mut self, port: Port, mut frame: Vec<u8>, at: Instant) -> Outcome {
        self.now = at;
        self.nic.process(port, &mut frame, at)
    }

    pub fn peer(&mut self, k: &FlowKey, seq: u32, ack: u32, flags: u8, at: Instant) -> Outcome {
        self.send(Port::Wire, seg(k, true, seq, ack, flags, &[]), at)
    }

    pub fn host(&mut self, k: &FlowKey, seq: u32, ack: u32, flags: u8, at: Instant) -> Outcome {
        self.send(Port::Host, seg(k, false, seq, ack, flags, &[]), at)
    }

    /// Three-way handshake of a peer-opened connection at `at` (host ESTABLISHED).
    pub fn open(&mut self, k: &FlowKey, at: Instant) {
        self.peer(k, PISN, 0, S, at);
        self.host(k, HISN, PISN + 1, S | A, at);
        self.peer(k, PISN + 1, HISN + 1, A, at);
    }

    /// Drive flow `k` into `state` (host endpoint), all at `at`.
    pub fn drive_to_state(&mut self, k: &FlowKey, state: TcpState, at: Instant) {
        match state {
            TcpState::SynReceived => {
                self.peer(k, PISN, 0, S, at);
            }
            TcpState::SynSent => {
                self.host(k, HISN, 0, S, at);
            }
            TcpState::Established => self.open(k, at),
            TcpState::FinWait1 => {
                self.open(k, at);
                self.host(k, HISN + 1, PISN + 1, F | A, at);
            }
            TcpState::FinWait2 => {
                self.drive_to_state(k, TcpState::FinWait1, at);
                self.peer(k, PISN + 1, HISN + 2, A, at);
            }
            TcpState::TimeWait => {
                self.drive_to_state(k, TcpState::FinWait2, at);
                self.peer(k, PISN + 1, HISN + 2, F | A, at);
                self.host(k, HISN + 2, PISN + 2, A, at);
            }
            TcpState::CloseWait => {
                self.open(k, at);
                self.peer(k, PISN + 1, HISN + 1, F | A, at);
                self.host(k, HISN + 1, PISN + 2, A, at);
            }
            TcpState::LastAck => {
                self.drive_to_state(k, TcpState::CloseWait, at);
                self.host(k, HISN + 1, PISN + 2, F | A, at);
            }
            TcpState::Closing => {
                self.drive_to_state(k, TcpState::FinWait1, at);
                self.peer(k, PISN + 1, HISN + 1, F | A, at);
            }
            s => panic!("no recipe for {s:?}"),
        }
        let e = self.entry(k).expect("entry");
        assert_eq!(e.state, state, "recipe for {state:?}");
    }

    pub fn entry(&self, k: &FlowKey) -> Option<proto::table::Entry> {
        let h = proto::nic::flow_hash(self.nic.config(), k);
        self.nic
            .table()
            .lookup(k, h)
            .and_then(|s| self.nic.table().get(s).copied())
    }

    pub fn slot(&self, k: &FlowKey) -> Option<u32> {
        let h = proto::nic::flow_hash(self.nic.config(), k);
        self.nic.table().lookup(k, h)
    }

    /// A simulated device holding the model's table, fed the model's transitions so far.
    pub fn device(&mut self) -> SimHw {
        let mut hw = SimHw::from_nic(&self.nic);
        hw.now = self.now;
        let ts: Vec<_> = self.nic.drain_events().collect();
        hw.feed(ts, self.nic.table());
        hw
    }
}

/// Fresh timers on the heap (40 KiB).
pub fn timers() -> Box<Timers<SLOTS>> {
    Box::new(Timers::new())
}

/// Start the firmware on `hw` at `hw.now` and take in its event feed.
pub fn start(hw: SimHw, t: &mut Timers<SLOTS>) -> Firmware<'_, SimHw, SLOTS> {
    let mut fw = Firmware::start(hw, t);
    fw.poll();
    fw
}

/// Run the firmware to `at`.
pub fn run_to(fw: &mut Firmware<'_, SimHw, SLOTS>, at: Instant) {
    fw.hw.now = at;
    fw.poll();
}

/// Keys of the occupied slots, with their slots.
pub fn occupied(t: &proto::table::Table) -> Vec<(u32, FlowKey)> {
    t.iter().map(|(s, e)| (s, e.key)).collect()
}
