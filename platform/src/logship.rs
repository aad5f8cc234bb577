//! Log shipping: every log event of the process, as a
//! [`read_models::core_db::LogDoc`], into MongoDB `core.logs`, in batches,
//! without ever blocking or slowing the code that logs.
//!
//! - [`ShipLayer`] is a `tracing` layer. For each event that passes its
//!   level ([`ShipSettings::level`]) it captures the message, the event's
//!   fields and the fields of the spans it happened in (recorded in span
//!   extensions, so the HTTP span's `request_id`, `correlation_id` and the
//!   `user_id` recorded once the token is verified come along), and hands
//!   the capture to a bounded channel with `try_send`. A full channel drops
//!   the event and counts it (`log_shipping_dropped_total{reason="buffer_full"}`):
//!   logging never waits, never calls MongoDB, and never holds more than
//!   [`ShipSettings::buffer`] events plus one batch.
//! - A dedicated thread (`log-shipper`, with its own single-threaded tokio
//!   runtime) drains the channel into batches of [`ShipSettings::batch`],
//!   inserted (`insert_many`, unordered) when full or every
//!   [`ShipSettings::flush_interval`]. A batch MongoDB did not take is kept
//!   and retried with a doubling pause (100 ms to 10 s) while new events wait
//!   in the channel, so an outage shorter than the buffer loses nothing.
//!   Each document gets its `_id` once, on the shipper, so a retried batch
//!   that was partly written is not written twice.
//! - The shipper creates the collection's indexes
//!   ([`read_models::core_db::log_indexes`]) once MongoDB answers, and
//!   changes the TTL index's `expireAfterSeconds` (`collMod`, else drop and
//!   re-create) when the retention changed.
//! - Secrets never reach a document: a field whose name says it holds one
//!   ([`is_secret_name`]) is `"[redacted]"`, and the credentials of a URI in
//!   any text (`postgres://user:pass@…`) are replaced ([`scrub_credentials`]).
//! - Events of the MongoDB driver and of its dependencies, and every event
//!   logged on the shipper's own thread, are never shipped (no feedback loop).
//!
//! The counters are process-wide and [`crate::metrics::Metrics::new`]
//! registers them in every registry, so every service's `/metrics` shows
//! them. Services do not use this module directly: `telemetry::init` reads
//! the configuration and returns the [`LogGuard`].

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use bson::oid::ObjectId;
use bson::{Bson, DateTime as BsonDateTime, Document, RawDocumentBuf};
use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};
use read_models::core_db::{self, LogDoc};
use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use crate::config::ConfigError;

// ---------------------------------------------------------------------------
// Configuration

/// The default MongoDB server (the local SecantusDB).
pub const DEFAULT_MONGODB_URI: &str = read_models::mongo::DEFAULT_MONGODB_URI;

/// How logs are shipped (environment variables, see `docs/configuration.md`).
#[derive(Clone, PartialEq, Eq)]
pub struct ShipSettings {
    /// `LOG_SHIPPING` (`on`): `off` ships nothing (stdout only).
    pub enabled: bool,
    /// `LOG_SHIPPING_MONGODB_URI` (else `MONGODB_URI`, else the local
    /// server). Never logged: it may carry credentials.
    pub mongodb_uri: String,
    /// `MONGODB_CORE_DB` (`core`): the database of the `logs` collection.
    pub database: String,
    /// `LOG_SHIPPING_LEVEL` (`info`): the most verbose level shipped,
    /// independent of `RUST_LOG` (which filters stdout only).
    pub level: LevelFilter,
    /// `LOG_SHIPPING_BUFFER` (10000): events waiting for the shipper at most.
    pub buffer: usize,
    /// `LOG_SHIPPING_BATCH` (500): events per insert at most.
    pub batch: usize,
    /// `LOG_SHIPPING_FLUSH_MS` (500): a partial batch waits at most this long.
    pub flush_interval: Duration,
    /// `LOG_RETENTION_DAYS` (14): the TTL index removes older entries.
    pub retention: Duration,
}

impl fmt::Debug for ShipSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShipSettings")
            .field("enabled", &self.enabled)
            .field("mongodb_uri", &"[redacted]")
            .field("database", &self.database)
            .field("level", &self.level)
            .field("buffer", &self.buffer)
            .field("batch", &self.batch)
            .field("flush_interval", &self.flush_interval)
            .field("retention", &self.retention)
            .finish()
    }
}

impl ShipSettings {
    /// Reads the environment; an invalid value fails naming its variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup` (an unset or blank variable takes
    /// its default).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let enabled = match get("LOG_SHIPPING").map(|v| v.trim().to_ascii_lowercase()) {
            None => true,
            Some(v) if matches!(v.as_str(), "on" | "true" | "1" | "yes") => true,
            Some(v) if matches!(v.as_str(), "off" | "false" | "0" | "no") => false,
            Some(_) => return Err(invalid("LOG_SHIPPING", "expected on or off")),
        };
        let level = match get("LOG_SHIPPING_LEVEL") {
            None => LevelFilter::INFO,
            Some(v) => parse_level(&v).ok_or_else(|| {
                invalid(
                    "LOG_SHIPPING_LEVEL",
                    "expected one of error, warn, info, debug, trace, off",
                )
            })?,
        };
        let number = |name: &'static str, default: u64, min: u64| -> Result<u64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(n) if n >= min => Ok(n),
                    Ok(_) => Err(invalid(name, &format!("must be at least {min}"))),
                    Err(e) => Err(invalid(name, &e.to_string())),
                },
            }
        };
        let buffer = number("LOG_SHIPPING_BUFFER", 10_000, 1)?;
        let batch = number("LOG_SHIPPING_BATCH", 500, 1)?;
        let flush_ms = number("LOG_SHIPPING_FLUSH_MS", 500, 1)?;
        let days = number("LOG_RETENTION_DAYS", 14, 1)?;
        if buffer > 10_000_000 {
            return Err(invalid("LOG_SHIPPING_BUFFER", "must be at most 10000000"));
        }
        if batch > 100_000 {
            return Err(invalid("LOG_SHIPPING_BATCH", "must be at most 100000"));
        }
        if days > 36_500 {
            return Err(invalid("LOG_RETENTION_DAYS", "must be at most 36500"));
        }
        let mongodb_uri = get("LOG_SHIPPING_MONGODB_URI")
            .or_else(|| get("MONGODB_URI"))
            .unwrap_or_else(|| DEFAULT_MONGODB_URI.to_owned());
        Ok(Self {
            enabled: enabled && level != LevelFilter::OFF,
            mongodb_uri,
            database: get("MONGODB_CORE_DB").unwrap_or_else(|| core_db::DATABASE.to_owned()),
            level,
            buffer: buffer as usize,
            batch: batch as usize,
            flush_interval: Duration::from_millis(flush_ms),
            retention: Duration::from_secs(days * 86_400),
        })
    }
}

fn invalid(name: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.to_owned(),
    }
}

fn parse_level(value: &str) -> Option<LevelFilter> {
    match value.trim().to_ascii_lowercase().as_str() {
        "error" => Some(LevelFilter::ERROR),
        "warn" | "warning" => Some(LevelFilter::WARN),
        "info" => Some(LevelFilter::INFO),
        "debug" => Some(LevelFilter::DEBUG),
        "trace" => Some(LevelFilter::TRACE),
        "off" => Some(LevelFilter::OFF),
        _ => None,
    }
}

/// A level's name in a [`LogDoc`]: lower case.
pub fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

// ---------------------------------------------------------------------------
// Metrics

/// `log_shipping_shipped_total`: events inserted into `core.logs`.
pub static SHIPPED: LazyLock<IntCounter> = LazyLock::new(|| {
    IntCounter::new(
        "log_shipping_shipped_total",
        "Log events inserted into MongoDB core.logs",
    )
    .expect("static metric definition")
});

/// `log_shipping_dropped_total{reason}`: events that were not shipped.
pub static DROPPED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    let dropped = IntCounterVec::new(
        Opts::new(
            "log_shipping_dropped_total",
            "Log events not shipped: buffer_full (the buffer was full, e.g. MongoDB down), \
             rejected (MongoDB refused the document), shutdown (still buffered when the \
             process stopped)",
        ),
        &["reason"],
    )
    .expect("static metric definition");
    for reason in DROP_REASONS {
        dropped.with_label_values(&[reason]);
    }
    dropped
});

const DROP_REASONS: [&str; 3] = ["buffer_full", "rejected", "shutdown"];

static DROPPED_BUFFER_FULL: LazyLock<IntCounter> =
    LazyLock::new(|| DROPPED.with_label_values(&["buffer_full"]));
static DROPPED_REJECTED: LazyLock<IntCounter> =
    LazyLock::new(|| DROPPED.with_label_values(&["rejected"]));
static DROPPED_SHUTDOWN: LazyLock<IntCounter> =
    LazyLock::new(|| DROPPED.with_label_values(&["shutdown"]));

/// `log_shipping_failed_inserts_total`: inserts MongoDB did not take (the
/// batch is kept and retried).
pub static FAILED_INSERTS: LazyLock<IntCounter> = LazyLock::new(|| {
    IntCounter::new(
        "log_shipping_failed_inserts_total",
        "Batch inserts into core.logs that failed and are retried",
    )
    .expect("static metric definition")
});

/// `log_shipping_buffered`: events waiting to be shipped (channel and batch).
pub static BUFFERED: LazyLock<IntGauge> = LazyLock::new(|| {
    IntGauge::new(
        "log_shipping_buffered",
        "Log events waiting to be shipped to core.logs",
    )
    .expect("static metric definition")
});

/// Registers the shipping metrics in `registry` (every service's registry
/// shows them; the values are process-wide).
pub fn register_metrics(registry: &Registry) {
    let collectors: [Box<dyn prometheus::core::Collector>; 4] = [
        Box::new(SHIPPED.clone()),
        Box::new(DROPPED.clone()),
        Box::new(FAILED_INSERTS.clone()),
        Box::new(BUFFERED.clone()),
    ];
    for collector in collectors {
        // Already registered in this registry: nothing to do.
        let _ = registry.register(collector);
    }
}

// ---------------------------------------------------------------------------
// Redaction

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Parts of a field name (any case) that mark its value as a secret
/// ([`is_secret_name`]).
pub const SECRET_NAME_PARTS: [&str; 11] = [
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "api_key",
    "apikey",
    "private_key",
    "credential",
    "passphrase",
];

/// Whether a field named `name` holds a secret (its value is never logged).
pub fn is_secret_name(name: &str) -> bool {
    // One pass over the name; a part is compared only where a byte could
    // start one (this runs for every field of every event shipped).
    let bytes = name.as_bytes();
    (0..bytes.len()).any(|at| {
        let parts: &[&str] = match bytes[at].to_ascii_lowercase() {
            b'p' => &["password", "passwd", "private_key", "passphrase"],
            b's' => &["secret"],
            b't' => &["token"],
            b'a' => &["authorization", "api_key", "apikey"],
            b'c' => &["cookie", "credential"],
            _ => return false,
        };
        let rest = &bytes[at..];
        parts.iter().any(|part| {
            rest.len() >= part.len() && rest[..part.len()].eq_ignore_ascii_case(part.as_bytes())
        })
    })
}

/// `text` with the user information of every URI in it
/// (`scheme://user:password@host`) replaced by `[redacted]`.
pub fn scrub_credentials(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let authority_start = at + 3;
        out.push_str(&rest[..authority_start]);
        let after = &rest[authority_start..];
        let authority_len = after
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == '"')
            .unwrap_or(after.len());
        let authority = &after[..authority_len];
        match authority.rfind('@') {
            Some(user_end) => {
                out.push_str(REDACTED);
                out.push_str(&authority[user_end..]);
                changed = true;
            }
            None => out.push_str(authority),
        }
        rest = &after[authority_len..];
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

// ---------------------------------------------------------------------------
// Capturing events (on the logging thread: cheap, bounded, no I/O)

/// Longest text kept of one value or message (bytes); longer ones are cut.
pub const MAX_VALUE_BYTES: usize = 8 * 1024;

/// A field's value as captured.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Text (`%display`, `?debug` and string fields).
    Str(String),
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A float.
    F64(f64),
    /// A boolean.
    Bool(bool),
}

impl FieldValue {
    fn to_bson(&self) -> Bson {
        match self {
            Self::Str(s) => Bson::String(scrub_credentials(s).into_owned()),
            Self::I64(n) => Bson::Int64(*n),
            Self::U64(n) => i64::try_from(*n).map_or_else(|_| Bson::Double(*n as f64), Bson::Int64),
            Self::F64(n) => Bson::Double(*n),
            Self::Bool(b) => Bson::Boolean(*b),
        }
    }

    fn to_text(&self) -> String {
        match self {
            Self::Str(s) => scrub_credentials(s).into_owned(),
            Self::I64(n) => n.to_string(),
            Self::U64(n) => n.to_string(),
            Self::F64(n) => n.to_string(),
            Self::Bool(b) => b.to_string(),
        }
    }
}

/// Fields by name, in the order recorded.
pub type Fields = Vec<(&'static str, FieldValue)>;

/// A `fmt::Write` that keeps at most [`MAX_VALUE_BYTES`].
struct Bounded(String);

impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = MAX_VALUE_BYTES.saturating_sub(self.0.len());
        if s.len() <= room {
            self.0.push_str(s);
        } else if room > 0 {
            let mut cut = room;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            self.0.push_str(&s[..cut]);
            self.0.push('…');
        }
        Ok(())
    }
}

fn bounded_debug(value: &dyn fmt::Debug) -> String {
    let mut text = Bounded(String::with_capacity(48));
    let _ = write!(text, "{value:?}");
    text.0
}

fn bounded_str(value: &str) -> String {
    if value.len() <= MAX_VALUE_BYTES {
        return value.to_owned();
    }
    let mut text = Bounded(String::with_capacity(MAX_VALUE_BYTES + 4));
    let _ = text.write_str(value);
    text.0
}

/// Records fields into a [`Fields`] (replacing a field of the same name),
/// redacting secrets; the `message` field goes to `message` when given.
pub struct FieldVisitor<'a> {
    fields: &'a mut Fields,
    message: Option<&'a mut String>,
}

impl<'a> FieldVisitor<'a> {
    /// Records into `fields`, and the message into `message` if given (else
    /// the message is a field like the others).
    pub fn new(fields: &'a mut Fields, message: Option<&'a mut String>) -> Self {
        Self { fields, message }
    }

    fn put(&mut self, field: &Field, value: impl FnOnce() -> FieldValue) {
        let name = field.name();
        let value = if is_secret_name(name) {
            FieldValue::Str(REDACTED.to_owned())
        } else {
            value()
        };
        match self.fields.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((name, value)),
        }
    }
}

impl Visit for FieldVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            if let Some(message) = self.message.as_deref_mut() {
                *message = bounded_debug(value);
                return;
            }
        }
        self.put(field, || FieldValue::Str(bounded_debug(value)));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            if let Some(message) = self.message.as_deref_mut() {
                *message = bounded_str(value);
                return;
            }
        }
        self.put(field, || FieldValue::Str(bounded_str(value)));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, || FieldValue::I64(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, || FieldValue::U64(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, || FieldValue::F64(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, || FieldValue::Bool(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, || {
            let mut text = Bounded(String::new());
            let _ = write!(text, "{value}");
            FieldValue::Str(text.0)
        });
    }
}

/// A span's fields, shared by the events captured in it (copied only when
/// the span records a field after an event captured them).
#[derive(Debug, Clone, Default)]
struct SpanFields(Arc<Fields>);

/// One event as captured on the logging thread.
#[derive(Debug, Clone)]
pub struct Entry {
    /// When it was logged.
    pub time: BsonDateTime,
    /// Its level.
    pub level: Level,
    /// Its target (for an event bridged from the `log` crate, the record's).
    pub target: Cow<'static, str>,
    /// The message.
    pub message: String,
    /// The event's own fields.
    pub fields: Fields,
    /// The fields of the spans it happened in, innermost first.
    pub spans: Vec<Arc<Fields>>,
}

/// Targets never shipped: the MongoDB driver and what it uses underneath,
/// and the shipper itself (no feedback loop).
const EXCLUDED_TARGETS: [&str; 7] = [
    "mongodb",
    "bson",
    "hickory",
    "rustls",
    "tokio_rustls",
    "webpki",
    "platform::logship",
];

/// Whether events of `target` are never shipped.
pub fn excluded_target(target: &str) -> bool {
    EXCLUDED_TARGETS.iter().any(|t| target.starts_with(t))
}

/// The per-layer filter of the [`ShipLayer`]: `level`, minus the excluded
/// targets.
pub fn filter(level: LevelFilter) -> Targets {
    EXCLUDED_TARGETS
        .iter()
        .fold(Targets::new().with_default(level), |targets, target| {
            targets.with_target(*target, LevelFilter::OFF)
        })
}

thread_local! {
    /// Set on the shipper's threads: nothing logged there is shipped.
    static ON_SHIPPER: Cell<bool> = const { Cell::new(false) };
}

/// The `tracing` layer that hands events to the shipper (see the module
/// docs). Install it with [`filter`]`(level)` as its per-layer filter.
pub struct ShipLayer {
    sender: mpsc::Sender<Entry>,
}

impl<S> Layer<S> for ShipLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::with_capacity(attrs.metadata().fields().len());
        attrs.record(&mut FieldVisitor::new(&mut fields, None));
        span.extensions_mut().replace(SpanFields(Arc::new(fields)));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        match extensions.get_mut::<SpanFields>() {
            Some(SpanFields(fields)) => {
                values.record(&mut FieldVisitor::new(Arc::make_mut(fields), None));
            }
            None => {
                let mut fields = Fields::new();
                values.record(&mut FieldVisitor::new(&mut fields, None));
                extensions.insert(SpanFields(Arc::new(fields)));
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if ON_SHIPPER.with(Cell::get) {
            return;
        }
        // A full buffer (MongoDB down or slower than the logs): the event
        // would be dropped anyway, so it is not even captured.
        if self.sender.capacity() == 0 {
            DROPPED_BUFFER_FULL.inc();
            return;
        }
        let metadata = event.metadata();
        let mut message = String::new();
        let mut fields = Fields::with_capacity(metadata.fields().len().saturating_sub(1));
        event.record(&mut FieldVisitor::new(&mut fields, Some(&mut message)));
        // An event bridged from the `log` crate names its real target in a
        // field; the `log.*` fields are dropped when the document is built.
        let target = match fields.iter().find(|(name, _)| *name == "log.target") {
            Some((_, FieldValue::Str(target))) => Cow::Owned(target.clone()),
            _ => Cow::Borrowed(metadata.target()),
        };
        if excluded_target(&target) {
            return;
        }
        let spans = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .filter_map(|span| {
                        span.extensions()
                            .get::<SpanFields>()
                            .map(|f| Arc::clone(&f.0))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let entry = Entry {
            time: BsonDateTime::now(),
            level: *metadata.level(),
            target,
            message,
            fields,
            spans,
        };
        match self.sender.try_send(entry) {
            Ok(()) => BUFFERED.inc(),
            Err(mpsc::error::TrySendError::Full(_)) => DROPPED_BUFFER_FULL.inc(),
            Err(mpsc::error::TrySendError::Closed(_)) => DROPPED_SHUTDOWN.inc(),
        }
    }
}

// ---------------------------------------------------------------------------
// Building the document (on the shipper thread)

/// The [`LogDoc`] of `entry`: the event's fields over its spans' (innermost
/// wins), `request_id`, `correlation_id` and `user_id` lifted out of them,
/// the `log.*` fields of a bridged `log` record left out, credentials in
/// URIs scrubbed.
pub fn log_doc(entry: &Entry, service: &str, instance: &str) -> LogDoc {
    let mut fields = Document::new();
    let mut request_id = None;
    let mut correlation_id = None;
    let mut user_id = None;
    let all = entry
        .fields
        .iter()
        .chain(entry.spans.iter().flat_map(|span| span.iter()));
    for (name, value) in all {
        let lifted = match *name {
            "request_id" => &mut request_id,
            "correlation_id" => &mut correlation_id,
            "user_id" => &mut user_id,
            name if name.starts_with("log.") => continue,
            name => {
                if !fields.contains_key(name) {
                    fields.insert(name, value.to_bson());
                }
                continue;
            }
        };
        if lifted.is_none() {
            *lifted = Some(value.to_text());
        }
    }
    LogDoc {
        time: entry.time,
        level: level_name(&entry.level).to_owned(),
        service: service.to_owned(),
        instance: instance.to_owned(),
        target: entry.target.clone().into_owned(),
        message: scrub_credentials(&entry.message).into_owned(),
        fields,
        request_id,
        correlation_id,
        user_id,
    }
}

/// [`log_doc`] as it is inserted, built straight into BSON (no
/// intermediate document: this runs for every event shipped), with an `_id`
/// given here, first, so that a retried insert of a partly written batch is
/// recognised (duplicate key). The same shape as [`LogDoc`] (tested).
pub fn raw_log_doc(entry: &Entry, service: &str, instance: &str) -> RawDocumentBuf {
    let mut raw = RawDocumentBuf::new();
    raw.append_ref("_id", ObjectId::new());
    raw.append_ref("time", entry.time);
    raw.append_ref("level", level_name(&entry.level));
    raw.append_ref("service", service);
    raw.append_ref("instance", instance);
    raw.append_ref("target", entry.target.as_ref());
    raw.append_ref("message", scrub_credentials(&entry.message).as_ref());
    let mut fields = RawDocumentBuf::new();
    let mut seen: Vec<&str> = Vec::with_capacity(16);
    let mut lifted: [Option<&FieldValue>; 3] = [None; 3];
    let all = entry
        .fields
        .iter()
        .chain(entry.spans.iter().flat_map(|span| span.iter()));
    for (name, value) in all {
        let slot = match *name {
            "request_id" => 0,
            "correlation_id" => 1,
            "user_id" => 2,
            name if name.starts_with("log.") => continue,
            name => {
                if !seen.contains(&name) {
                    seen.push(name);
                    match value {
                        FieldValue::Str(s) => {
                            fields.append_ref(name, scrub_credentials(s).as_ref());
                        }
                        FieldValue::I64(n) => fields.append_ref(name, *n),
                        FieldValue::U64(n) => match i64::try_from(*n) {
                            Ok(n) => fields.append_ref(name, n),
                            Err(_) => fields.append_ref(name, *n as f64),
                        },
                        FieldValue::F64(n) => fields.append_ref(name, *n),
                        FieldValue::Bool(b) => fields.append_ref(name, *b),
                    }
                }
                continue;
            }
        };
        lifted[slot].get_or_insert(value);
    }
    raw.append_ref("fields", &fields);
    for (name, value) in ["request_id", "correlation_id", "user_id"]
        .iter()
        .zip(lifted)
    {
        if let Some(value) = value {
            raw.append_ref(name, value.to_text().as_str());
        }
    }
    raw
}

/// This process, as `host:pid` (the host name from the kernel, else
/// `HOSTNAME`).
pub fn instance() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned());
    format!("{host}:{}", std::process::id())
}

// ---------------------------------------------------------------------------
// The shipper

/// A doubling pause between `min` and `max`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// Starts at `min`.
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max,
            next: min,
        }
    }

    /// The pause to take now; the next one doubles, up to `max`.
    pub fn next_pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(self.max);
        pause
    }

    /// Back to `min` (after a success).
    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

/// What a failed `insert_many` means for the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Every document is in (some were already, from an earlier attempt).
    Done,
    /// MongoDB refused `rejected` documents for good; the others are in.
    Rejected(usize),
    /// Nothing is known to be in: keep the batch and retry.
    Retry,
}

/// Classifies an `insert_many` error.
pub fn classify(error: &mongodb::error::Error) -> InsertOutcome {
    use mongodb::error::ErrorKind;
    match error.kind.as_ref() {
        ErrorKind::InsertMany(e) if e.write_concern_error.is_none() => {
            let rejected = e
                .write_errors
                .iter()
                .flatten()
                .filter(|w| w.code != 11000)
                .count();
            if rejected == 0 {
                InsertOutcome::Done
            } else {
                InsertOutcome::Rejected(rejected)
            }
        }
        _ => InsertOutcome::Retry,
    }
}

enum Control {
    Flush {
        deadline: Instant,
        done: std::sync::mpsc::Sender<bool>,
    },
    Shutdown {
        deadline: Instant,
        done: std::sync::mpsc::Sender<bool>,
    },
}

const RETRY_MIN: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(10);
const INDEX_RETRY_MAX: Duration = Duration::from_secs(300);

struct Shipper {
    settings: ShipSettings,
    service: String,
    instance: String,
    entries: mpsc::Receiver<Entry>,
    control: mpsc::UnboundedReceiver<Control>,
    collection: Option<mongodb::Collection<RawDocumentBuf>>,
    batch: Vec<RawDocumentBuf>,
    /// When the batch is to be inserted (`None`: it is empty).
    send_at: Option<tokio::time::Instant>,
    retry: Backoff,
    /// Failed inserts in a row (an outage is logged when it starts and ends).
    failures: u64,
    indexes_ready: bool,
    index_at: tokio::time::Instant,
    index_retry: Backoff,
}

impl Shipper {
    async fn run(mut self) {
        // Every layer gone (a test's subscriber dropped): what is left is
        // shipped, and the guard's flush or shutdown still answers.
        let mut layers_gone = false;
        loop {
            let batch_open = !layers_gone && self.batch.len() < self.settings.batch;
            let send_at = self.send_at;
            tokio::select! {
                biased;
                control = self.control.recv() => {
                    let Some(control) = control else { return };
                    match control {
                        Control::Flush { deadline, done } => {
                            let _ = done.send(self.flush(deadline).await);
                        }
                        Control::Shutdown { deadline, done } => {
                            let all = self.flush(deadline).await;
                            if !all {
                                let left = self.batch.len() + self.entries.len();
                                DROPPED_SHUTDOWN.inc_by(left as u64);
                                BUFFERED.sub(left as i64);
                            }
                            let _ = done.send(all);
                            return;
                        }
                    }
                }
                _ = sleep_until(send_at), if send_at.is_some() => {
                    self.ship(None).await;
                }
                entry = self.entries.recv(), if batch_open => {
                    match entry {
                        Some(entry) => self.push(&entry),
                        None => layers_gone = true,
                    }
                }
            }
        }
    }

    /// Adds an entry to the batch, and schedules the insert: at once when
    /// the batch is full (unless a retry is pending), else after the flush
    /// interval.
    fn push(&mut self, entry: &Entry) {
        self.batch
            .push(raw_log_doc(entry, &self.service, &self.instance));
        let now = tokio::time::Instant::now();
        if self.send_at.is_none() && !self.batch.is_empty() {
            self.send_at = Some(now + self.settings.flush_interval);
        }
        if self.batch.len() >= self.settings.batch && self.failures == 0 {
            self.send_at = Some(now);
        }
    }

    /// Moves what waits in the channel into the batch, up to its size.
    fn top_up(&mut self) {
        while self.batch.len() < self.settings.batch {
            match self.entries.try_recv() {
                Ok(entry) => self.push(&entry),
                Err(_) => break,
            }
        }
    }

    /// One insert of the batch (topped up from the channel first). On
    /// failure the batch is kept and the next attempt scheduled after a
    /// pause. `deadline` bounds the attempt. How many events the batch had
    /// when it went in (`None`: it did not).
    async fn ship(&mut self, deadline: Option<Instant>) -> Option<usize> {
        self.top_up();
        if self.batch.is_empty() {
            self.send_at = None;
            return Some(0);
        }
        let collection = self.collection().await;
        let outcome = match collection {
            None => Err("the MongoDB client could not be built".to_owned()),
            Some(collection) => {
                let insert = collection.insert_many(&self.batch).ordered(false);
                let result = match deadline {
                    Some(deadline) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        tokio::time::timeout(left, insert).await
                    }
                    None => Ok(insert.await),
                };
                match result {
                    Err(_) => Err("no answer before the flush deadline".to_owned()),
                    Ok(Ok(_)) => Ok(0),
                    Ok(Err(error)) => match classify(&error) {
                        InsertOutcome::Done => Ok(0),
                        InsertOutcome::Rejected(n) => Ok(n),
                        InsertOutcome::Retry => {
                            Err(scrub_credentials(&error.to_string()).into_owned())
                        }
                    },
                }
            }
        };
        match outcome {
            Ok(rejected) => {
                let n = self.batch.len();
                self.batch.clear();
                SHIPPED.inc_by((n - rejected) as u64);
                DROPPED_REJECTED.inc_by(rejected as u64);
                BUFFERED.sub(n as i64);
                if rejected > 0 {
                    tracing::warn!(rejected, "MongoDB refused log documents; they are dropped");
                }
                if self.failures > 0 {
                    tracing::info!(
                        failed_attempts = self.failures,
                        "log shipping to MongoDB resumed"
                    );
                }
                self.failures = 0;
                self.retry.reset();
                self.send_at = None;
                self.ensure_indexes().await;
                // More may be waiting: a full batch goes at once.
                self.top_up();
                if !self.batch.is_empty() {
                    let now = tokio::time::Instant::now();
                    self.send_at = Some(if self.batch.len() >= self.settings.batch {
                        now
                    } else {
                        now + self.settings.flush_interval
                    });
                }
                Some(n)
            }
            Err(error) => {
                FAILED_INSERTS.inc();
                if self.failures == 0 {
                    tracing::warn!(%error, buffered = self.batch.len() + self.entries.len(),
                        "cannot ship logs to MongoDB; keeping them and retrying (stdout goes on)");
                }
                self.failures += 1;
                self.send_at = Some(tokio::time::Instant::now() + self.retry.next_pause());
                None
            }
        }
    }

    /// Ships everything waiting now (the batch and the channel), retrying
    /// until `deadline`. Whether everything went in.
    async fn flush(&mut self, deadline: Instant) -> bool {
        // First in, first out: once this many went in, everything that was
        // waiting at the call is in.
        let mut waiting = self.batch.len() + self.entries.len();
        while waiting > 0 {
            match self.ship(Some(deadline)).await {
                Some(0) => break,
                Some(shipped) => {
                    waiting = waiting.saturating_sub(shipped);
                    continue;
                }
                None => {}
            }
            let pause = self
                .send_at
                .map_or(RETRY_MIN, |at| at - tokio::time::Instant::now());
            if Instant::now() + pause >= deadline {
                return false;
            }
            tokio::time::sleep(pause).await;
        }
        true
    }

    async fn collection(&mut self) -> Option<mongodb::Collection<RawDocumentBuf>> {
        if self.collection.is_none() {
            match read_models::mongo::client(&self.settings.mongodb_uri, "log-shipper").await {
                Ok(client) => {
                    self.collection = Some(
                        client
                            .database(&self.settings.database)
                            .collection(core_db::LOGS),
                    );
                }
                Err(error) => {
                    tracing::error!(
                        error = %scrub_credentials(&error.to_string()),
                        "LOG_SHIPPING_MONGODB_URI is not a valid MongoDB connection string"
                    );
                }
            }
        }
        self.collection.clone()
    }

    /// Creates the indexes when they are not yet (after a successful insert:
    /// MongoDB answers), at most once per pause while it fails.
    async fn ensure_indexes(&mut self) {
        if self.indexes_ready || tokio::time::Instant::now() < self.index_at {
            return;
        }
        let Some(collection) = self.collection.clone() else {
            return;
        };
        let retention = self.settings.retention.as_secs();
        match ensure_indexes(&collection, retention).await {
            Ok(()) => self.indexes_ready = true,
            Err(error) => {
                tracing::warn!(error = %scrub_credentials(&error.to_string()),
                    "cannot create the indexes of core.logs; retrying later");
                self.index_at = tokio::time::Instant::now() + self.index_retry.next_pause();
            }
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Creates the indexes of `core.logs` ([`core_db::log_indexes`]); when the
/// TTL index exists with another retention, changes it (`collMod`, else drop
/// and re-create).
pub async fn ensure_indexes<T: Send + Sync>(
    collection: &mongodb::Collection<T>,
    retention_secs: u64,
) -> mongodb::error::Result<()> {
    use futures::TryStreamExt;
    let existing: Vec<mongodb::IndexModel> = match collection.list_indexes().await {
        Ok(cursor) => cursor.try_collect().await?,
        // No collection yet (NamespaceNotFound): no index.
        Err(error) if command_code(&error) == Some(26) => Vec::new(),
        Err(error) => return Err(error),
    };
    let ttl = existing
        .iter()
        .filter_map(|index| index.options.as_ref())
        .find(|options| options.name.as_deref() == Some("ttl_time"));
    if let Some(options) = ttl {
        let current = options.expire_after.map(|d| d.as_secs());
        if current != Some(retention_secs) {
            let database = collection.client().database(&collection.namespace().db);
            let modified = database
                .run_command(bson::doc! {
                    "collMod": collection.name(),
                    "index": { "name": "ttl_time", "expireAfterSeconds": retention_secs as i64 },
                })
                .await;
            match modified {
                Ok(_) => tracing::info!(
                    from_secs = current,
                    to_secs = retention_secs,
                    "core.logs retention changed (collMod)"
                ),
                Err(error) => {
                    tracing::info!(error = %error, from_secs = current, to_secs = retention_secs,
                        "core.logs retention: collMod refused, re-creating the TTL index");
                    collection.drop_index("ttl_time").await?;
                }
            }
        }
    }
    collection
        .create_indexes(core_db::log_indexes(retention_secs))
        .await?;
    Ok(())
}

fn command_code(error: &mongodb::error::Error) -> Option<i32> {
    match error.kind.as_ref() {
        mongodb::error::ErrorKind::Command(e) => Some(e.code),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Starting and stopping

/// How long dropping a [`LogGuard`] waits for the shipper at most.
pub const DROP_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Keeps log shipping running: hold it until the process exits. On a
/// graceful shutdown call [`LogGuard::shutdown`] (dropping it does the same
/// with [`DROP_FLUSH_TIMEOUT`]) so the events still buffered are shipped
/// within a bounded time.
#[must_use = "dropping the guard stops log shipping: keep it until the process exits"]
pub struct LogGuard {
    control: Option<mpsc::UnboundedSender<Control>>,
}

impl fmt::Debug for LogGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogGuard")
            .field("shipping", &self.control.is_some())
            .finish()
    }
}

impl LogGuard {
    /// A guard of nothing (shipping off, or a second `init`).
    pub fn inert() -> Self {
        Self { control: None }
    }

    /// Whether logs are being shipped.
    pub fn is_shipping(&self) -> bool {
        self.control.is_some()
    }

    /// Waits until everything logged before the call is in MongoDB, at most
    /// `timeout`. Whether it all is (`true` when shipping is off). Blocks the
    /// calling thread.
    pub fn flush(&self, timeout: Duration) -> bool {
        let Some(control) = &self.control else {
            return true;
        };
        let (done, answer) = std::sync::mpsc::channel();
        let deadline = Instant::now() + timeout;
        if control.send(Control::Flush { deadline, done }).is_err() {
            return false;
        }
        answer.recv_timeout(timeout).unwrap_or(false)
    }

    /// Ships what is buffered (waiting at most `timeout`), then stops the
    /// shipper; what could not be shipped by then is counted as dropped.
    /// Whether everything was shipped. Blocks the calling thread.
    pub fn shutdown(mut self, timeout: Duration) -> bool {
        self.stop(timeout)
    }

    fn stop(&mut self, timeout: Duration) -> bool {
        let Some(control) = self.control.take() else {
            return true;
        };
        let (done, answer) = std::sync::mpsc::channel();
        let deadline = Instant::now() + timeout;
        if control.send(Control::Shutdown { deadline, done }).is_err() {
            return false;
        }
        answer.recv_timeout(timeout).unwrap_or(false)
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.stop(DROP_FLUSH_TIMEOUT);
    }
}

/// Starts the shipper thread for `service` and returns the layer to install
/// (with [`filter`]`(settings.level)`) and the guard that stops it.
pub fn start(service: &str, settings: ShipSettings) -> std::io::Result<(ShipLayer, LogGuard)> {
    let (sender, entries) = mpsc::channel(settings.buffer);
    let (control_sender, control) = mpsc::unbounded_channel();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("log-shipper-io")
        .on_thread_start(|| ON_SHIPPER.with(|on| on.set(true)))
        .build()?;
    let shipper_settings = settings.clone();
    let service = service.to_owned();
    std::thread::Builder::new()
        .name("log-shipper".into())
        .spawn(move || {
            ON_SHIPPER.with(|on| on.set(true));
            let shipper = Shipper {
                batch: Vec::with_capacity(shipper_settings.batch.min(4096)),
                settings: shipper_settings,
                service,
                instance: instance(),
                entries,
                control,
                collection: None,
                send_at: None,
                retry: Backoff::new(RETRY_MIN, RETRY_MAX),
                failures: 0,
                indexes_ready: false,
                index_at: tokio::time::Instant::now(),
                index_retry: Backoff::new(Duration::from_secs(1), INDEX_RETRY_MAX),
            };
            runtime.block_on(shipper.run());
        })?;
    Ok((
        ShipLayer { sender },
        LogGuard {
            control: Some(control_sender),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn the_defaults_ship_info_and_above_to_the_local_core_database() {
        let settings = ShipSettings::from_lookup(vars(&[])).unwrap();
        assert!(settings.enabled);
        assert_eq!(settings.mongodb_uri, DEFAULT_MONGODB_URI);
        assert_eq!(settings.database, "core");
        assert_eq!(settings.level, LevelFilter::INFO);
        assert_eq!(settings.buffer, 10_000);
        assert_eq!(settings.batch, 500);
        assert_eq!(settings.flush_interval, Duration::from_millis(500));
        assert_eq!(settings.retention, Duration::from_secs(14 * 86_400));
    }

    #[test]
    fn the_shipping_uri_falls_back_to_mongodb_uri_and_is_never_printed() {
        let settings =
            ShipSettings::from_lookup(vars(&[("MONGODB_URI", "mongodb://u:hunter2@db:27017")]))
                .unwrap();
        assert_eq!(settings.mongodb_uri, "mongodb://u:hunter2@db:27017");
        let settings = ShipSettings::from_lookup(vars(&[
            ("MONGODB_URI", "mongodb://a"),
            ("LOG_SHIPPING_MONGODB_URI", "mongodb://u:hunter2@logs"),
            ("MONGODB_CORE_DB", "core_x"),
            ("LOG_SHIPPING", "off"),
            ("LOG_SHIPPING_LEVEL", "WARN"),
            ("LOG_RETENTION_DAYS", "3"),
        ]))
        .unwrap();
        assert_eq!(settings.mongodb_uri, "mongodb://u:hunter2@logs");
        assert_eq!(settings.database, "core_x");
        assert!(!settings.enabled);
        assert_eq!(settings.level, LevelFilter::WARN);
        assert_eq!(settings.retention, Duration::from_secs(3 * 86_400));
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn invalid_values_name_their_variable() {
        for (name, value) in [
            ("LOG_SHIPPING", "maybe"),
            ("LOG_SHIPPING_LEVEL", "loud"),
            ("LOG_SHIPPING_BUFFER", "0"),
            ("LOG_SHIPPING_BUFFER", "many"),
            ("LOG_SHIPPING_BATCH", "-1"),
            ("LOG_SHIPPING_FLUSH_MS", "0"),
            ("LOG_RETENTION_DAYS", "0"),
        ] {
            let error = ShipSettings::from_lookup(vars(&[(name, value)])).unwrap_err();
            assert!(error.to_string().contains(name), "{error}");
        }
    }

    #[test]
    fn shipping_at_level_off_is_shipping_off() {
        let settings = ShipSettings::from_lookup(vars(&[("LOG_SHIPPING_LEVEL", "off")])).unwrap();
        assert!(!settings.enabled);
    }

    #[test]
    fn levels_are_named_in_lower_case() {
        let names: Vec<_> = [
            Level::ERROR,
            Level::WARN,
            Level::INFO,
            Level::DEBUG,
            Level::TRACE,
        ]
        .iter()
        .map(level_name)
        .collect();
        assert_eq!(names, ["error", "warn", "info", "debug", "trace"]);
    }

    #[test]
    fn field_names_that_say_secret_are_secret_in_any_case() {
        for name in [
            "password",
            "new_password",
            "DB_PASSWD",
            "client_secret",
            "token",
            "refresh_token",
            "Authorization",
            "set_cookie",
            "api_key",
            "X-ApiKey",
            "private_key",
            "credentials",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "user_id",
            "request_id",
            "status",
            "email",
            "route",
            "elapsed_ms",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn credentials_in_uris_are_scrubbed() {
        assert_eq!(
            scrub_credentials("connecting to postgres://astro:s3cret@db:5432/astro?x=1 failed"),
            "connecting to postgres://[redacted]@db:5432/astro?x=1 failed"
        );
        assert_eq!(
            scrub_credentials("a mongodb://u:p@h1,h2/?replicaSet=r and smtp://me:pw@mail:25"),
            "a mongodb://[redacted]@h1,h2/?replicaSet=r and smtp://[redacted]@mail:25"
        );
        assert!(matches!(
            scrub_credentials("nats://127.0.0.1:4222 and http://x/a@b"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(scrub_credentials("plain text"), Cow::Borrowed(_)));
    }

    fn entry(fields: Fields, spans: Vec<Fields>) -> Entry {
        Entry {
            time: BsonDateTime::from_millis(1_700_000_000_000),
            level: Level::INFO,
            target: Cow::Borrowed("command_api::routes"),
            message: "request served".into(),
            fields,
            spans: spans.into_iter().map(Arc::new).collect(),
        }
    }

    #[test]
    fn the_event_s_fields_win_over_its_spans_and_inner_spans_over_outer_ones() {
        let http: Fields = vec![
            ("method", FieldValue::Str("POST".into())),
            ("request_id", FieldValue::Str("r-1".into())),
            ("correlation_id", FieldValue::Str("c-1".into())),
            ("user_id", FieldValue::Str("u-1".into())),
            ("attempt", FieldValue::U64(1)),
        ];
        let inner: Fields = vec![
            ("attempt", FieldValue::U64(2)),
            ("launch", FieldValue::Str("l-1".into())),
        ];
        let event: Fields = vec![
            ("status", FieldValue::U64(201)),
            ("launch", FieldValue::Str("l-2".into())),
            ("elapsed_ms", FieldValue::F64(1.5)),
            ("ok", FieldValue::Bool(true)),
            ("delta", FieldValue::I64(-3)),
        ];
        let doc = log_doc(&entry(event, vec![inner, http]), "command-api", "h:1");
        assert_eq!(doc.service, "command-api");
        assert_eq!(doc.instance, "h:1");
        assert_eq!(doc.level, "info");
        assert_eq!(doc.target, "command_api::routes");
        assert_eq!(doc.message, "request served");
        assert_eq!(doc.request_id.as_deref(), Some("r-1"));
        assert_eq!(doc.correlation_id.as_deref(), Some("c-1"));
        assert_eq!(doc.user_id.as_deref(), Some("u-1"));
        assert_eq!(
            doc.fields,
            bson::doc! {
                "status": 201_i64, "launch": "l-2", "elapsed_ms": 1.5, "ok": true,
                "delta": -3_i64, "attempt": 2_i64, "method": "POST",
            }
        );
    }

    #[test]
    fn a_bridged_log_record_keeps_no_log_fields_and_uris_lose_their_credentials() {
        let event: Fields = vec![
            ("log.target", FieldValue::Str("sqlx::query".into())),
            ("log.line", FieldValue::U64(12)),
            ("url", FieldValue::Str("postgres://a:b@h/db".into())),
        ];
        let mut e = entry(event, vec![]);
        e.message = "cannot connect to mongodb://root:pw@h:27017".into();
        let doc = log_doc(&e, "s", "i");
        assert_eq!(
            doc.fields,
            bson::doc! { "url": "postgres://[redacted]@h/db" }
        );
        assert_eq!(
            doc.message,
            "cannot connect to mongodb://[redacted]@h:27017"
        );
        assert_eq!(doc.request_id, None);
    }

    #[test]
    fn a_document_is_shipped_with_an_id_first_and_exactly_the_shape_of_log_doc() {
        let http: Fields = vec![
            ("method", FieldValue::Str("POST".into())),
            ("request_id", FieldValue::Str("r-1".into())),
            ("correlation_id", FieldValue::Str("c-1".into())),
            ("user_id", FieldValue::Str("u-1".into())),
            ("attempt", FieldValue::U64(u64::MAX)),
        ];
        let event: Fields = vec![
            ("status", FieldValue::U64(201)),
            ("method", FieldValue::Str("GET".into())),
            ("log.line", FieldValue::U64(3)),
            ("url", FieldValue::Str("postgres://a:b@h/db".into())),
            ("elapsed_ms", FieldValue::F64(1.5)),
            ("ok", FieldValue::Bool(false)),
            ("delta", FieldValue::I64(-3)),
        ];
        for e in [entry(vec![], vec![]), entry(event, vec![http])] {
            let raw = raw_log_doc(&e, "s", "i");
            let first = raw.iter().next().unwrap().unwrap();
            assert_eq!(first.0, "_id");
            let mut shipped = bson::Document::try_from(raw.as_ref()).unwrap();
            shipped.remove("_id");
            let expected = bson::to_document(&log_doc(&e, "s", "i")).unwrap();
            assert_eq!(shipped, expected, "same fields, same order, same types");
        }
    }

    #[test]
    fn the_retry_pause_doubles_up_to_its_cap_and_resets() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let pauses: Vec<_> = (0..4).map(|_| backoff.next_pause().as_millis()).collect();
        assert_eq!(pauses, [100, 200, 350, 350]);
        backoff.reset();
        assert_eq!(backoff.next_pause(), Duration::from_millis(100));
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_VALUE_BYTES);
        let cut = bounded_str(&long);
        assert!(cut.len() <= MAX_VALUE_BYTES + '…'.len_utf8());
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn the_driver_and_the_shipper_are_never_shipped() {
        for target in [
            "mongodb::cmap",
            "hickory_proto::udp",
            "rustls::client",
            "platform::logship",
        ] {
            assert!(excluded_target(target), "{target}");
        }
        assert!(!excluded_target("platform::http"));
        assert!(!excluded_target("command_api::routes"));
    }
}
