//! A small toolkit to drive the reference model ([`crate::nic::Nic`]) with real TCP behaviour.
//!
//! - [`endpoint`]: a minimal RFC 9293 TCP endpoint (not a full stack) that builds its frames
//!   with [`crate::wire::build::SegmentSpec`] and reads frames with [`crate::wire::parse`];
//! - [`harness`]: wires wire-side and host-side endpoints through one `Nic` on a simulated,
//!   deterministic clock and records frames, verdicts and state transitions;
//! - [`workload`]: a seeded generator of legit connections interleaved with a spoofed SYN flood,
//!   summarised in a serialisable [`workload::WorkloadReport`];
//! - [`rng`]: the xorshift64* generator the harness and the workload draw from.
//!
//! Used by the scenario tests (`proto/tests/scenarios.rs`), `tcpoff demo` and the simulator's
//! scoreboard. Nothing here reads a real clock or spawns a thread.

pub mod endpoint;
pub mod harness;
pub mod rng;
pub mod workload;

pub use endpoint::{Addr, App, AutoClose, Endpoint, EndpointConfig, SynOptions};
pub use harness::{EpId, Harness};
pub use rng::XorShift64Star;
pub use workload::{run, WorkloadReport, WorkloadSpec};
