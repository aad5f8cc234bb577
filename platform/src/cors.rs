//! Cross-origin access for the browser-facing APIs (command API, query API,
//! auth): each web app is its own deployable on its own origin, and calls
//! the APIs directly, so the APIs answer CORS for an allow-list of exact
//! origins (`CORS_ALLOWED_ORIGINS`). Bearer tokens only: no credentials
//! (cookies) are ever allowed cross-origin. See docs/decisions.md.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::ResponseError;

use crate::config::ConfigError;
use crate::problem::Problem;

/// The variable holding the allowed origins.
pub const VARIABLE: &str = "CORS_ALLOWED_ORIGINS";

/// The local web apps (sales 4200, auth 4201, ops 4202, backoffice 4203),
/// by both names a developer's browser may use.
pub const LOCAL_ORIGINS: &str = "http://127.0.0.1:4200,http://127.0.0.1:4201,http://127.0.0.1:4202,http://127.0.0.1:4203,http://localhost:4200,http://localhost:4201,http://localhost:4202,http://localhost:4203";

/// The request headers a web app sends: besides the CORS-safelisted ones,
/// the bearer token, JSON bodies, booking idempotency, conditional reads,
/// read-your-writes and the client's correlation id.
const ALLOWED_HEADERS: [&str; 6] = [
    "authorization",
    "content-type",
    "idempotency-key",
    "if-none-match",
    "astro-min-version",
    "x-correlation-id",
];

/// The response headers a web app may read (a browser hides any other
/// beyond the safelisted ones).
const EXPOSED_HEADERS: [&str; 7] = [
    "location",
    "retry-after",
    "etag",
    crate::http::REQUEST_ID,
    crate::http::CORRELATION_ID,
    "astro-read-version",
    "astro-stale",
];

/// How long a browser may cache a preflight answer.
const MAX_AGE_SECS: usize = 3600;

/// The origins allowed to call an API from a browser, each exactly as a
/// browser sends it in `Origin` (`scheme://host[:port]`, lower case, no
/// default port, no path). Empty: no cross-origin access at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// No cross-origin access.
    pub fn none() -> Self {
        Self(Vec::new())
    }

    /// Parses a comma-separated list (blanks around entries are ignored; an
    /// empty list is no access). Refuses an entry that is not an http(s)
    /// origin written the way a browser sends it, naming it: it could
    /// never match, and a silent mismatch is a day of debugging.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut origins = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let url =
                url::Url::parse(entry).map_err(|e| format!("`{entry}` is not an origin ({e})"))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(format!("`{entry}` is not an http or https origin"));
            }
            let canonical = url.origin().ascii_serialization();
            if canonical != entry {
                return Err(format!(
                    "`{entry}` is not an origin as a browser sends it (scheme://host[:port], no path, no default port, lower case): did you mean `{canonical}`?"
                ));
            }
            if !origins.contains(&canonical) {
                origins.push(canonical);
            }
        }
        Ok(Self(origins))
    }

    /// `CORS_ALLOWED_ORIGINS`: unset is [`LOCAL_ORIGINS`]; set but empty is
    /// no cross-origin access (what a production API without web apps on
    /// other origins wants).
    pub fn from_env() -> Result<Self, ConfigError> {
        let value = std::env::var(VARIABLE).unwrap_or_else(|_| LOCAL_ORIGINS.to_owned());
        Self::parse(&value).map_err(|reason| ConfigError::Invalid {
            name: VARIABLE,
            reason,
        })
    }

    /// The origins, in the order given.
    pub fn origins(&self) -> &[String] {
        &self.0
    }
}

/// The CORS middleware of an API: the allowed origins are echoed in
/// `Access-Control-Allow-Origin` (with `Vary: Origin`); any other origin
/// gets no such header, so the browser keeps the answer from the page.
/// Preflights are answered here, before routing (so no endpoint answers
/// them 405). Wrap [`problem_for_refusals`] around it.
pub fn middleware(origins: &AllowedOrigins) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allowed_headers(ALLOWED_HEADERS)
        .expose_headers(EXPOSED_HEADERS)
        .max_age(MAX_AGE_SECS);
    for origin in origins.origins() {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Middleware: a request the CORS middleware refuses (a preflight from an
/// origin not allowed, or asking for a method or header not allowed)
/// answers a 400 problem+json rather than actix-cors's plain text, like
/// every other error of the APIs. Use with `actix_web::middleware::from_fn`,
/// wrapped around [`middleware`].
pub async fn problem_for_refusals(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let response = next.call(req).await?;
    let refusal = response
        .response()
        .error()
        .and_then(|e| e.as_error::<actix_cors::CorsError>())
        .map(ToString::to_string);
    let Some(reason) = refusal else {
        return Ok(response.map_into_left_body());
    };
    let problem = Problem::new(400, "cors-refused", "Cross-origin request refused")
        .with_detail(format!("{reason}; see CORS_ALLOWED_ORIGINS"));
    let (request, old) = response.into_parts();
    let mut answer = problem.error_response();
    if let Some(vary) = old.headers().get(header::VARY) {
        answer.headers_mut().insert(header::VARY, vary.clone());
    }
    Ok(ServiceResponse::new(request, answer).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_default_is_the_four_web_apps_by_both_names() {
        let origins = AllowedOrigins::parse(LOCAL_ORIGINS).unwrap();
        assert_eq!(origins.origins().len(), 8);
        assert!(origins
            .origins()
            .contains(&"http://localhost:4201".to_owned()));
    }

    #[test]
    fn exact_origins_are_kept_once_and_blanks_ignored() {
        let origins = AllowedOrigins::parse(
            " https://sales.example.com , http://127.0.0.1:4200,,https://sales.example.com",
        )
        .unwrap();
        assert_eq!(
            origins.origins(),
            ["https://sales.example.com", "http://127.0.0.1:4200"]
        );
        assert_eq!(AllowedOrigins::parse("").unwrap(), AllowedOrigins::none());
        assert_eq!(
            AllowedOrigins::parse(" , ").unwrap(),
            AllowedOrigins::none()
        );
    }

    #[test]
    fn an_entry_a_browser_would_never_send_is_refused_naming_it() {
        for (entry, hint) in [
            (
                "http://localhost:4200/",
                "did you mean `http://localhost:4200`",
            ),
            ("https://sales.example.com/app", "no path"),
            (
                "https://sales.example.com:443",
                "did you mean `https://sales.example.com`",
            ),
            (
                "HTTP://Sales.example.com",
                "did you mean `http://sales.example.com`",
            ),
            ("*", "is not an origin"),
            ("sales.example.com", "is not an origin"),
            ("ftp://files.example.com", "not an http or https origin"),
            ("https://user@sales.example.com", "did you mean"),
        ] {
            let error =
                AllowedOrigins::parse(&format!("http://localhost:4200,{entry}")).expect_err(entry);
            assert!(error.contains(&format!("`{entry}`")), "{error}");
            assert!(error.contains(hint), "{entry}: {error}");
        }
    }

    async fn call(
        request: actix_web::test::TestRequest,
    ) -> actix_web::dev::ServiceResponse<impl MessageBody> {
        let origins = AllowedOrigins::parse("https://sales.example.com").unwrap();
        let app = actix_web::test::init_service(
            actix_web::App::new()
                .wrap(middleware(&origins))
                .wrap(actix_web::middleware::from_fn(problem_for_refusals))
                .service(crate::http::endpoint("/things").get(actix_web::HttpResponse::Ok)),
        )
        .await;
        actix_web::test::call_service(&app, request.to_request()).await
    }

    #[actix_web::test]
    async fn a_preflight_from_a_stranger_is_a_problem_without_allow_origin() {
        let response = call(
            actix_web::test::TestRequest::default()
                .method(Method::OPTIONS)
                .uri("/things")
                .insert_header(("Origin", "https://evil.example.com"))
                .insert_header(("Access-Control-Request-Method", "GET")),
        )
        .await;
        assert_eq!(response.status(), 400);
        assert!(response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none());
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            crate::problem::PROBLEM_JSON
        );
        let body: serde_json::Value =
            serde_json::from_slice(&actix_web::test::read_body(response).await).unwrap();
        assert_eq!(body["type"], "/problems/cors-refused");
    }

    #[actix_web::test]
    async fn a_preflight_from_an_allowed_origin_is_answered_before_routing() {
        let response = call(
            actix_web::test::TestRequest::default()
                .method(Method::OPTIONS)
                .uri("/things")
                .insert_header(("Origin", "https://sales.example.com"))
                .insert_header(("Access-Control-Request-Method", "DELETE"))
                .insert_header(("Access-Control-Request-Headers", "authorization")),
        )
        .await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response
                .headers()
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .unwrap(),
            "https://sales.example.com"
        );
        assert_eq!(
            response
                .headers()
                .get(header::ACCESS_CONTROL_MAX_AGE)
                .unwrap(),
            "3600"
        );
    }
}
