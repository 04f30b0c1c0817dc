//! # tcpoff-firmware — the embedded RISC-V core beside the pipeline
//!
//! The pipeline decides every frame at line rate; what needs time or judgement runs here, on a
//! small core (PicoRV32-class, `riscv32imc`, no atomics, 64 KiB of on-chip RAM), `no_std`,
//! without a heap, logging through defmt. The same code runs inside the simulator (feature
//! `sim`), against [`sim::SimHw`].
//!
//! - [`hw`]: the hardware-access trait ([`hw::Hw`]); [`mmio`] implements it on the core's
//!   address map (`proto::regs::fw`), [`sim`] in memory.
//! - [`wheel`]: a hierarchical timing wheel, one timer per table slot (Varghese & Lauck).
//! - [`timers`]: what each connection state's timer does — TIME-WAIT (RFC 9293 §3.10.7.4,
//!   Linux `tcp_time_wait`), FIN-WAIT-2 (`tcp_fin_timeout`), handshake timeouts with the SYN
//!   proxy's retransmission to the host (netfilter `synproxy_send_server_syn`), keepalive
//!   (`tcp_keepalive_timer`), idle ESTABLISHED expiry and the CLOSE-WAIT age alarm — fed by the
//!   pipeline's transition events, agreeing with the model's sweep (`proto::nic::Nic::expire`).
//! - [`frames`]: keepalive probes, resets and the proxy's SYN, built with proto's builders.
//! - [`exceptions`]: the slow path for punted frames.
//! - [`mailbox`]: host commands, validated before anything changes.
//! - [`logring`]: defmt frames into the host's log ring.
//! - [`firmware`]: the main object and its poll loop.
//!
//! CI builds this library for `riscv32imc-unknown-none-elf`. The linked core image (riscv-rt
//! start-up, `memory.x` for the 64 KiB of on-chip RAM, the defmt global logger, its code and
//! data size) is not in the tree yet: a first attempt did not fit the timers of a 4096-slot
//! table into the RAM region.
#![cfg_attr(not(any(test, feature = "sim")), no_std)]

pub mod fmt;

pub mod exceptions;
pub mod firmware;
pub mod frames;
pub mod hw;
pub mod logring;
pub mod mailbox;
pub mod mmio;
#[cfg(feature = "sim")]
pub mod sim;
pub mod timers;
pub mod wheel;

pub use firmware::{Firmware, Stats};
pub use hw::{Hw, HwError, PortMacs};
