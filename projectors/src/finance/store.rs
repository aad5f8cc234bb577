//! The finance tables in Postgres: reading the state [`plan`] needs and
//! writing what it planned, in the caller's transaction, in one schema —
//! `finance` (live) or `finance_rebuild` (a rebuild's copy). Rows go in with
//! `UNNEST` over column arrays: one statement per table and batch.
//!
//! [`plan`]: super::ledger::plan

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Utc};
use events::{Envelope, LaunchEvent};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::pg_text::{storable, NUL_REPLACEMENT};

use super::ledger::{
    holder_kind_name, holder_kind_of, reason_name, Changes, DocumentKind, InvoiceRef, Known,
    LaunchInfo,
};

/// A schema holding the finance tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// `finance`: what the query API serves.
    Live,
    /// `finance_rebuild`: a rebuild's copy.
    Rebuild,
}

impl Schema {
    /// Its name in SQL.
    pub fn name(self) -> &'static str {
        match self {
            Self::Live => "finance",
            Self::Rebuild => "finance_rebuild",
        }
    }
}

/// The projection's checkpoint in `schema`.
pub async fn checkpoint(conn: &mut PgConnection, schema: Schema) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT position FROM {}.checkpoint",
        schema.name()
    ))
    .fetch_one(conn)
    .await
}

/// Reads from `schema` what planning `events` needs: the launches they
/// book on or delay, the invoices of the bookings they cancel, and the
/// counters of their years.
pub async fn load_known(
    conn: &mut PgConnection,
    schema: Schema,
    events: &[Envelope<LaunchEvent>],
) -> Result<Known, sqlx::Error> {
    let s = schema.name();
    let mut launch_ids = BTreeSet::new();
    let mut booking_ids = BTreeSet::new();
    let mut years = BTreeSet::new();
    for envelope in events {
        years.insert(envelope.metadata.occurred_at.year());
        match &envelope.payload {
            LaunchEvent::SeatsBooked(_) | LaunchEvent::LaunchDelayed(_) => {
                if let Ok(id) = envelope.aggregate_id.parse::<Uuid>() {
                    launch_ids.insert(id);
                }
            }
            LaunchEvent::BookingCancelled(e) => {
                booking_ids.insert(e.booking_id);
            }
            _ => {}
        }
    }
    let mut known = Known::default();
    if !launch_ids.is_empty() {
        let ids: Vec<Uuid> = launch_ids.into_iter().collect();
        let rows = sqlx::query(&format!(
            "SELECT launch_id, rocket_name, spaceport, destination, departure_at
               FROM {s}.launches WHERE launch_id = ANY($1)"
        ))
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            known.launches.insert(
                row.try_get("launch_id")?,
                LaunchInfo {
                    rocket_name: row.try_get("rocket_name")?,
                    spaceport: row.try_get("spaceport")?,
                    destination: row.try_get("destination")?,
                    departure_at: row.try_get("departure_at")?,
                },
            );
        }
    }
    if !booking_ids.is_empty() {
        let ids: Vec<Uuid> = booking_ids.into_iter().collect();
        let rows = sqlx::query(&format!(
            "SELECT booking_id, number, launch_id, holder_id, holder_kind, total_cents,
                    cancelled_position IS NOT NULL AS cancelled
               FROM {s}.invoices WHERE booking_id = ANY($1)"
        ))
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            let kind: String = row.try_get("holder_kind")?;
            let holder_kind = holder_kind_of(&kind).ok_or_else(|| {
                sqlx::Error::Decode(format!("invoices.holder_kind {kind:?}").into())
            })?;
            known.invoices.insert(
                row.try_get("booking_id")?,
                InvoiceRef {
                    number: row.try_get("number")?,
                    launch_id: row.try_get("launch_id")?,
                    holder_id: row.try_get("holder_id")?,
                    holder_kind,
                    total_cents: row.try_get("total_cents")?,
                    cancelled: row.try_get("cancelled")?,
                },
            );
        }
    }
    if !years.is_empty() {
        let years: Vec<i32> = years.into_iter().collect();
        let rows = sqlx::query(&format!(
            "SELECT kind, year, last_number FROM {s}.counters WHERE year = ANY($1)"
        ))
        .bind(&years)
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            let kind: String = row.try_get("kind")?;
            let kind = DocumentKind::from_prefix(&kind)
                .ok_or_else(|| sqlx::Error::Decode(format!("counters.kind {kind:?}").into()))?;
            known
                .counters
                .insert((kind, row.try_get("year")?), row.try_get("last_number")?);
        }
    }
    Ok(known)
}

/// Writes `changes` and moves the checkpoint to `up_to`, in the caller's
/// transaction.
pub async fn write(
    conn: &mut PgConnection,
    schema: Schema,
    changes: &Changes,
    up_to: i64,
) -> Result<(), sqlx::Error> {
    let s = schema.name();
    if !changes.launches.is_empty() {
        let mut ids = Vec::new();
        let mut rockets = Vec::new();
        let mut spaceports = Vec::new();
        let mut destinations = Vec::new();
        let mut departures: Vec<DateTime<Utc>> = Vec::new();
        let mut positions = Vec::new();
        for (id, (info, position)) in &changes.launches {
            ids.push(*id);
            rockets.push(storable(&info.rocket_name).into_owned());
            spaceports.push(storable(&info.spaceport).into_owned());
            destinations.push(info.destination.as_str());
            departures.push(info.departure_at);
            positions.push(*position);
        }
        sqlx::query(&format!(
            "INSERT INTO {s}.launches
                    (launch_id, rocket_name, spaceport, destination, departure_at, last_position)
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[],
                                  $5::timestamptz[], $6::bigint[])
             ON CONFLICT (launch_id) DO UPDATE SET
                 rocket_name = EXCLUDED.rocket_name, spaceport = EXCLUDED.spaceport,
                 destination = EXCLUDED.destination, departure_at = EXCLUDED.departure_at,
                 last_position = EXCLUDED.last_position"
        ))
        .bind(&ids)
        .bind(&rockets)
        .bind(&spaceports)
        .bind(&destinations)
        .bind(&departures)
        .bind(&positions)
        .execute(&mut *conn)
        .await?;
    }
    write_invoices(conn, schema, changes).await?;
    write_credit_notes(conn, schema, changes).await?;
    if !changes.cancellations.is_empty() {
        let bookings: Vec<Uuid> = changes.cancellations.iter().map(|c| c.booking_id).collect();
        let ats: Vec<DateTime<Utc>> = changes
            .cancellations
            .iter()
            .map(|c| c.cancelled_at)
            .collect();
        let positions: Vec<i64> = changes.cancellations.iter().map(|c| c.position).collect();
        let updated = sqlx::query(&format!(
            "UPDATE {s}.invoices AS i SET cancelled_at = c.at, cancelled_position = c.position
               FROM UNNEST($1::uuid[], $2::timestamptz[], $3::bigint[]) AS c (booking_id, at, position)
              WHERE i.booking_id = c.booking_id AND i.cancelled_position IS NULL"
        ))
        .bind(&bookings)
        .bind(&ats)
        .bind(&positions)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if updated != bookings.len() as u64 {
            return Err(sqlx::Error::Protocol(format!(
                "{} of {} cancellations found their invoice",
                updated,
                bookings.len()
            )));
        }
    }
    if !changes.counters.is_empty() {
        let kinds: Vec<&str> = changes.counters.keys().map(|(k, _)| k.prefix()).collect();
        let years: Vec<i32> = changes.counters.keys().map(|(_, y)| *y).collect();
        let lasts: Vec<i32> = changes.counters.values().copied().collect();
        sqlx::query(&format!(
            "INSERT INTO {s}.counters (kind, year, last_number)
             SELECT * FROM UNNEST($1::text[], $2::int[], $3::int[])
             ON CONFLICT (kind, year) DO UPDATE SET last_number = EXCLUDED.last_number"
        ))
        .bind(&kinds)
        .bind(&years)
        .bind(&lasts)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(&format!("UPDATE {s}.checkpoint SET position = $1"))
        .bind(up_to)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Invoices and their lines go in with `COPY … FROM STDIN`: the bulk of
/// what a replay writes, and several times cheaper for the server than
/// `INSERT … SELECT FROM UNNEST` of seventeen arrays.
async fn write_invoices(
    conn: &mut PgConnection,
    schema: Schema,
    changes: &Changes,
) -> Result<(), sqlx::Error> {
    if changes.invoices.is_empty() {
        return Ok(());
    }
    let s = schema.name();
    let mut invoices = CopyRows::default();
    let mut lines = CopyRows::default();
    for invoice in &changes.invoices {
        invoices
            .text(&invoice.number)
            .value(invoice.year)
            .value(invoice.seq)
            .value(invoice.position)
            .value(invoice.event_id)
            .time(invoice.issued_at)
            .value(invoice.booking_id)
            .value(invoice.launch_id)
            .value(invoice.holder_id)
            .text(holder_kind_name(invoice.holder_kind))
            .value(invoice.seats)
            .value(invoice.unit_price_cents)
            .value(invoice.total_cents)
            .text(&invoice.launch.rocket_name)
            .text(&invoice.launch.spaceport)
            .text(&invoice.launch.destination)
            .time(invoice.launch.departure_at)
            .end_row();
        for line in &invoice.lines {
            lines
                .text(&invoice.number)
                .value(line.line_no)
                .text(&line.description)
                .text(&line.passenger_name)
                .value(line.quantity)
                .value(line.unit_price_cents)
                .value(line.amount_cents)
                .end_row();
        }
    }
    invoices
        .copy(
            conn,
            &format!(
                "COPY {s}.invoices (number, year, seq, position, event_id, issued_at, booking_id,
                    launch_id, holder_id, holder_kind, seats, unit_price_cents, total_cents,
                    rocket_name, spaceport, destination, departure_at) FROM STDIN"
            ),
        )
        .await?;
    lines
        .copy(
            conn,
            &format!(
                "COPY {s}.invoice_lines (invoice_number, line_no, description, passenger_name,
                    quantity, unit_price_cents, amount_cents) FROM STDIN"
            ),
        )
        .await
}

/// Rows in `COPY`'s text format: columns separated by tabs, rows by
/// newlines, with backslash, tab, newline and carriage return escaped.
#[derive(Default)]
struct CopyRows {
    buffer: String,
    at_row_start: bool,
}

impl CopyRows {
    fn separate(&mut self) {
        if !self.buffer.is_empty() && !self.at_row_start {
            self.buffer.push('\t');
        }
        self.at_row_start = false;
    }

    /// A text column; a NUL (from an old event) as U+FFFD, see
    /// [`crate::pg_text`].
    fn text(&mut self, value: &str) -> &mut Self {
        self.separate();
        for c in value.chars() {
            match c {
                '\0' => self.buffer.push(NUL_REPLACEMENT),
                '\\' => self.buffer.push_str("\\\\"),
                '\t' => self.buffer.push_str("\\t"),
                '\n' => self.buffer.push_str("\\n"),
                '\r' => self.buffer.push_str("\\r"),
                c => self.buffer.push(c),
            }
        }
        self
    }

    /// A number or a UUID: its `Display` needs no escaping.
    fn value(&mut self, value: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write;
        self.separate();
        let _ = write!(self.buffer, "{value}");
        self
    }

    /// A `timestamptz`, to the microsecond.
    fn time(&mut self, value: DateTime<Utc>) -> &mut Self {
        self.separate();
        self.buffer
            .push_str(&value.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
        self
    }

    fn end_row(&mut self) -> &mut Self {
        self.buffer.push('\n');
        self.at_row_start = true;
        self
    }

    async fn copy(&self, conn: &mut PgConnection, statement: &str) -> Result<(), sqlx::Error> {
        let mut copy = conn.copy_in_raw(statement).await?;
        if let Err(error) = copy.send(self.buffer.as_bytes()).await {
            let _ = copy.abort(error.to_string()).await;
            return Err(error);
        }
        copy.finish().await?;
        Ok(())
    }
}

async fn write_credit_notes(
    conn: &mut PgConnection,
    schema: Schema,
    changes: &Changes,
) -> Result<(), sqlx::Error> {
    if changes.credit_notes.is_empty() {
        return Ok(());
    }
    let s = schema.name();
    let notes = &changes.credit_notes;
    let column = |f: fn(&super::ledger::CreditNote) -> String| -> Vec<String> {
        notes.iter().map(f).collect()
    };
    sqlx::query(&format!(
        "INSERT INTO {s}.credit_notes (number, year, seq, position, event_id, issued_at,
                invoice_number, booking_id, launch_id, holder_id, holder_kind, refund_percent,
                amount_cents, reason)
         SELECT * FROM UNNEST($1::text[], $2::int[], $3::int[], $4::bigint[], $5::uuid[],
                $6::timestamptz[], $7::text[], $8::uuid[], $9::uuid[], $10::uuid[], $11::text[],
                $12::int[], $13::bigint[], $14::text[])"
    ))
    .bind(column(|n| n.number.clone()))
    .bind(notes.iter().map(|n| n.year).collect::<Vec<_>>())
    .bind(notes.iter().map(|n| n.seq).collect::<Vec<_>>())
    .bind(notes.iter().map(|n| n.position).collect::<Vec<_>>())
    .bind(notes.iter().map(|n| n.event_id).collect::<Vec<_>>())
    .bind(notes.iter().map(|n| n.issued_at).collect::<Vec<_>>())
    .bind(column(|n| n.invoice_number.clone()))
    .bind(notes.iter().map(|n| n.booking_id).collect::<Vec<_>>())
    .bind(notes.iter().map(|n| n.launch_id).collect::<Vec<_>>())
    .bind(notes.iter().map(|n| n.holder_id).collect::<Vec<_>>())
    .bind(column(|n| holder_kind_name(n.holder_kind).to_owned()))
    .bind(notes.iter().map(|n| n.refund_percent).collect::<Vec<_>>())
    .bind(notes.iter().map(|n| n.amount_cents).collect::<Vec<_>>())
    .bind(column(|n| reason_name(n.reason).to_owned()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A difference between the live tables and a rebuild.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableDifference {
    /// The table.
    pub table: &'static str,
    /// Rows only in the live table.
    pub only_live: i64,
    /// Rows only in the rebuild.
    pub only_rebuilt: i64,
    /// Keys of the first differing rows (at most 10).
    pub examples: Vec<String>,
}

/// The tables compared, with the key that names a differing row.
pub const TABLES: [(&str, &str); 6] = [
    ("checkpoint", "position::text"),
    ("counters", "kind || '-' || year"),
    ("launches", "launch_id::text"),
    ("invoices", "number"),
    ("invoice_lines", "invoice_number || '#' || line_no"),
    ("credit_notes", "number"),
];

/// Compares every finance table of the live schema with the rebuild's,
/// row by row and column by column.
pub async fn compare(conn: &mut PgConnection) -> Result<Vec<TableDifference>, sqlx::Error> {
    let live = Schema::Live.name();
    let rebuilt = Schema::Rebuild.name();
    let mut differences = Vec::new();
    for (table, key) in TABLES {
        let row = sqlx::query(&format!(
            "WITH only_live AS (SELECT * FROM {live}.{table} EXCEPT ALL SELECT * FROM {rebuilt}.{table}),
                  only_rebuilt AS (SELECT * FROM {rebuilt}.{table} EXCEPT ALL SELECT * FROM {live}.{table})
             SELECT (SELECT count(*) FROM only_live) AS only_live,
                    (SELECT count(*) FROM only_rebuilt) AS only_rebuilt,
                    ARRAY(SELECT DISTINCT k FROM (
                        SELECT {key} AS k FROM only_live
                        UNION ALL SELECT {key} AS k FROM only_rebuilt) AS keys
                          ORDER BY k LIMIT 10) AS examples"
        ))
        .fetch_one(&mut *conn)
        .await?;
        let only_live: i64 = row.try_get("only_live")?;
        let only_rebuilt: i64 = row.try_get("only_rebuilt")?;
        if only_live > 0 || only_rebuilt > 0 {
            differences.push(TableDifference {
                table,
                only_live,
                only_rebuilt,
                examples: row.try_get("examples")?,
            });
        }
    }
    Ok(differences)
}

/// Counts of the rows of `schema`, for reports.
pub async fn counts(
    conn: &mut PgConnection,
    schema: Schema,
) -> Result<HashMap<&'static str, i64>, sqlx::Error> {
    let mut counts = HashMap::new();
    for (table, _) in TABLES {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}.{table}", schema.name()))
            .fetch_one(&mut *conn)
            .await?;
        counts.insert(table, n);
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn copy_rows_separate_columns_and_rows_and_escape_what_copy_reads_specially() {
        let mut rows = CopyRows::default();
        rows.text("a\tb").value(7).end_row();
        rows.text("back\\slash\nnew\rline")
            .time(Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap())
            .end_row();
        assert_eq!(
            rows.buffer,
            "a\\tb\t7\nback\\\\slash\\nnew\\rline\t2026-12-31T23:59:59.000000Z\n"
        );
        let mut rows = CopyRows::default();
        rows.text("Ada\0Lovelace").end_row();
        assert_eq!(
            rows.buffer, "Ada\u{FFFD}Lovelace\n",
            "PostgreSQL refuses a NUL"
        );
    }
}
