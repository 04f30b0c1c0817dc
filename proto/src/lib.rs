//! # tcpoff-proto — the shared contract
//!
//! One exact definition of what the tcpoff NIC does to each frame, used by every other part:
//! the hardware pipeline is checked against it, the firmware runs it as its slow path, the
//! simulator's scoreboard compares against it, and the host driver decodes with it.
//!
//! Read in this order (the data flow of a frame, in to out):
//! 1. [`wire`] — parse Ethernet / 802.1Q / IPv4 / IPv6 / TCP and every TCP option; build frames;
//!    RFC 1071 / RFC 1624 checksums.
//! 2. [`cookie`] — Linux-compatible SYN cookies over [`siphash`] (SipHash-2-4).
//! 3. [`table`] — the hardware connection table: key hash, buckets, ways, overflow.
//! 4. [`tracker`] — RFC 9293 state of the *host* endpoint of each connection, with conntrack-style
//!    window tracking ([`conntrack`]), RFC 5961, PAWS (RFC 7323), RFC 1337 and RFC 6191.
//! 5. [`synproxy`] — netfilter SYNPROXY semantics and seq/TS/SACK translation.
//! 6. [`policy`] — listeners and their SYN-cookie mode, flood detection.
//! 7. [`nic`] — the reference pipeline joining all of the above: one [`decision::Outcome`] per frame.
//! 8. [`regs`], [`events`], [`device`] — the register map, event/descriptor formats and the
//!    device-access trait shared by hardware, firmware, simulator and driver.
//!
//! Time is always passed in explicitly ([`time::Instant`]); nothing here reads a clock.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]

pub mod config;
pub mod cookie;
pub mod counters;
pub mod decision;
pub mod device;
pub mod events;
#[cfg(feature = "std")]
pub mod nic;
pub mod policy;
pub mod regs;
pub mod siphash;
pub mod state;
pub mod synproxy;
pub mod table;
#[cfg(feature = "std")]
pub mod testkit;
pub mod time;
pub mod tracker;
pub mod wire;
