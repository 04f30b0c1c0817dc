//! Log macros (embassy's `fmt.rs` pattern): with the `defmt` feature (the core build) they are
//! defmt's, whose frames the core's global logger queues for the log ring
//! ([`crate::logring`]); without it (host tests, the simulator) they compile to nothing but
//! still type-check their arguments. The level the host sets with `SetLogLevel` filters at run
//! time on top of defmt's build-time `DEFMT_LOG`.

use core::sync::atomic::{AtomicU8, Ordering};

/// Levels, as `SetLogLevel` numbers them.
pub mod level {
    pub const TRACE: u8 = 0;
    pub const DEBUG: u8 = 1;
    pub const INFO: u8 = 2;
    pub const WARN: u8 = 3;
    pub const ERROR: u8 = 4;
}

// Loads and stores only: riscv32imc has no atomic read-modify-write, and needs none here.
static LEVEL: AtomicU8 = AtomicU8::new(level::INFO);

/// Whether messages of `lvl` are logged.
pub fn enabled(lvl: u8) -> bool {
    lvl >= LEVEL.load(Ordering::Relaxed)
}

/// Set the run-time level (0 trace .. 4 error).
pub fn set_level(lvl: u8) {
    LEVEL.store(lvl.min(level::ERROR), Ordering::Relaxed);
}

/// The run-time level.
pub fn current_level() -> u8 {
    LEVEL.load(Ordering::Relaxed)
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log {
    ($lvl:expr, $mac:ident, $fmt:literal $(, $arg:expr)* $(,)?) => {
        if $crate::fmt::enabled($lvl) {
            #[cfg(feature = "defmt")]
            ::defmt::$mac!($fmt $(, $arg)*);
            #[cfg(not(feature = "defmt"))]
            { $( let _ = &$arg; )* }
        }
    };
}

#[macro_export]
macro_rules! trace { ($($t:tt)*) => { $crate::__log!($crate::fmt::level::TRACE, trace, $($t)*) }; }
#[macro_export]
macro_rules! debug { ($($t:tt)*) => { $crate::__log!($crate::fmt::level::DEBUG, debug, $($t)*) }; }
#[macro_export]
macro_rules! info { ($($t:tt)*) => { $crate::__log!($crate::fmt::level::INFO, info, $($t)*) }; }
#[macro_export]
macro_rules! warn { ($($t:tt)*) => { $crate::__log!($crate::fmt::level::WARN, warn, $($t)*) }; }
#[macro_export]
macro_rules! error { ($($t:tt)*) => { $crate::__log!($crate::fmt::level::ERROR, error, $($t)*) }; }
