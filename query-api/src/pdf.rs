//! The printable invoice and credit note: an A4 PDF laid out here and
//! written by `printpdf` with the PDF's built-in Helvetica fonts (nothing to
//! embed, text extractable and searchable).
//!
//! The built-in fonts show the WinAnsi (Windows-1252) characters only:
//! Latin letters with their accents, `€`, typographic quotes and dashes.
//! Any other character (Polish `Ł`, Greek, CJK, emoji…) is printed as `?`
//! rather than failing the document; control characters become spaces.
//! Widths for alignment and wrapping come from Helvetica's published
//! metrics (ASCII; other characters are estimated).
//!
//! The document is a function of the view: the same invoice renders the
//! same pages, dated by its issue date (only the file identifier that
//! `printpdf` draws at random differs from one rendering to the next).

use chrono::{DateTime, Utc};
use printpdf::{
    BuiltinFont, Color, Line, LinePoint, Mm, Op, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rgb, TextItem,
};

use crate::finance_views::{Document, DocumentDetail, KindDetails, Payer};

/// Who issues the invoices (`INVOICE_ISSUER_*`, `INVOICE_CURRENCY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// `INVOICE_ISSUER_NAME`.
    pub name: String,
    /// `INVOICE_ISSUER_ADDRESS`, one entry per printed line.
    pub address: Vec<String>,
    /// `INVOICE_ISSUER_TAX_ID`, printed when set.
    pub tax_id: Option<String>,
    /// `INVOICE_CURRENCY`: the ISO 4217 code amounts are printed in.
    pub currency: String,
}

impl Issuer {
    /// The lines of an address given in one variable: separated by `|`, by
    /// newlines, or by the two characters `\n`; blank lines are dropped.
    pub fn address_lines(raw: &str) -> Vec<String> {
        raw.replace("\\n", "\n")
            .split(['|', '\n'])
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// `cents` as an amount of `currency` with thousands separators:
/// `EUR 1,234.50`, `EUR -0.05`.
pub fn format_money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let units = (cents / 100).to_string();
    let mut grouped = String::with_capacity(units.len() + units.len() / 3);
    for (i, digit) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{currency} {sign}{grouped}.{:02}", cents % 100)
}

/// `text` with every character the built-in fonts cannot show replaced by
/// `?` (control characters by a space).
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            c if c.is_control() => ' ',
            ' '..='~' | '\u{a0}'..='\u{ff}' => c,
            '€' | '‚' | 'ƒ' | '„' | '…' | '†' | '‡' | 'ˆ' | '‰' | 'Š' | '‹' | 'Œ' | 'Ž' | '‘'
            | '’' | '“' | '”' | '•' | '–' | '—' | '˜' | '™' | 'š' | '›' | 'œ' | 'ž' | 'Ÿ' => {
                c
            }
            _ => '?',
        })
        .collect()
}

/// The words for a destination code.
fn destination_name(code: &str) -> String {
    match code {
        "suborbital" => "Suborbital".into(),
        "low_earth_orbit" => "Low Earth orbit".into(),
        "moon" => "Moon".into(),
        "mars" => "Mars".into(),
        other => other.replace('_', " "),
    }
}

/// The words for a credit note's reason.
fn reason_text(reason: &str) -> String {
    match reason {
        "holder_cancelled" => "booking cancelled by the holder".into(),
        "launch_aborted" => "launch aborted".into(),
        other => other.replace('_', " "),
    }
}

fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

fn date_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Advance widths of Helvetica for ASCII 32..=126, in 1/1000 em (AFM).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// Advance widths of Helvetica-Bold for ASCII 32..=126, in 1/1000 em (AFM).
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// A font, its size in points and its grey level (0 black, 1 white).
#[derive(Debug, Clone, Copy)]
struct Style {
    size: f32,
    bold: bool,
    grey: f32,
}

const fn style(size: f32, bold: bool, grey: f32) -> Style {
    Style { size, bold, grey }
}

const BODY: Style = style(9.5, false, 0.0);
const STRONG: Style = style(9.5, true, 0.0);
const LABEL: Style = style(8.0, false, 0.4);
const HEADING: Style = style(8.0, true, 0.4);
const SMALL: Style = style(8.0, false, 0.0);
const CELL: Style = style(8.5, false, 0.0);
const CELL_HEAD: Style = style(8.0, true, 0.25);
const FOOTER: Style = style(7.5, false, 0.45);

/// Width of `text` printed in `style`, in millimetres.
fn width_mm(text: &str, style: Style) -> f32 {
    let table = if style.bold {
        &HELVETICA_BOLD
    } else {
        &HELVETICA
    };
    let units: u32 = text
        .chars()
        .map(|c| match c {
            ' '..='~' => u32::from(table[c as usize - 32]),
            _ if style.bold => 611,
            _ => 556,
        })
        .sum();
    units as f32 / 1000.0 * style.size * 25.4 / 72.0
}

/// `text` broken into lines no wider than `width` mm, at spaces, and
/// inside words too long for a line.
fn wrap(text: &str, width: f32, style: Style) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if width_mm(&candidate, style) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            line.push(c);
            if width_mm(&line, style) > width && line.chars().count() > 1 {
                line.pop();
                lines.push(std::mem::take(&mut line));
                line.push(c);
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `parts` joined by `separator` into lines no wider than `width` mm,
/// breaking between parts (and inside a part too long for a line).
fn join_wrapped(parts: &[String], separator: &str, width: f32, style: Style) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in parts {
        let part = printable(part);
        match lines.last_mut() {
            Some(line) if width_mm(&format!("{line}{separator}{part}"), style) <= width => {
                line.push_str(separator);
                line.push_str(&part);
            }
            _ => lines.extend(wrap(&part, width, style)),
        }
    }
    lines
}

/// `style` made smaller until `text` fits `width` mm (amounts are never
/// cut).
fn shrunk(text: &str, width: f32, mut style: Style) -> Style {
    while style.size > 5.0 && width_mm(text, style) > width {
        style.size -= 0.5;
    }
    style
}

const PAGE_WIDTH: f32 = 210.0;
const PAGE_HEIGHT: f32 = 297.0;
const LEFT: f32 = 20.0;
const RIGHT: f32 = 190.0;
/// The lowest baseline of the content (distances from the top edge).
const CONTENT_BOTTOM: f32 = 268.0;
/// The footer's first baseline.
const FOOTER_TOP: f32 = 280.0;

/// The pages being drawn; positions are millimetres from the page's left
/// and top edges.
struct Canvas {
    pages: Vec<Vec<Op>>,
}

impl Canvas {
    fn new() -> Self {
        Self {
            pages: vec![Vec::new()],
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
    }

    fn grey(level: f32) -> Color {
        Color::Rgb(Rgb {
            r: level,
            g: level,
            b: level,
            icc_profile: None,
        })
    }

    /// `text` with its baseline `top` mm from the top, starting at `x`.
    fn text(&mut self, x: f32, top: f32, style: Style, text: &str) {
        let font = if style.bold {
            BuiltinFont::HelveticaBold
        } else {
            BuiltinFont::Helvetica
        };
        self.ops().extend([
            Op::StartTextSection,
            Op::SetFillColor {
                col: Self::grey(style.grey),
            },
            Op::SetFont {
                font: PdfFontHandle::Builtin(font),
                size: Pt(style.size),
            },
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(PAGE_HEIGHT - top)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(printable(text))],
            },
            Op::EndTextSection,
        ]);
    }

    /// `text` ending at `right`.
    fn text_right(&mut self, right: f32, top: f32, style: Style, text: &str) {
        let text = printable(text);
        let x = right - width_mm(&text, style);
        self.text(x, top, style, &text);
    }

    /// A horizontal line from `x1` to `x2`, `top` mm from the top.
    fn rule(&mut self, x1: f32, x2: f32, top: f32, thickness: f32, grey: f32) {
        let y = Mm(PAGE_HEIGHT - top);
        self.ops().extend([
            Op::SetOutlineColor {
                col: Self::grey(grey),
            },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: vec![
                        LinePoint {
                            p: Point::new(Mm(x1), y),
                            bezier: false,
                        },
                        LinePoint {
                            p: Point::new(Mm(x2), y),
                            bezier: false,
                        },
                    ],
                    is_closed: false,
                },
            },
        ]);
    }
}

/// How a table column is laid out.
#[derive(Debug, Clone, Copy)]
struct Column {
    title: &'static str,
    /// Left edge, or right edge when `right_aligned`.
    x: f32,
    width: f32,
    right_aligned: bool,
}

const fn column(title: &'static str, x: f32, width: f32, right_aligned: bool) -> Column {
    Column {
        title,
        x,
        width,
        right_aligned,
    }
}

const LINE_HEIGHT: f32 = 4.0;

/// Draws the header row of `columns` at `top`; returns the next row's top.
fn table_head(canvas: &mut Canvas, columns: &[Column], top: f32) -> f32 {
    canvas.rule(LEFT, RIGHT, top - 4.0, 0.8, 0.2);
    for column in columns {
        let title = column.title;
        if column.right_aligned {
            canvas.text_right(column.x, top, CELL_HEAD, title);
        } else {
            canvas.text(column.x, top, CELL_HEAD, title);
        }
    }
    canvas.rule(LEFT, RIGHT, top + 2.0, 0.4, 0.2);
    top + 6.5
}

/// Draws the rows (one cell per column, text wrapped in the left-aligned
/// ones, amounts shrunk to fit the right-aligned ones) from `top`, on new
/// pages as needed; returns the top of what follows.
fn table(canvas: &mut Canvas, columns: &[Column], rows: &[Vec<String>], top: f32) -> f32 {
    let mut top = table_head(canvas, columns, top);
    for row in rows {
        let cells: Vec<Vec<String>> = columns
            .iter()
            .zip(row)
            .map(|(column, cell)| {
                if column.right_aligned {
                    vec![cell.clone()]
                } else {
                    wrap(&printable(cell), column.width, CELL)
                }
            })
            .collect();
        let height = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * LINE_HEIGHT;
        if top + height > CONTENT_BOTTOM {
            canvas.new_page();
            top = table_head(canvas, columns, 25.0);
        }
        for (column, lines) in columns.iter().zip(&cells) {
            for (i, line) in lines.iter().enumerate() {
                let baseline = top + i as f32 * LINE_HEIGHT;
                if column.right_aligned {
                    let style = shrunk(line, column.width, CELL);
                    canvas.text_right(column.x, baseline, style, line);
                } else {
                    canvas.text(column.x, baseline, CELL, line);
                }
            }
        }
        top += height;
        canvas.rule(LEFT, RIGHT, top - 1.8, 0.3, 0.75);
        top += 2.5;
    }
    top
}

/// Label and value pairs, the value right-aligned at [`RIGHT`].
fn summary(canvas: &mut Canvas, top: f32, rows: &[(String, String, bool)]) -> f32 {
    let mut top = top;
    for (label, value, strong) in rows {
        if top > CONTENT_BOTTOM {
            canvas.new_page();
            top = 25.0;
        }
        let (label_style, value_style) = if *strong {
            (STRONG, style(11.0, true, 0.0))
        } else {
            (BODY, BODY)
        };
        canvas.text_right(150.0, top, label_style, label);
        let value_style = shrunk(value, 38.0, value_style);
        canvas.text_right(RIGHT, top, value_style, value);
        top += if *strong { 6.0 } else { 5.0 };
    }
    top
}

/// Paragraphs of notes, wrapped to the page's width.
fn notes(canvas: &mut Canvas, top: f32, paragraphs: &[String]) -> f32 {
    let mut top = top;
    for paragraph in paragraphs {
        for line in wrap(&printable(paragraph), RIGHT - LEFT, SMALL) {
            if top > CONTENT_BOTTOM {
                canvas.new_page();
                top = 25.0;
            }
            canvas.text(LEFT, top, SMALL, &line);
            top += LINE_HEIGHT;
        }
        top += 1.5;
    }
    top
}

/// The payer's block, as printed lines (the first one bold).
fn payer_lines(detail: &DocumentDetail) -> Vec<String> {
    let holder = detail.document.holder_id;
    let mut lines = Vec::new();
    match &detail.payer {
        Payer::Traveler { full_name, email } => {
            lines.push(
                full_name
                    .clone()
                    .unwrap_or_else(|| format!("Traveler {holder}")),
            );
            lines.extend(email.clone());
        }
        Payer::Agency {
            legal_name,
            tax_id,
            address,
            contact,
            email,
        } => {
            lines.push(
                legal_name
                    .clone()
                    .unwrap_or_else(|| format!("Agency {holder}")),
            );
            if let Some(address) = address {
                lines.push(address.line1.clone());
                lines.extend(address.line2.clone());
                lines.push(format!("{} {}", address.postal_code, address.city));
                lines.push(address.country.clone());
            }
            if let Some(tax_id) = tax_id {
                lines.push(format!("VAT ID: {tax_id}"));
            }
            if let Some(contact) = contact {
                lines.push(format!("Attn: {}", contact.name));
            }
            lines.extend(email.clone());
        }
    }
    lines
}

/// Renders `detail` as a PDF document issued by `issuer`.
pub fn render(detail: &DocumentDetail, issuer: &Issuer) -> Vec<u8> {
    let document = &detail.document;
    let currency = issuer.currency.as_str();
    let money = |cents: i64| format_money(cents, currency);
    let is_invoice = matches!(document.details, KindDetails::Invoice { .. });
    let title = if is_invoice { "Invoice" } else { "Credit note" };
    let mut canvas = Canvas::new();

    // The issuer, top left.
    canvas.text(LEFT, 25.0, style(15.0, true, 0.0), &issuer.name);
    let mut left_top = 31.5;
    for line in &issuer.address {
        canvas.text(LEFT, left_top, BODY, line);
        left_top += 4.4;
    }
    if let Some(tax_id) = &issuer.tax_id {
        canvas.text(LEFT, left_top, BODY, &format!("VAT ID: {tax_id}"));
        left_top += 4.4;
    }

    // The title and the document's references, top right.
    canvas.text_right(RIGHT, 26.0, style(20.0, true, 0.1), &title.to_uppercase());
    let mut references = vec![
        ("Number".to_owned(), document.number.clone()),
        ("Issue date".to_owned(), date(document.issued_at)),
    ];
    if let KindDetails::CreditNote { invoice_number, .. } = &document.details {
        references.push(("Credits invoice".into(), invoice_number.clone()));
        if let Some(issued_at) = detail.invoice_issued_at {
            references.push(("Invoice date".into(), date(issued_at)));
        }
    }
    if let Some(as_of) = detail.horizon.as_of {
        references.push(("As of".into(), date_time(as_of)));
    }
    let mut right_top = 34.0;
    for (label, value) in &references {
        canvas.text(122.0, right_top, LABEL, label);
        canvas.text_right(RIGHT, right_top, STRONG, value);
        right_top += 5.0;
    }

    // The payer, left; the launch and the booking, right.
    let top = left_top.max(right_top) + 9.0;
    canvas.text(
        LEFT,
        top,
        HEADING,
        if is_invoice { "BILL TO" } else { "CREDIT TO" },
    );
    let mut left_top = top + 5.5;
    for (i, line) in payer_lines(detail).iter().enumerate() {
        let line_style = if i == 0 { STRONG } else { BODY };
        for part in wrap(&printable(line), 82.0, line_style) {
            canvas.text(LEFT, left_top, line_style, &part);
            left_top += 4.4;
        }
    }
    canvas.text(
        LEFT,
        left_top + 0.5,
        LABEL,
        &format!("Customer ID {}", document.holder_id),
    );
    left_top += 5.0;

    canvas.text(110.0, top, HEADING, "LAUNCH");
    let launch = &detail.launch;
    let facts = [
        ("Rocket", launch.rocket_name.clone()),
        ("Spaceport", launch.spaceport.clone()),
        ("Destination", destination_name(&launch.destination)),
        ("Departure", date_time(launch.departure_at)),
        ("Booking", document.booking_id.to_string()),
    ];
    let mut right_top = top + 5.5;
    for (label, value) in facts {
        canvas.text(110.0, right_top, LABEL, label);
        let value_style = if label == "Booking" { SMALL } else { BODY };
        for part in wrap(&printable(&value), RIGHT - 131.0, value_style) {
            canvas.text(131.0, right_top, value_style, &part);
            right_top += 4.4;
        }
    }

    // The lines.
    let top = left_top.max(right_top) + 10.0;
    let mut paragraphs = Vec::new();
    let end = match &document.details {
        KindDetails::Invoice {
            seats,
            cancelled_at,
            ..
        } => {
            let columns = [
                column("#", 25.0, 5.0, true),
                column("Description", 28.0, 54.0, false),
                column("Passenger", 85.0, 40.0, false),
                column("Qty", 133.0, 7.0, true),
                column("Unit price", 161.0, 26.0, true),
                column("Amount", RIGHT, 27.0, true),
            ];
            let rows: Vec<Vec<String>> = detail
                .lines
                .iter()
                .flatten()
                .map(|line| {
                    vec![
                        line.line_no.to_string(),
                        line.description.clone(),
                        line.passenger_name.clone(),
                        line.quantity.to_string(),
                        money(line.unit_price_cents),
                        money(line.amount_cents),
                    ]
                })
                .collect();
            let top = table(&mut canvas, &columns, &rows, top);
            let seats = if *seats == 1 {
                "1 seat".to_owned()
            } else {
                format!("{seats} seats")
            };
            let top = summary(
                &mut canvas,
                top + 3.0,
                &[(
                    format!("Total ({seats})"),
                    money(document.amount_cents),
                    true,
                )],
            );
            paragraphs.push(format!(
                "Amounts in {currency}. Paid in full at booking. Please quote {} in any correspondence.",
                document.number
            ));
            if let Some(cancelled_at) = cancelled_at {
                paragraphs.push(format!(
                    "This booking was cancelled on {}.",
                    date(*cancelled_at)
                ));
            }
            let credits: Vec<String> = detail
                .credit_notes
                .iter()
                .flatten()
                .map(|note: &Document| {
                    format!(
                        "{} of {} ({})",
                        note.number,
                        date(note.issued_at),
                        money(note.amount_cents)
                    )
                })
                .collect();
            if !credits.is_empty() {
                paragraphs.push(format!(
                    "Credit notes issued against this invoice: {}.",
                    credits.join("; ")
                ));
            }
            top
        }
        KindDetails::CreditNote {
            invoice_number,
            refund_percent,
            reason,
        } => {
            let columns = [
                column("Description", LEFT, 120.0, false),
                column("Amount", RIGHT, 40.0, true),
            ];
            let rows = vec![vec![
                format!(
                    "Refund of {refund_percent}% of invoice {invoice_number} ({}), \
                     {} to {}, departing {}",
                    reason_text(reason),
                    launch.rocket_name,
                    destination_name(&launch.destination),
                    date(launch.departure_at),
                ),
                money(document.amount_cents),
            ]];
            let top = table(&mut canvas, &columns, &rows, top);
            let mut totals = Vec::new();
            if let Some(invoice_total) = detail.invoice_total_cents {
                totals.push(("Invoice total".to_owned(), money(invoice_total), false));
            }
            totals.push(("Refund".to_owned(), format!("{refund_percent}%"), false));
            totals.push((
                "Total credited".to_owned(),
                money(document.amount_cents),
                true,
            ));
            let top = summary(&mut canvas, top + 3.0, &totals);
            paragraphs.push(format!(
                "Amounts in {currency}. Reason: {}. The amount credited is refunded to the \
                 original means of payment. Please quote {} in any correspondence.",
                reason_text(reason),
                document.number
            ));
            top
        }
    };
    notes(&mut canvas, end + 6.0, &paragraphs);

    // The footer of every page.
    let mut footer = vec![issuer.name.clone()];
    footer.extend(issuer.address.iter().cloned());
    if let Some(tax_id) = &issuer.tax_id {
        footer.push(format!("VAT ID {tax_id}"));
    }
    let count = canvas.pages.len();
    let pages: Vec<PdfPage> = std::mem::take(&mut canvas.pages)
        .into_iter()
        .enumerate()
        .map(|(i, ops)| {
            let mut page = Canvas { pages: vec![ops] };
            page.rule(LEFT, RIGHT, FOOTER_TOP - 4.0, 0.3, 0.75);
            let page_of = format!("{} · page {} of {count}", document.number, i + 1);
            page.text_right(RIGHT, FOOTER_TOP, FOOTER, &page_of);
            let width = RIGHT - LEFT - width_mm(&printable(&page_of), FOOTER) - 6.0;
            let mut top = FOOTER_TOP;
            for line in join_wrapped(&footer, " · ", width, FOOTER) {
                page.text(LEFT, top, FOOTER, &line);
                top += 3.4;
            }
            let ops = page.pages.pop().unwrap_or_default();
            PdfPage::new(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), ops)
        })
        .collect();

    let mut pdf = PdfDocument::new(&printable(&format!("{title} {}", document.number)));
    if let Ok(issued) = printpdf::DateTime::from_unix_timestamp(document.issued_at.timestamp()) {
        pdf.metadata.info.creation_date = issued;
        pdf.metadata.info.modification_date = issued;
        pdf.metadata.info.metadata_date = issued;
    }
    pdf.metadata.info.author = printable(&issuer.name);
    pdf.metadata.info.creator = "Astro Bookings query-api".into();
    pdf.metadata.info.subject = printable(&format!("{title} {}", document.number));
    let mut warnings = Vec::new();
    let bytes = pdf
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut warnings);
    for warning in warnings {
        tracing::debug!(message = %warning.msg, "pdf rendering");
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_by_thousands_with_two_decimals() {
        assert_eq!(format_money(123_450, "EUR"), "EUR 1,234.50");
        assert_eq!(format_money(0, "EUR"), "EUR 0.00");
        assert_eq!(format_money(5, "EUR"), "EUR 0.05");
        assert_eq!(format_money(-5, "USD"), "USD -0.05");
        assert_eq!(format_money(100_000, "EUR"), "EUR 1,000.00");
        assert_eq!(format_money(99_999, "EUR"), "EUR 999.99");
        assert_eq!(format_money(1_500_000_000, "EUR"), "EUR 15,000,000.00");
        assert_eq!(
            format_money(i64::MIN, "EUR"),
            "EUR -92,233,720,368,547,758.08"
        );
    }

    #[test]
    fn characters_the_builtin_fonts_lack_become_question_marks() {
        assert_eq!(printable("Zoë Ångström"), "Zoë Ångström");
        assert_eq!(printable("Łukasz 東京"), "?ukasz ??");
        assert_eq!(printable("a\tb\nc"), "a b c");
        assert_eq!(printable("“€ 5” – ok…"), "“€ 5” – ok…");
    }

    #[test]
    fn an_address_is_split_on_bars_newlines_or_backslash_n() {
        let lines = vec!["1 Main St".to_owned(), "Springfield".to_owned()];
        assert_eq!(Issuer::address_lines("1 Main St|Springfield"), lines);
        assert_eq!(Issuer::address_lines("1 Main St\nSpringfield\n"), lines);
        assert_eq!(Issuer::address_lines("1 Main St\\n Springfield"), lines);
        assert_eq!(Issuer::address_lines(" | "), Vec::<String>::new());
    }

    #[test]
    fn footer_parts_break_between_parts() {
        let parts: Vec<String> = ["Astro Bookings Ltd.", "12 Launchpad Way", "VAT ID GB1"]
            .map(String::from)
            .to_vec();
        let one = join_wrapped(&parts, " · ", 200.0, FOOTER);
        assert_eq!(one, ["Astro Bookings Ltd. · 12 Launchpad Way · VAT ID GB1"]);
        let two = width_mm("Astro Bookings Ltd. · 12 Launchpad Way", FOOTER);
        let narrow = join_wrapped(&parts, " · ", two + 1.0, FOOTER);
        assert_eq!(
            narrow,
            ["Astro Bookings Ltd. · 12 Launchpad Way", "VAT ID GB1"]
        );
    }

    fn invoice(lines: usize) -> DocumentDetail {
        use crate::finance_views::{Horizon, InvoiceLine, LaunchCopy};
        let issued_at = "2026-03-02T10:00:00Z".parse().unwrap();
        DocumentDetail {
            document: Document {
                number: "INV-2026-000042".into(),
                kind: "invoice".into(),
                year: 2026,
                issued_at,
                holder_id: uuid::Uuid::nil(),
                holder_kind: "agency".into(),
                booking_id: uuid::Uuid::nil(),
                launch_id: uuid::Uuid::nil(),
                amount_cents: 1_000 * lines as i64,
                details: KindDetails::Invoice {
                    seats: lines as i32,
                    unit_price_cents: 1_000,
                    cancelled_at: None,
                },
            },
            launch: LaunchCopy {
                rocket_name: "Starhopper".into(),
                spaceport: "Kourou".into(),
                destination: "low_earth_orbit".into(),
                departure_at: issued_at,
            },
            lines: Some(
                (1..=lines)
                    .map(|i| InvoiceLine {
                        line_no: i as i32,
                        description: "Seat".into(),
                        passenger_name: format!("Passenger {i}"),
                        quantity: 1,
                        unit_price_cents: 1_000,
                        amount_cents: 1_000,
                    })
                    .collect(),
            ),
            credit_notes: Some(Vec::new()),
            invoice_issued_at: None,
            invoice_total_cents: None,
            payer: Payer::Agency {
                legal_name: None,
                tax_id: None,
                address: None,
                contact: None,
                email: None,
            },
            horizon: Horizon {
                as_of: None,
                position: 9,
                projected_up_to: 9,
            },
        }
    }

    /// The text of each page of `pdf`.
    fn pages(pdf: &[u8]) -> Vec<String> {
        let document = lopdf::Document::load_mem(pdf).unwrap();
        document
            .get_pages()
            .into_values()
            .map(|page| {
                let content =
                    lopdf::content::Content::decode(&document.get_page_content(page)).unwrap();
                content
                    .operations
                    .iter()
                    .filter(|op| op.operator == "Tj")
                    .filter_map(|op| match op.operands.first() {
                        Some(lopdf::Object::String(bytes, _)) => {
                            Some(bytes.iter().map(|&b| char::from(b)).collect::<String>())
                        }
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect()
    }

    #[test]
    fn a_long_invoice_continues_on_more_pages_each_with_its_footer() {
        let issuer = Issuer {
            name: "Astro Bookings Ltd.".into(),
            address: vec!["1 Main St".into()],
            tax_id: None,
            currency: "EUR".into(),
        };
        let pdf = render(&invoice(90), &issuer);
        let pages = pages(&pdf);
        assert!(pages.len() >= 2, "{} pages", pages.len());
        let count = pages.len();
        for (i, text) in pages.iter().enumerate() {
            assert!(
                text.contains(&format!("page {} of {count}", i + 1)),
                "{text}"
            );
            assert!(text.contains("Description"), "the header on every page");
        }
        assert!(pages[0].contains("Passenger 1\n"));
        assert!(pages[count - 1].contains("Passenger 90"));
        assert!(pages[count - 1].contains("EUR 900.00"));
        // The payer's profile is not there yet: the holder stands in.
        assert!(pages[0].contains("Agency 00000000-0000-0000-0000-000000000000"));
        assert!(pages[0].contains("Low Earth orbit"));
        let one = pages_of(&render(&invoice(3), &issuer));
        assert_eq!(one, 1);
    }

    fn pages_of(pdf: &[u8]) -> usize {
        lopdf::Document::load_mem(pdf).unwrap().get_pages().len()
    }

    #[test]
    fn widths_follow_helvetica_and_wrapping_respects_them() {
        // "0" is 556/1000 em: 10 of them at 10 pt are 55.6 pt.
        let ten = width_mm("0000000000", style(10.0, false, 0.0));
        assert!((ten - 55.6 * 25.4 / 72.0).abs() < 0.01, "{ten}");
        assert!(width_mm("W", STRONG) > width_mm("i", STRONG));
        let lines = wrap("a fairly long description of a seat", 20.0, CELL);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width_mm(l, CELL) <= 20.0), "{lines:?}");
        let long_word = wrap(&"x".repeat(100), 20.0, CELL);
        assert!(long_word.len() > 1 && long_word.iter().all(|l| !l.is_empty()));
        assert_eq!(wrap("", 20.0, CELL), vec![String::new()]);
        let amount = "EUR 15,000,000,000.00";
        assert!(width_mm(amount, shrunk(amount, 26.0, CELL)) <= 26.0);
    }
}
