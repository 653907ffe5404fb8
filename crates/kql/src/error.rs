use std::fmt;

/// Where in the query text something went wrong.
///
/// `offset` is a 0-based byte offset into the text (always on a character boundary);
/// `line` and `column` are 1-based, and `column` counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `text` (an offset inside a character is moved back to
    /// that character's start; one past the end is clamped to the end).
    pub(crate) fn locate(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            offset,
            line: 1 + before.matches('\n').count(),
            column: 1 + before[line_start..].chars().count(),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Everything that can go wrong turning KQL text into a query; every variant has a position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not KQL. As Kibana does, the error is reported at the furthest point the
    /// parser reached, with everything it would have accepted there (sorted) and what it found:
    /// `expected "(", "{", value, whitespace but end of input found`.
    #[error("syntax error at {at}: expected {} but {found} found", .expected.join(", "))]
    Syntax {
        at: Position,
        /// What the grammar accepts at `at`: quoted tokens (`"("`), rule names (`value`,
        /// `field name`, `whitespace`, `AND`, `OR`, `NOT`) or `end of input`.
        expected: Vec<String>,
        /// The character found at `at`, quoted, or `end of input`.
        found: String,
    },
    /// `field:{ ... }`, Kibana's query on nested documents, which this crate does not translate;
    /// `at` is the `{`.
    #[error("nested field queries ({field}:{{ ... }}) are not supported, at {at}")]
    NestedUnsupported { at: Position, field: String },
    /// A value that starts with `*` (other than a lone `*`) while
    /// [`Options::allow_leading_wildcards`](crate::Options::allow_leading_wildcards) is off.
    #[error("leading wildcards are disabled (value {value:?} at {at})")]
    LeadingWildcard { at: Position, value: String },
    /// More than [`MAX_DEPTH`](crate::MAX_DEPTH) parentheses open at once; `at` is the
    /// parenthesis that went over.
    #[error("query nests more than {max} levels of parentheses, at {at}")]
    TooDeep { at: Position, max: usize },
    /// Text longer than [`MAX_QUERY_LEN`](crate::MAX_QUERY_LEN) bytes; `at` is where the limit
    /// falls.
    #[error("query is {len} bytes long, more than the limit of {max} bytes")]
    TooLong {
        at: Position,
        len: usize,
        max: usize,
    },
}

impl Error {
    /// Where the error is.
    pub fn position(&self) -> Position {
        match self {
            Error::Syntax { at, .. }
            | Error::NestedUnsupported { at, .. }
            | Error::LeadingWildcard { at, .. }
            | Error::TooDeep { at, .. }
            | Error::TooLong { at, .. } => *at,
        }
    }

    /// 0-based byte offset into the query text.
    pub fn offset(&self) -> usize {
        self.position().offset
    }

    /// 1-based line.
    pub fn line(&self) -> usize {
        self.position().line
    }

    /// 1-based column, in characters.
    pub fn column(&self) -> usize {
        self.position().column
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
