//! Request and response media types, as Elasticsearch 8.x negotiates them.
//!
//! Requests may carry `application/json`, `application/x-ndjson` or their versioned forms
//! `application/vnd.elasticsearch+json; compatible-with=8` (what the official 8.x clients send).
//! A request that asks for the versioned form gets it back.

use http::StatusCode;

use super::error::Failure;
use crate::Error;

/// The media type of a JSON response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResponseType {
    /// `application/json`
    Json,
    /// `application/vnd.elasticsearch+json;compatible-with=N`
    Compatible(u8),
}

impl ResponseType {
    /// The `Content-Type` header value.
    #[must_use]
    pub(crate) fn header_value(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Compatible(7) => "application/vnd.elasticsearch+json;compatible-with=7",
            Self::Compatible(_) => "application/vnd.elasticsearch+json;compatible-with=8",
        }
    }
}

/// A parsed media type: `type/subtype` lowercased, and its `compatible-with` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Media {
    essence: String,
    compatible_with: Option<String>,
}

fn parse(value: &str) -> Media {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let compatible_with = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("compatible-with")
            .then(|| v.trim().trim_matches('"').to_owned())
    });
    Media {
        essence,
        compatible_with,
    }
}

fn compat_version(header: &str, m: &Media) -> Result<Option<u8>, Error> {
    if !m.essence.starts_with("application/vnd.elasticsearch+") {
        return Ok(None);
    }
    match m.compatible_with.as_deref() {
        Some("8") => Ok(Some(8)),
        Some("7") => Ok(Some(7)),
        Some(v) => Err(Error::es(
            400,
            "media_type_header_exception",
            format!("Invalid media-type value on headers [{header}]"),
        )
        .caused_by(Error::es(
            400,
            "status_exception",
            format!(
                "A compatible version is required on both Content-Type and Accept headers if \
                 either one has requested a compatible version. Compatible version [{v}] is not \
                 supported"
            ),
        ))),
        None => Err(Error::es(
            400,
            "media_type_header_exception",
            format!("Invalid media-type value on headers [{header}]"),
        )),
    }
}

/// Validates the `Content-Type` of a request with a non-empty body. `ndjson` routes (bulk) also
/// take `application/x-ndjson`.
///
/// # Errors
/// `406` (`Content-Type header [..] is not supported` / `is missing`), as ES answers, or
/// `400 media_type_header_exception` for an unsupported compatible version.
pub(crate) fn check_content_type(value: Option<&str>) -> Result<(), Failure> {
    let Some(v) = value else {
        return Err(simple_406("Content-Type header is missing".to_owned()));
    };
    let m = parse(v);
    compat_version("Content-Type", &m).map_err(Failure::Es)?;
    match m.essence.as_str() {
        "application/json"
        | "application/x-ndjson"
        | "application/vnd.elasticsearch+json"
        | "application/vnd.elasticsearch+x-ndjson" => Ok(()),
        _ => Err(simple_406(format!(
            "Content-Type header [{v}] is not supported"
        ))),
    }
}

fn simple_406(reason: String) -> Failure {
    Failure::Simple {
        status: StatusCode::NOT_ACCEPTABLE,
        reason,
        allow: None,
    }
}

/// Chooses the response type from `Accept` (falling back to `Content-Type`).
///
/// # Errors
/// `400 media_type_header_exception` for an unsupported compatible version.
pub(crate) fn response_type(
    accept: Option<&str>,
    content_type: Option<&str>,
) -> Result<ResponseType, Error> {
    for (name, v) in [("Accept", accept), ("Content-Type", content_type)] {
        let Some(v) = v else { continue };
        for item in v.split(',') {
            let m = parse(item);
            if let Some(n) = compat_version(name, &m)? {
                return Ok(ResponseType::Compatible(n));
            }
        }
    }
    Ok(ResponseType::Json)
}
