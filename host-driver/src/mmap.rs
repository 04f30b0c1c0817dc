//! Memory mappings the device shares with the host: the mmap'd BAR0 of a VFIO device, and DMA
//! buffers (anonymous shared memory for VFIO, memfd-backed for vfio-user so the server can map
//! the same pages).
//!
//! The device reads and writes these pages behind the compiler's back, so nothing here hands out
//! a Rust reference into them: registers are volatile 32-bit loads and stores, buffers are
//! copied in and out through raw pointers (the rule `vfio_ioctls::VfioContainer::vfio_dma_map`
//! states).

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::ptr::NonNull;

/// One `mmap(2)` mapping, unmapped on drop.
#[derive(Debug)]
pub struct Mmap {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory (or device MMIO) owned by this value; nothing in it is
// tied to the thread that mapped it.
unsafe impl Send for Mmap {}

/// Size of a huge page on x86-64 and arm64 with 4 KiB base pages.
pub const HUGE_PAGE: usize = 2 << 20;

impl Mmap {
    /// `mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset)`: a region of a VFIO
    /// device fd (a BAR at its `vfio_region_info.offset`) or of a memfd.
    pub fn shared_fd(fd: RawFd, offset: u64, len: usize) -> io::Result<Mmap> {
        let off = libc::off_t::try_from(offset)
            .map_err(|_| io::Error::from_raw_os_error(libc::EOVERFLOW))?;
        // SAFETY: a fresh mapping chosen by the kernel; it aliases nothing Rust owns.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                off,
            )
        };
        Self::from_raw(p, len)
    }

    /// Zeroed anonymous shared memory of `len` bytes, locked in place (`MAP_POPULATE`): huge
    /// pages when `len` is a multiple of [`HUGE_PAGE`] and the kernel has some, base pages
    /// otherwise.
    pub fn anonymous(len: usize) -> io::Result<Mmap> {
        let flags = libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_POPULATE;
        if len.is_multiple_of(HUGE_PAGE) {
            // SAFETY: as above.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    flags | libc::MAP_HUGETLB,
                    -1,
                    0,
                )
            };
            if p != libc::MAP_FAILED {
                return Self::from_raw(p, len);
            }
        }
        // SAFETY: as above.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                -1,
                0,
            )
        };
        Self::from_raw(p, len)
    }

    /// Zeroed memory of `len` bytes in a new memfd (`memfd_create(2)`), mapped shared; returns the
    /// file too, to pass to another process (vfio-user `VFIO_USER_DMA_MAP` sends it over the
    /// socket).
    pub fn memfd(name: &str, len: usize) -> io::Result<(Mmap, File)> {
        let cname = std::ffi::CString::new(name).map_err(|_| io::ErrorKind::InvalidInput)?;
        // SAFETY: plain syscall; on success we own the returned fd.
        let fd = unsafe { libc::memfd_create(cname.as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh, owned file descriptor.
        let file = unsafe { File::from_raw_fd(fd) };
        file.set_len(len as u64)?;
        let map = Mmap::shared_fd(file.as_raw_fd(), 0, len)?;
        Ok((map, file))
    }

    fn from_raw(p: *mut libc::c_void, len: usize) -> io::Result<Mmap> {
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or(io::ErrorKind::InvalidData)?;
        Ok(Mmap { ptr, len })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Never true: mmap(2) refuses zero-length mappings.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Volatile 32-bit load at `offset`; `None` outside the mapping or unaligned.
    pub fn read32(&self, offset: usize) -> Option<u32> {
        if !offset.is_multiple_of(4) || offset.checked_add(4)? > self.len {
            return None;
        }
        // SAFETY: in bounds and aligned (the mapping is page-aligned).
        Some(unsafe { self.ptr.as_ptr().add(offset).cast::<u32>().read_volatile() })
    }

    /// Volatile 32-bit store at `offset`; `false` (and nothing written) outside the mapping.
    pub fn write32(&self, offset: usize, value: u32) -> bool {
        if !offset.is_multiple_of(4) || offset.checked_add(4).is_none_or(|end| end > self.len) {
            return false;
        }
        // SAFETY: in bounds and aligned.
        unsafe {
            self.ptr
                .as_ptr()
                .add(offset)
                .cast::<u32>()
                .write_volatile(value)
        };
        true
    }

    /// Copy `buf.len()` bytes from `offset`; `false` when that runs outside the mapping.
    pub fn copy_out(&self, offset: usize, buf: &mut [u8]) -> bool {
        if offset
            .checked_add(buf.len())
            .is_none_or(|end| end > self.len)
        {
            return false;
        }
        // SAFETY: in bounds; `buf` is ordinary memory that cannot overlap a shared mapping.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.ptr.as_ptr().add(offset),
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        true
    }

    /// Copy `data` to `offset`; `false` when that runs outside the mapping.
    pub fn copy_in(&self, offset: usize, data: &[u8]) -> bool {
        if offset
            .checked_add(data.len())
            .is_none_or(|end| end > self.len)
        {
            return false;
        }
        // SAFETY: as in copy_out.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr.as_ptr().add(offset), data.len())
        };
        true
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: we own the mapping and nothing refers into it past this point.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memfd_mappings_share_pages_and_check_bounds() {
        let (a, file) = Mmap::memfd("tcpoff-test", 8192).unwrap();
        let b = Mmap::shared_fd(file.as_raw_fd(), 4096, 4096).unwrap();
        assert!(a.write32(4096 + 8, 0xdead_beef));
        assert_eq!(b.read32(8), Some(0xdead_beef));
        assert_eq!(b.read32(4096), None);
        assert_eq!(b.read32(2), None);
        assert!(!b.write32(4094, 1));
        let mut buf = [0u8; 4];
        assert!(b.copy_out(8, &mut buf));
        assert_eq!(u32::from_ne_bytes(buf), 0xdead_beef);
        assert!(!b.copy_out(4093, &mut buf));
        assert!(b.copy_in(0, &[1, 2, 3]));
        assert_eq!(
            a.read32(4096).unwrap() & 0xFF_FFFF,
            u32::from_ne_bytes([1, 2, 3, 0])
        );
    }

    #[test]
    fn anonymous_memory_is_zeroed() {
        let m = Mmap::anonymous(3 * 4096).unwrap();
        let mut buf = vec![0xAAu8; m.len()];
        assert!(m.copy_out(0, &mut buf));
        assert!(buf.iter().all(|&b| b == 0));
    }
}
