//! `tcpoff info`: open the device, walk its register map and print what it is — the Identity
//! block (contract version, build, capabilities, table geometry, clock), every register block
//! with its offset and version, and the MSI-X vectors the host enabled.

use proto::device::Device;
use proto::regs::{self, caps, Window};
use std::fmt::Write;
use tcpoff::backend::Backend;
use tcpoff::device_spec::DeviceSpec;

/// The report, as text.
pub fn report(dev: &mut Backend, spec: &DeviceSpec) -> Result<String, String> {
    let blocks = regs::walk(dev).map_err(|e| format!("{spec}: {e}"))?;
    let id = regs::Identity::read(&mut Window::new(dev, 0)).map_err(|e| format!("{spec}: {e}"))?;
    let mut out = String::new();
    let v = |x: u32| format!("{}.{}", x >> 16, x & 0xFFFF);
    let _ = writeln!(out, "device      {spec}");
    let _ = writeln!(out, "access      {}", dev.describe());
    let _ = writeln!(out, "contract    {}", v(id.contract));
    let _ = writeln!(out, "build       {:#010x}", id.build_id);
    let names: Vec<&str> = [
        (caps::SYNPROXY, "synproxy"),
        (caps::BULK_DUMP, "bulk-dump"),
        (caps::EVENT_RING, "event-ring"),
        (caps::FIRMWARE, "firmware"),
        (caps::INJECT, "inject"),
        (caps::SIMULATED, "simulated"),
    ]
    .iter()
    .filter(|(bit, _)| id.has(*bit))
    .map(|(_, n)| *n)
    .collect();
    let _ = writeln!(out, "caps        {:#010x} ({})", id.caps, names.join(" "));
    let _ = writeln!(
        out,
        "table       {} slots, {} ways",
        id.table_capacity, id.table_ways
    );
    let _ = writeln!(out, "counters    {}", id.counters);
    let _ = writeln!(out, "clock       {} Hz", id.clock_hz);
    let _ = writeln!(out, "listeners   {}", id.max_listeners);
    let _ = writeln!(out, "msi-x       {} vectors", dev.irq_vectors());
    let _ = writeln!(out, "blocks");
    for b in &blocks {
        let _ = writeln!(
            out,
            "  {:#06x}  {:<10} {:>5}  {:#x} bytes",
            b.offset,
            b.kind.name(),
            v(b.version),
            b.size
        );
    }
    Ok(out)
}

/// `tcpoff info` options.
#[derive(clap::Args, Debug)]
pub struct InfoArgs {
    /// Reset the function first (VFIO_DEVICE_RESET, or VFIO_USER_DEVICE_RESET).
    #[arg(long)]
    pub reset: bool,
}

/// Run `tcpoff info`.
pub fn run(spec: Option<&DeviceSpec>, args: &InfoArgs) -> Result<(), String> {
    let spec = spec.ok_or("info needs --device (pci:DDDD:BB:DD.F or vfio-user:PATH)")?;
    let mut dev = spec.open().map_err(|e| e.to_string())?;
    if args.reset {
        dev.reset().map_err(|e| format!("{spec}: reset: {e}"))?;
    }
    print!("{}", report(&mut dev, spec)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::FixtureServer;

    #[test]
    fn reports_the_identity_and_every_block() {
        let server = FixtureServer::start("info", Vec::new());
        let spec = DeviceSpec::VfioUser(server.path().to_path_buf());
        let mut dev = spec.open().unwrap();
        dev.reset().unwrap();
        let text = report(&mut dev, &spec).unwrap();
        assert!(
            text.contains("MSI-X table in BAR2 at 0x0, PBA in BAR2 at 0x800"),
            "{text}"
        );
        assert!(text.contains("contract    1.0"), "{text}");
        assert!(text.contains("table       4096 slots, 4 ways"), "{text}");
        assert!(text.contains("(bulk-dump event-ring)"), "{text}");
        assert!(text.contains("msi-x       8 vectors"), "{text}");
        for b in regs::LAYOUT {
            assert!(text.contains(b.kind.name()), "{text}");
        }
        drop(dev);
        assert_eq!(server.finish().resets, 1);
    }
}
