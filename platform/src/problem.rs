//! RFC 9457 problem details: every error of every API is one of these.
//!
//! The `type` is a stable relative URI, `/problems/<code>`, that clients can
//! switch on; `title` is fixed per type; `detail` explains this occurrence in
//! words safe to show (never a stack trace, a query or a secret).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Path of the field in the request body, e.g. `passengers[2].birth_date`.
    pub field: String,
    /// A stable code, e.g. `blank`, `out-of-range`.
    pub code: String,
    /// What is wrong, in words.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// A problem details response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// `/problems/<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short, fixed per type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// This occurrence, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Field-by-field errors, for validation problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds to wait, for 429 and 503.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.type_)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl Problem {
    /// A problem of `status` with the stable `code` and `title`.
    pub fn new(status: u16, code: &str, title: &str) -> Self {
        Self {
            type_: format!("/problems/{code}"),
            title: title.into(),
            status,
            detail: None,
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// With a detail message.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// 400: the request cannot be read at all.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(400, "malformed-request", "Malformed request").with_detail(detail)
    }

    /// 401: no token, or a token we do not accept.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", "Authentication required").with_detail(detail)
    }

    /// 403: authenticated, but not allowed.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, "forbidden", "Forbidden").with_detail(detail)
    }

    /// 404.
    pub fn not_found(code: &str, detail: impl Into<String>) -> Self {
        Self::new(404, code, "Not found").with_detail(detail)
    }

    /// 409: a business rule refuses the request in the current state.
    pub fn conflict(code: &str, detail: impl Into<String>) -> Self {
        Self::new(409, code, "Conflict with the current state").with_detail(detail)
    }

    /// 422: the request is readable but some fields are not acceptable.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let mut problem = Self::new(422, "validation-failed", "Invalid request fields");
        problem.detail = Some(match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        });
        problem.errors = errors;
        problem
    }

    /// 405: the path exists, but not with this method; `allow` lists the
    /// methods it serves (the `Allow` header of the response).
    pub fn method_not_allowed(allow: &str) -> Self {
        Self::new(405, "method-not-allowed", "Method not allowed")
            .with_detail(format!("this resource serves {allow}"))
    }

    /// 503: a dependency does not answer; try again later.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        let mut problem =
            Self::new(503, "service-unavailable", "Service unavailable").with_detail(detail);
        problem.retry_after = Some(1);
        problem
    }

    /// 500: our fault. The cause goes to the log, never to the client.
    pub fn internal() -> Self {
        Self::new(500, "internal-error", "Internal error")
            .with_detail("an unexpected error occurred; it has been logged")
    }
}

/// The media type of problem responses.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.body(serde_json::to_string(self).unwrap_or_default())
    }
}

impl actix_web::Responder for Problem {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _req: &actix_web::HttpRequest) -> HttpResponse {
        self.error_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_serializes_as_rfc_9457() {
        let problem = Problem::invalid(vec![FieldError::new("name", "blank", "must not be blank")]);
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["type"], "/problems/validation-failed");
        assert_eq!(json["status"], 422);
        assert_eq!(json["errors"][0]["field"], "name");
        assert_eq!(json["detail"], "name: must not be blank");
        let response = problem.error_response();
        assert_eq!(response.status(), 422);
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            PROBLEM_JSON
        );
    }

    #[test]
    fn unavailable_tells_when_to_retry() {
        let response = Problem::unavailable("database").error_response();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers().get("retry-after").unwrap(), "1");
    }
}
