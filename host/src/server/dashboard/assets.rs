//! The dashboard's page, scripts and styles, embedded in the binary from
//! `host/assets/dashboard/`: nothing is fetched from anywhere else, and the
//! Content-Security-Policy tells the browser so (scripts, styles, data and
//! images from this server only).

use crate::service::ApiError;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_str!(concat!("../../../assets/dashboard/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the front end; `index.html` is served at `/`, the others at `/assets/NAME`.
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("app.js", JS),
    asset!("dom.js", JS),
    asset!("api.js", JS),
    asset!("format.js", JS),
    asset!("charts.js", JS),
    asset!("table.js", JS),
    asset!("view-overview.js", JS),
    asset!("view-segments.js", JS),
    asset!("view-expansion.js", JS),
    asset!("view-renewals.js", JS),
    asset!("view-accounts.js", JS),
    asset!("view-account.js", JS),
    asset!("view-plugins.js", JS),
    asset!("view-triggers.js", JS),
];

/// Same origin for everything; no inline script or style, no frames.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Content hashes, for `ETag` (browsers revalidate; an upgrade is seen at once).
fn etags() -> &'static Vec<String> {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| format!("\"{}\"", &hex::encode(Sha256::digest(a.body))[..16]))
            .collect()
    })
}

fn serve(i: usize, headers: &HeaderMap) -> Response {
    let asset = &ASSETS[i];
    let etag = &etags()[i];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )],
            asset.body,
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(etag).expect("hex etag"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// The page.
pub async fn index(headers: HeaderMap) -> Response {
    serve(0, &headers)
}

/// A script, style or image of the page.
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    match ASSETS.iter().position(|a| a.name == file) {
        Some(i) if i > 0 => Ok(serve(i, &headers)),
        _ => Err(ApiError::not_found(format!("no dashboard asset {file:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file the page or a script refers to is embedded, and every
    /// embedded file is referred to.
    #[test]
    fn the_page_refers_to_exactly_the_embedded_files() {
        let mut referred = std::collections::BTreeSet::new();
        for a in ASSETS {
            for (open, close) in [("/assets/", '"'), ("from \"./", '"')] {
                for part in a.body.split(open).skip(1) {
                    let name = part.split(close).next().unwrap();
                    assert!(
                        ASSETS.iter().any(|x| x.name == name),
                        "{} refers to {name:?}, which is not embedded",
                        a.name
                    );
                    referred.insert(name.to_string());
                }
            }
        }
        for a in &ASSETS[1..] {
            assert!(
                referred.contains(a.name),
                "{} is embedded but unused",
                a.name
            );
        }
    }

    #[test]
    fn nothing_is_fetched_from_elsewhere() {
        for a in ASSETS {
            // The SVG namespace is a name, never fetched.
            let body = a.body.replace("http://www.w3.org/2000/svg", "");
            for scheme in ["http://", "https://", "//cdn", "@import", "url("] {
                assert!(!body.contains(scheme), "{} mentions {scheme}", a.name);
            }
        }
    }
}
