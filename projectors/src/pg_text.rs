//! Text from events as PostgreSQL can store it.
//!
//! PostgreSQL refuses a NUL (U+0000) in `text` ("invalid byte sequence for
//! encoding UTF8: 0x00"), and the whole batch with it. Every edge refuses
//! control characters now (`domain::text`), but events written before that
//! stay in the store for ever, and a projector that failed on one would
//! fail on it at every retry and every replay. So the projectors that write
//! event text into PostgreSQL write U+FFFD (the replacement character) in a
//! NUL's place: the row exists, the damage shows, and a replay writes the
//! same. Other control characters are valid in `text` and stay as they are.

use std::borrow::Cow;

/// What PostgreSQL writes in place of a NUL.
pub const NUL_REPLACEMENT: char = '\u{FFFD}';

/// `value` with every NUL replaced by [`NUL_REPLACEMENT`]; borrowed when
/// there is none (the usual case, without a copy).
pub fn storable(value: &str) -> Cow<'_, str> {
    if value.contains('\0') {
        Cow::Owned(value.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_becomes_the_replacement_character_and_nothing_else_changes() {
        assert_eq!(storable("Ada\0Love\0"), "Ada\u{FFFD}Love\u{FFFD}");
        assert!(matches!(storable("Ada\tLovelace\n"), Cow::Borrowed(_)));
        assert_eq!(storable("Ada\tLovelace\n"), "Ada\tLovelace\n");
        assert_eq!(storable(""), "");
    }
}
