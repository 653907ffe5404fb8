//! HTTP authentication: Basic (`--user NAME:PASSWORD`) and ApiKey (`--api-key ID:KEY`), with
//! Elasticsearch's `401 security_exception` answers.

use serde_json::json;

use crate::Error;

/// The `WWW-Authenticate` challenges sent with every 401, as Elasticsearch sends them.
pub const CHALLENGES: &[&str] = &["Basic realm=\"security\" charset=\"UTF-8\"", "ApiKey"];

/// The accepted credentials. Empty = authentication off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// `(name, password)` pairs accepted with `Authorization: Basic`.
    pub users: Vec<(String, String)>,
    /// `(id, key)` pairs accepted with `Authorization: ApiKey base64(id:key)`.
    pub api_keys: Vec<(String, String)>,
}

impl Credentials {
    /// Whether any credential is configured (and so every request must authenticate).
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        !self.users.is_empty() || !self.api_keys.is_empty()
    }

    /// Parses a `NAME:PASSWORD` (or `ID:KEY`) command-line value.
    ///
    /// # Errors
    /// When the value has no `:`, an empty name or an empty secret (an empty password would
    /// let anyone who knows the name in, and so would expose a non-loopback listener).
    pub fn parse_pair(value: &str) -> Result<(String, String), String> {
        match value.split_once(':') {
            Some((n, p)) if !n.is_empty() && !p.is_empty() => Ok((n.to_owned(), p.to_owned())),
            Some((n, _)) if !n.is_empty() => Err(format!(
                "expected NAME:SECRET, got [{n}:] (the secret after ':' must not be empty)"
            )),
            _ => Err(format!(
                "expected NAME:SECRET, got [{value}] (the part before ':' must not be empty)"
            )),
        }
    }

    /// Checks the `Authorization` header of a request for `uri` (path and query, as ES names it).
    /// Returns the authenticated principal's name, or `None` when authentication is off.
    ///
    /// # Errors
    /// `401 security_exception` with ES's reason and `WWW-Authenticate` metadata.
    pub fn authenticate(&self, header: Option<&[u8]>, uri: &str) -> Result<Option<String>, Error> {
        if !self.is_enabled() {
            return Ok(None);
        }
        let Some(raw) = header else {
            return Err(unauthorized(format!(
                "missing authentication credentials for REST request [{uri}]"
            )));
        };
        let text = std::str::from_utf8(raw).unwrap_or("");
        let (scheme, rest) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
        let decoded = decode_base64(rest.trim());
        if scheme.eq_ignore_ascii_case("basic") {
            let Some((user, pass)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
                return Err(unauthorized(format!(
                    "missing authentication credentials for REST request [{uri}]"
                )));
            };
            if self.users.iter().any(|(u, p)| {
                ct_eq(u.as_bytes(), user.as_bytes()) & ct_eq(p.as_bytes(), pass.as_bytes())
            }) {
                return Ok(Some(user.to_owned()));
            }
            return Err(unauthorized(format!(
                "unable to authenticate user [{user}] for REST request [{uri}]"
            )));
        }
        if scheme.eq_ignore_ascii_case("apikey")
            && let Some((id, key)) = decoded.as_deref().and_then(|d| d.split_once(':'))
        {
            if self.api_keys.iter().any(|(i, k)| {
                ct_eq(i.as_bytes(), id.as_bytes()) & ct_eq(k.as_bytes(), key.as_bytes())
            }) {
                return Ok(Some(id.to_owned()));
            }
            return Err(unauthorized(
                "unable to authenticate with provided credentials and anonymous access is not \
                 allowed for this request"
                    .to_owned(),
            )
            .with(
                "additional_unsuccessful_credentials",
                format!("API key: invalid credentials for API key [{id}]"),
            ));
        }
        Err(unauthorized(format!(
            "missing authentication credentials for REST request [{uri}]"
        )))
    }
}

fn unauthorized(reason: String) -> Error {
    Error::es(401, "security_exception", reason)
        .with("header", json!({ "WWW-Authenticate": CHALLENGES }))
}

/// Constant-time equality (the time depends only on the lengths).
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Standard base64 (padding optional) to UTF-8; `None` for anything malformed.
fn decode_base64(s: &str) -> Option<String> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests;
