use std::fmt;

use crate::{Error, Result};

/// A log level, ordered from least to most severe, so `level >= Level::Warning` is the seed's
/// "WARNING and above" filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `TRACE` (below Python's DEBUG; tracing's lowest level).
    Trace,
    /// `DEBUG` (Python 10, syslog `debug`).
    Debug,
    /// `INFO` (Python 20, syslog `info` and `notice`).
    Info,
    /// `WARNING` (Python 30, `WARN`, syslog `warning`).
    Warning,
    /// `ERROR` (Python 40, syslog `err`/`error`).
    Error,
    /// `CRITICAL` (Python 50, `FATAL`, syslog `crit`, `alert`, `emerg`).
    Critical,
}

impl Level {
    /// All levels, least severe first.
    pub const ALL: [Self; 6] = [
        Self::Trace,
        Self::Debug,
        Self::Info,
        Self::Warning,
        Self::Error,
        Self::Critical,
    ];

    /// Parses a level case-insensitively: Python names (`DEBUG`, `INFO`, `WARNING`, `WARN`,
    /// `ERROR`, `CRITICAL`, `FATAL`), syslog severity names (`emerg` .. `debug`, `notice`,
    /// `panic`), and Python's numbers (`10`..`50`; values between round down as `logging` does).
    ///
    /// # Errors
    /// [`Error::InvalidLevel`] naming the input.
    pub fn parse(input: &str) -> Result<Self> {
        let s = input.trim();
        if let Ok(n) = s.parse::<i64>() {
            return Self::from_python_number(n)
                .ok_or_else(|| Error::InvalidLevel(input.to_owned()));
        }
        let level = match s.to_ascii_lowercase().as_str() {
            "trace" => Self::Trace,
            "debug" => Self::Debug,
            "info" | "informational" | "notice" => Self::Info,
            "warning" | "warn" => Self::Warning,
            "error" | "err" => Self::Error,
            "critical" | "crit" | "fatal" | "alert" | "emerg" | "emergency" | "panic" => {
                Self::Critical
            }
            _ => return Err(Error::InvalidLevel(input.to_owned())),
        };
        Ok(level)
    }

    /// Python's numeric levels: 10 DEBUG, 20 INFO, 30 WARNING, 40 ERROR, 50 CRITICAL; numbers
    /// between two levels belong to the lower one, above 50 are CRITICAL, 1..9 are TRACE.
    /// 0 (`NOTSET`) and negatives are not levels.
    #[must_use]
    pub fn from_python_number(n: i64) -> Option<Self> {
        Some(match n {
            i64::MIN..=0 => return None,
            1..=9 => Self::Trace,
            10..=19 => Self::Debug,
            20..=29 => Self::Info,
            30..=39 => Self::Warning,
            40..=49 => Self::Error,
            _ => Self::Critical,
        })
    }

    /// Syslog severity numbers (RFC 5424): 0 emerg .. 7 debug.
    #[must_use]
    pub fn from_syslog_severity(n: u8) -> Option<Self> {
        Some(match n {
            0..=2 => Self::Critical,
            3 => Self::Error,
            4 => Self::Warning,
            5 | 6 => Self::Info,
            7 => Self::Debug,
            _ => return None,
        })
    }

    /// Python's number for this level (TRACE is 5).
    #[must_use]
    pub fn python_number(self) -> u8 {
        match self {
            Self::Trace => 5,
            Self::Debug => 10,
            Self::Info => 20,
            Self::Warning => 30,
            Self::Error => 40,
            Self::Critical => 50,
        }
    }

    /// Python's upper-case name: `INFO`, `WARNING`, ...
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "TRACE",
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warning => "WARNING",
            Self::Error => "ERROR",
            Self::Critical => "CRITICAL",
        }
    }

    /// ECS's lower-case `log.level` value: `info`, `warn`, ...
    #[must_use]
    pub fn as_ecs_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warning => "warn",
            Self::Error => "error",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Level {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}
