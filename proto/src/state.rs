//! The RFC 9293 §3.3.2 connection states, as the *host* endpoint of a connection holds them.

/// The 11 states of RFC 9293 §3.3.2 (CLOSED, the "fictional" one, included). The discriminant is
/// the 4-bit code the hardware table, events and registers carry.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[repr(u8)]
pub enum TcpState {
    Closed = 0,
    Listen = 1,
    SynSent = 2,
    SynReceived = 3,
    Established = 4,
    FinWait1 = 5,
    FinWait2 = 6,
    CloseWait = 7,
    Closing = 8,
    LastAck = 9,
    TimeWait = 10,
}

impl TcpState {
    pub const ALL: [TcpState; 11] = [
        TcpState::Closed,
        TcpState::Listen,
        TcpState::SynSent,
        TcpState::SynReceived,
        TcpState::Established,
        TcpState::FinWait1,
        TcpState::FinWait2,
        TcpState::CloseWait,
        TcpState::Closing,
        TcpState::LastAck,
        TcpState::TimeWait,
    ];

    /// Decode the 4-bit hardware code; codes 11..15 are not states.
    pub const fn from_code(code: u8) -> Option<TcpState> {
        if (code as usize) < 11 {
            Some(Self::ALL[code as usize])
        } else {
            None
        }
    }

    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The name `ss` prints (`ESTAB`, `TIME-WAIT`, ...).
    pub const fn ss_name(self) -> &'static str {
        match self {
            TcpState::Closed => "UNCONN",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynReceived => "SYN-RECV",
            TcpState::Established => "ESTAB",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST-ACK",
            TcpState::TimeWait => "TIME-WAIT",
        }
    }

    /// Parse an RFC name, an `ss` name or an `ss` filter name (`established`, `time-wait`,
    /// `syn-recv`, ...), case-insensitive, `_` and `-` alike.
    pub fn parse(name: &str) -> Option<TcpState> {
        let mut buf = [0u8; 16];
        let n = name.len().min(16);
        for (d, s) in buf.iter_mut().zip(name.bytes().take(n)) {
            *d = match s.to_ascii_lowercase() {
                b'_' => b'-',
                c => c,
            };
        }
        let key = core::str::from_utf8(&buf[..n]).ok()?;
        Some(match key {
            "closed" | "unconn" => TcpState::Closed,
            "listen" | "listening" => TcpState::Listen,
            "syn-sent" => TcpState::SynSent,
            "syn-received" | "syn-recv" => TcpState::SynReceived,
            "established" | "estab" => TcpState::Established,
            "fin-wait-1" => TcpState::FinWait1,
            "fin-wait-2" => TcpState::FinWait2,
            "close-wait" => TcpState::CloseWait,
            "closing" => TcpState::Closing,
            "last-ack" => TcpState::LastAck,
            "time-wait" => TcpState::TimeWait,
            _ => return None,
        })
    }

    /// RFC 9293 "synchronized" states: ESTABLISHED and everything after it.
    pub const fn synchronized(self) -> bool {
        (self as u8) >= (TcpState::Established as u8)
    }
}

impl core::fmt::Display for TcpState {
    /// RFC 9293 names: `SYN-RECEIVED`, `TIME-WAIT`, ...
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            TcpState::Closed => "CLOSED",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynReceived => "SYN-RECEIVED",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST-ACK",
            TcpState::TimeWait => "TIME-WAIT",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn codes_and_names_round_trip() {
        for s in TcpState::ALL {
            assert_eq!(TcpState::from_code(s.code()), Some(s));
            assert_eq!(TcpState::parse(s.ss_name()), Some(s));
            assert_eq!(TcpState::parse(&std::format!("{s}")), Some(s));
        }
        assert_eq!(TcpState::from_code(11), None);
        assert_eq!(TcpState::parse("TIME_WAIT"), Some(TcpState::TimeWait));
    }
}
