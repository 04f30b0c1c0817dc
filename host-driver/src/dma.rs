//! DMA memory bookkeeping shared by the VFIO and vfio-user backends: where each buffer sits in
//! the device's address space (IOVA), how it is aligned, and host access to it by device
//! address.
//!
//! The alignment rules are `proto::device`'s: every buffer is zeroed and 4 KiB-aligned; a
//! larger one is aligned to its size rounded up to a power of two, up to 2 MiB (a ring of
//! `2^n` descriptors is then aligned to its size, as the ring blocks' BASE requires). Sizes are
//! rounded up to whole 4 KiB pages, the IOMMU's granule. Placement is first fit from
//! [`IOVA_BASE`], so freed space is reused.

use crate::mmap::Mmap;
use proto::device::DeviceError;
use std::collections::BTreeMap;

/// The IOMMU page size (`VFIO_IOMMU_MAP_DMA` works in these).
pub const PAGE: u64 = 4096;
/// Largest alignment an allocation gets.
pub const MAX_ALIGN: u64 = 2 << 20;
/// First IOVA handed out: above 4 GiB, clear of the x86 MSI window at 0xfee0_0000 and of
/// the low reserved regions the IOMMU may report.
pub const IOVA_BASE: u64 = 1 << 32;
/// End of the IOVA space used: 2^39, the narrowest IOMMU address width of current x86 parts.
pub const IOVA_LIMIT: u64 = 1 << 39;

/// Size and alignment of an allocation of `len` bytes.
pub fn layout(len: usize) -> Result<(u64, u64), DeviceError> {
    if len == 0 {
        return Err(DeviceError::Unsupported("zero-length DMA allocation"));
    }
    let size = (len as u64)
        .checked_next_multiple_of(PAGE)
        .ok_or(DeviceError::NoMemory { len })?;
    let align = size.next_power_of_two().clamp(PAGE, MAX_ALIGN);
    Ok((size, align))
}

/// The buffers of one device, by IOVA.
#[derive(Debug)]
pub struct Pool {
    base: u64,
    limit: u64,
    bufs: BTreeMap<u64, Mmap>,
}

impl Default for Pool {
    fn default() -> Self {
        Pool::new(IOVA_BASE, IOVA_LIMIT)
    }
}

impl Pool {
    pub fn new(base: u64, limit: u64) -> Pool {
        Pool {
            base,
            limit,
            bufs: BTreeMap::new(),
        }
    }

    /// Where a buffer of `size` bytes aligned to `align` goes: the lowest aligned gap.
    pub fn place(&self, size: u64, align: u64) -> Option<u64> {
        let mut cursor = self.base;
        for (&iova, b) in &self.bufs {
            let cand = cursor.checked_next_multiple_of(align)?;
            if cand.checked_add(size)? <= iova {
                return Some(cand);
            }
            cursor = cursor.max(iova + b.len() as u64);
        }
        let cand = cursor.checked_next_multiple_of(align)?;
        (cand.checked_add(size)? <= self.limit).then_some(cand)
    }

    pub fn insert(&mut self, iova: u64, buf: Mmap) {
        self.bufs.insert(iova, buf);
    }

    /// Take the buffer that starts at `iova` out of the pool.
    pub fn remove(&mut self, iova: u64) -> Option<Mmap> {
        self.bufs.remove(&iova)
    }

    /// Every buffer, `(iova, size)`, in address order.
    pub fn buffers(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.bufs.iter().map(|(&a, b)| (a, b.len() as u64))
    }

    pub fn drain(&mut self) -> impl Iterator<Item = (u64, Mmap)> {
        std::mem::take(&mut self.bufs).into_iter()
    }

    /// The buffer holding `[addr, addr + len)` and the offset of `addr` in it; an access that
    /// is not inside one buffer is a DMA error, as an IOMMU fault would be.
    fn find(&self, addr: u64, len: usize) -> Result<(&Mmap, usize), DeviceError> {
        let err = DeviceError::Dma { addr, len };
        let (&start, b) = self.bufs.range(..=addr).next_back().ok_or(err)?;
        let off = addr - start;
        let end = off.checked_add(len as u64).ok_or(err)?;
        if end > b.len() as u64 {
            return Err(err);
        }
        Ok((b, off as usize))
    }

    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        let (b, off) = self.find(addr, buf.len())?;
        b.copy_out(off, buf);
        Ok(())
    }

    pub fn write(&self, addr: u64, data: &[u8]) -> Result<(), DeviceError> {
        let (b, off) = self.find(addr, data.len())?;
        b.copy_in(off, data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(size: u64) -> Mmap {
        Mmap::anonymous(size as usize).unwrap()
    }

    #[test]
    fn layout_follows_the_device_rules() {
        assert_eq!(layout(1).unwrap(), (4096, 4096));
        assert_eq!(layout(4096).unwrap(), (4096, 4096));
        assert_eq!(layout(4097).unwrap(), (8192, 8192));
        assert_eq!(layout(12 * 1024).unwrap(), (12 * 1024, 16 * 1024));
        assert_eq!(layout(256 * 32).unwrap(), (8192, 8192));
        assert_eq!(layout(3 << 20).unwrap(), (3 << 20, 2 << 20));
        assert_eq!(layout(64 << 20).unwrap(), (64 << 20, 2 << 20));
        assert!(matches!(layout(0), Err(DeviceError::Unsupported(_))));
    }

    #[test]
    fn placement_is_first_fit_and_reuses_freed_space() {
        let mut p = Pool::new(0x10000, 0x100000);
        let a = p.place(4096, 4096).unwrap();
        assert_eq!(a, 0x10000);
        p.insert(a, buf(4096));
        let b = p.place(16384, 16384).unwrap();
        assert_eq!(b, 0x14000);
        p.insert(b, buf(16384));
        // a 4 KiB buffer fits in the gap left before b
        let c = p.place(4096, 4096).unwrap();
        assert_eq!(c, 0x11000);
        p.insert(c, buf(4096));
        assert!(p.remove(a).is_some());
        assert_eq!(p.place(4096, 4096), Some(0x10000));
        // nothing fits past the limit
        assert_eq!(p.place(0x100000, 4096), None);
        let all: Vec<_> = p.buffers().collect();
        assert_eq!(all, vec![(0x11000, 4096), (0x14000, 16384)]);
    }

    #[test]
    fn access_must_stay_inside_one_buffer() {
        let mut p = Pool::new(0x10000, 0x100000);
        p.insert(0x10000, buf(4096));
        p.insert(0x11000, buf(4096));
        p.write(0x10ffc, &[1, 2, 3, 4]).unwrap();
        let mut four = [0u8; 4];
        p.read(0x10ffc, &mut four).unwrap();
        assert_eq!(four, [1, 2, 3, 4]);
        // straddles two buffers that happen to be adjacent in IOVA space
        assert_eq!(
            p.read(0x10ffe, &mut four),
            Err(DeviceError::Dma {
                addr: 0x10ffe,
                len: 4
            })
        );
        assert!(p.write(0xfff0, &[0; 4]).is_err());
        assert!(p.write(0x12000, &[0; 1]).is_err());
    }
}
