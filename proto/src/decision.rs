//! Every decision the NIC takes on a frame, as one type.
//!
//! The NIC sits inline between the wire (the network, where clients and attackers are) and the
//! host (the protected machine). Each frame entering on one [`Port`] gets one [`Verdict`]; the
//! frame itself (possibly rewritten in place) leaves through the other port when the verdict is
//! [`Verdict::Forward`] or [`Verdict::Rewrite`]. Independently of the verdict, the NIC may emit
//! up to [`MAX_REPLIES`] frames it generated itself (cookie SYN-ACKs, challenge ACKs, the SYN
//! proxy's handshake frames, RSTs), each with the port it leaves through.

use crate::wire::GenFrame;

/// A port of the NIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Port {
    /// The network side: clients, attackers, the rest of the world.
    Wire,
    /// The protected host's side.
    Host,
}

impl Port {
    /// The port a forwarded frame leaves through.
    pub const fn other(self) -> Port {
        match self {
            Port::Wire => Port::Host,
            Port::Host => Port::Wire,
        }
    }
}

/// What happens to the frame that came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Leaves through the other port, unchanged.
    Forward,
    /// Leaves through the other port with translated fields (checksums updated incrementally).
    Rewrite,
    /// Consumed: the NIC answered it with generated frames (see [`Outcome::replies`]).
    Consume,
    /// Dropped, with the reason.
    Drop(DropReason),
    /// Handed to the firmware's exception queue, with the reason; the firmware runs the slow path.
    Punt(PuntReason),
}

/// Why a frame was dropped. Each reason has its counter; see [`DropReason::counter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Headers could not be parsed (truncated, bad lengths).
    Malformed,
    /// IPv4 header or TCP checksum wrong.
    BadChecksum,
    /// Flag combination conntrack's `tcp_error` rejects.
    InvalidFlags,
    /// A cookie ACK that did not validate (RFC 4987 / Linux `__cookie_v4_check`).
    BadCookie,
    /// Not a SYN, and no connection known (conntrack `tcp_loose = 0`).
    UnknownFlow,
    /// A SYN to a listener that could not be admitted (no cookie mode and the table is full).
    ListenOverflow,
    /// RFC 5961 §3: RST outside the window.
    RstOutOfWindow,
    /// RFC 5961 §3 / §4: in-window RST or SYN in a synchronized state — answered by a challenge ACK.
    Challenged,
    /// RFC 9293 §3.10.7.4 step 1: segment outside the receive window.
    OutOfWindow,
    /// RFC 5961 §5: ACK outside [SND.UNA - MAX.SND.WND, SND.NXT].
    AckOutOfRange,
    /// RFC 7323 §5: PAWS rejected an old timestamp.
    Paws,
    /// RFC 1337: RST in TIME_WAIT ignored.
    Rfc1337,
    /// The segment belongs to a connection still in the SYN proxy's handshake and is not part of it.
    ProxyHandshake,
}

impl DropReason {
    /// The counter that counts this reason (besides `FramesDropped`).
    pub const fn counter(self) -> crate::counters::Counter {
        use crate::counters::Counter as C;
        match self {
            DropReason::Malformed => C::MalformedFrames,
            DropReason::BadChecksum => C::InCsumErrors,
            DropReason::InvalidFlags => C::InvalidFlags,
            DropReason::BadCookie => C::SyncookiesFailed,
            DropReason::UnknownFlow => C::UntrackedDrops,
            DropReason::ListenOverflow => C::ListenDrops,
            DropReason::RstOutOfWindow => C::RstOutOfWindow,
            DropReason::Challenged => C::TCPChallengeACK,
            DropReason::OutOfWindow => C::OutOfWindowDrops,
            DropReason::AckOutOfRange => C::AckOutOfRange,
            DropReason::Paws => C::PAWSEstab,
            DropReason::Rfc1337 => C::Rfc1337Ignored,
            DropReason::ProxyHandshake => C::UntrackedDrops,
        }
    }
}

/// Why a frame went to the firmware.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PuntReason {
    /// IPv4 fragment: the TCP header may be absent or split.
    Ipv4Fragment,
    /// IPv6: parsed and flagged, not tracked in hardware.
    Ipv6,
    /// Headers that could not be parsed (truncated, bad lengths): the firmware counts and drops.
    Malformed,
}

impl PuntReason {
    pub const fn counter(self) -> crate::counters::Counter {
        use crate::counters::Counter as C;
        match self {
            PuntReason::Ipv4Fragment => C::Ipv4Fragments,
            PuntReason::Ipv6 => C::Ipv6Frames,
            PuntReason::Malformed => C::MalformedFrames,
        }
    }
}

/// At most this many generated frames per input frame (the SYN proxy's step 3 sends two).
pub const MAX_REPLIES: usize = 2;

/// A frame the NIC generated, and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub port: Port,
    pub frame: GenFrame,
}

/// The whole result of processing one frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub verdict: Verdict,
    pub replies: heapless::Vec<Reply, MAX_REPLIES>,
}

impl Outcome {
    pub fn new(verdict: Verdict) -> Self {
        Outcome {
            verdict,
            replies: heapless::Vec::new(),
        }
    }
    /// Whether the input frame leaves through the other port.
    pub fn passes(&self) -> bool {
        matches!(self.verdict, Verdict::Forward | Verdict::Rewrite)
    }
}
