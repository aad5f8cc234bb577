//! What every service's OpenAPI document shares: the bearer security
//! scheme, the `Problem` schema, one reusable response per error status
//! (referenced by `$ref`, so a route lists its statuses without repeating
//! their text), and the document of the worker processes' probe server.
//!
//! A route declares its errors by type:
//!
//! ```ignore
//! #[utoipa::path(post, path = "/v1/rockets", responses(
//!     (status = 201, body = Reply),
//!     (status = 400, response = Malformed), (status = 401, response = Unauthorized),
//! ))]
//! ```
//!
//! and the document registers them once with `modifiers(&ProblemResponses)`.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AllOfBuilder, ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{Modify, OpenApi, PartialSchema, ToResponse, ToSchema};

use crate::problem::{FieldError, Problem, PROBLEM_JSON};

/// Declares the `bearer` security scheme (biscuit tokens in
/// `Authorization: Bearer …`) that endpoints name with
/// `security(("bearer" = []))`. Use as `modifiers(&BearerAuth)`.
pub struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Registers the `Problem` and `FieldError` schemas and every problem
/// response of this module under `components`. Use as
/// `modifiers(&ProblemResponses)`.
pub struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .schemas
            .insert(Problem::name().into_owned(), Problem::schema());
        components
            .schemas
            .insert(FieldError::name().into_owned(), FieldError::schema());
        for (name, response) in all_responses() {
            components.responses.insert(name.to_owned(), response);
        }
    }
}

/// A problem+json response whose body is `schema`.
fn problem_response(description: &str, schema: RefOr<utoipa::openapi::Schema>) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, Content::new(Some(schema)))
        .build()
}

fn problem_ref() -> RefOr<utoipa::openapi::Schema> {
    Ref::from_schema_name(Problem::name()).into()
}

/// A problem response that also tells when to retry.
fn retry_after(response: Response, what: &str) -> Response {
    let mut response = response;
    response.headers.insert(
        "Retry-After".into(),
        HeaderBuilder::new()
            .schema(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0)),
            )
            .description(Some(what))
            .build(),
    );
    response
}

macro_rules! problem_responses {
    ($( $(#[$doc:meta])* $name:ident => $build:expr; )*) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    (stringify!($name), RefOr::T($build))
                }
            }
        )*

        /// Every problem response, by component name.
        fn all_responses() -> Vec<(&'static str, RefOr<Response>)> {
            vec![$( <$name as ToResponse>::response() ),*]
        }
    };
}

problem_responses! {
    /// 400: the body is not JSON, or not readable.
    Malformed => problem_response("Malformed request: the body is not valid JSON", problem_ref());
    /// 401: no token, or one that is invalid, expired or revoked.
    Unauthorized => problem_response("No token, or an invalid, expired or revoked one", problem_ref());
    /// 403: a valid token of a role this operation does not serve.
    Forbidden => problem_response("The caller's role may not do this", problem_ref());
    /// 404: no such resource (a malformed id in the path included).
    NotFound => problem_response("No such resource", problem_ref());
    /// 409: a business rule refuses the request in the current state.
    Conflict => problem_response("Refused by a business rule in the current state", problem_ref());
    /// 413: the body is larger than the service accepts.
    PayloadTooLarge => problem_response("The body is larger than the service accepts", problem_ref());
    /// 415: the body is not `application/json`.
    UnsupportedMediaType => problem_response("The body is not application/json", problem_ref());
    /// 422: readable, but some fields are invalid; `errors` names each.
    Invalid => problem_response("Invalid fields, each named in `errors`", validation_schema());
    /// 429: throttled; `Retry-After` says when to try again.
    TooManyRequests => retry_after(
        problem_response("Too many attempts; retry after Retry-After seconds", problem_ref()),
        "Seconds to wait before trying again",
    );
    /// 503: a dependency does not answer; `Retry-After` says when to retry.
    Unavailable => retry_after(
        problem_response("A dependency does not answer; retry after Retry-After seconds", problem_ref()),
        "Seconds to wait before retrying",
    );
}

/// A 422 body: a problem whose `errors` lists at least one field.
fn validation_schema() -> RefOr<utoipa::openapi::Schema> {
    AllOfBuilder::new()
        .item(problem_ref())
        .item(
            ObjectBuilder::new().required("errors").property(
                "errors",
                ArrayBuilder::new()
                    .items(Ref::from_schema_name(FieldError::name()))
                    .min_items(Some(1)),
            ),
        )
        .into()
}

/// The control characters (Unicode Cc) as a regex class body.
const CONTROL: &str = r"\u0000-\u001F\u007F-\u009F";
/// The whitespace Rust's `str::trim` removes, less the control characters.
const SPACE: &str = r"\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// The pattern of `domain::text::required(value, max)`: no control
/// character anywhere, and once trimmed, 1 to `max` characters. (A
/// `maxLength` would count the untrimmed value, which the API accepts.)
pub fn required_text_pattern(max: usize) -> String {
    let visible = format!("[^{CONTROL}{SPACE}]");
    let inner = match max {
        0 | 1 => String::new(),
        max => format!("([^{CONTROL}]{{0,{}}}{visible})?", max - 2),
    };
    format!("^[{SPACE}]*{visible}{inner}[{SPACE}]*$")
}

/// The pattern of `domain::text::optional(value, max)`: blank, or as
/// [`required_text_pattern`].
pub fn optional_text_pattern(max: usize) -> String {
    let required = required_text_pattern(max);
    let body = &required[1..required.len() - 1];
    format!("^(({body})|[{SPACE}]*)$")
}

/// The pattern of `domain::text::no_control`.
pub fn no_control_pattern() -> String {
    format!("^[^{CONTROL}]*$")
}

/// What `domain::profile::normalize_email` accepts, in ASCII (the service
/// also takes letters of other scripts in domain labels, which a JSON
/// Schema pattern cannot name portably): trimmed, a local part of 1 to 64
/// characters, then dot-separated labels of letters, digits and inner
/// dashes, at least two. The 254-character limit is the service's.
pub fn email_pattern() -> String {
    let label = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    format!("^[{SPACE}]*[!-?A-~]{{1,64}}@({label}[.])+{label}[{SPACE}]*$")
}

fn string(pattern: String, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
}

/// A required text field (for `schema_with`): not blank, at most `MAX`
/// characters once trimmed, no control characters.
pub fn required_text<const MAX: usize>() -> utoipa::openapi::Object {
    string(
        required_text_pattern(MAX),
        &format!("Not blank; at most {MAX} characters once trimmed; no control characters."),
    )
    .build()
}

/// An optional text field (for `schema_with`): blank, or as
/// [`required_text`].
pub fn optional_text<const MAX: usize>() -> utoipa::openapi::Object {
    string(
        optional_text_pattern(MAX),
        &format!(
            "Blank for none; else at most {MAX} characters once trimmed; no control characters."
        ),
    )
    .build()
}

/// Text without control characters (for `schema_with`), of any length
/// the body limit allows: what the service checks further is in the
/// operation's description.
pub fn no_control_text() -> utoipa::openapi::Object {
    string(no_control_pattern(), "No control characters.").build()
}

/// A string of a closed set (for `schema_with`, through a function of the
/// service naming the set).
pub fn string_enum(values: &[&str], description: &str) -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .description(Some(description))
        .build()
}

/// A user's profile, tagged by `kind`, one of `kinds` (`traveler`,
/// `agency`, `employee`). The limits are those of `domain::profile`
/// (names and lines at most 200 characters); ages, emails and phone
/// numbers are checked further by the service (422).
pub fn profile_schema(kinds: &[&str]) -> utoipa::openapi::Schema {
    let kind = |name: &str| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some([name]))
    };
    let text = || {
        string(
            required_text_pattern(200),
            "Not blank; at most 200 characters once trimmed; no control characters.",
        )
    };
    // The profile types accept unknown fields (they are ignored), so the
    // objects stay open.
    let closed = |builder: ObjectBuilder| builder;
    let mut one_of = utoipa::openapi::schema::OneOfBuilder::new();
    for &name in kinds {
        let variant = match name {
            "traveler" => closed(
                ObjectBuilder::new()
                    .property("kind", kind(name))
                    .property("full_name", text())
                    .property(
                        "birth_date",
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                                utoipa::openapi::KnownFormat::Date,
                            )))
                            .description(Some("YYYY-MM-DD; 18 to 120 years ago.")),
                    )
                    .required("kind")
                    .required("full_name")
                    .required("birth_date"),
            ),
            "agency" => closed(
                ObjectBuilder::new()
                    .property("kind", kind(name))
                    .property("legal_name", text())
                    .property(
                        "tax_id",
                        string(
                            format!(r"^[{SPACE}]*[A-Za-z0-9./-][A-Za-z0-9 ./-]{{2,30}}[A-Za-z0-9./-][{SPACE}]*$"),
                            "4 to 32 letters, digits, spaces, dots, dashes or slashes once trimmed.",
                        ),
                    )
                    .property(
                        "address",
                        closed(
                            ObjectBuilder::new()
                                .property("line1", text())
                                .property(
                                    "line2",
                                    // Absent and null both mean no second line.
                                    string(optional_text_pattern(200), "Optional (or null); at most 200 characters once trimmed.")
                                        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                                            Type::String,
                                            Type::Null,
                                        ])),
                                )
                                .property("city", text())
                                .property(
                                    "postal_code",
                                    string(
                                        required_text_pattern(16),
                                        "1 to 16 characters once trimmed.",
                                    ),
                                )
                                .property(
                                    "country",
                                    string("^[A-Z]{2}$".into(), "ISO 3166-1 alpha-2, in capitals."),
                                )
                                .required("line1")
                                .required("city")
                                .required("postal_code")
                                .required("country"),
                        ),
                    )
                    .property(
                        "contact",
                        closed(
                            ObjectBuilder::new()
                                .property("name", text())
                                .property(
                                    "email",
                                    string(email_pattern(), "An email address, like name@example.com."),
                                )
                                .property(
                                    "phone",
                                    string(
                                        r"^[+ ().-]*([0-9][+ ().-]*){6,15}$".into(),
                                        "6 to 15 digits, with +, spaces, dashes, dots or parentheses.",
                                    ),
                                )
                                .required("name")
                                .required("email")
                                .required("phone"),
                        ),
                    )
                    .required("kind")
                    .required("legal_name")
                    .required("tax_id")
                    .required("address")
                    .required("contact"),
            ),
            _ => closed(
                ObjectBuilder::new()
                    .property("kind", kind(name))
                    .property("full_name", text())
                    .required("kind")
                    .required("full_name"),
            ),
        };
        one_of = one_of.item(variant);
    }
    utoipa::openapi::Schema::OneOf(one_of.build())
}

/// The document of a worker process's probe server (notifier, projectors):
/// `/health`, `/ready`, `/metrics` and `/openapi.json`, titled `title`.
pub fn probe_document(title: &str) -> utoipa::openapi::OpenApi {
    let mut document = ProbeDoc::openapi();
    document.info.title = title.to_owned();
    document
}

#[derive(OpenApi)]
#[openapi(
    info(description = "The probe server of a worker process."),
    paths(
        crate::http::health,
        crate::http::probe_ready,
        crate::http::metrics,
        crate::http::probe_openapi
    )
)]
struct ProbeDoc;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(OpenApi)]
    #[openapi(paths(example), modifiers(&ProblemResponses))]
    struct Example;

    /// A documented example route.
    #[utoipa::path(post, path = "/example", responses(
        (status = 204), (status = 422, response = Invalid), (status = 429, response = TooManyRequests)))]
    #[allow(dead_code)]
    fn example() {}

    #[test]
    fn a_route_refers_to_the_shared_problem_responses() {
        let document = serde_json::to_value(Example::openapi()).unwrap();
        let responses = &document["paths"]["/example"]["post"]["responses"];
        assert_eq!(responses["422"]["$ref"], "#/components/responses/Invalid");
        let components = &document["components"];
        let invalid = &components["responses"]["Invalid"]["content"][PROBLEM_JSON]["schema"];
        assert_eq!(invalid["allOf"][0]["$ref"], "#/components/schemas/Problem");
        assert_eq!(invalid["allOf"][1]["required"][0], "errors");
        assert!(components["responses"]["TooManyRequests"]["headers"]["Retry-After"].is_object());
        let problem = &components["schemas"]["Problem"];
        assert!(problem["properties"]["type"].is_object());
        assert!(problem["properties"].get("retry_after").is_none());
        assert!(components["schemas"]["FieldError"]["properties"]["field"].is_object());
    }

    #[test]
    fn every_problem_response_is_registered() {
        let document = serde_json::to_value(Example::openapi()).unwrap();
        for name in [
            "Malformed",
            "Unauthorized",
            "Forbidden",
            "NotFound",
            "Conflict",
            "PayloadTooLarge",
            "UnsupportedMediaType",
            "Invalid",
            "TooManyRequests",
            "Unavailable",
        ] {
            let response = &document["components"]["responses"][name];
            assert!(
                response["content"][PROBLEM_JSON].is_object(),
                "{name}: {response}"
            );
        }
    }

    /// The pattern in the syntax of the `regex` crate (`\x{…}` escapes).
    fn regex(pattern: &str) -> regex::Regex {
        let mut translated = String::new();
        let mut rest = pattern;
        while let Some(at) = rest.find(r"\u") {
            translated.push_str(&rest[..at]);
            translated.push_str(&format!(r"\x{{{}}}", &rest[at + 2..at + 6]));
            rest = &rest[at + 6..];
        }
        translated.push_str(rest);
        regex::Regex::new(&format!(r"\A(?:{translated})\z")).unwrap()
    }

    fn samples() -> Vec<String> {
        let mut samples: Vec<String> = [
            "",
            " ",
            "a",
            " a ",
            "ab",
            "a b",
            "abc",
            "abcd",
            " abcd ",
            "\u{3000}abc\u{3000}",
            "a\u{0}",
            "a\nb",
            "\u{85}",
            "\u{7f}",
            "\u{feff}",
            "\u{feff}abc",
            "\u{2028}",
            "a\u{a0}b",
            "éèê",
            "\u{1F680}\u{1F680}",
            "\t",
            "abcd\n",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        for c in ['x', ' ', '\u{3012}'] {
            for n in 1..=6 {
                samples.push(c.to_string().repeat(n));
                samples.push(format!(" {} ", c.to_string().repeat(n)));
            }
        }
        samples
    }

    #[test]
    fn the_text_patterns_accept_exactly_what_domain_text_accepts() {
        for max in [1, 2, 4] {
            let required = regex(&required_text_pattern(max));
            let optional = regex(&optional_text_pattern(max));
            for value in samples() {
                assert_eq!(
                    required.is_match(&value),
                    domain::text::required(&value, max).is_ok(),
                    "required({value:?}, {max})"
                );
                assert_eq!(
                    optional.is_match(&value),
                    domain::text::optional(&value, max).is_ok(),
                    "optional({value:?}, {max})"
                );
            }
        }
        let no_control = regex(&no_control_pattern());
        for value in samples() {
            assert_eq!(
                no_control.is_match(&value),
                domain::text::no_control(&value).is_ok(),
                "{value:?}"
            );
        }
    }

    #[test]
    fn the_email_pattern_accepts_only_what_the_service_accepts() {
        let email = regex(&email_pattern());
        for value in [
            "ada@example.org",
            " Ada.Lovelace+x@Sub.Example.COM ",
            "a@b.co",
            "ada@example",
            "@example.org",
            "ada@.org",
            "ada@exa mple.org",
            "ada@-x.org",
            "ada@x-.org",
            "ada@@x.org",
            "",
            &format!("{}@x.org", "a".repeat(65)),
            &format!("{}@x.org", "a".repeat(64)),
        ] {
            if email.is_match(value) {
                assert!(
                    domain::profile::normalize_email(value).is_ok(),
                    "{value:?} matches but is refused"
                );
            }
        }
        assert!(email.is_match("ada@example.org"));
        assert!(!email.is_match("ada@example"));
    }

    #[test]
    fn the_probe_document_describes_the_four_probe_paths() {
        let document = serde_json::to_value(probe_document("Notifier")).unwrap();
        assert_eq!(document["info"]["title"], "Notifier");
        for path in ["/health", "/ready", "/metrics", "/openapi.json"] {
            assert!(document["paths"][path]["get"].is_object(), "{path}");
        }
    }

    /// Found by schemathesis: `domain::profile` reads `line2: null` as no
    /// second line, which the schema refused.
    #[test]
    fn an_agency_address_may_have_a_null_second_line() {
        let schema = serde_json::to_value(profile_schema(&["agency"])).unwrap();
        let line2 = &schema["oneOf"][0]["properties"]["address"]["properties"]["line2"];
        assert_eq!(
            line2["type"],
            serde_json::json!(["string", "null"]),
            "{line2}"
        );
    }
}
