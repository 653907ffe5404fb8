use crate::{Error, Result};

/// Elasticsearch's index-name rules: lowercase; none of `\ / * ? " < > | , #` nor space nor
/// `:`; not starting with `-`, `_` or `+`; not `.` or `..`; at most 255 bytes.
///
/// # Errors
/// [`Error::InvalidIndexName`] with Elasticsearch's wording of the broken rule (its
/// `invalid_index_name_exception` reason is `Invalid index name [NAME], REASON`).
pub fn validate_index_name(name: &str) -> Result<()> {
    let fail = |reason: String| {
        Err(Error::InvalidIndexName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return fail("must not be empty".to_owned());
    }
    if name.chars().any(|c| c.is_uppercase()) {
        return fail("must be lowercase".to_owned());
    }
    if name.contains('#') {
        return fail("must not contain '#'".to_owned());
    }
    if name.contains(':') {
        return fail("must not contain ':'".to_owned());
    }
    if name.chars().any(|c| {
        matches!(
            c,
            '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ','
        )
    }) {
        return fail(
            "must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?]".to_owned(),
        );
    }
    if name.chars().any(char::is_control) {
        // Elasticsearch names its directories by uuid and lets these through; here the name is
        // the directory and goes into response headers, so they are refused up front
        return fail("must not contain control characters".to_owned());
    }
    if name.starts_with(['_', '-', '+']) {
        return fail("must not start with '_', '-', or '+'".to_owned());
    }
    if name == "." || name == ".." {
        return fail("must not be '.' or '..'".to_owned());
    }
    if name.len() > 255 {
        return fail(format!("index name is too long, ({} > 255)", name.len()));
    }
    Ok(())
}
