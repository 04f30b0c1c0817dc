//! MSI-X vectors as eventfds (`eventfd(2)`), the way VFIO (`VFIO_DEVICE_SET_IRQS` with
//! `VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER`) and vfio-user (`VFIO_USER_SET_IRQS`,
//! the fds passed over the socket) deliver them.
//!
//! The eventfd's counter keeps every interrupt that fired since the last wait, so a wait never
//! misses one that fired before it was called (the `Device::wait_irq` rule); a wait consumes
//! the whole count, so several interrupts before one wait wake it once (the caller re-checks
//! its condition, as `proto::device::wait_for` does).

use proto::time::Duration;
use std::io;
use std::os::fd::AsRawFd;
use vmm_sys_util::eventfd::{EventFd, EFD_NONBLOCK};

/// Most vectors a backend enables (the Interrupt block has 8 VECTOR registers).
pub const MAX_VECTORS: u32 = proto::regs::irq::MAX_SOURCES;

/// `n` non-blocking eventfds, one per vector.
pub fn eventfds(n: u32) -> io::Result<Vec<EventFd>> {
    (0..n).map(|_| EventFd::new(EFD_NONBLOCK)).collect()
}

/// Wait until `fd` is signalled or `timeout` passes; consume the count. `Ok(true)`: it fired
/// (perhaps before the call).
pub fn wait(fd: &EventFd, timeout: Duration) -> io::Result<bool> {
    // poll(2) counts in ms: round up so a short timeout still waits.
    let ms = timeout.nanos().div_ceil(1_000_000).min(i32::MAX as u64) as i32;
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if r == 0 {
            return Ok(false);
        }
        return match fd.read() {
            Ok(_) => Ok(true),
            // another reader consumed it between poll and read
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(e),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupt_before_the_wait_is_not_lost_and_is_consumed_once() {
        let fds = eventfds(2).unwrap();
        assert!(!wait(&fds[0], Duration(0)).unwrap());
        fds[0].write(1).unwrap();
        fds[0].write(1).unwrap();
        assert!(!wait(&fds[1], Duration(0)).unwrap(), "vectors are separate");
        assert!(wait(&fds[0], Duration(0)).unwrap());
        assert!(
            !wait(&fds[0], Duration(0)).unwrap(),
            "the count was consumed"
        );
    }

    #[test]
    fn a_wait_wakes_for_an_interrupt_from_another_thread() {
        let fd = EventFd::new(EFD_NONBLOCK).unwrap();
        let other = fd.try_clone().unwrap();
        let t = std::thread::spawn(move || other.write(1).unwrap());
        // a long timeout: the wake-up, not the timeout, ends the wait
        assert!(wait(&fd, Duration::from_secs(60)).unwrap());
        t.join().unwrap();
    }
}
