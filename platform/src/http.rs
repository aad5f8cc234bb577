//! HTTP plumbing every API shares: the request context (request and
//! correlation ids), the tracing and metrics middleware, problem responses for
//! unreadable bodies and paths, and the `/health`, `/ready`, `/metrics`
//! endpoints.

use std::future::{ready, Ready};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use tracing::Instrument;
use uuid::Uuid;

use crate::metrics::Metrics;
use crate::problem::{FieldError, Problem};

/// The header a client may send to tie requests of one action together.
pub const CORRELATION_ID: &str = "x-correlation-id";
/// The header carrying this request's id in every response.
pub const REQUEST_ID: &str = "x-request-id";

/// The ids of the request being served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// Unique per request (UUID v7).
    pub request_id: String,
    /// The client's `X-Correlation-Id` when well-formed, else the request id.
    pub correlation_id: String,
}

impl FromRequest for RequestContext {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let context = req.extensions().get::<RequestContext>().cloned();
        ready(Ok(context.unwrap_or_else(|| {
            let id = Uuid::now_v7().to_string();
            RequestContext {
                request_id: id.clone(),
                correlation_id: id,
            }
        })))
    }
}

fn well_formed_correlation_id(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Middleware: gives the request its ids and a span, logs its outcome, and
/// counts it in the metrics. Use with `actix_web::middleware::from_fn`.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = Uuid::now_v7().to_string();
    let correlation_id = req
        .headers()
        .get(CORRELATION_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| well_formed_correlation_id(v))
        .map_or_else(|| request_id.clone(), str::to_owned);
    req.extensions_mut().insert(RequestContext {
        request_id: request_id.clone(),
        correlation_id: correlation_id.clone(),
    });
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let span = tracing::info_span!(
        "http",
        %method,
        %route,
        request_id = %request_id,
        correlation_id = %correlation_id,
        user_id = tracing::field::Empty,
    );
    let result = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let mut response = result?;
    let status = response.status();
    let _entered = span.enter();
    if status.is_server_error() {
        tracing::error!(
            status = status.as_u16(),
            elapsed_ms = elapsed.as_secs_f64() * 1e3,
            "request failed"
        );
    } else {
        tracing::info!(
            status = status.as_u16(),
            elapsed_ms = elapsed.as_secs_f64() * 1e3,
            "request served"
        );
    }
    if let Some(metrics) = metrics {
        metrics
            .http_requests
            .with_label_values(&[method.as_str(), route.as_str(), status.as_str()])
            .inc();
        metrics
            .http_duration
            .with_label_values(&[method.as_str(), route.as_str()])
            .observe(elapsed.as_secs_f64());
    }
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(HeaderName::from_static(REQUEST_ID), value);
    }
    if let Ok(value) = HeaderValue::from_str(&correlation_id) {
        headers.insert(HeaderName::from_static(CORRELATION_ID), value);
    }
    Ok(response)
}

/// A JSON request body, read with field paths in its errors: a body that is
/// not JSON is 400; JSON of the wrong shape is 422 naming the field
/// (`passengers[0].birth_date`); a body over the size limit is 413; another
/// media type is 415. The raw bytes are kept (idempotency fingerprints).
#[derive(Debug)]
pub struct JsonBody<T> {
    /// The parsed value.
    pub value: T,
    /// The body as received.
    pub raw: web::Bytes,
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim().to_ascii_lowercase();
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            });
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(
                    Problem::new(415, "unsupported-media-type", "Unsupported media type")
                        .with_detail("send the body as application/json"),
                );
            }
            let raw =
                body.await
                    .map_err(|e| match e.as_response_error().status_code().as_u16() {
                        413 => Problem::new(413, "payload-too-large", "Payload too large")
                            .with_detail("the body is larger than this endpoint accepts"),
                        _ => Problem::malformed("the body could not be read"),
                    })?;
            let value = parse_json(&raw)?;
            Ok(JsonBody { value, raw })
        })
    }
}

/// Parses JSON with the problem semantics of [`JsonBody`].
pub fn parse_json<T: DeserializeOwned>(raw: &[u8]) -> Result<T, Problem> {
    // Syntax first: typed deserialization streams, so a document cut short
    // or of the wrong kind (`{"x": `, `[1, 2`) would otherwise be reported as
    // an invalid field (422) instead of as malformed (400).
    serde_json::from_slice::<serde::de::IgnoredAny>(raw).map_err(|error| {
        Problem::malformed(format!(
            "the body is not valid JSON: {}",
            clean(&error.to_string())
        ))
    })?;
    let mut deserializer = serde_json::Deserializer::from_slice(raw);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.classify() == Category::Data {
            let message = clean(&inner.to_string());
            let field = match (path.as_str(), missing_field(&message)) {
                (".", Some(field)) => field,
                // "" is an unknown top-level key that is itself empty
                // (serde names an unknown field by its key).
                ("." | "", None) => "body".into(),
                (path, Some(field)) => format!("{path}.{field}"),
                (path, None) => path.to_owned(),
            };
            Problem::invalid(vec![FieldError::new(field, "invalid", message)])
        } else {
            Problem::malformed(format!(
                "the body is not valid JSON: {}",
                clean(&inner.to_string())
            ))
        }
    })?;
    deserializer
        .end()
        .map_err(|_| Problem::malformed("the body has trailing characters after the JSON value"))?;
    Ok(value)
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_owned())
}

/// serde_json appends " at line L column C"; keep the client message short.
fn clean(message: &str) -> String {
    message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned()
}

/// Path segments that do not parse (a malformed id) are 404: no such resource.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error: PathError, _req| {
        Problem::not_found("not-found", format!("no such resource ({error})")).into()
    })
}

/// Query strings that do not parse are 422 field errors.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error: QueryPayloadError, _req| {
        Problem::invalid(vec![FieldError::new("query", "invalid", error.to_string())]).into()
    })
}

/// Unknown routes answer a 404 problem.
pub async fn not_found() -> Problem {
    Problem::not_found("not-found", "no such resource")
}

/// `GET /health`: the process is alive.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_ids_are_bounded_and_plain() {
        assert!(well_formed_correlation_id("checkout-42.a_b:c"));
        assert!(!well_formed_correlation_id(""));
        assert!(!well_formed_correlation_id("has space"));
        assert!(!well_formed_correlation_id(&"x".repeat(129)));
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Booking {
        passengers: Vec<Passenger>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Passenger {
        name: String,
        birth_date: chrono::NaiveDate,
    }

    #[test]
    fn a_wrong_field_is_named_by_its_path() {
        let problem = parse_json::<Booking>(
            br#"{"passengers":[{"name":"A","birth_date":"1990-01-01"},{"name":"B","birth_date":"soon"}]}"#,
        )
        .unwrap_err();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].field, "passengers[1].birth_date");
        let problem = parse_json::<Booking>(br#"{"passengers":[{"name":"A"}]}"#).unwrap_err();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].field, "passengers[0].birth_date");
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        name: String,
    }

    /// Found by the `command_bodies` fuzz target: serde names an unknown
    /// field by its key, and a top-level empty key made a 422 whose field
    /// was blank.
    #[test]
    fn an_unknown_empty_key_is_named_as_the_body() {
        let problem = parse_json::<Strict>(br#"{"":"x","name":"A"}"#).unwrap_err();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].field, "body");
        assert!(problem.errors[0].message.contains("unknown field"));
        let problem = parse_json::<Strict>(br#"{"name":"A","size":1}"#).unwrap_err();
        assert_eq!(problem.errors[0].field, "size");
    }

    #[test]
    fn broken_json_is_malformed() {
        assert_eq!(
            parse_json::<Booking>(b"{\"passengers\": [")
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            parse_json::<Booking>(br#"{"passengers":[]} {}"#)
                .unwrap_err()
                .status,
            400
        );
    }

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(
            missing_field("missing field `name` at line 1 column 2"),
            Some("name".into())
        );
        assert_eq!(clean("expected value at line 1 column 2"), "expected value");
    }
}

/// How an API's HTTP server listens and stops.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// The listen address (port 0 picks a free port).
    pub addr: String,
    /// Actix worker threads.
    pub workers: usize,
    /// On SIGTERM/SIGINT, grace for in-flight requests.
    pub shutdown_timeout_secs: u64,
    /// Largest request body (413 above).
    pub max_body_bytes: usize,
}

/// Binds and builds an API's server the way every service does: the
/// [`observe`] middleware, the shared `state`, metrics and token verifier in
/// the app data, problem+json for bad paths, queries and unknown routes, and
/// `routes`. Returns the bound port and the server, not yet running.
pub fn api_server<S: Send + Sync + 'static>(
    settings: &ServerSettings,
    state: web::Data<S>,
    metrics: Metrics,
    verifier: crate::TokenVerifier,
    routes: fn(&mut web::ServiceConfig),
) -> anyhow::Result<(u16, actix_web::dev::Server)> {
    use anyhow::Context;
    let metrics = web::Data::new(metrics);
    let verifier = web::Data::new(verifier);
    let max_body = settings.max_body_bytes;
    let listener = std::net::TcpListener::bind(&settings.addr)
        .with_context(|| format!("binding {}", settings.addr))?;
    let port = listener.local_addr()?.port();
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .wrap(actix_web::middleware::from_fn(observe))
            .app_data(state.clone())
            .app_data(metrics.clone())
            .app_data(verifier.clone())
            .app_data(web::PayloadConfig::new(max_body))
            .app_data(path_config())
            .app_data(query_config())
            .configure(routes)
            .default_service(web::to(not_found))
    })
    .workers(settings.workers)
    .shutdown_timeout(settings.shutdown_timeout_secs)
    .listen(listener)?
    .run();
    Ok((port, server))
}

/// The HTTP server of a worker process (projectors, notifier): only
/// `/health`, `/ready` (the `ready` handler, with `probes` in its app data)
/// and `/metrics`, on one worker, with actix's own signal handling off (the
/// process stops it through [`crate::shutdown::Workers`]). Binds `addr` now;
/// returns the bound port and the server, not yet running.
pub fn probe_server<P, F, Args>(
    addr: &str,
    probes: P,
    ready: F,
    metrics: Metrics,
    shutdown_timeout_secs: u64,
) -> std::io::Result<(u16, actix_web::dev::Server)>
where
    P: Send + Sync + 'static,
    F: actix_web::Handler<Args> + Clone + Send + 'static,
    Args: FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    let probes = web::Data::new(probes);
    let metrics = web::Data::new(metrics);
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| std::io::Error::new(e.kind(), format!("binding {addr}: {e}")))?;
    let port = listener.local_addr()?.port();
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .wrap(actix_web::middleware::from_fn(observe))
            .app_data(probes.clone())
            .app_data(metrics.clone())
            .route("/health", web::get().to(health))
            .route("/ready", web::get().to(ready.clone()))
            .route("/metrics", web::get().to(self::metrics))
            .default_service(web::to(not_found))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(shutdown_timeout_secs)
    .listen(listener)?
    .run();
    Ok((port, server))
}
