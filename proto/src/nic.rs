//! The reference pipeline: what the NIC does to each frame (being written; API fixed).

use crate::config::NicConfig;
use crate::counters::Counter;
use crate::decision::{Outcome, Port, Verdict};
use crate::state::TcpState;
use crate::table::{FlowKey, Geometry, Table};
use crate::time::Instant;

/// A state change of one connection's host endpoint (becomes an event-ring descriptor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub key: FlowKey,
    pub old: TcpState,
    pub new: TcpState,
    pub at: Instant,
    pub slot: u32,
}

/// The NIC model.
pub struct Nic {
    cfg: NicConfig,
    table: Table,
    counters: [u64; Counter::COUNT],
    events: std::collections::VecDeque<Transition>,
}

impl Nic {
    pub fn new(cfg: NicConfig, geometry: Geometry) -> Nic {
        Nic { cfg, table: Table::new(geometry), counters: [0; Counter::COUNT], events: Default::default() }
    }
    pub fn config(&self) -> &NicConfig {
        &self.cfg
    }
    pub fn table(&self) -> &Table {
        &self.table
    }
    pub fn counter(&self, c: Counter) -> u64 {
        self.counters[c as usize]
    }
    pub fn counters(&self) -> &[u64; Counter::COUNT] {
        &self.counters
    }
    pub fn drain_events(&mut self) -> impl Iterator<Item = Transition> + '_ {
        self.events.drain(..)
    }
    /// Process one frame arriving on `ingress` at `now`. The frame is rewritten in place when
    /// the verdict is [`Verdict::Rewrite`]; it leaves through `ingress.other()` when
    /// [`Outcome::passes`].
    pub fn process(&mut self, ingress: Port, frame: &mut [u8], now: Instant) -> Outcome {
        let _ = (ingress, frame, now);
        Outcome::new(Verdict::Forward)
    }
    /// Run the timers as of `now` (TIME-WAIT expiry, ...); returns how many entries expired.
    pub fn expire(&mut self, now: Instant) -> usize {
        let _ = now;
        0
    }
}
