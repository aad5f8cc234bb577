//! HTTP plumbing every API shares: the request context (request and
//! correlation ids), the tracing and metrics middleware, problem responses for
//! unreadable bodies and paths, and the `/health`, `/ready`, `/metrics`
//! endpoints.

use std::future::{ready, Ready};
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::header::ALLOW;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{
    web, FromRequest, Handler, HttpMessage, HttpRequest, HttpResponse, Responder, ResponseError,
};
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

/// The longest request target (path and query string) a service reads;
/// a longer one answers 414. No endpoint needs more, and it is the limit
/// proxies commonly apply (nginx's `large_client_header_buffers`), so a
/// request that passes the ingress is not refused here, and the reverse.
///
/// A target over 65,534 bytes never reaches this check: actix-http's parser
/// (the `http` crate's `Uri`) refuses it with a bodiless 400, before any
/// application code runs; in production the ingress answers those first
/// (docs/operations.md, "Request limits").
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Middleware: a request whose target is longer than [`MAX_URI_BYTES`]
/// answers 414 problem+json without reaching a handler. Use with
/// `actix_web::middleware::from_fn`, inside [`observe`] (wrapped first) so
/// the refusal is logged and counted like any response.
pub async fn limit_uri(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let length = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if length > MAX_URI_BYTES {
        let problem = Problem::new(414, "uri-too-long", "URI too long").with_detail(format!(
            "the request target is {length} bytes; at most {MAX_URI_BYTES} are read"
        ));
        return Ok(req
            .into_response(actix_web::ResponseError::error_response(&problem))
            .map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
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
        let is_json = is_json(req);
        let body = read_body(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(unsupported_media_type());
            }
            let raw = body.await?;
            let value = parse_json(&raw)?;
            Ok(JsonBody { value, raw })
        })
    }
}

/// A JSON request body that may be left out: an empty (or all-whitespace)
/// body is `None`, whatever its media type; any other body is read as
/// [`JsonBody`] reads it (400, 413, 415, 422).
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json(req);
        let body = read_body(req, payload);
        Box::pin(async move {
            let raw = body.await?;
            if raw.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJsonBody(None));
            }
            if !is_json {
                return Err(unsupported_media_type());
            }
            Ok(OptionalJsonBody(Some(parse_json(&raw)?)))
        })
    }
}

/// Whether the request says its body is JSON (`application/json` or
/// `application/*+json`).
fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim().to_ascii_lowercase();
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        })
}

fn unsupported_media_type() -> Problem {
    Problem::new(415, "unsupported-media-type", "Unsupported media type")
        .with_detail("send the body as application/json")
}

/// The body's bytes, with 413 as a problem when it is over the limit.
fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl std::future::Future<Output = Result<web::Bytes, Problem>> {
    let body = web::Bytes::from_request(req, payload);
    async move {
        body.await
            .map_err(|e| match e.as_response_error().status_code().as_u16() {
                413 => Problem::new(413, "payload-too-large", "Payload too large")
                    .with_detail("the body is larger than this endpoint accepts"),
                _ => Problem::malformed("the body could not be read"),
            })
    }
}

/// `deserialize_with` for an integer field: JSON Schema's `integer` (what
/// the document says) includes `10.0`, which serde refuses for Rust
/// integers; a whole number written with a fraction is accepted here, any
/// other number refused as not an integer, and the range is `T`'s.
pub fn whole_number<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    use serde::de::{Deserialize, Error};
    let number = serde_json::Number::deserialize(deserializer)?;
    let out_of_range = || D::Error::custom(format!("{number} is out of range"));
    if let Some(value) = number.as_u64() {
        return T::try_from(value).map_err(|_| out_of_range());
    }
    if let Some(value) = number.as_i64() {
        return T::try_from(value).map_err(|_| out_of_range());
    }
    match number.as_f64() {
        // Beyond 2^53 a float is not exact: not the integer the client meant.
        Some(value) if value.fract() == 0.0 && value.abs() <= 9_007_199_254_740_992.0 =>
        {
            #[allow(clippy::cast_possible_truncation)]
            T::try_from(value as i64).map_err(|_| out_of_range())
        }
        _ => Err(D::Error::custom(format!("{number} is not an integer"))),
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

/// One path of an API and the methods it serves. Any other method answers
/// 405 with an `Allow` header listing them and a problem body (without it,
/// actix falls through to the app's default service: a 404 that tells a
/// client the path does not exist). Register with `.service(...)`.
pub struct Endpoint {
    resource: actix_web::Resource,
    allow: Vec<Method>,
}

/// The [`Endpoint`] at `path`; add its methods with [`Endpoint::route`] or
/// the `get`/`post`/`put`/`delete` shorthands.
pub fn endpoint(path: &str) -> Endpoint {
    Endpoint {
        resource: web::resource(path),
        allow: Vec::new(),
    }
}

impl Endpoint {
    /// Serves `method` with `handler`.
    pub fn route<F, Args>(mut self, method: Method, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.allow.push(method.clone());
        self.resource = self.resource.route(web::method(method).to(handler));
        self
    }

    /// Serves `GET` with `handler`.
    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::GET, handler)
    }

    /// Serves `POST` with `handler`.
    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, handler)
    }

    /// Serves `PUT` with `handler`.
    pub fn put<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PUT, handler)
    }

    /// Serves `DELETE` with `handler`.
    pub fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::DELETE, handler)
    }
}

impl HttpServiceFactory for Endpoint {
    fn register(self, config: &mut AppService) {
        let allow = self
            .allow
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        self.resource
            .default_service(web::to(move || {
                let allow = allow.clone();
                async move { method_not_allowed(&allow) }
            }))
            .register(config);
    }
}

/// 405 with `Allow: allow` and a problem body.
fn method_not_allowed(allow: &str) -> HttpResponse {
    let mut response = Problem::method_not_allowed(allow).error_response();
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}

/// `GET /health`: the process is alive.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "The process is alive", body = Object,
        example = json!({"status": "ok"}))))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// `GET /metrics`: Prometheus text.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition",
        content_type = "text/plain", body = String)))]
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
    struct Seats {
        #[serde(deserialize_with = "whole_number")]
        seats: u32,
    }

    #[test]
    fn an_integer_field_takes_whole_numbers_however_written() {
        let seats = |json: &str| parse_json::<Seats>(json.as_bytes()).map(|s| s.seats);
        assert_eq!(seats(r#"{"seats": 12}"#).unwrap(), 12);
        assert_eq!(seats(r#"{"seats": 12.0}"#).unwrap(), 12);
        assert_eq!(seats(r#"{"seats": 1.2e1}"#).unwrap(), 12);
        for refused in [
            r#"{"seats": 12.5}"#,
            r#"{"seats": -1}"#,
            r#"{"seats": 5e9}"#,
            r#"{"seats": "12"}"#,
        ] {
            let problem = seats(refused).unwrap_err();
            assert_eq!(problem.status, 422, "{refused}");
            assert_eq!(problem.errors[0].field, "seats", "{refused}");
        }
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

    async fn answer(target: &str) -> (u16, Option<String>, serde_json::Value) {
        let app = actix_web::test::init_service(
            actix_web::App::new()
                .wrap(actix_web::middleware::from_fn(limit_uri))
                .wrap(actix_web::middleware::from_fn(observe))
                .route(
                    "/v1/launches",
                    web::get().to(|| async { HttpResponse::Ok().json(serde_json::json!([])) }),
                ),
        )
        .await;
        let response = actix_web::test::call_service(
            &app,
            actix_web::test::TestRequest::get().uri(target).to_request(),
        )
        .await;
        let status = response.status().as_u16();
        let request_id = response
            .headers()
            .get(REQUEST_ID)
            .map(|v| v.to_str().unwrap().to_owned());
        let body: serde_json::Value = actix_web::test::read_body_json(response).await;
        (status, request_id, body)
    }

    #[actix_web::test]
    async fn a_request_target_over_the_limit_answers_414_problem_json() {
        let target = format!("/v1/launches?destination={}", "a".repeat(20 * 1024));
        let (status, request_id, body) = answer(&target).await;
        assert_eq!(status, 414);
        assert!(request_id.is_some(), "the refusal carries its request id");
        assert_eq!(body["status"], 414);
        assert_eq!(body["type"], "/problems/uri-too-long", "{body}");
    }

    #[actix_web::test]
    async fn a_request_target_at_the_limit_is_served() {
        let prefix = "/v1/launches?destination=";
        let target = format!("{prefix}{}", "a".repeat(MAX_URI_BYTES - prefix.len()));
        assert_eq!(target.len(), MAX_URI_BYTES);
        let (status, _, body) = answer(&target).await;
        assert_eq!(status, 200, "{body}");
    }

    async fn served(method: Method, path: &str) -> actix_web::dev::ServiceResponse {
        let app = actix_web::test::init_service(
            actix_web::App::new()
                .service(
                    endpoint("/things")
                        .get(HttpResponse::Ok)
                        .post(HttpResponse::Created),
                )
                .default_service(web::to(not_found)),
        )
        .await;
        let request = actix_web::test::TestRequest::default()
            .method(method)
            .uri(path)
            .to_request();
        actix_web::test::call_service(&app, request).await
    }

    #[actix_web::test]
    async fn a_method_a_path_does_not_serve_is_405_listing_the_ones_it_does() {
        for method in [Method::TRACE, Method::DELETE, Method::OPTIONS] {
            let response = served(method.clone(), "/things").await;
            assert_eq!(response.status(), 405, "{method}");
            assert_eq!(response.headers().get(ALLOW).unwrap(), "GET, POST");
            assert_eq!(
                response.headers().get("content-type").unwrap(),
                crate::problem::PROBLEM_JSON
            );
            let body: serde_json::Value =
                serde_json::from_slice(&actix_web::test::read_body(response).await).unwrap();
            assert_eq!(body["type"], "/problems/method-not-allowed");
            assert_eq!(body["status"], 405);
        }
    }

    #[actix_web::test]
    async fn served_methods_answer_and_unknown_paths_stay_404() {
        assert_eq!(served(Method::GET, "/things").await.status(), 200);
        assert_eq!(served(Method::POST, "/things").await.status(), 201);
        assert_eq!(served(Method::TRACE, "/nothing").await.status(), 404);
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
    /// The web apps' origins that may call it from a browser.
    pub cors: crate::cors::AllowedOrigins,
}

/// Binds and builds an API's server the way every service does: the
/// [`observe`] middleware, CORS ([`crate::cors`]), the shared `state`, metrics and token verifier in
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
    let origins = settings.cors.clone();
    let listener = std::net::TcpListener::bind(&settings.addr)
        .with_context(|| format!("binding {}", settings.addr))?;
    let port = listener.local_addr()?.port();
    let server = actix_web::HttpServer::new(move || {
        // CORS inside `observe` (a preflight is logged and counted like any
        // request) and outside the rest (an error answer carries its
        // Access-Control-Allow-Origin, so the web app can read it).
        actix_web::App::new()
            .wrap(actix_web::middleware::from_fn(limit_uri))
            .wrap(crate::cors::middleware(&origins))
            .wrap(actix_web::middleware::from_fn(
                crate::cors::problem_for_refusals,
            ))
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

/// `GET /ready` of a probe server, for its document only: each worker
/// process answers it with its own handler.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, description = "Every dependency answers", body = Object),
        (status = 503, description = "A dependency does not answer; the body says which", body = Object)))]
#[allow(dead_code)]
pub(crate) fn probe_ready() {}

/// A probe server's OpenAPI document, serialized once.
pub(crate) struct ProbeDocument(String);

/// `GET /openapi.json` of a probe server.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "This document", body = Object)))]
pub(crate) async fn probe_openapi(document: web::Data<ProbeDocument>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.0.clone())
}

/// The HTTP server of a worker process (projectors, notifier): only
/// `/health`, `/ready` (the `ready` handler, with `probes` in its app data),
/// `/metrics` and `/openapi.json` (`openapi`, see
/// [`crate::openapi::probe_document`]), on one worker, with actix's own signal handling off (the
/// process stops it through [`crate::shutdown::Workers`]). Binds `addr` now;
/// returns the bound port and the server, not yet running.
pub fn probe_server<P, F, Args>(
    addr: &str,
    probes: P,
    ready: F,
    metrics: Metrics,
    openapi: utoipa::openapi::OpenApi,
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
    let document = web::Data::new(ProbeDocument(
        serde_json::to_string(&openapi).map_err(std::io::Error::other)?,
    ));
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| std::io::Error::new(e.kind(), format!("binding {addr}: {e}")))?;
    let port = listener.local_addr()?.port();
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .wrap(actix_web::middleware::from_fn(limit_uri))
            .wrap(actix_web::middleware::from_fn(observe))
            .app_data(probes.clone())
            .app_data(metrics.clone())
            .app_data(document.clone())
            .service(endpoint("/health").get(health))
            .service(endpoint("/ready").get(ready.clone()))
            .service(endpoint("/metrics").get(self::metrics))
            .service(endpoint("/openapi.json").get(probe_openapi))
            .default_service(web::to(not_found))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(shutdown_timeout_secs)
    .listen(listener)?
    .run();
    Ok((port, server))
}
