//! [`ApiError`] as an HTTP response: `{code, message}` with its status; an
//! internal error's detail goes to the log under a request-free id, never to
//! the caller.

use crate::service::ApiError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(detail) = &self.detail {
            eprintln!("vitals serve: internal error ({status}): {detail}");
        }
        (status, Json(self.body)).into_response()
    }
}

/// Turns axum's own rejections (bad JSON, wrong content type, too large,
/// bad path or query) into the API's error shape.
pub fn rejection(status: StatusCode, message: String) -> ApiError {
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "payload-too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        _ => "bad-request",
    };
    // A 5xx here is a bug of ours (a missing extension, say): its text is
    // internal, so it goes to the log, not to the caller.
    if status.is_server_error() {
        return ApiError::internal(message);
    }
    ApiError::new(status.as_u16(), code, message)
}
