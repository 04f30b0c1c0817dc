//! The hardware-access trait: everything the firmware does to the device goes through [`Hw`].
//!
//! Two implementations: [`crate::mmio::Mmio`], volatile loads and stores on the core's address
//! map (`proto::regs::fw`: the BAR0 blocks at `BAR0_BASE`, the firmware port at `PORT_BASE`),
//! and, with the `sim` feature, [`crate::sim::SimHw`], which the simulator drives: the table is a
//! `proto::table::Table`, the queues are deques, device time is whatever the caller sets (the
//! embassy pattern: the same logic runs on the core and on the desk).

use proto::config::{Key128, NicConfig};
use proto::counters::Counter;
use proto::decision::Port;
use proto::events::{Event, LogChunk, PuntDesc, TransitionEvent, MBOX_REPLY_WORDS, MBOX_REQ_WORDS};
use proto::regs::{ConfigError, TableFault};
use proto::table::{Entry, FlowKey};
use proto::time::Instant;

/// Why a hardware operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HwError {
    /// The device reads all-ones.
    Gone,
    /// The table window reported a fault.
    Table(TableFault),
    /// The Config block does not decode.
    Config(ConfigError),
    /// A DMA transfer failed (bad address, IOMMU fault).
    Dma,
    /// The inject path refused the frame (INJ_STATUS error code: 1 bad length, 2 busy).
    Inject(u8),
    /// The register handshake did not finish within `proto::regs::POLL_LIMIT` polls.
    Timeout,
}

/// The MAC addresses generated frames carry: the source MAC of the last frame in on each port
/// (the wire side's next hop and the host). A frame toward the host goes from `wire` to `host`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortMacs {
    pub wire: [u8; 6],
    pub host: [u8; 6],
}

/// What the firmware needs from the device.
pub trait Hw {
    /// Device time (the Identity block's TIME).
    fn now(&mut self) -> Instant;

    /// The live configuration and its APPLY generation.
    fn config(&mut self) -> Result<(NicConfig, u32), HwError>;
    /// Install a SYN-cookie / table-hash key (COOKIE_KEY, then APPLY); returns the generation.
    fn set_secret(&mut self, key: [Key128; 2]) -> Result<u32, HwError>;

    /// Table slots.
    fn table_capacity(&mut self) -> u32;
    /// The entry at `slot` (`None`: free).
    fn table_read(&mut self, slot: u32) -> Result<Option<Entry>, HwError>;
    /// Free `slot`; returns what it held.
    fn table_remove(&mut self, slot: u32) -> Result<Option<Entry>, HwError>;
    /// The slot of flow `key`.
    fn table_lookup(&mut self, key: &FlowKey) -> Result<Option<u32>, HwError>;
    /// Insert into the flow's bucket (hashed with the live key); returns the slot.
    fn table_insert(&mut self, e: &Entry) -> Result<u32, HwError>;

    /// The next transition event of the pipeline (the timers' feed), popped.
    fn next_transition(&mut self) -> Option<TransitionEvent>;
    /// Transition events the feed has dropped so far (full queue).
    fn transitions_lost(&mut self) -> u32;

    /// The head of the exception queue.
    fn punt_head(&mut self) -> Option<PuntDesc>;
    /// Copy the head frame into `buf`; returns the bytes copied (at most `buf.len()`).
    fn punt_read(&mut self, buf: &mut [u8]) -> usize;
    /// Drop the head frame.
    fn punt_pop(&mut self);
    /// Send `frame` out of `port`.
    fn inject(&mut self, port: Port, frame: &[u8]) -> Result<(), HwError>;

    /// Post a descriptor into the host's event ring; `false`: the ring was full (counted LOST).
    fn post_event(&mut self, ev: &Event) -> bool;
    /// Post a descriptor into the host's log ring; `false`: the ring was full.
    fn post_log(&mut self, c: &LogChunk) -> bool;

    /// A command the host posted (the request image), taken: the mailbox is busy until
    /// [`Hw::mailbox_done`].
    fn mailbox_take(&mut self) -> Option<[u32; MBOX_REQ_WORDS]>;
    /// Publish the reply image and raise the Mailbox interrupt.
    fn mailbox_done(&mut self, reply: &[u32; MBOX_REPLY_WORDS]);
    /// Show `ms` in the Mailbox block's HEARTBEAT.
    fn heartbeat(&mut self, ms: u32);

    /// Read host memory.
    fn dma_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), HwError>;
    /// Write host memory.
    fn dma_write(&mut self, addr: u64, data: &[u8]) -> Result<(), HwError>;

    /// Add `n` to a device counter.
    fn count(&mut self, c: Counter, n: u16);
    /// The MACs generated frames use.
    fn macs(&mut self) -> PortMacs;
}
