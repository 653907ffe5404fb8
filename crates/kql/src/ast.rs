//! The parsed form of a query, shaped like Kibana's KQL node tree.

use serde_json::Value;

/// A parsed query. Only [`parse`](crate::parse) builds one, so its nesting is always bounded
/// (see [`MAX_DEPTH`](crate::MAX_DEPTH)) and walking it recursively is safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ast {
    root: Node,
}

impl Ast {
    pub(crate) fn new(root: Node) -> Ast {
        Ast { root }
    }

    /// The top node. An empty query is `Is { field: Some(*), value: * }`, as in Kibana.
    pub fn root(&self) -> &Node {
        &self.root
    }
}

/// One node of the tree: Kibana's `or`, `and`, `not`, `is` and `range` functions.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Node {
    /// `a or b or c` (two or more).
    Or(Vec<Node>),
    /// `a and b and c` (two or more).
    And(Vec<Node>),
    /// `not a`.
    Not(Box<Node>),
    /// `field:value`; without a field (`value`, `"a phrase"`) it searches every field. A value
    /// list `field:(a or b)` becomes an `Or` of `Is` nodes on that field.
    Is { field: Option<Term>, value: Term },
    /// `field > value`, `>=`, `<`, `<=`.
    Range {
        field: Term,
        op: RangeOp,
        value: Term,
    },
}

/// A field name or a value, after escapes were resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Term {
    /// Unquoted `null`. As a field name it means "no field" (Kibana's quirk: `null:x` is `x`).
    Null,
    /// Unquoted `true` or `false`.
    Bool(bool),
    /// Any other text; `quoted` when it was written between double quotes (a phrase).
    /// Numbers stay text, as in Kibana.
    Text { text: String, quoted: bool },
    /// Unquoted text with at least one unescaped `*`: the literal pieces between the stars
    /// (so `us*` is `["us", ""]` and a lone `*` is `["", ""]`).
    Wildcard(Vec<String>),
}

impl Term {
    /// A lone `*`: "exists" as a value, "every field" as a field name.
    pub fn is_lone_wildcard(&self) -> bool {
        matches!(self, Term::Wildcard(pieces) if pieces.iter().all(String::is_empty) && pieces.len() == 2)
    }

    /// Written between double quotes.
    pub fn is_quoted(&self) -> bool {
        matches!(self, Term::Text { quoted: true, .. })
    }

    /// The value as Kibana sends it in a query: `null`, a boolean, or a string (a wildcard
    /// with its stars).
    pub fn to_json(&self) -> Value {
        match self {
            Term::Null => Value::Null,
            Term::Bool(b) => Value::Bool(*b),
            Term::Text { text, .. } => Value::String(text.clone()),
            Term::Wildcard(pieces) => Value::String(pieces.join("*")),
        }
    }

    /// The term as a field name (a wildcard with its stars).
    pub fn to_field_name(&self) -> String {
        match self {
            Term::Null => "null".to_owned(),
            Term::Bool(b) => b.to_string(),
            Term::Text { text, .. } => text.clone(),
            Term::Wildcard(pieces) => pieces.join("*"),
        }
    }
}

/// A range operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOp {
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

impl RangeOp {
    /// The `range` query parameter: `gt`, `gte`, `lt` or `lte`.
    pub fn as_str(self) -> &'static str {
        match self {
            RangeOp::Gt => "gt",
            RangeOp::Gte => "gte",
            RangeOp::Lt => "lt",
            RangeOp::Lte => "lte",
        }
    }
}
