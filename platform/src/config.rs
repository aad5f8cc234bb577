//! Configuration comes only from environment variables; every one has a safe
//! local default or fails start-up with a message naming the variable.

use std::str::FromStr;

/// A variable that is missing or cannot be parsed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Required and absent.
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    /// Present but not valid.
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Why, without echoing its value (it may be a secret).
        reason: String,
    },
}

/// The variable's value, or `default` when unset or empty.
pub fn string(name: &'static str, default: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value,
        _ => default.to_owned(),
    }
}

/// A required variable.
pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::Missing(name)),
    }
}

/// The variable as a number that must be at least 1, or `default` when
/// unset or empty.
pub fn positive(name: &'static str, default: u64) -> Result<u64, ConfigError> {
    let value = parse(name, default)?;
    if value == 0 {
        return Err(ConfigError::Invalid {
            name,
            reason: "must be at least 1".into(),
        });
    }
    Ok(value)
}

/// The variable parsed as `T`, or `default` when unset or empty.
pub fn parse<T>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => {
            value
                .trim()
                .parse()
                .map_err(|e: T::Err| ConfigError::Invalid {
                    name,
                    reason: e.to_string(),
                })
        }
        _ => Ok(default),
    }
}
