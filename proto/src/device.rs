//! # The host's view of a device
//!
//! [`Device`] is what the host driver needs from a tcpoff device, kept here (not in the driver)
//! so the simulator can implement it without a crate cycle. Three kinds of implementation:
//!
//! | implementation | registers | DMA memory | interrupts |
//! |---|---|---|---|
//! | VFIO | volatile loads / stores on the mmap'd BAR0 region | hugepage buffers mapped with `VFIO_IOMMU_MAP_DMA`; the address is the IOVA | one eventfd per MSI-X vector (`VFIO_DEVICE_SET_IRQS`), polled with a timeout |
//! | vfio-user | `VFIO_USER_REGION_READ` / `_WRITE` messages over the socket | shared-memory regions announced with `VFIO_USER_DMA_MAP` | eventfds passed over the socket |
//! | in-process simulator | the simulated register block | a `Vec<u8>` the simulated DMA engine reads and writes | the simulator runs until the vector fires or the timeout passes in device time |
//!
//! Rules every implementation keeps:
//! - A register read from a device that is gone (surprise removal, a vfio-user socket that
//!   closed) returns all-ones and a write is dropped, as on PCIe; the register decoders turn
//!   all-ones into errors. The fallible methods return [`DeviceError::Gone`].
//! - `alloc_dma` returns zeroed memory, aligned to 4 KiB (rings must be aligned to their size;
//!   implementations align larger allocations to their size rounded up to a power of two, up
//!   to 2 MiB), owned by the device object until `free_dma` or drop: no heap needed in the trait.
//! - `wait_irq` does not lose an interrupt that fired before it was called (eventfd counting
//!   semantics): helpers check the condition, then wait.
//! - The device writes each ring descriptor as one DMA write; a software producer writes word 0
//!   (the phase) last.
//!
//! The helpers below ([`HostRing`], [`mailbox_call`], [`bulk_dump`]) are the host side of the
//! ring, mailbox and dump protocols, written once against the trait.

use crate::events::{
    words_from_le, DumpRecord, MailboxCommand, MailboxReply, MboxError, MboxState, Response,
    RingConsumer, DUMP_RECORD_WORDS, MBOX_REPLY_WORDS,
};
use crate::regs::{self, mbox, ring, RegisterAccess, Window, ALL_ONES};
use crate::time::Duration;

/// Why a device operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceError {
    /// The device is gone: reads return all-ones, the VFIO fd or vfio-user socket is dead.
    Gone,
    /// Nothing happened within the timeout.
    Timeout,
    /// A DMA access outside the memory allocated to the device (or an IOMMU fault).
    Dma { addr: u64, len: usize },
    /// No DMA memory left for an allocation of `len` bytes.
    NoMemory { len: usize },
    /// The device or this implementation cannot do that.
    Unsupported(&'static str),
    /// An OS error (errno) from the transport: a VFIO ioctl, the vfio-user socket.
    Io(i32),
}

impl core::fmt::Display for DeviceError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            DeviceError::Gone => f.write_str("device gone"),
            DeviceError::Timeout => f.write_str("timed out"),
            DeviceError::Dma { addr, len } => {
                write!(f, "DMA error at {addr:#x} ({len} bytes)")
            }
            DeviceError::NoMemory { len } => write!(f, "no DMA memory for {len} bytes"),
            DeviceError::Unsupported(what) => write!(f, "unsupported: {what}"),
            DeviceError::Io(errno) => write!(f, "I/O error (errno {errno})"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DeviceError {}

/// A tcpoff device as the host sees it: BAR0 registers ([`RegisterAccess`]), DMA memory, and
/// MSI-X interrupts.
pub trait Device: RegisterAccess {
    /// Copy `buf.len()` bytes of DMA memory at device address `addr` into `buf`.
    fn dma_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), DeviceError>;

    /// Copy `data` into DMA memory at device address `addr` (to zero a ring, to place a frame
    /// for `InjectFrame`).
    fn dma_write(&mut self, addr: u64, data: &[u8]) -> Result<(), DeviceError>;

    /// Allocate `len` bytes of zeroed DMA memory the device can reach; returns its device
    /// address (IOVA). The implementation owns the memory.
    fn alloc_dma(&mut self, len: usize) -> Result<u64, DeviceError>;

    /// Give back memory from [`Device::alloc_dma`]. The default keeps it until the device object
    /// is dropped.
    fn free_dma(&mut self, addr: u64) -> Result<(), DeviceError> {
        let _ = addr;
        Ok(())
    }

    /// Wait until MSI-X `vector` fires or `timeout` passes (wall time on hardware, device time
    /// in the simulator). `Ok(true)`: it fired (perhaps before the call); `Ok(false)`: timeout.
    fn wait_irq(&mut self, vector: u16, timeout: Duration) -> Result<bool, DeviceError>;

    /// MSI-X vectors the host enabled.
    fn irq_vectors(&self) -> u16 {
        1
    }
}

impl<T: Device + ?Sized> Device for &mut T {
    fn dma_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        (**self).dma_read(addr, buf)
    }
    fn dma_write(&mut self, addr: u64, data: &[u8]) -> Result<(), DeviceError> {
        (**self).dma_write(addr, data)
    }
    fn alloc_dma(&mut self, len: usize) -> Result<u64, DeviceError> {
        (**self).alloc_dma(len)
    }
    fn free_dma(&mut self, addr: u64) -> Result<(), DeviceError> {
        (**self).free_dma(addr)
    }
    fn wait_irq(&mut self, vector: u16, timeout: Duration) -> Result<bool, DeviceError> {
        (**self).wait_irq(vector, timeout)
    }
    fn irq_vectors(&self) -> u16 {
        (**self).irq_vectors()
    }
}

#[cfg(feature = "std")]
impl<T: RegisterAccess + ?Sized> RegisterAccess for std::boxed::Box<T> {
    fn read32(&mut self, offset: u32) -> u32 {
        (**self).read32(offset)
    }
    fn write32(&mut self, offset: u32, value: u32) {
        (**self).write32(offset, value)
    }
}

#[cfg(feature = "std")]
impl<T: Device + ?Sized> Device for std::boxed::Box<T> {
    fn dma_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        (**self).dma_read(addr, buf)
    }
    fn dma_write(&mut self, addr: u64, data: &[u8]) -> Result<(), DeviceError> {
        (**self).dma_write(addr, data)
    }
    fn alloc_dma(&mut self, len: usize) -> Result<u64, DeviceError> {
        (**self).alloc_dma(len)
    }
    fn free_dma(&mut self, addr: u64) -> Result<(), DeviceError> {
        (**self).free_dma(addr)
    }
    fn wait_irq(&mut self, vector: u16, timeout: Duration) -> Result<bool, DeviceError> {
        (**self).wait_irq(vector, timeout)
    }
    fn irq_vectors(&self) -> u16 {
        (**self).irq_vectors()
    }
}

/// Why a host-side protocol helper failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpError {
    Device(DeviceError),
    Reg(regs::RegError),
    Decode(crate::events::DecodeError),
    /// The firmware answered the command with an error.
    Firmware(MboxError),
    /// The mailbox was busy with another command.
    MailboxBusy,
    /// The device's answer breaks the protocol (descriptor size, a count beyond the buffer, a
    /// dump that does not advance).
    Protocol(&'static str),
}

impl From<DeviceError> for OpError {
    fn from(e: DeviceError) -> Self {
        OpError::Device(e)
    }
}
impl From<regs::RegError> for OpError {
    fn from(e: regs::RegError) -> Self {
        match e {
            regs::RegError::DeviceGone { .. } => OpError::Device(DeviceError::Gone),
            e => OpError::Reg(e),
        }
    }
}
impl From<crate::events::DecodeError> for OpError {
    fn from(e: crate::events::DecodeError) -> Self {
        OpError::Decode(e)
    }
}

impl core::fmt::Display for OpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            OpError::Device(e) => e.fmt(f),
            OpError::Reg(e) => e.fmt(f),
            OpError::Decode(e) => e.fmt(f),
            OpError::Firmware(e) => write!(f, "firmware error: {e:?}"),
            OpError::MailboxBusy => f.write_str("mailbox busy"),
            OpError::Protocol(what) => write!(f, "protocol violation: {what}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for OpError {}

/// Most wake-ups [`wait_for`] takes before it gives up (spurious or shared-vector interrupts).
pub const MAX_WAKEUPS: u32 = 1 << 16;

/// `Gone` if the device reads all-ones at offset 0 (the Identity block's TYPE).
pub fn check_present<D: RegisterAccess + ?Sized>(dev: &mut D) -> Result<(), DeviceError> {
    if dev.read32(regs::hdr::TYPE) == ALL_ONES {
        Err(DeviceError::Gone)
    } else {
        Ok(())
    }
}

/// Check `poll`; while it has nothing, wait for `vector` (each wait at most `timeout`).
pub fn wait_for<D: Device + ?Sized, T>(
    dev: &mut D,
    vector: u16,
    timeout: Duration,
    mut poll: impl FnMut(&mut D) -> Result<Option<T>, OpError>,
) -> Result<T, OpError> {
    for _ in 0..MAX_WAKEUPS {
        if let Some(t) = poll(dev)? {
            return Ok(t);
        }
        if !dev.wait_irq(vector, timeout)? {
            return poll(dev)?.ok_or(OpError::Device(DeviceError::Timeout));
        }
    }
    Err(OpError::Device(DeviceError::Timeout))
}

/// Largest descriptor [`HostRing`] handles, in words.
pub const MAX_DESC_WORDS: usize = 16;

/// The host's end of a device-to-host ring (event ring, log ring) whose block is at `block`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostRing<const N: usize> {
    block: u32,
    mem: u64,
    consumer: RingConsumer,
}

impl<const N: usize> HostRing<N> {
    /// Allocate and zero `2^size_log2` descriptors of DMA memory, program the ring block at
    /// `block` and enable it. The block's DESC_WORDS must be `N`.
    pub fn open<D: Device + ?Sized>(
        dev: &mut D,
        block: u32,
        size_log2: u8,
    ) -> Result<Self, OpError> {
        let (words, max) = {
            let mut w = Window::new(dev, block);
            (w.read32(ring::DESC_WORDS), w.read32(ring::MAX_LOG2))
        };
        if words == ALL_ONES || max == ALL_ONES {
            return Err(DeviceError::Gone.into());
        }
        if words as usize != N || N == 0 || N > MAX_DESC_WORDS {
            return Err(OpError::Protocol(
                "ring descriptor size differs from the contract",
            ));
        }
        if size_log2 as u32 > max {
            return Err(DeviceError::Unsupported("ring larger than the device's MAX_LOG2").into());
        }
        let consumer = RingConsumer::new(size_log2)
            .map_err(|_| DeviceError::Unsupported("ring larger than MAX_RING_LOG2"))?;
        let bytes = (N * 4) << size_log2;
        let mem = dev.alloc_dma(bytes)?;
        let zero = [0u8; 256];
        let mut at = 0;
        while at < bytes {
            let n = zero.len().min(bytes - at);
            dev.dma_write(mem + at as u64, &zero[..n])?;
            at += n;
        }
        let mut w = Window::new(dev, block);
        w.write32(ring::CTRL, 0);
        regs::write64(&mut w, ring::BASE_LO, mem);
        w.write32(ring::SIZE_LOG2, size_log2 as u32);
        w.write32(ring::CTRL, ring::ENABLE);
        Ok(HostRing {
            block,
            mem,
            consumer,
        })
    }

    /// The next new descriptor, if there is one (consumed locally; call [`HostRing::release`]
    /// to hand the slots back to the device).
    pub fn poll<D: Device + ?Sized>(&mut self, dev: &mut D) -> Result<Option<[u32; N]>, OpError> {
        let addr = self.mem + self.consumer.byte_offset(N);
        let mut buf = [0u8; 4 * MAX_DESC_WORDS];
        let bytes = buf
            .get_mut(..4 * N)
            .ok_or(OpError::Protocol("descriptor too large"))?;
        self.consumer.poll(|_| {
            dev.dma_read(addr, bytes)?;
            words_from_le::<N>(bytes).ok_or(OpError::Protocol("descriptor too large"))
        })
    }

    /// Tell the device how far the host has consumed (writes CONS).
    pub fn release<D: Device + ?Sized>(&self, dev: &mut D) {
        Window::new(dev, self.block).write32(ring::CONS, self.consumer.index());
    }

    /// Descriptors the device dropped because the ring was full.
    pub fn lost<D: Device + ?Sized>(&self, dev: &mut D) -> Result<u32, DeviceError> {
        match Window::new(dev, self.block).read32(ring::LOST) {
            ALL_ONES => Err(DeviceError::Gone),
            n => Ok(n),
        }
    }

    pub fn consumer(&self) -> &RingConsumer {
        &self.consumer
    }

    /// The ring memory's device address.
    pub fn dma_addr(&self) -> u64 {
        self.mem
    }

    /// Disable the ring and free its memory.
    pub fn close<D: Device + ?Sized>(self, dev: &mut D) -> Result<(), DeviceError> {
        Window::new(dev, self.block).write32(ring::CTRL, 0);
        dev.free_dma(self.mem)
    }
}

/// Run one mailbox command through the Mailbox block at `block` and wait for its reply
/// (interrupt `vector`, each wait at most `timeout`). Use a different `tag` for each call: the
/// reply is recognised by it.
pub fn mailbox_call<D: Device + ?Sized>(
    dev: &mut D,
    block: u32,
    vector: u16,
    timeout: Duration,
    tag: u16,
    cmd: &MailboxCommand,
) -> Result<Response, OpError> {
    {
        let mut w = Window::new(dev, block);
        let status = w.read32(mbox::STATUS);
        if status == ALL_ONES {
            return Err(DeviceError::Gone.into());
        }
        if MboxState::of(status) == Some(MboxState::Busy) {
            return Err(OpError::MailboxBusy);
        }
        for (i, v) in cmd.encode(tag).into_iter().enumerate() {
            w.write32(mbox::CMD + 4 * i as u32, v);
        }
        w.write32(mbox::DOORBELL, 1);
    }
    let image = wait_for(dev, vector, timeout, |d| {
        let mut w = Window::new(d, block);
        let status = w.read32(mbox::STATUS);
        if status == ALL_ONES {
            return Err(DeviceError::Gone.into());
        }
        if MboxState::of(status) != Some(MboxState::Done) || (status >> 16) as u16 != tag {
            return Ok(None);
        }
        let mut img = [0u32; MBOX_REPLY_WORDS];
        for (i, x) in img.iter_mut().enumerate() {
            *x = w.read32(mbox::STATUS + 4 * i as u32);
        }
        Ok(Some(img))
    })?;
    MailboxReply::decode(cmd.id(), &image)?
        .result
        .map_err(OpError::Firmware)
}

/// Dump the whole table through the Table block at `block` with the hardware sweep, using the
/// DMA buffer `buf` of `buf_len` bytes (from [`Device::alloc_dma`]); calls `each` for every
/// record, in slot order. Sweeps as many times as the buffer needs. Returns the records seen.
/// Interrupt `vector` is the one assigned to `IrqSource::TableDump`.
pub fn bulk_dump<D: Device + ?Sized>(
    dev: &mut D,
    block: u32,
    buf: u64,
    buf_len: u32,
    vector: u16,
    timeout: Duration,
    mut each: impl FnMut(DumpRecord),
) -> Result<u64, OpError> {
    const REC: usize = DUMP_RECORD_WORDS * 4;
    const CHUNK: usize = 16;
    let mut start = 0u32;
    let mut total = 0u64;
    loop {
        regs::start_dump(&mut Window::new(dev, block), buf, buf_len, start);
        let st = wait_for(dev, vector, timeout, |d| {
            let s = regs::dump_status(&mut Window::new(d, block))?;
            Ok((!s.busy && s.done).then_some(s))
        })?;
        if st.count as u64 * REC as u64 > buf_len as u64 {
            return Err(OpError::Protocol("dump count beyond the buffer"));
        }
        let mut bytes = [0u8; REC * CHUNK];
        let mut i = 0usize;
        while i < st.count as usize {
            let n = CHUNK.min(st.count as usize - i);
            let chunk = &mut bytes[..n * REC];
            dev.dma_read(buf + (i * REC) as u64, chunk)?;
            for rec in chunk.chunks_exact(REC) {
                let w = words_from_le::<DUMP_RECORD_WORDS>(rec)
                    .ok_or(OpError::Protocol("short dump record"))?;
                each(DumpRecord::decode(&w)?);
            }
            i += n;
        }
        total += st.count as u64;
        if st.end {
            return Ok(total);
        }
        if st.next <= start {
            return Err(OpError::Protocol("dump did not advance"));
        }
        start = st.next;
    }
}
