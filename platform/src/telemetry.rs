//! Logs as an event stream: structured JSON lines on stdout, filtered by
//! `RUST_LOG` (default `info`), and the same events shipped to MongoDB
//! `core.logs` ([`crate::logship`]), filtered by `LOG_SHIPPING_LEVEL`
//! (default `info`, independent of `RUST_LOG`). One subscriber per process.
//!
//! Secrets stay out of both: a field whose name says it holds one
//! (`password`, `token`, `authorization`, …) is written `"[redacted]"`, and
//! the credentials of a URI in any text are replaced.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormattedFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt as tfmt, EnvFilter, Layer};

use crate::config::ConfigError;
use crate::logship::{self, is_secret_name, scrub_credentials, ShipSettings, REDACTED};

pub use crate::logship::LogGuard;

/// How long a service waits at exit for its buffered logs to be shipped
/// ([`LogGuard::shutdown`]).
pub const EXIT_FLUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Installs the process's subscriber: stdout (`LOG_FORMAT=pretty` gives
/// human-readable lines for local work; anything else gives JSON) and, unless
/// `LOG_SHIPPING=off`, log shipping to MongoDB `core.logs` as `service`.
///
/// Keep the returned guard until the process exits, and call
/// [`LogGuard::shutdown`] once the server stopped: it ships what is still
/// buffered, within the time given. A second call in the same process
/// (tests) keeps the first subscriber and returns an inert guard. Fails on
/// an invalid log shipping variable, naming it.
pub fn init(service: &'static str) -> Result<LogGuard, ConfigError> {
    let shipping = ShipSettings::from_env()?;
    if tracing::dispatcher::has_been_set() {
        return Ok(LogGuard::inert());
    }
    let stdout_filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let pretty = std::env::var("LOG_FORMAT").is_ok_and(|f| f == "pretty");
    let stdout = if pretty {
        tfmt::layer()
            .with_target(false)
            .fmt_fields(pretty_fields())
            .with_filter(stdout_filter)
            .boxed()
    } else {
        tfmt::layer()
            .event_format(JsonLines)
            .fmt_fields(JsonFields)
            .with_filter(stdout_filter)
            .boxed()
    };
    let (ship, guard) = if shipping.enabled {
        match logship::start(service, shipping.clone()) {
            Ok((layer, guard)) => (
                Some(layer.with_filter(logship::filter(shipping.level))),
                guard,
            ),
            Err(error) => {
                eprintln!("log shipping could not start, stdout only: {error}");
                (None, LogGuard::inert())
            }
        }
    } else {
        (None, LogGuard::inert())
    };
    let shipping_on = ship.is_some();
    match tracing_subscriber::registry()
        .with(stdout)
        .with(ship)
        .try_init()
    {
        Ok(()) => {
            tracing::info!(
                service,
                log_shipping = shipping_on,
                database = %shipping.database,
                log_shipping_level = %shipping.level,
                "telemetry initialised"
            );
            Ok(guard)
        }
        // Another subscriber won a race: keep it (the guard stops the
        // shipper just started, which has nothing to ship).
        Err(_) => Ok(LogGuard::inert()),
    }
}

/// Pretty lines: `name=value` fields, secrets redacted.
fn pretty_fields() -> impl for<'w> FormatFields<'w> + Send + Sync + 'static {
    format::debug_fn(|writer, field, value| {
        let name = field.name();
        if name == "message" {
            write!(writer, "{}", scrub_credentials(&format!("{value:?}")))
        } else if is_secret_name(name) {
            write!(writer, "{name}={REDACTED}")
        } else {
            write!(
                writer,
                "{name}={}",
                scrub_credentials(&format!("{value:?}"))
            )
        }
    })
    .delimited(" ")
}

/// Records fields as JSON values, secrets redacted and URIs scrubbed.
struct JsonVisitor<'a> {
    map: &'a mut Map<String, Value>,
    /// The real target of an event bridged from the `log` crate.
    log_target: Option<String>,
}

impl JsonVisitor<'_> {
    fn put(&mut self, field: &Field, value: impl FnOnce() -> Value) {
        let name = field.name();
        if let Some(log_field) = name.strip_prefix("log.") {
            if log_field == "target" {
                if let Value::String(target) = value() {
                    self.log_target = Some(target);
                }
            }
            return;
        }
        let value = if is_secret_name(name) {
            Value::String(REDACTED.to_owned())
        } else {
            value()
        };
        self.map.insert(name.to_owned(), value);
    }
}

fn text(value: String) -> Value {
    Value::String(match scrub_credentials(&value) {
        std::borrow::Cow::Borrowed(_) => value,
        std::borrow::Cow::Owned(scrubbed) => scrubbed,
    })
}

impl Visit for JsonVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, || text(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, || text(value.to_owned()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, || value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, || value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, || value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, || value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, || text(value.to_string()));
    }
}

/// A span's fields as a JSON object (in the span's extensions), secrets
/// redacted.
struct JsonFields;

impl<'w> FormatFields<'w> for JsonFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        mut writer: Writer<'w>,
        fields: R,
    ) -> fmt::Result {
        let mut map = Map::new();
        fields.record(&mut JsonVisitor {
            map: &mut map,
            log_target: None,
        });
        write!(writer, "{}", Value::Object(map))
    }

    fn add_fields(
        &self,
        current: &'w mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let mut map = match serde_json::from_str::<Value>(&current.fields) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        fields.record(&mut JsonVisitor {
            map: &mut map,
            log_target: None,
        });
        current.fields = Value::Object(map).to_string();
        Ok(())
    }
}

/// One JSON object per line: `timestamp`, `level`, the event's fields
/// (`message` among them), `target`, and `span` (the current span's fields
/// and `name`) — the shape of `tracing-subscriber`'s flattened JSON, with
/// secrets redacted.
struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        let mut map = Map::new();
        let mut visitor = JsonVisitor {
            map: &mut map,
            log_target: None,
        };
        event.record(&mut visitor);
        let target = visitor
            .log_target
            .take()
            .unwrap_or_else(|| metadata.target().to_owned());
        // Inserted after the fields: a field of the same name does not hide them.
        map.insert(
            "timestamp".into(),
            chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .into(),
        );
        map.insert("level".into(), metadata.level().as_str().into());
        map.insert("target".into(), target.into());
        if let Some(span) = ctx.parent_span() {
            let extensions = span.extensions();
            let mut fields = extensions
                .get::<FormattedFields<N>>()
                .and_then(|f| match serde_json::from_str::<Value>(&f.fields) {
                    Ok(Value::Object(map)) => Some(map),
                    _ => None,
                })
                .unwrap_or_default();
            fields.insert("name".into(), span.name().into());
            map.insert("span".into(), Value::Object(fields));
        }
        writeln!(writer, "{}", Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn lines(f: impl FnOnce()) -> Vec<Value> {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::registry().with(
            tfmt::layer()
                .event_format(JsonLines)
                .fmt_fields(JsonFields)
                .with_writer(move || writer.clone()),
        );
        tracing::subscriber::with_default(subscriber, f);
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn stdout_lines_are_json_with_the_span_fields_and_no_secret() {
        let lines = lines(|| {
            let span = tracing::info_span!(
                "http",
                request_id = "r-1",
                user_id = tracing::field::Empty,
                authorization = "Bearer abc.def"
            );
            let _entered = span.enter();
            span.record("user_id", "u-1");
            tracing::info!(
                status = 201,
                password = "hunter2",
                url = "postgres://astro:astro@db/astro",
                "request served"
            );
        });
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["message"], "request served");
        assert_eq!(line["status"], 201);
        assert_eq!(line["password"], REDACTED);
        assert_eq!(line["url"], "postgres://[redacted]@db/astro");
        assert_eq!(line["target"], "platform::telemetry::tests");
        assert_eq!(line["span"]["name"], "http");
        assert_eq!(line["span"]["request_id"], "r-1");
        assert_eq!(line["span"]["user_id"], "u-1");
        assert_eq!(line["span"]["authorization"], REDACTED);
        assert!(line["timestamp"].as_str().unwrap().ends_with('Z'));
        let text = line.to_string();
        assert!(!text.contains("hunter2") && !text.contains("abc.def"));
    }
}
