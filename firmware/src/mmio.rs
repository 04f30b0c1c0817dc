//! The core's implementation of [`Hw`]: volatile 32-bit loads and stores on its address map
//! (`proto::regs::fw`): the BAR0 blocks at `BAR0_BASE` (this contract version's offsets,
//! `proto::regs::LAYOUT`; the firmware is built with the bitstream), the firmware port at
//! `PORT_BASE`. Every register protocol is proto's (`regs::read_entry`, `regs::decode_config`,
//! ...); this file only adds the volatile accesses and the firmware-port handshakes.

use proto::config::{Key128, NicConfig};
use proto::counters::Counter;
use proto::decision::Port;
use proto::events::{
    port_code, Event, LogChunk, PuntDesc, TransitionEvent, EVENT_WORDS, MBOX_REPLY_WORDS,
    MBOX_REQ_WORDS, PHASE_BIT, PUNT_WORDS,
};
use proto::regs::{
    self, cfg, fw, ident, layout_of, mbox, xq, BlockKind, RegError, RegisterAccess, Window,
    ALL_ONES, POLL_LIMIT,
};
use proto::table::{Entry, FlowKey};
use proto::time::Instant;

use crate::hw::{Hw, HwError, PortMacs};

/// A region of memory-mapped 32-bit registers.
pub struct Bus {
    base: usize,
}

impl Bus {
    /// # Safety
    /// `base` must be the start of a device register region in this core's address map, at
    /// least as large as every offset used on it, and nothing else may alias it as memory.
    pub const unsafe fn new(base: usize) -> Bus {
        Bus { base }
    }
}

impl RegisterAccess for Bus {
    fn read32(&mut self, offset: u32) -> u32 {
        // SAFETY: `Bus::new`'s contract: base + offset is a device register, 4-byte aligned
        // (every contract offset is a multiple of 4).
        unsafe { core::ptr::read_volatile((self.base + offset as usize) as *const u32) }
    }
    fn write32(&mut self, offset: u32, value: u32) {
        // SAFETY: as for `read32`.
        unsafe { core::ptr::write_volatile((self.base + offset as usize) as *mut u32, value) }
    }
}

/// The device as the core sees it.
pub struct Mmio {
    bar0: Bus,
    port: Bus,
}

fn block(kind: BlockKind) -> u32 {
    layout_of(kind).offset
}

fn reg_err(e: RegError) -> HwError {
    match e {
        RegError::DeviceGone { .. } => HwError::Gone,
        RegError::Table(f) => HwError::Table(f),
        _ => HwError::Timeout,
    }
}

impl Mmio {
    /// # Safety
    /// Only once, on the core, where `proto::regs::fw`'s map holds.
    pub const unsafe fn core() -> Mmio {
        // SAFETY: the caller's contract is `Bus::new`'s for both regions.
        unsafe {
            Mmio {
                bar0: Bus::new(fw::BAR0_BASE as usize),
                port: Bus::new(fw::PORT_BASE as usize),
            }
        }
    }

    fn win(&mut self, kind: BlockKind) -> Window<'_, Bus> {
        Window::new(&mut self.bar0, block(kind))
    }

    /// Poll the port register `off` until `busy` clears; the final value.
    fn wait_port(&mut self, off: u32, busy: u32) -> Result<u32, HwError> {
        for _ in 0..POLL_LIMIT {
            let v = self.port.read32(off);
            if v == ALL_ONES {
                return Err(HwError::Gone);
            }
            if v & busy == 0 {
                return Ok(v);
            }
        }
        Err(HwError::Timeout)
    }

    fn post(&mut self, words: &[u32; EVENT_WORDS], doorbell: u32) -> bool {
        for (i, w) in words.iter().enumerate() {
            self.port
                .write32(fw::POST_DESC + 4 * i as u32, w & !PHASE_BIT);
        }
        self.port.write32(doorbell, 1);
        self.port.read32(fw::POST_STATUS) & 1 == 0
    }

    fn dma(&mut self, addr: u64, len: usize, dir: u32) -> Result<(), HwError> {
        self.port.write32(fw::DMA_ADDR_LO, addr as u32);
        self.port.write32(fw::DMA_ADDR_HI, (addr >> 32) as u32);
        self.port.write32(fw::DMA_LEN, len as u32);
        self.port.write32(fw::DMA_GO, dir);
        let s = self.wait_port(fw::DMA_STATUS, fw::DMA_BUSY)?;
        if s & fw::DMA_ERROR != 0 {
            return Err(HwError::Dma);
        }
        Ok(())
    }
}

/// 4 frame bytes as the exception and inject windows carry them: first byte in bits 31:24.
fn be_word(b: &[u8]) -> u32 {
    let mut w = [0u8; 4];
    w[..b.len()].copy_from_slice(b);
    u32::from_be_bytes(w)
}

fn mac(hi: u32, lo: u32) -> [u8; 6] {
    let h = hi.to_be_bytes();
    let l = lo.to_be_bytes();
    [h[0], h[1], h[2], h[3], l[0], l[1]]
}

impl Hw for Mmio {
    fn now(&mut self) -> Instant {
        regs::device_time(&mut self.win(BlockKind::Identity)).unwrap_or(Instant::ZERO)
    }

    fn config(&mut self) -> Result<(NicConfig, u32), HwError> {
        let mut w = self.win(BlockKind::Config);
        let c = regs::decode_config(&mut w).map_err(HwError::Config)?;
        Ok((c, w.read32(cfg::APPLY)))
    }

    fn set_secret(&mut self, key: [Key128; 2]) -> Result<u32, HwError> {
        let mut w = self.win(BlockKind::Config);
        for (i, v) in [key[0][0], key[0][1], key[1][0], key[1][1]]
            .iter()
            .enumerate()
        {
            w.write32(cfg::cookie_key(2 * i), *v as u32);
            w.write32(cfg::cookie_key(2 * i + 1), (*v >> 32) as u32);
        }
        w.write32(cfg::APPLY, 1);
        match w.read32(cfg::APPLY) {
            ALL_ONES => Err(HwError::Gone),
            g => Ok(g),
        }
    }

    fn table_capacity(&mut self) -> u32 {
        match self.win(BlockKind::Identity).read32(ident::TABLE_CAPACITY) {
            ALL_ONES => 0,
            n => n,
        }
    }

    fn table_read(&mut self, slot: u32) -> Result<Option<Entry>, HwError> {
        regs::read_entry(&mut self.win(BlockKind::Table), slot).map_err(reg_err)
    }

    fn table_remove(&mut self, slot: u32) -> Result<Option<Entry>, HwError> {
        let e = self.table_read(slot)?;
        if e.is_some() {
            regs::delete_entry(&mut self.win(BlockKind::Table), slot).map_err(reg_err)?;
        }
        Ok(e)
    }

    fn table_lookup(&mut self, key: &FlowKey) -> Result<Option<u32>, HwError> {
        regs::lookup(&mut self.win(BlockKind::Table), key).map_err(reg_err)
    }

    fn table_insert(&mut self, e: &Entry) -> Result<u32, HwError> {
        regs::insert(&mut self.win(BlockKind::Table), e).map_err(reg_err)
    }

    fn next_transition(&mut self) -> Option<TransitionEvent> {
        loop {
            let w0 = self.port.read32(fw::TEV_DESC);
            if w0 == ALL_ONES || w0 & PHASE_BIT == 0 {
                return None;
            }
            let mut w = [0u32; EVENT_WORDS];
            for (i, x) in w.iter_mut().enumerate() {
                *x = self.port.read32(fw::TEV_DESC + 4 * i as u32);
            }
            self.port.write32(fw::TEV_POP, 1);
            // An event that does not decode is skipped (the rescan on TEV_LOST does not cover
            // it, but its slot's next event or timer does).
            if let Ok((ev, _)) = TransitionEvent::decode(&w) {
                return Some(ev);
            }
        }
    }

    fn transitions_lost(&mut self) -> u32 {
        self.port.read32(fw::TEV_LOST)
    }

    fn punt_head(&mut self) -> Option<PuntDesc> {
        let mut w = [0u32; PUNT_WORDS];
        let mut x = self.win(BlockKind::Exception);
        for (i, v) in w.iter_mut().enumerate() {
            *v = x.read32(xq::DESC + 4 * i as u32);
        }
        if w[0] == ALL_ONES || w[0] & PHASE_BIT == 0 {
            return None;
        }
        PuntDesc::decode(&w).ok().map(|(d, _)| d)
    }

    fn punt_read(&mut self, buf: &mut [u8]) -> usize {
        let mut x = self.win(BlockKind::Exception);
        x.write32(xq::DATA_OFF, 0);
        for c in buf.chunks_mut(4) {
            let w = x.read32(xq::DATA).to_be_bytes();
            c.copy_from_slice(&w[..c.len()]);
        }
        buf.len()
    }

    fn punt_pop(&mut self) {
        self.win(BlockKind::Exception).write32(xq::POP, 1);
    }

    fn inject(&mut self, port: Port, frame: &[u8]) -> Result<(), HwError> {
        let mut x = self.win(BlockKind::Exception);
        let mut idle = false;
        for _ in 0..POLL_LIMIT {
            let s = x.read32(xq::INJ_STATUS);
            if s == ALL_ONES {
                return Err(HwError::Gone);
            }
            if s & 1 == 0 {
                idle = true;
                break;
            }
        }
        if !idle {
            return Err(HwError::Timeout);
        }
        x.write32(
            xq::INJ_CTRL,
            port_code(port) as u32 | (frame.len() as u32) << 16,
        );
        for c in frame.chunks(4) {
            x.write32(xq::INJ_DATA, be_word(c));
        }
        x.write32(xq::INJ_GO, 1);
        for _ in 0..POLL_LIMIT {
            let s = x.read32(xq::INJ_STATUS);
            if s & 1 == 0 {
                return match (s >> 8) as u8 {
                    0 => Ok(()),
                    code => Err(HwError::Inject(code)),
                };
            }
        }
        Err(HwError::Timeout)
    }

    fn post_event(&mut self, ev: &Event) -> bool {
        self.post(&ev.encode(false), fw::POST_EVENT)
    }

    fn post_log(&mut self, c: &LogChunk) -> bool {
        self.post(&c.encode(false), fw::POST_LOG)
    }

    fn mailbox_take(&mut self) -> Option<[u32; MBOX_REQ_WORDS]> {
        if self.port.read32(fw::MBOX_PENDING) & 1 == 0 {
            return None;
        }
        let mut req = [0u32; MBOX_REQ_WORDS];
        let mut m = self.win(BlockKind::Mailbox);
        for (i, x) in req.iter_mut().enumerate() {
            *x = m.read32(mbox::CMD + 4 * i as u32);
        }
        self.port.write32(fw::MBOX_TAKE, 1);
        Some(req)
    }

    fn mailbox_done(&mut self, reply: &[u32; MBOX_REPLY_WORDS]) {
        for (i, w) in reply.iter().enumerate() {
            self.port.write32(fw::MBOX_REPLY + 4 * i as u32, *w);
        }
        self.port.write32(fw::MBOX_DONE, 1);
    }

    fn heartbeat(&mut self, ms: u32) {
        self.port.write32(fw::HEARTBEAT, ms);
    }

    fn dma_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), HwError> {
        let step = fw::DMA_BUF_BYTES as usize;
        for (i, chunk) in buf.chunks_mut(step).enumerate() {
            self.dma(addr + (i * step) as u64, chunk.len(), fw::DMA_FROM_HOST)?;
            for (j, c) in chunk.chunks_mut(4).enumerate() {
                let w = self.port.read32(fw::DMA_BUF + 4 * j as u32).to_le_bytes();
                c.copy_from_slice(&w[..c.len()]);
            }
        }
        Ok(())
    }

    fn dma_write(&mut self, addr: u64, data: &[u8]) -> Result<(), HwError> {
        let step = fw::DMA_BUF_BYTES as usize;
        for (i, chunk) in data.chunks(step).enumerate() {
            for (j, c) in chunk.chunks(4).enumerate() {
                let mut w = [0u8; 4];
                w[..c.len()].copy_from_slice(c);
                self.port
                    .write32(fw::DMA_BUF + 4 * j as u32, u32::from_le_bytes(w));
            }
            self.dma(addr + (i * step) as u64, chunk.len(), fw::DMA_TO_HOST)?;
        }
        Ok(())
    }

    fn count(&mut self, c: Counter, n: u16) {
        self.port.write32(fw::CNT_ADD, c as u32 | (n as u32) << 16);
    }

    fn macs(&mut self) -> PortMacs {
        let p = &mut self.port;
        PortMacs {
            wire: mac(p.read32(fw::MAC_WIRE_HI), p.read32(fw::MAC_WIRE_LO)),
            host: mac(p.read32(fw::MAC_HOST_HI), p.read32(fw::MAC_HOST_LO)),
        }
    }
}
