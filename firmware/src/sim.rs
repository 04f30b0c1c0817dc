//! The simulator's implementation of [`Hw`] (feature `sim`): the table is a
//! `proto::table::Table` hashed as the pipeline hashes (`proto::nic::flow_hash`), the queues are
//! deques, host memory is one buffer at [`DMA_BASE`], and device time is whatever the caller
//! sets in [`SimHw::now`]. Everything the firmware sent is kept for the caller to inspect.

use std::collections::VecDeque;
use std::vec::Vec;

use proto::config::{Key128, NicConfig};
use proto::counters::Counter;
use proto::decision::Port;
use proto::events::{
    Event, LogChunk, PuntDesc, TransitionCause, TransitionEvent, MBOX_REPLY_WORDS, MBOX_REQ_WORDS,
};
use proto::nic::{flow_hash, Nic, Transition};
use proto::regs::TableFault;
use proto::table::{Entry, FlowKey, Geometry, Table};
use proto::time::Instant;

use crate::hw::{Hw, HwError, PortMacs};

/// Device address of the simulated host memory.
pub const DMA_BASE: u64 = 0x1_0000_0000;

/// A simulated device.
pub struct SimHw {
    pub now: Instant,
    pub cfg: NicConfig,
    pub generation: u32,
    /// When set, the Config block reads as not decodable.
    pub config_broken: bool,
    pub table: Table,
    pub transitions: VecDeque<TransitionEvent>,
    pub transitions_lost: u32,
    pub punts: VecDeque<(PuntDesc, Vec<u8>)>,
    /// Frames sent, in order.
    pub sent: Vec<(Port, Vec<u8>)>,
    /// When set, the inject path refuses frames with this error code.
    pub inject_error: Option<u8>,
    /// Events posted to the host's ring, in order.
    pub events: Vec<Event>,
    /// Ring room for events (posts beyond it are lost).
    pub event_room: usize,
    pub logs: Vec<LogChunk>,
    pub log_room: usize,
    pub mailbox: Option<[u32; MBOX_REQ_WORDS]>,
    pub replies: Vec<[u32; MBOX_REPLY_WORDS]>,
    pub heartbeat: u32,
    /// Host memory at [`DMA_BASE`].
    pub memory: Vec<u8>,
    pub counters: [u64; Counter::COUNT],
    pub macs: PortMacs,
}

impl SimHw {
    pub fn new(cfg: NicConfig, geometry: Geometry) -> SimHw {
        SimHw::with_table(cfg, Table::new(geometry))
    }

    /// A device whose table starts as `table` (a copy of a model's).
    pub fn with_table(cfg: NicConfig, table: Table) -> SimHw {
        SimHw {
            now: Instant::ZERO,
            cfg,
            generation: 1,
            config_broken: false,
            table,
            transitions: VecDeque::new(),
            transitions_lost: 0,
            punts: VecDeque::new(),
            sent: Vec::new(),
            inject_error: None,
            events: Vec::new(),
            event_room: usize::MAX,
            logs: Vec::new(),
            log_room: usize::MAX,
            mailbox: None,
            replies: Vec::new(),
            heartbeat: 0,
            memory: std::vec![0; 1 << 16],
            counters: [0; Counter::COUNT],
            macs: PortMacs {
                wire: [0x02, 0, 0, 0, 0, 0x01],
                host: [0x02, 0, 0, 0, 0, 0x02],
            },
        }
    }

    /// A device holding a copy of the model's table and configuration.
    pub fn from_nic(nic: &Nic) -> SimHw {
        SimHw::with_table(nic.config().clone(), nic.table().clone())
    }

    /// Queue the model's transitions as the pipeline's event feed (flags from the entry in
    /// `table`, the model's table after the transitions).
    pub fn feed(&mut self, ts: impl IntoIterator<Item = Transition>, table: &Table) {
        for t in ts {
            let flags = table
                .get(t.slot)
                .filter(|e| e.key == t.key)
                .map_or(0, |e| e.flags);
            self.transitions.push_back(TransitionEvent::from_transition(
                &t,
                TransitionCause::WireSegment,
                flags,
            ));
        }
    }

    /// Post a mailbox command image (the host's CMD, ARG, DOORBELL).
    pub fn post_command(&mut self, req: [u32; MBOX_REQ_WORDS]) {
        self.mailbox = Some(req);
    }

    fn mem_range(&self, addr: u64, len: usize) -> Result<core::ops::Range<usize>, HwError> {
        let off = addr.checked_sub(DMA_BASE).ok_or(HwError::Dma)? as usize;
        let end = off.checked_add(len).ok_or(HwError::Dma)?;
        if end > self.memory.len() {
            return Err(HwError::Dma);
        }
        Ok(off..end)
    }
}

impl Hw for SimHw {
    fn now(&mut self) -> Instant {
        self.now
    }

    fn config(&mut self) -> Result<(NicConfig, u32), HwError> {
        if self.config_broken {
            return Err(HwError::Config(proto::regs::ConfigError::DeviceGone));
        }
        Ok((self.cfg.clone(), self.generation))
    }

    fn set_secret(&mut self, key: [Key128; 2]) -> Result<u32, HwError> {
        self.cfg.cookie_key = key;
        self.generation += 1;
        Ok(self.generation)
    }

    fn table_capacity(&mut self) -> u32 {
        self.table.geometry().capacity() as u32
    }

    fn table_read(&mut self, slot: u32) -> Result<Option<Entry>, HwError> {
        if slot as usize >= self.table.geometry().capacity() {
            return Err(HwError::Table(TableFault::BadIndex));
        }
        Ok(self.table.get(slot).copied())
    }

    fn table_remove(&mut self, slot: u32) -> Result<Option<Entry>, HwError> {
        if slot as usize >= self.table.geometry().capacity() {
            return Err(HwError::Table(TableFault::BadIndex));
        }
        Ok(self.table.remove(slot))
    }

    fn table_lookup(&mut self, key: &FlowKey) -> Result<Option<u32>, HwError> {
        Ok(self.table.lookup(key, flow_hash(&self.cfg, key)))
    }

    fn table_insert(&mut self, e: &Entry) -> Result<u32, HwError> {
        self.table
            .insert(*e, flow_hash(&self.cfg, &e.key))
            .map_err(|_| HwError::Table(TableFault::BucketFull))
    }

    fn next_transition(&mut self) -> Option<TransitionEvent> {
        self.transitions.pop_front()
    }

    fn transitions_lost(&mut self) -> u32 {
        self.transitions_lost
    }

    fn punt_head(&mut self) -> Option<PuntDesc> {
        self.punts.front().map(|p| p.0)
    }

    fn punt_read(&mut self, buf: &mut [u8]) -> usize {
        let Some((_, f)) = self.punts.front() else {
            return 0;
        };
        let n = buf.len().min(f.len());
        buf[..n].copy_from_slice(&f[..n]);
        n
    }

    fn punt_pop(&mut self) {
        self.punts.pop_front();
    }

    fn inject(&mut self, port: Port, frame: &[u8]) -> Result<(), HwError> {
        if let Some(code) = self.inject_error {
            return Err(HwError::Inject(code));
        }
        self.sent.push((port, frame.to_vec()));
        Ok(())
    }

    fn post_event(&mut self, ev: &Event) -> bool {
        if self.events.len() >= self.event_room {
            return false;
        }
        self.events.push(*ev);
        true
    }

    fn post_log(&mut self, c: &LogChunk) -> bool {
        if self.logs.len() >= self.log_room {
            return false;
        }
        self.logs.push(c.clone());
        true
    }

    fn mailbox_take(&mut self) -> Option<[u32; MBOX_REQ_WORDS]> {
        self.mailbox.take()
    }

    fn mailbox_done(&mut self, reply: &[u32; MBOX_REPLY_WORDS]) {
        self.replies.push(*reply);
    }

    fn heartbeat(&mut self, ms: u32) {
        self.heartbeat = ms;
    }

    fn dma_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), HwError> {
        let r = self.mem_range(addr, buf.len())?;
        buf.copy_from_slice(&self.memory[r]);
        Ok(())
    }

    fn dma_write(&mut self, addr: u64, data: &[u8]) -> Result<(), HwError> {
        let r = self.mem_range(addr, data.len())?;
        self.memory[r].copy_from_slice(data);
        Ok(())
    }

    fn count(&mut self, c: Counter, n: u16) {
        self.counters[c as usize] += n as u64;
    }

    fn macs(&mut self) -> PortMacs {
        self.macs
    }
}
