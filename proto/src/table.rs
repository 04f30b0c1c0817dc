//! The hardware connection table as a model (being written).

/// 32-bit words per table entry.
pub const ENTRY_WORDS: usize = 10;
