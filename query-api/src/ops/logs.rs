//! The system logs (`core.logs`, one [`read_models::core_db::LogDoc`] per
//! log event of any service): filters, newest first, a keyset cursor, and
//! the same filters in memory for the followers of new entries (see
//! [`super::follow`]).
//!
//! **Paging.** Logs grow while one pages through them, so pages are cut by
//! a keyset cursor, not by an offset: a page is the `page_size` newest
//! entries strictly older than `before` (`<time>,<_id>`, the
//! `next_before` of the previous page), in `(time, _id)` descending order.
//! New entries never shift the next page, and nothing is counted (a count
//! of a collection that grows by the second is stale anyway).

use std::time::Duration;

use bson::oid::ObjectId;
use bson::{doc, Bson, DateTime as BsonDateTime, Document};
use chrono::{DateTime, SecondsFormat, Utc};
use futures::TryStreamExt;
use mongodb::Collection;
use serde::Serialize;
use utoipa::ToSchema;

use super::utc;

/// A log level, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `error`.
    Error,
    /// `warn`.
    Warn,
    /// `info`.
    Info,
    /// `debug`.
    Debug,
    /// `trace`.
    Trace,
}

impl Level {
    /// Every level, most severe first.
    pub const ALL: [Level; 5] = [
        Self::Error,
        Self::Warn,
        Self::Info,
        Self::Debug,
        Self::Trace,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }

    /// The level of a name (case-insensitive; `warning` is `warn`).
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "error" => Some(Self::Error),
            "warn" | "warning" => Some(Self::Warn),
            "info" => Some(Self::Info),
            "debug" => Some(Self::Debug),
            "trace" => Some(Self::Trace),
            _ => None,
        }
    }

    /// This level and the more severe ones.
    pub fn and_above(self) -> Vec<Level> {
        Self::ALL.into_iter().filter(|l| *l <= self).collect()
    }
}

/// Where to resume a listing: strictly older than this entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The entry's time.
    pub time: BsonDateTime,
    /// The entry's `_id`.
    pub id: ObjectId,
}

impl Cursor {
    /// `<RFC 3339 time, milliseconds, Z>,<24 hex digits>`.
    pub fn encode(&self) -> String {
        format!(
            "{},{}",
            self.time
                .to_chrono()
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            self.id.to_hex()
        )
    }

    /// The cursor [`Cursor::encode`] wrote (a `+` of an offset decoded to a
    /// space is read back as `+`).
    pub fn decode(raw: &str) -> Option<Self> {
        let (time, id) = raw.trim().rsplit_once(',')?;
        let time = DateTime::parse_from_rfc3339(&time.trim().replace(' ', "+"))
            .ok()
            .map(|time| time.with_timezone(&Utc))
            .filter(|time| crate::params::storable(*time))?;
        Some(Self {
            time: BsonDateTime::from_chrono(time),
            id: ObjectId::parse_str(id.trim()).ok()?,
        })
    }
}

/// Which entries to read; every empty or `None` field matches anything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogFilter {
    /// Only these levels (already the intersection of `level` and
    /// `min_level`; `Some(empty)` matches nothing).
    pub levels: Option<Vec<Level>>,
    /// Only these services.
    pub services: Vec<String>,
    /// The message contains this text, whatever the case.
    pub text: Option<String>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
    /// Exact correlation id.
    pub correlation_id: Option<String>,
    /// Exact request id.
    pub request_id: Option<String>,
    /// Exact user id.
    pub user_id: Option<String>,
}

impl LogFilter {
    /// The MongoDB filter, on fields named `<prefix><field>` (`""` for the
    /// collection, `fullDocument.` for a change stream's `$match`).
    pub fn to_document(&self, prefix: &str) -> Document {
        let field = |name: &str| format!("{prefix}{name}");
        let mut filter = Document::new();
        if let Some(levels) = &self.levels {
            let names: Vec<&str> = levels.iter().map(|l| l.as_str()).collect();
            filter.insert(field("level"), doc! { "$in": names });
        }
        match self.services.as_slice() {
            [] => {}
            [one] => {
                filter.insert(field("service"), one.as_str());
            }
            many => {
                filter.insert(field("service"), doc! { "$in": many });
            }
        }
        if let Some(text) = &self.text {
            filter.insert(
                field("message"),
                doc! { "$regex": regex_escape(text), "$options": "i" },
            );
        }
        let mut time = Document::new();
        if let Some(from) = self.from {
            time.insert("$gte", BsonDateTime::from_chrono(from));
        }
        if let Some(to) = self.to {
            time.insert("$lt", BsonDateTime::from_chrono(to));
        }
        if !time.is_empty() {
            filter.insert(field("time"), time);
        }
        for (name, value) in [
            ("correlation_id", &self.correlation_id),
            ("request_id", &self.request_id),
            ("user_id", &self.user_id),
        ] {
            if let Some(value) = value {
                filter.insert(field(name), value.as_str());
            }
        }
        filter
    }

    /// Whether `entry` passes the filter, as [`LogFilter::to_document`]'s
    /// query would select it (a follower filters the shared stream in
    /// memory).
    pub fn matches(&self, entry: &LogEntry) -> bool {
        let level = Level::parse(&entry.level);
        let exact = |wanted: &Option<String>, got: &Option<String>| {
            wanted.is_none() || wanted.as_deref() == got.as_deref()
        };
        self.levels
            .as_ref()
            .is_none_or(|levels| level.is_some_and(|l| levels.contains(&l)))
            && (self.services.is_empty() || self.services.contains(&entry.service))
            && self
                .text
                .as_ref()
                .is_none_or(|text| entry.message.to_lowercase().contains(&text.to_lowercase()))
            && self.from.is_none_or(|from| entry.time >= from)
            && self.to.is_none_or(|to| entry.time < to)
            && exact(&self.correlation_id, &entry.correlation_id)
            && exact(&self.request_id, &entry.request_id)
            && exact(&self.user_id, &entry.user_id)
    }
}

/// `text` with every regular expression metacharacter escaped, so that it
/// matches itself.
pub fn regex_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// One log entry as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LogEntry {
    /// The entry's id (a MongoDB ObjectId, hex).
    #[schema(example = "6744a5f0c2a1b2c3d4e5f601")]
    pub id: String,
    /// When it was logged (milliseconds).
    pub time: DateTime<Utc>,
    /// `error`, `warn`, `info`, `debug` or `trace`.
    #[schema(example = "warn")]
    pub level: String,
    /// The service that logged it.
    #[schema(example = "command-api")]
    pub service: String,
    /// The process (host name and pid).
    pub instance: String,
    /// The Rust module that logged it.
    pub target: String,
    /// The message.
    pub message: String,
    /// The event's other fields and its spans' (secrets redacted by the
    /// shipper), as relaxed extended JSON.
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
    /// The HTTP request, if any.
    pub request_id: Option<String>,
    /// The correlation id, if any.
    pub correlation_id: Option<String>,
    /// The authenticated user, if any.
    pub user_id: Option<String>,
}

impl LogEntry {
    /// The entry of a stored document; `None` when it has no ObjectId
    /// `_id` or no `time` (not a shipped entry).
    pub fn from_document(doc: &Document) -> Option<Self> {
        let id = doc.get_object_id("_id").ok()?;
        let time = *doc.get_datetime("time").ok()?;
        let text = |name: &str| doc.get_str(name).unwrap_or_default().to_owned();
        let optional = |name: &str| doc.get_str(name).ok().map(str::to_owned);
        let fields = match doc.get("fields") {
            Some(Bson::Document(fields)) => Bson::Document(fields.clone()).into_relaxed_extjson(),
            _ => serde_json::Value::Object(serde_json::Map::new()),
        };
        Some(Self {
            id: id.to_hex(),
            time: utc(time),
            level: text("level"),
            service: text("service"),
            instance: text("instance"),
            target: text("target"),
            message: text("message"),
            fields,
            request_id: optional("request_id"),
            correlation_id: optional("correlation_id"),
            user_id: optional("user_id"),
        })
    }

    /// The cursor of the entries older than this one.
    pub fn cursor(&self) -> Option<Cursor> {
        Some(Cursor {
            time: BsonDateTime::from_chrono(self.time),
            id: ObjectId::parse_str(&self.id).ok()?,
        })
    }
}

/// Up to `limit` entries matching `filter` older than `before`, newest
/// first, and whether there are more.
pub async fn page(
    logs: &Collection<Document>,
    filter: &LogFilter,
    before: Option<Cursor>,
    limit: u64,
) -> Result<(Vec<LogEntry>, bool), mongodb::error::Error> {
    let mut query = filter.to_document("");
    if let Some(before) = before {
        let keyset = doc! { "$or": [
            { "time": { "$lt": before.time } },
            { "time": before.time, "_id": { "$lt": before.id } },
        ] };
        query = if query.is_empty() {
            keyset
        } else {
            doc! { "$and": [query, keyset] }
        };
    }
    let docs: Vec<Document> = logs
        .find(query)
        .sort(doc! { "time": -1, "_id": -1 })
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .await?
        .try_collect()
        .await?;
    let more = docs.len() as u64 > limit;
    let entries = docs
        .iter()
        .take(limit as usize)
        .filter_map(LogEntry::from_document)
        .collect();
    Ok((entries, more))
}

/// How often a following client gets a comment line when nothing new came
/// (keeps proxies from closing an idle connection).
pub const HEARTBEAT: Duration = Duration::from_secs(15);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimum_level_includes_the_more_severe_ones() {
        assert_eq!(Level::Warn.and_above(), [Level::Error, Level::Warn]);
        assert_eq!(Level::Trace.and_above().len(), 5);
        assert_eq!(Level::parse(" WARNING "), Some(Level::Warn));
        assert_eq!(Level::parse("fatal"), None);
    }

    #[test]
    fn a_cursor_round_trips() {
        let cursor = Cursor {
            time: BsonDateTime::from_millis(1_764_064_800_123),
            id: ObjectId::new(),
        };
        let encoded = cursor.encode();
        assert!(
            encoded.starts_with("2025-11-25T10:00:00.123Z,"),
            "{encoded}"
        );
        assert_eq!(Cursor::decode(&encoded), Some(cursor));
        assert_eq!(Cursor::decode("yesterday,abc"), None);
        assert_eq!(Cursor::decode("2025-11-25T10:00:00Z"), None);
    }

    #[test]
    fn text_is_matched_literally() {
        assert_eq!(regex_escape("a.b*(c)"), r"a\.b\*\(c\)");
        assert_eq!(regex_escape("plain text"), "plain text");
    }

    #[test]
    fn filters_name_their_fields_with_the_prefix() {
        let filter = LogFilter {
            levels: Some(vec![Level::Error, Level::Warn]),
            services: vec!["auth".into()],
            text: Some("Timed out".into()),
            correlation_id: Some("c-1".into()),
            ..LogFilter::default()
        };
        let document = filter.to_document("fullDocument.");
        assert_eq!(
            document,
            doc! {
                "fullDocument.level": { "$in": ["error", "warn"] },
                "fullDocument.service": "auth",
                "fullDocument.message": { "$regex": "Timed out", "$options": "i" },
                "fullDocument.correlation_id": "c-1",
            }
        );
        assert!(LogFilter::default().to_document("").is_empty());
    }

    #[test]
    fn a_follower_filter_matches_in_memory_as_the_query_would() {
        let at = Utc::now();
        let entry = LogEntry {
            id: ObjectId::new().to_hex(),
            time: at,
            level: "warn".into(),
            service: "auth".into(),
            instance: "h:1".into(),
            target: "auth::routes".into(),
            message: "Mongo TIMED OUT (a.b)".into(),
            fields: serde_json::json!({}),
            request_id: Some("req-1".into()),
            correlation_id: Some("c-1".into()),
            user_id: None,
        };
        let hour = chrono::Duration::hours(1);
        let passes = |filter: LogFilter| filter.matches(&entry);
        assert!(passes(LogFilter::default()));
        assert!(passes(LogFilter {
            levels: Some(Level::Warn.and_above()),
            services: vec!["notifier".into(), "auth".into()],
            text: Some("timed out (a.b".into()),
            from: Some(at),
            to: Some(at + hour),
            correlation_id: Some("c-1".into()),
            request_id: Some("req-1".into()),
            user_id: None,
        }));
        for filter in [
            LogFilter {
                levels: Some(vec![Level::Error]),
                ..LogFilter::default()
            },
            LogFilter {
                levels: Some(Vec::new()),
                ..LogFilter::default()
            },
            LogFilter {
                services: vec!["notifier".into()],
                ..LogFilter::default()
            },
            LogFilter {
                text: Some("a*b".into()),
                ..LogFilter::default()
            },
            LogFilter {
                from: Some(at + hour),
                ..LogFilter::default()
            },
            LogFilter {
                to: Some(at),
                ..LogFilter::default()
            },
            LogFilter {
                correlation_id: Some("c-2".into()),
                ..LogFilter::default()
            },
            LogFilter {
                user_id: Some("u".into()),
                ..LogFilter::default()
            },
        ] {
            assert!(!passes(filter.clone()), "{filter:?}");
        }
    }
}
