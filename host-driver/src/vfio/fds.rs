//! The VFIO file descriptors as the driver uses them: the device fd (linux/vfio.h
//! `VFIO_DEVICE_GET_REGION_INFO`, `VFIO_DEVICE_GET_IRQ_INFO`, `VFIO_DEVICE_SET_IRQS`,
//! `VFIO_DEVICE_RESET`, `pread`/`pwrite`/`mmap` at a region's offset) and the container fd
//! (`VFIO_IOMMU_MAP_DMA`, `VFIO_IOMMU_UNMAP_DMA`).
//!
//! Everything above this trait — region discovery, the BAR0 mapping, bus mastering, DMA
//! placement, interrupt waits — is ordinary code tested against a fake of these descriptors;
//! [`super::kernel::KernelFds`] is the implementation over the kernel.

use std::io;
use std::os::fd::RawFd;
use vmm_sys_util::eventfd::EventFd;

/// `struct vfio_region_info`, the fields the driver uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionInfo {
    /// `VFIO_REGION_INFO_FLAG_READ | _WRITE | _MMAP | _CAPS`.
    pub flags: u32,
    pub size: u64,
    /// Offset of the region in the device fd (for `pread`, `pwrite` and `mmap`).
    pub offset: u64,
}

pub trait VfioFds {
    /// `vfio_device_info.flags` (`VFIO_DEVICE_FLAGS_PCI`, `VFIO_DEVICE_FLAGS_RESET`, ...).
    fn device_flags(&self) -> u32;

    /// `VFIO_DEVICE_GET_REGION_INFO` for region `index` (`VFIO_PCI_BAR0_REGION_INDEX`, ...,
    /// `VFIO_PCI_CONFIG_REGION_INDEX`); `None` when the device has no such region.
    fn region_info(&self, index: u32) -> Option<RegionInfo>;

    /// `VFIO_DEVICE_GET_IRQ_INFO`: vectors of interrupt `index` (`VFIO_PCI_MSIX_IRQ_INDEX`).
    fn irq_count(&self, index: u32) -> u32;

    /// `pread` on the device fd: `buf.len()` bytes at `offset` into region `index`.
    fn read_region(&self, index: u32, offset: u64, buf: &mut [u8]) -> io::Result<()>;

    /// `pwrite` on the device fd.
    fn write_region(&self, index: u32, offset: u64, data: &[u8]) -> io::Result<()>;

    /// The fd that regions are mmap'd from, at their [`RegionInfo::offset`].
    fn mmap_fd(&self) -> RawFd;

    /// `VFIO_IOMMU_MAP_DMA` (read and write) of `len` bytes at `vaddr` to `iova`.
    ///
    /// # Safety
    /// `[vaddr, vaddr + len)` must stay mapped until [`VfioFds::unmap_dma`] of the same range,
    /// and be accessed only through raw pointers meanwhile (the device writes it).
    unsafe fn map_dma(&self, iova: u64, len: u64, vaddr: *mut u8) -> io::Result<()>;

    /// `VFIO_IOMMU_UNMAP_DMA`.
    fn unmap_dma(&self, iova: u64, len: u64) -> io::Result<()>;

    /// `VFIO_DEVICE_SET_IRQS` with `VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER` on
    /// `VFIO_PCI_MSIX_IRQ_INDEX`, vectors `0..fds.len()`.
    fn enable_msix(&self, fds: &[&EventFd]) -> io::Result<()>;

    /// `VFIO_DEVICE_SET_IRQS` with `VFIO_IRQ_SET_DATA_NONE`, count 0: MSI-X off.
    fn disable_msix(&self) -> io::Result<()>;

    /// `VFIO_DEVICE_RESET` (function-level reset; clears the command register).
    fn reset(&self) -> io::Result<()>;
}
