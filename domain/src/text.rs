//! The one rule for text that enters the system from outside: no control
//! characters, and for required text, not blank and bounded in length.
//!
//! A control character (Unicode general category Cc: U+0000–U+001F and
//! U+007F–U+009F, so NUL, TAB, LF, CR, DEL and the C1 controls) has no place
//! in a name, a reason, an email or a search: it cannot be typed in a form,
//! it breaks what reads the text later (PostgreSQL refuses NUL in `text`;
//! CR and LF split email headers and log lines), and an event that carries
//! one stays in the event store for ever. So every edge refuses it, with a
//! 422 naming the field, through these functions; no field documents a use
//! for control characters.
//!
//! The raw value is checked, before any trimming, so that a value is refused
//! for a control character wherever it is, not only inside the text.

/// Why a piece of text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Empty, or only whitespace.
    #[error("must not be blank")]
    Blank,
    /// More characters than allowed (after trimming).
    #[error("must be at most {max} characters")]
    TooLong {
        /// The most characters accepted.
        max: usize,
    },
    /// A control character somewhere in the value.
    #[error("must not contain control characters (U+{code_point:04X} at character {position})")]
    ControlCharacter {
        /// The first control character's code point.
        code_point: u32,
        /// Its position in the value, in characters from 0.
        position: usize,
    },
}

impl TextError {
    /// A stable machine-readable code, for a field error's `code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Blank => "blank",
            Self::TooLong { .. } => "too-long",
            Self::ControlCharacter { .. } => "control-character",
        }
    }
}

/// Whether `c` is a control character (Unicode general category Cc).
pub fn is_control(c: char) -> bool {
    // `char::is_control` is exactly the general category Cc.
    c.is_control()
}

/// `Ok` when `value` holds no control character, else where the first is.
pub fn no_control(value: &str) -> Result<(), TextError> {
    match value.chars().enumerate().find(|(_, c)| is_control(*c)) {
        None => Ok(()),
        Some((position, c)) => Err(TextError::ControlCharacter {
            code_point: u32::from(c),
            position,
        }),
    }
}

/// Required text: `value` trimmed, when it has no control character, is
/// not blank and has at most `max` characters once trimmed.
pub fn required(value: &str, max: usize) -> Result<&str, TextError> {
    no_control(value)?;
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(TextError::Blank);
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    Ok(trimmed)
}

/// Optional text: `None` when `value` is blank, else as [`required`].
pub fn optional(value: &str, max: usize) -> Result<Option<&str>, TextError> {
    match required(value, max) {
        Ok(trimmed) => Ok(Some(trimmed)),
        Err(TextError::Blank) => Ok(None),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_character_is_refused_wherever_it_is() {
        let controls = (0u32..=0x1F)
            .chain(0x7F..=0x9F)
            .map(|c| char::from_u32(c).unwrap());
        for c in controls {
            for value in [format!("{c}Ada"), format!("A{c}da"), format!("Ada{c}")] {
                assert!(
                    matches!(
                        no_control(&value),
                        Err(TextError::ControlCharacter { code_point, .. }) if code_point == u32::from(c)
                    ),
                    "U+{:04X} in {value:?} was accepted",
                    u32::from(c)
                );
                assert_eq!(
                    required(&value, 100).unwrap_err().code(),
                    "control-character"
                );
            }
        }
    }

    #[test]
    fn the_refusal_says_which_character_and_where() {
        let error = no_control("Ada\u{0}Lovelace").unwrap_err();
        assert_eq!(
            error,
            TextError::ControlCharacter {
                code_point: 0,
                position: 3
            }
        );
        assert_eq!(
            error.to_string(),
            "must not contain control characters (U+0000 at character 3)"
        );
    }

    #[test]
    fn other_characters_are_text_even_when_unusual() {
        for value in [
            "Ada Lovelace",
            "José Ñúñez",
            "Ørsted–Ångström",
            "李小龍",
            "O'Brien-Smith",
            "emoji 🚀",
            // Format characters (Cf) and separators (Zl, Zp) are not Cc.
            "zero\u{200B}width",
            "line\u{2028}separator",
            "no-break\u{00A0}space",
        ] {
            assert_eq!(no_control(value), Ok(()), "{value:?} was refused");
        }
    }

    #[test]
    fn required_text_is_trimmed_non_blank_and_bounded() {
        assert_eq!(required("  Kourou ", 6), Ok("Kourou"));
        assert_eq!(required("   ", 6), Err(TextError::Blank));
        assert_eq!(required("", 6), Err(TextError::Blank));
        assert_eq!(required("Kourou!", 6), Err(TextError::TooLong { max: 6 }));
        assert_eq!(required("ñññ", 3), Ok("ñññ"), "characters, not bytes");
        // A trailing newline is a control character, not whitespace to trim.
        assert_eq!(
            required("Kourou\n", 6).unwrap_err().code(),
            "control-character"
        );
        assert_eq!(required("\t", 6).unwrap_err().code(), "control-character");
    }

    #[test]
    fn optional_text_is_none_when_blank_and_checked_otherwise() {
        assert_eq!(optional("  ", 5), Ok(None));
        assert_eq!(optional(" Floor 2 ", 10), Ok(Some("Floor 2")));
        assert_eq!(
            optional("x\u{7F}", 5).unwrap_err().code(),
            "control-character"
        );
        assert_eq!(optional("toolong", 5), Err(TextError::TooLong { max: 5 }));
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(TextError::Blank.code(), "blank");
        assert_eq!(TextError::TooLong { max: 1 }.code(), "too-long");
        assert_eq!(
            no_control("\u{85}").unwrap_err().code(),
            "control-character"
        );
    }
}
