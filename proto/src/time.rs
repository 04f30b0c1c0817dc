//! Device time. The simulator derives it from the cycle count, the hardware from a free-running
//! counter; the model never reads a clock itself (smoltcp's rule: time is an explicit argument).

/// A point in device time, in nanoseconds since the device started.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Instant(pub u64);

impl Instant {
    pub const ZERO: Instant = Instant(0);
    pub const fn from_nanos(ns: u64) -> Self {
        Instant(ns)
    }
    pub const fn from_micros(us: u64) -> Self {
        Instant(us * 1_000)
    }
    pub const fn from_millis(ms: u64) -> Self {
        Instant(ms * 1_000_000)
    }
    pub const fn from_secs(s: u64) -> Self {
        Instant(s * 1_000_000_000)
    }
    pub const fn nanos(self) -> u64 {
        self.0
    }
    pub const fn millis(self) -> u64 {
        self.0 / 1_000_000
    }
    pub const fn secs(self) -> u64 {
        self.0 / 1_000_000_000
    }
    /// Linux `tcp_cookie_time()`: whole minutes since the epoch of the clock (jiffies / (60*HZ)).
    pub const fn cookie_minute(self) -> u32 {
        (self.0 / 60_000_000_000) as u32
    }
    /// The 1 kHz TCP timestamp clock (TCP_TS_HZ = 1000), wrapping at 32 bits.
    pub const fn ts_clock_ms(self) -> u32 {
        self.millis() as u32
    }
    pub const fn saturating_sub(self, other: Instant) -> Duration {
        Duration(self.0.saturating_sub(other.0))
    }
}

/// A span of device time, in nanoseconds.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Duration(pub u64);

impl Duration {
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms * 1_000_000)
    }
    pub const fn from_secs(s: u64) -> Self {
        Duration(s * 1_000_000_000)
    }
    pub const fn nanos(self) -> u64 {
        self.0
    }
    pub const fn millis(self) -> u64 {
        self.0 / 1_000_000
    }
    pub const fn secs(self) -> u64 {
        self.0 / 1_000_000_000
    }
}

impl core::ops::Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d.0))
    }
}
