//! The VFIO backend's logic against [`super::fake`]: region discovery and the BAR0 mapping,
//! bus mastering, the MSI-X placement rule, DMA placement and mapping, ring handling through
//! the mapping, interrupt waits, surprise removal.

use super::fake::{FakeFds, FakeState, BAR0_OFFSET};
use super::pci_config::{MsixCap, CMD_BUS_MASTER, CMD_MEMORY};
use super::{OpenError, VfioDevice};
use crate::fixture::bar0_image;
use proto::device::{check_present, Device, DeviceError, HostRing};
use proto::regs::{self, BlockKind, RegisterAccess};
use proto::time::Duration;
use std::rc::Rc;

const MSIX: MsixCap = MsixCap {
    at: 0x50,
    vectors: 6,
    table_bir: 2,
    table_offset: 0,
    pba_bir: 2,
    pba_offset: 0x800,
};

fn open() -> (VfioDevice<FakeFds>, Rc<FakeState>) {
    let st = FakeState::new(&bar0_image(), Some(MSIX));
    let dev = VfioDevice::new(FakeFds(st.clone())).expect("open the fake");
    (dev, st)
}

fn open_err(st: Rc<FakeState>) -> OpenError {
    match VfioDevice::new(FakeFds(st)) {
        Ok(_) => panic!("opened"),
        Err(e) => e,
    }
}

#[test]
fn bar0_is_mapped_at_its_region_offset_and_walks_as_the_contract_lays_it_out() {
    let (mut dev, st) = open();
    assert_ne!(BAR0_OFFSET, 0);
    let blocks = regs::walk(&mut dev).expect("walk BAR0");
    assert_eq!(blocks.len(), regs::LAYOUT.len());
    let id = regs::Identity::read(&mut regs::Window::new(&mut dev, 0)).unwrap();
    assert_eq!(id, crate::fixture::identity());
    // a store through the mapping is what the device sees, and the other way round
    let cfg = regs::find(&blocks, BlockKind::Config).unwrap().offset;
    dev.write32(cfg + regs::cfg::TIME_WAIT_MS, 60_000);
    assert_eq!(st.peek(cfg + regs::cfg::TIME_WAIT_MS), 60_000);
    st.poke(cfg + regs::cfg::KA_PROBES, 9);
    assert_eq!(dev.read32(cfg + regs::cfg::KA_PROBES), 9);
    // outside BAR0: all-ones, and not taken for a removal
    assert_eq!(dev.read32(regs::BAR0_LEN + 0x100), regs::ALL_ONES);
    assert!(!dev.gone);
    assert!(check_present(&mut dev).is_ok());
}

#[test]
fn memory_decoding_and_bus_mastering_are_on_after_open_and_after_reset() {
    let (mut dev, st) = open();
    let want = CMD_MEMORY | CMD_BUS_MASTER;
    assert_eq!(st.command() & want, want);
    dev.reset().unwrap();
    assert_eq!(st.resets.get(), 1);
    assert_eq!(
        st.command() & want,
        want,
        "re-enabled after the reset cleared it"
    );
    st.device_flags
        .set(vfio_bindings::bindings::vfio::VFIO_DEVICE_FLAGS_PCI);
    assert!(matches!(dev.reset(), Err(DeviceError::Unsupported(_))));
}

#[test]
fn the_msix_table_and_pba_must_be_outside_the_register_bar() {
    let bar = bar0_image();
    let e = open_err(FakeState::new(
        &bar,
        Some(MsixCap {
            table_bir: 0,
            ..MSIX
        }),
    ));
    assert_eq!(e, OpenError::MsixInRegisterBar { what: "table" });
    assert!(e.to_string().contains("BAR 2"), "{e}");
    let e = open_err(FakeState::new(&bar, Some(MsixCap { pba_bir: 0, ..MSIX })));
    assert_eq!(e, OpenError::MsixInRegisterBar { what: "PBA" });
    assert_eq!(open_err(FakeState::new(&bar, None)), OpenError::NoMsix);
    let (dev, _) = open();
    assert_eq!(dev.msix(), MSIX);
}

#[test]
fn bar0_must_be_mappable_and_hold_the_register_map() {
    let st = FakeState::new(&bar0_image(), Some(MSIX));
    st.bar_flags
        .set(vfio_bindings::bindings::vfio::VFIO_REGION_INFO_FLAG_READ);
    assert!(matches!(open_err(st), OpenError::Bar0(s) if s.contains("mmap")));
    let st = FakeState::new(&bar0_image()[..256], Some(MSIX));
    assert!(matches!(open_err(st), OpenError::Bar0(s) if s.contains("1024 bytes")));
}

#[test]
fn a_device_gone_before_or_after_open_is_reported_as_gone() {
    let st = FakeState::new(&bar0_image(), Some(MSIX));
    st.remove();
    assert_eq!(open_err(st), OpenError::Gone);

    let (mut dev, st) = open();
    let iova = dev.alloc_dma(4096).unwrap();
    st.remove();
    assert_eq!(check_present(&mut dev), Err(DeviceError::Gone));
    assert!(dev.gone);
    let mut b = [0u8; 4];
    assert_eq!(dev.dma_read(iova, &mut b), Err(DeviceError::Gone));
    assert_eq!(dev.wait_irq(0, Duration(0)), Err(DeviceError::Gone));
    assert_eq!(dev.alloc_dma(4096), Err(DeviceError::Gone));
    assert!(matches!(
        regs::walk(&mut dev),
        Err(regs::WalkError::DeviceGone { .. })
    ));
    // writes are dropped once gone
    dev.write32(0x200 + regs::cfg::KA_PROBES, 1);
    assert_eq!(st.peek(0x200 + regs::cfg::KA_PROBES), regs::ALL_ONES);
}

#[test]
fn dma_buffers_are_zeroed_aligned_mapped_and_unmapped() {
    let (mut dev, st) = open();
    let a = dev.alloc_dma(100).unwrap();
    let b = dev.alloc_dma(64 * 1024).unwrap();
    let c = dev.alloc_dma(3 << 20).unwrap();
    assert_eq!(a % 4096, 0);
    assert_eq!(b % (64 * 1024), 0);
    assert_eq!(c % (2 << 20), 0);
    let maps: Vec<(u64, u64)> = st.maps.borrow().iter().map(|&(i, l, _)| (i, l)).collect();
    assert_eq!(maps, vec![(a, 4096), (b, 64 * 1024), (c, 3 << 20)]);
    let mut buf = vec![0xAAu8; 64 * 1024];
    dev.dma_read(b, &mut buf).unwrap();
    assert!(buf.iter().all(|&x| x == 0), "zeroed");

    // what the device writes, the host reads, and the other way round
    st.dma_write(b + 16, b"from the device");
    let mut got = [0u8; 15];
    dev.dma_read(b + 16, &mut got).unwrap();
    assert_eq!(&got, b"from the device");
    dev.dma_write(c + (2 << 20), &[7; 8]).unwrap();
    let host = st.maps.borrow()[2].2;
    // SAFETY: inside the live mapping of c.
    assert_eq!(unsafe { *((host + (2 << 20)) as *const u8) }, 7);

    // accesses outside any buffer are DMA errors
    assert_eq!(
        dev.dma_read(a + 4000, &mut [0u8; 200]),
        Err(DeviceError::Dma {
            addr: a + 4000,
            len: 200
        })
    );
    assert!(dev.dma_write(0x1000, &[0]).is_err());

    dev.free_dma(a).unwrap();
    assert_eq!(st.unmaps.borrow().as_slice(), &[(a, 4096)]);
    assert!(dev.free_dma(a).is_err(), "double free");
    assert_eq!(dev.alloc_dma(4096).unwrap(), a, "freed IOVA reused");
    assert!(matches!(dev.alloc_dma(0), Err(DeviceError::Unsupported(_))));
}

#[test]
fn dropping_the_device_unmaps_every_buffer_and_disables_msix() {
    let (mut dev, st) = open();
    let a = dev.alloc_dma(8192).unwrap();
    let b = dev.alloc_dma(4096).unwrap();
    assert_eq!(st.irqs.borrow().len(), MSIX.vectors as usize);
    drop(dev);
    let mut un = st.unmaps.borrow().clone();
    un.sort();
    assert_eq!(un, vec![(a, 8192), (b, 4096)]);
    assert!(st.maps.borrow().is_empty());
    assert!(st.irqs.borrow().is_empty());
}

#[test]
fn an_event_ring_runs_through_the_mapping_and_dma() {
    use proto::events::{Event, TransitionCause, TransitionEvent, EVENT_WORDS};
    let (mut dev, st) = open();
    let block = regs::layout_of(BlockKind::EventRing).offset;
    let mut ring = HostRing::<EVENT_WORDS>::open(&mut dev, block, 4).unwrap();
    // the host programmed BASE and SIZE and enabled the ring, through BAR0
    let base = st.peek(block + regs::ring::BASE_LO) as u64
        | (st.peek(block + regs::ring::BASE_HI) as u64) << 32;
    assert_eq!(base, ring.dma_addr());
    assert_eq!(base % (16 * 32), 0, "aligned to the ring's size");
    assert_eq!(st.peek(block + regs::ring::SIZE_LOG2), 4);
    assert_eq!(st.peek(block + regs::ring::CTRL), regs::ring::ENABLE);
    assert_eq!(ring.poll(&mut dev).unwrap(), None);

    // the device writes one descriptor (phase 1 on the first lap) and raises the vector
    let ev = Event::Transition(TransitionEvent {
        key: crate::fixture::records(1)[0].entry.key,
        old: proto::state::TcpState::SynReceived,
        new: proto::state::TcpState::Established,
        cause: TransitionCause::WireSegment,
        at: proto::time::Instant(1234),
        slot: 3,
        flags: 0,
    });
    let bytes: Vec<u8> = ev
        .encode(true)
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    st.dma_write(base, &bytes);
    st.fire(0);
    assert!(dev.wait_irq(0, Duration(0)).unwrap());
    let got = ring.poll(&mut dev).unwrap().expect("a descriptor");
    assert_eq!(Event::decode(&got).unwrap(), (ev, true));
    assert_eq!(ring.poll(&mut dev).unwrap(), None);
    ring.release(&mut dev);
    assert_eq!(st.peek(block + regs::ring::CONS), 1);
}

#[test]
fn interrupt_waits_keep_eventfd_counting_semantics() {
    let (mut dev, st) = open();
    assert_eq!(dev.irq_vectors(), MSIX.vectors);
    assert!(!dev.wait_irq(2, Duration(0)).unwrap());
    st.fire(2);
    st.fire(2);
    assert!(!dev.wait_irq(1, Duration(0)).unwrap(), "another vector");
    assert!(
        dev.wait_irq(2, Duration(0)).unwrap(),
        "fired before the wait"
    );
    assert!(
        !dev.wait_irq(2, Duration(0)).unwrap(),
        "both fires consumed by one wait"
    );
    assert!(matches!(
        dev.wait_irq(MSIX.vectors, Duration(0)),
        Err(DeviceError::Unsupported(_))
    ));
}

#[test]
fn vectors_are_capped_by_what_vfio_offers() {
    let st = FakeState::new(&bar0_image(), Some(MSIX));
    st.msix_count.set(2);
    let dev = VfioDevice::new(FakeFds(st.clone())).unwrap();
    assert_eq!(dev.irq_vectors(), 2);
    assert_eq!(st.irqs.borrow().len(), 2);
    st.msix_count.set(0);
    assert_eq!(open_err(st), OpenError::NoMsix);
}
