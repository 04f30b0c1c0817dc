//! The host mailbox, firmware side (`proto::events::MailboxCommand`; protocol in
//! `docs/contract.md` "Mailbox"). Every command is decoded and validated completely before
//! anything changes; a malformed one is answered with an error code and changes nothing:
//!
//! | command | refused with | when |
//! |---|---|---|
//! | unknown id | `UnknownCommand` | |
//! | any | `BadArgument` | an argument `MailboxCommand::decode` rejects (state mask 0 or beyond bit 10, port code, log level > 4, length > 65535) |
//! | `ConfigSet` | `BadArgument` | the generation is not the live APPLY generation, or the Config block does not decode |
//! | `TableDump` | `NoSpace` / `BadArgument` / `Dma` | buffer shorter than one record / first slot beyond the table, address not 4-byte aligned or wrapping / a DMA write failed |
//! | `RemoveEntry` | `BadArgument` / `NotFound` | a zero port / no such connection |
//! | `InjectFrame` | `BadArgument` / `Dma` / `Internal` | length not 14 ..= `MAX_FRAME` / the DMA read failed / the inject path refused |
//! | `SetSecret` | `BadArgument` | a zero key half, or both halves equal (H0 and H1 must differ) |
//!
//! `Flush` is `conntrack -F` (Linux `nf_conntrack_flush`, here by state mask); `RemoveEntry` is
//! `conntrack -D`. Both report each removal on the event ring (`HostRequest`). `SetSecret`
//! changes the table's bucket hash too (it is the cookie unit's keyed H0), so the firmware
//! rehashes the table: each entry whose bucket moved is deleted and re-inserted; one whose new
//! bucket is full is removed and reported (`HostRequest`), as nothing may be evicted.

use proto::counters::Counter;
use proto::events::{
    self, DecodeError, DumpRecord, MailboxCommand, MailboxReply, MboxError, Response,
    TransitionCause, DUMP_RECORD_WORDS,
};
use proto::state::TcpState;
use proto::time::Instant;

use crate::firmware::{Firmware, FW_VERSION, MAX_FRAME};
use crate::hw::{Hw, HwError};
use crate::timers::{ms, View};
use crate::{info, warn};

/// Bytes of one dump record.
pub const RECORD_BYTES: u32 = (DUMP_RECORD_WORDS * 4) as u32;

impl<H: Hw, const N: usize> Firmware<'_, H, N> {
    /// Run the command the host posted, if any, and publish its reply.
    pub fn mailbox(&mut self) {
        let Some(req) = self.hw.mailbox_take() else {
            return;
        };
        let tag = (req[0] >> 16) as u16;
        let result = match MailboxCommand::decode(&req) {
            Err(DecodeError::BadCommand(id)) => {
                warn!("mailbox: unknown command {=u16}", id);
                Err(MboxError::UnknownCommand)
            }
            Err(_) => Err(MboxError::BadArgument),
            Ok((cmd, _)) => self.command(&cmd),
        };
        self.hw.mailbox_done(&MailboxReply { tag, result }.encode());
    }

    /// Run one command.
    pub fn command(&mut self, cmd: &MailboxCommand) -> Result<Response, MboxError> {
        let now = self.hw.now();
        match *cmd {
            MailboxCommand::Ping => Ok(Response::Ping {
                fw_version: FW_VERSION,
            }),
            MailboxCommand::ConfigSet { generation } => {
                let (cfg, live) = self.hw.config().map_err(|_| MboxError::BadArgument)?;
                if live != generation {
                    return Err(MboxError::BadArgument);
                }
                self.cfg = cfg;
                self.generation = live;
                self.rescan(now);
                info!("configuration generation {=u32} in use", live);
                Ok(Response::ConfigSet { generation: live })
            }
            MailboxCommand::TableDump {
                addr,
                len,
                start_slot,
                states,
            } => self.dump(addr, len, start_slot, states),
            MailboxCommand::Flush { states } => {
                let mut removed = 0;
                for slot in 0..self.capacity {
                    if let Ok(Some(e)) = self.hw.table_read(slot) {
                        if states & events::state_bit(e.state) != 0 {
                            self.remove(slot, &e, TransitionCause::HostRequest, now);
                            removed += 1;
                        }
                    }
                }
                Ok(Response::Flush { removed })
            }
            MailboxCommand::RemoveEntry { key } => {
                if key.peer_port == 0 || key.host_port == 0 {
                    return Err(MboxError::BadArgument);
                }
                let slot = self
                    .hw
                    .table_lookup(&key)
                    .map_err(|_| MboxError::Internal)?
                    .ok_or(MboxError::NotFound)?;
                let e = self
                    .hw
                    .table_read(slot)
                    .map_err(|_| MboxError::Internal)?
                    .ok_or(MboxError::NotFound)?;
                self.remove(slot, &e, TransitionCause::HostRequest, now);
                Ok(Response::RemoveEntry {
                    slot,
                    state: e.state,
                })
            }
            MailboxCommand::InjectFrame { port, len, addr } => {
                let len = len as usize;
                if !(14..=MAX_FRAME).contains(&len) {
                    return Err(MboxError::BadArgument);
                }
                self.hw
                    .dma_read(addr, &mut self.frame[..len])
                    .map_err(|_| MboxError::Dma)?;
                self.hw
                    .inject(port, &self.frame[..len])
                    .map_err(|_| MboxError::Internal)?;
                Ok(Response::InjectFrame)
            }
            MailboxCommand::SetSecret { key } => {
                if key[0] == [0, 0] || key[1] == [0, 0] || key[0] == key[1] {
                    return Err(MboxError::BadArgument);
                }
                let generation = self.hw.set_secret(key).map_err(|_| MboxError::Internal)?;
                self.cfg.cookie_key = key;
                self.generation = generation;
                self.rehash(now);
                Ok(Response::SetSecret { generation })
            }
            MailboxCommand::SetLogLevel { level } => {
                crate::fmt::set_level(level);
                Ok(Response::SetLogLevel)
            }
        }
    }

    fn dump(
        &mut self,
        addr: u64,
        len: u32,
        start: u32,
        states: u16,
    ) -> Result<Response, MboxError> {
        if len < RECORD_BYTES {
            return Err(MboxError::NoSpace);
        }
        if start > self.capacity
            || !addr.is_multiple_of(4)
            || addr.checked_add(len as u64).is_none()
        {
            return Err(MboxError::BadArgument);
        }
        let room = len / RECORD_BYTES;
        let mut count = 0u32;
        let mut slot = start;
        while slot < self.capacity && count < room {
            match self.hw.table_read(slot) {
                Ok(Some(entry)) if states & events::state_bit(entry.state) != 0 => {
                    let w = DumpRecord { slot, entry }.encode();
                    let mut bytes = [0u8; RECORD_BYTES as usize];
                    events::words_to_le(&w, &mut bytes);
                    self.hw
                        .dma_write(addr + (count * RECORD_BYTES) as u64, &bytes)
                        .map_err(|_| MboxError::Dma)?;
                    count += 1;
                }
                Ok(_) => {}
                Err(_) => return Err(MboxError::Internal),
            }
            slot += 1;
        }
        Ok(Response::TableDump {
            count,
            next_slot: slot,
        })
    }

    /// Move every entry into its bucket under the live key (after a secret change).
    fn rehash(&mut self, now: Instant) {
        let mut moved = 0u32;
        for slot in 0..self.capacity {
            let Ok(Some(e)) = self.hw.table_read(slot) else {
                continue;
            };
            if matches!(self.hw.table_lookup(&e.key), Ok(Some(s)) if s == slot) {
                continue;
            }
            let cw = self.timers.close_wait_ms(slot, now);
            if self.hw.table_remove(slot).is_err() {
                self.stats.table_errors += 1;
                continue;
            }
            self.timers.clear(slot);
            match self.hw.table_insert(&e) {
                Ok(to) => {
                    moved += 1;
                    if e.state == TcpState::CloseWait {
                        let since = cw.map(Instant::from_millis);
                        self.timers.set_close_wait(to, since.or(Some(now)));
                    }
                    let v = View::of(&e, now, self.timers.close_wait_ms(to, now));
                    self.timers.arm(&self.cfg, to, &v, ms(now));
                }
                Err(err) => {
                    if err == HwError::Table(proto::regs::TableFault::BucketFull) {
                        self.hw.count(Counter::TableFull, 1);
                    }
                    self.hw.count(Counter::TableDeletes, 1);
                    // Already out of the table: report it as the host's doing.
                    let ev = proto::events::TransitionEvent {
                        key: e.key,
                        old: e.state,
                        new: TcpState::Closed,
                        cause: TransitionCause::HostRequest,
                        at: now,
                        slot,
                        flags: e.flags,
                    };
                    self.post(&proto::events::Event::Transition(ev));
                    warn!("rehash: slot {=u32} dropped, its new bucket is full", slot);
                }
            }
        }
        info!("secret changed: {=u32} entries moved", moved);
    }
}
