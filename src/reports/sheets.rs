//! Spreadsheet exports (the ticket ledger 台账, the monthly assessment workbook): streaming CSV
//! and constant-memory XLSX writers that never hold more than one row in memory.
//!
//! Both writers take rows as slices of [`Cell`] laid out like the [`Column`]s given when the
//! file or sheet was started. Running one on a blocking thread (`web::block`,
//! `spawn_blocking`) is the caller's job: a 1,000,000-row ledger takes tens of seconds.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook, XlsxError};

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Number(f64),
    /// A fraction (0.25 = 25%); `None` is an empty cell.
    Percent(Option<f64>),
    /// Already formatted ("YYYY-MM-DD HH:MM") and written as text, so no time zone or
    /// Excel date serial is involved.
    DateTime(String),
    /// Written as 是 / 否.
    Bool(bool),
    Empty,
}

/// A column of an export: its Chinese header and its XLSX width in characters (CSV ignores it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    pub header: &'static str,
    pub width: f64,
}

/// Why an XLSX export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("xlsx: {0}")]
    Xlsx(#[from] XlsxError),
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("a row was written before any sheet was started")]
    NoSheet,
    #[error("a row has {got} cells but its sheet has {expected} columns")]
    RowWidth { expected: usize, got: usize },
}

/// 是 / 否, as both formats write booleans.
fn bool_text(value: bool) -> &'static str {
    if value { "是" } else { "否" }
}

// ---------------------------------------------------------------------------------------------
// CSV

/// CSV for Excel: UTF-8 with a BOM (without it Excel on a Chinese Windows reads the file as
/// GBK), CRLF line ends, RFC 4180 quoting.
///
/// Formula injection: a text cell that starts with `=`, `+`, `-`, `@`, tab or CR gets a leading
/// apostrophe, as OWASP recommends, so Excel shows it as text instead of evaluating it (so
/// a phone number typed as "+86…" reads "'+86…"). Numeric cells are written as numbers and
/// never prefixed. Non-finite numbers are written as empty cells; a percent is written as
/// "12.3%", which Excel reads back as the number 0.123.
pub struct CsvWriter<W: Write> {
    out: BufWriter<W>,
    width: usize,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the BOM and the header row.
    pub fn new(out: W, columns: &[Column]) -> io::Result<Self> {
        let mut out = BufWriter::new(out);
        out.write_all("\u{feff}".as_bytes())?;
        let mut writer = CsvWriter {
            out,
            width: columns.len(),
        };
        for (i, column) in columns.iter().enumerate() {
            writer.separator(i)?;
            writer.text(column.header)?;
        }
        writer.out.write_all(b"\r\n")?;
        Ok(writer)
    }

    /// Writes one record; it must have one cell per column (`InvalidInput` otherwise).
    pub fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        if cells.len() != self.width {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a row has {} cells but the file has {} columns",
                    cells.len(),
                    self.width
                ),
            ));
        }
        for (i, cell) in cells.iter().enumerate() {
            self.separator(i)?;
            match cell {
                Cell::Text(text) | Cell::DateTime(text) => self.text(text)?,
                Cell::Int(value) => write!(self.out, "{value}")?,
                Cell::Number(value) if value.is_finite() => write!(self.out, "{value}")?,
                Cell::Percent(Some(value)) if value.is_finite() => {
                    write!(self.out, "{:.1}%", value * 100.0)?;
                }
                Cell::Bool(value) => self.out.write_all(bool_text(*value).as_bytes())?,
                Cell::Number(_) | Cell::Percent(_) | Cell::Empty => {}
            }
        }
        self.out.write_all(b"\r\n")
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.out
            .into_inner()
            .map_err(io::IntoInnerError::into_error)
    }

    fn separator(&mut self, index: usize) -> io::Result<()> {
        if index > 0 {
            self.out.write_all(b",")?;
        }
        Ok(())
    }

    fn text(&mut self, text: &str) -> io::Result<()> {
        let guard = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
        let quote = text.contains([',', '"', '\r', '\n']);
        if quote {
            self.out.write_all(b"\"")?;
        }
        if guard {
            self.out.write_all(b"'")?;
        }
        if quote {
            for (i, piece) in text.split('"').enumerate() {
                if i > 0 {
                    self.out.write_all(b"\"\"")?;
                }
                self.out.write_all(piece.as_bytes())?;
            }
            self.out.write_all(b"\"")
        } else {
            self.out.write_all(text.as_bytes())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// XLSX

/// Excel's rows per sheet, the header row included.
const XLSX_MAX_ROWS: u32 = 1_048_576;
/// Excel's columns per sheet.
const XLSX_MAX_COLS: usize = 16_384;
/// Excel's limit for a sheet name, in UTF-16 code units.
const SHEET_NAME_MAX: usize = 31;
/// Excel's limit for the text of one cell, in UTF-16 code units.
const CELL_TEXT_MAX: usize = 32_767;
/// Estimated worksheet XML beyond which the zip is written with ZIP64: a zip entry without
/// it is limited to 4 GiB, and the estimate below may be low by a few tens of percent.
const ZIP64_THRESHOLD: u64 = 3 << 30;
/// Worksheet XML per cell besides its text (`<c r="T123456" s="2" t="inlineStr"><is><t>…`).
const XML_BYTES_PER_CELL: u64 = 64;

/// An XLSX workbook of one or more sheets, written row by row in rust_xlsxwriter's constant
/// memory mode: each row goes to a temporary file (in the system temp dir, or the one given
/// to [`XlsxWriter::with_tempdir`]) as soon as the next one starts, so memory stays flat while
/// the temp dir holds the uncompressed sheet XML until [`XlsxWriter::finish_to`].
///
/// Each sheet gets a bold, frozen header row with an autofilter, and the columns' widths.
/// Text is written as text (never as a formula, so no injection guard is needed), Int and
/// Number as numbers (non-finite numbers as empty cells), Percent as the fraction with the
/// format `0.0%`. Text longer than Excel's 32,767 characters is cut and ends with "…".
///
/// Sheet names are made valid for Excel: `[]:*?/\` and control characters become `_`,
/// leading and trailing apostrophes and spaces are dropped, names are cut to 31 characters,
/// and a name already used (case-insensitively, as Excel compares) gets "(2)", "(3)", ….
///
/// A sheet holds at most 1,048,576 rows, the header included; a sheet that runs over
/// continues on a new sheet named like the first with "(2)", "(3)", … appended (台账,
/// 台账(2), …), which starts with the header again.
pub struct XlsxWriter {
    workbook: Workbook,
    header_format: Format,
    percent_format: Format,
    /// Lowercased names of the sheets so far, and Excel's reserved "history".
    used_names: HashSet<String>,
    sheet_count: usize,
    current: Option<Sheet>,
    max_rows: u32,
    needs_zip64: bool,
}

/// The sheet being written.
struct Sheet {
    index: usize,
    /// The name of the first part, the base of the names of the parts after it.
    name: String,
    part: u32,
    columns: Vec<Column>,
    last_col: ColNum,
    next_row: RowNum,
    xml_bytes: u64,
}

impl Default for XlsxWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl XlsxWriter {
    /// A workbook whose temporary files go to the system temp dir.
    pub fn new() -> Self {
        XlsxWriter {
            workbook: Workbook::new(),
            header_format: Format::new().set_bold(),
            percent_format: Format::new().set_num_format("0.0%"),
            used_names: HashSet::from(["history".to_owned()]),
            sheet_count: 0,
            current: None,
            max_rows: XLSX_MAX_ROWS,
            needs_zip64: false,
        }
    }

    /// A workbook whose temporary files go to `dir` (it must exist and be writable); use a
    /// disk-backed dir where the system one is a tmpfs, which would cost memory again.
    pub fn with_tempdir(dir: &Path) -> Result<Self, ExportError> {
        let mut writer = Self::new();
        writer.workbook.set_tempdir(dir)?;
        Ok(writer)
    }

    /// A workbook whose sheets roll over after `max_rows` rows (header included), so tests
    /// need not write a million rows.
    #[cfg(test)]
    fn with_max_rows(max_rows: u32) -> Self {
        let mut writer = Self::new();
        writer.max_rows = max_rows.clamp(2, XLSX_MAX_ROWS);
        writer
    }

    /// Starts a new sheet, named after `name` made valid and unique, and writes its header.
    pub fn sheet(&mut self, name: &str, columns: &[Column]) -> Result<(), ExportError> {
        self.close_sheet()?;
        self.current = None;
        let name = self.claim_name(&sanitize_sheet_name(name), 1);
        self.open_sheet(name.clone(), name, 1, columns.to_vec())
    }

    /// Appends a row to the current sheet, rolling over to a new sheet when it is full.
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        let sheet = self.current.as_ref().ok_or(ExportError::NoSheet)?;
        if cells.len() != sheet.columns.len() {
            return Err(ExportError::RowWidth {
                expected: sheet.columns.len(),
                got: cells.len(),
            });
        }
        if sheet.next_row >= self.max_rows {
            self.roll_over()?;
        }

        let Some(sheet) = self.current.as_mut() else {
            return Err(ExportError::NoSheet);
        };
        let worksheet = self.workbook.worksheet_from_index(sheet.index)?;
        let row = sheet.next_row;
        for (col, cell) in (0..).zip(cells) {
            sheet.xml_bytes += XML_BYTES_PER_CELL;
            match cell {
                Cell::Text(text) | Cell::DateTime(text) => {
                    let text = clip_cell_text(text);
                    sheet.xml_bytes += text.len() as u64;
                    worksheet.write_string(row, col, text)?;
                }
                Cell::Int(value) => {
                    // Excel keeps 15 significant digits, so the f64 loses nothing it would keep.
                    worksheet.write_number(row, col, *value as f64)?;
                }
                Cell::Number(value) if value.is_finite() => {
                    worksheet.write_number(row, col, *value)?;
                }
                Cell::Percent(Some(value)) if value.is_finite() => {
                    worksheet.write_number_with_format(row, col, *value, &self.percent_format)?;
                }
                Cell::Bool(value) => {
                    worksheet.write_string(row, col, bool_text(*value))?;
                }
                Cell::Number(_) | Cell::Percent(_) | Cell::Empty => {}
            }
        }
        sheet.next_row += 1;
        Ok(())
    }

    /// Writes the workbook to a new file at `path`.
    pub fn finish_to(self, path: &Path) -> Result<(), ExportError> {
        let mut out = BufWriter::new(File::create(path)?);
        self.finish_to_writer(&mut out)?;
        out.flush()?;
        Ok(())
    }

    /// Writes the workbook to `out` as a stream (no seeking), e.g. a pipe to a response body.
    pub fn finish_to_writer<W: Write + Send>(mut self, out: W) -> Result<(), ExportError> {
        self.close_sheet()?;
        if self.needs_zip64 {
            self.workbook.use_zip_large_file(true);
        }
        self.workbook.save_to_writer(out)?;
        Ok(())
    }

    fn open_sheet(
        &mut self,
        sheet_name: String,
        base_name: String,
        part: u32,
        columns: Vec<Column>,
    ) -> Result<(), ExportError> {
        if columns.len() > XLSX_MAX_COLS {
            return Err(XlsxError::RowColumnLimitError.into());
        }
        let last_col = ColNum::try_from(columns.len().saturating_sub(1))
            .map_err(|_| XlsxError::RowColumnLimitError)?;
        let worksheet = self.workbook.add_worksheet_with_constant_memory()?;
        worksheet.set_name(sheet_name)?;
        worksheet.set_freeze_panes(1, 0)?;
        for (col, column) in (0..).zip(&columns) {
            worksheet.set_column_width(col, column.width)?;
            worksheet.write_string_with_format(0, col, column.header, &self.header_format)?;
        }
        self.current = Some(Sheet {
            index: self.sheet_count,
            name: base_name,
            part,
            columns,
            last_col,
            next_row: 1,
            xml_bytes: 0,
        });
        self.sheet_count += 1;
        Ok(())
    }

    fn roll_over(&mut self) -> Result<(), ExportError> {
        self.close_sheet()?;
        let Some(sheet) = self.current.take() else {
            return Err(ExportError::NoSheet);
        };
        let part = sheet.part + 1;
        let name = self.claim_name(&sheet.name, part);
        self.open_sheet(name, sheet.name, part, sheet.columns)
    }

    /// Sets the autofilter of the current sheet over its rows so far; the sheet stays current.
    fn close_sheet(&mut self) -> Result<(), ExportError> {
        let Some(sheet) = self.current.as_ref() else {
            return Ok(());
        };
        self.needs_zip64 |= sheet.xml_bytes > ZIP64_THRESHOLD;
        if !sheet.columns.is_empty() {
            let worksheet = self.workbook.worksheet_from_index(sheet.index)?;
            worksheet.autofilter(0, 0, sheet.next_row - 1, sheet.last_col)?;
        }
        Ok(())
    }

    /// The first free name among `base`, `base(2)`, `base(3)`, … starting at `base(part)`
    /// (`part` 1 means `base` itself), cut to Excel's length.
    fn claim_name(&mut self, base: &str, part: u32) -> String {
        let mut part = part;
        loop {
            let name = if part <= 1 {
                truncate_utf16(base, SHEET_NAME_MAX)
                    .trim_end_matches('\'')
                    .to_owned()
            } else {
                let suffix = format!("({part})");
                format!(
                    "{}{suffix}",
                    truncate_utf16(base, SHEET_NAME_MAX - suffix.len())
                )
            };
            if !name.is_empty() && self.used_names.insert(name.to_lowercase()) {
                return name;
            }
            part = part.max(1) + 1;
        }
    }
}

/// `name` without the characters Excel rejects in sheet names; "Sheet" if nothing is left.
fn sanitize_sheet_name(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = replaced.trim_matches(|c: char| c == '\'' || c.is_whitespace());
    if trimmed.is_empty() {
        "Sheet".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The longest prefix of `text` of at most `max` UTF-16 code units (Excel counts in those).
fn truncate_utf16(text: &str, max: usize) -> &str {
    let mut units = 0;
    for (i, c) in text.char_indices() {
        units += c.len_utf16();
        if units > max {
            return &text[..i];
        }
    }
    text
}

/// `text` cut to fit one Excel cell, ending with "…" when cut.
fn clip_cell_text(text: &str) -> Cow<'_, str> {
    // A UTF-8 string never has fewer bytes than UTF-16 units.
    if text.len() <= CELL_TEXT_MAX {
        return Cow::Borrowed(text);
    }
    let head = truncate_utf16(text, CELL_TEXT_MAX);
    if head.len() == text.len() {
        Cow::Borrowed(text)
    } else {
        let head = truncate_utf16(head, CELL_TEXT_MAX - 1);
        Cow::Owned(format!("{head}…"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};

    use super::*;

    const LEDGER: &[Column] = &[
        Column {
            header: "工单编号",
            width: 14.0,
        },
        Column {
            header: "企业名称",
            width: 30.0,
        },
        Column {
            header: "诉求数",
            width: 8.0,
        },
        Column {
            header: "满意率",
            width: 8.0,
        },
        Column {
            header: "受理时间",
            width: 16.0,
        },
        Column {
            header: "是否办结",
            width: 8.0,
        },
        Column {
            header: "备注",
            width: 20.0,
        },
    ];

    fn ledger_row(i: i64) -> Vec<Cell> {
        vec![
            Cell::Text(format!("QYS-{i:06}")),
            Cell::Text(format!("某某科技有限公司{i}")),
            Cell::Int(i),
            Cell::Percent(if i % 2 == 0 {
                Some(i as f64 / 1000.0)
            } else {
                None
            }),
            Cell::DateTime("2026-03-01 09:30".to_owned()),
            Cell::Bool(i % 3 == 0),
            Cell::Empty,
        ]
    }

    fn csv(columns: &[Column], rows: &[Vec<Cell>]) -> String {
        let mut writer = CsvWriter::new(Vec::new(), columns).unwrap();
        for row in rows {
            writer.row(row).unwrap();
        }
        String::from_utf8(writer.finish().unwrap()).unwrap()
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }

    fn open(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
        Xlsx::new(Cursor::new(bytes)).unwrap()
    }

    fn xlsx_bytes(writer: XlsxWriter) -> Vec<u8> {
        let mut bytes = Vec::new();
        writer.finish_to_writer(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn csv_starts_with_bom_and_header_and_ends_lines_with_crlf() {
        let out = csv(&LEDGER[..2], &[vec![text("a"), text("b")]]);
        assert!(out.as_bytes().starts_with(&[0xEF, 0xBB, 0xBF]));
        assert_eq!(out, "\u{feff}工单编号,企业名称\r\na,b\r\n");
    }

    #[test]
    fn csv_quotes_commas_quotes_and_newlines() {
        let out = csv(
            &LEDGER[..4],
            &[vec![
                text("a,b"),
                text("他说\"好\""),
                text("第一行\n第二行"),
                text("x\ry"),
            ]],
        );
        let body = out.split_once("\r\n").unwrap().1;
        assert_eq!(
            body,
            "\"a,b\",\"他说\"\"好\"\"\",\"第一行\n第二行\",\"x\ry\"\r\n"
        );
    }

    #[test]
    fn csv_round_trips_chinese_text() {
        let name = "重庆市渝北区营商环境建设局（用电报装）";
        let out = csv(&LEDGER[1..2], &[vec![text(name)]]);
        let bytes = out.into_bytes();
        let decoded = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(decoded, format!("企业名称\r\n{name}\r\n"));
    }

    #[test]
    fn csv_prefixes_formula_like_text_but_not_numbers() {
        let columns = vec![LEDGER[0]; 9];
        let out = csv(
            &columns,
            &[vec![
                text("=1+1"),
                text("+86 138"),
                text("-5"),
                text("@SUM(A1)"),
                text("\tx"),
                text("=HYPERLINK(\"http://x\",\"点我\")"),
                text("a=b"),
                Cell::Int(-5),
                Cell::Number(-0.5),
            ]],
        );
        let body = out.split_once("\r\n").unwrap().1;
        assert_eq!(
            body,
            "'=1+1,'+86 138,'-5,'@SUM(A1),'\tx,\
             \"'=HYPERLINK(\"\"http://x\"\",\"\"点我\"\")\",a=b,-5,-0.5\r\n"
        );
    }

    #[test]
    fn csv_writes_numbers_percent_bool_and_empty() {
        let columns = vec![LEDGER[0]; 8];
        let out = csv(
            &columns,
            &[vec![
                Cell::Int(42),
                Cell::Number(1.5),
                Cell::Percent(Some(0.1234)),
                Cell::Percent(None),
                Cell::Bool(true),
                Cell::Bool(false),
                Cell::Empty,
                Cell::Number(f64::NAN),
            ]],
        );
        let body = out.split_once("\r\n").unwrap().1;
        assert_eq!(body, "42,1.5,12.3%,,是,否,,\r\n");
    }

    #[test]
    fn csv_rejects_a_row_of_the_wrong_width() {
        let mut writer = CsvWriter::new(Vec::new(), LEDGER).unwrap();
        let err = writer.row(&[text("x")]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn xlsx_two_sheets_read_back_with_headers_values_and_types() {
        let summary = [
            Column {
                header: "部门",
                width: 20.0,
            },
            Column {
                header: "按时办结率",
                width: 12.0,
            },
        ];
        let mut writer = XlsxWriter::new();
        writer.sheet("台账", LEDGER).unwrap();
        for i in 0..300 {
            writer.row(&ledger_row(i)).unwrap();
        }
        writer.sheet("汇总", &summary).unwrap();
        writer
            .row(&[text("区发展改革委"), Cell::Percent(Some(0.875))])
            .unwrap();
        let mut book = open(xlsx_bytes(writer));

        assert_eq!(book.sheet_names(), ["台账", "汇总"]);

        let ledger = book.worksheet_range("台账").unwrap();
        assert_eq!(ledger.height(), 301);
        let headers: Vec<_> = ledger.rows().next().unwrap().to_vec();
        let expected: Vec<_> = LEDGER
            .iter()
            .map(|c| Data::String(c.header.to_owned()))
            .collect();
        assert_eq!(headers, expected);
        assert_eq!(
            ledger.get((11, 0)),
            Some(&Data::String("QYS-000010".to_owned()))
        );
        assert_eq!(
            ledger.get((11, 1)),
            Some(&Data::String("某某科技有限公司10".to_owned()))
        );
        assert_eq!(ledger.get((11, 2)), Some(&Data::Float(10.0)));
        assert_eq!(ledger.get((11, 3)), Some(&Data::Float(0.01)));
        assert_eq!(ledger.get((12, 3)), Some(&Data::Empty));
        assert_eq!(
            ledger.get((11, 4)),
            Some(&Data::String("2026-03-01 09:30".to_owned()))
        );
        assert_eq!(ledger.get((11, 5)), Some(&Data::String("否".to_owned())));
        assert_eq!(ledger.get((10, 5)), Some(&Data::String("是".to_owned())));
        assert_eq!(ledger.get((11, 6)), Some(&Data::Empty));
        assert_eq!(ledger.get((300, 2)), Some(&Data::Float(299.0)));

        let styles = book.worksheet_style("台账").unwrap();
        let header_font = styles.get((0, 0)).unwrap().font.as_ref().unwrap();
        assert!(header_font.is_bold());
        let percent = styles.get((11, 3)).unwrap().number_format.as_ref().unwrap();
        assert_eq!(percent.format_code, "0.0%");

        let totals = book.worksheet_range("汇总").unwrap();
        assert_eq!(
            totals.rows().next().unwrap(),
            [
                Data::String("部门".to_owned()),
                Data::String("按时办结率".to_owned())
            ]
        );
        assert_eq!(totals.get((1, 1)), Some(&Data::Float(0.875)));
    }

    #[test]
    fn xlsx_sheet_names_are_sanitized_and_unique() {
        let long = "区市场监督管理局企业登记注册科与知识产权保护科联合办公室综合协调组";
        let mut writer = XlsxWriter::new();
        for name in [
            long,
            long,
            "a/b:c*?[d]",
            "  '引号' ",
            "",
            "History",
            "汇总",
            "汇总",
        ] {
            writer.sheet(name, &LEDGER[..1]).unwrap();
        }
        let names = open(xlsx_bytes(writer)).sheet_names();

        let first = truncate_utf16(long, 31);
        assert_eq!(first.chars().count(), 31);
        let second = format!("{}(2)", truncate_utf16(long, 28));
        assert_eq!(
            names,
            [
                first,
                second.as_str(),
                "a_b_c___d_",
                "引号",
                "Sheet",
                "History(2)",
                "汇总",
                "汇总(2)"
            ]
        );
    }

    #[test]
    fn xlsx_long_ledger_continues_on_a_new_sheet_with_the_header() {
        // 4 rows per sheet: the header and 3 data rows.
        let mut writer = XlsxWriter::with_max_rows(4);
        writer.sheet("台账", LEDGER).unwrap();
        for i in 0..8 {
            writer.row(&ledger_row(i)).unwrap();
        }
        writer.sheet("台账(2)", &LEDGER[..1]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("台账.xlsx");
        writer.finish_to(&path).unwrap();
        let mut book: Xlsx<_> = calamine::open_workbook(&path).unwrap();

        // A sheet the caller names "台账(2)" comes after the ledger's parts, so it is renamed.
        assert_eq!(
            book.sheet_names(),
            ["台账", "台账(2)", "台账(3)", "台账(2)(2)"]
        );
        let mut numbers = Vec::new();
        for name in ["台账", "台账(2)", "台账(3)"] {
            let range = book.worksheet_range(name).unwrap();
            assert_eq!(
                range.get((0, 0)),
                Some(&Data::String("工单编号".to_owned()))
            );
            numbers.extend(range.rows().skip(1).map(|row| row[2].clone()));
        }
        let expected: Vec<_> = (0..8).map(|i| Data::Float(f64::from(i))).collect();
        assert_eq!(numbers, expected);
    }

    #[test]
    fn xlsx_clips_text_longer_than_a_cell_holds() {
        let long = "长".repeat(CELL_TEXT_MAX + 10);
        let mut writer = XlsxWriter::new();
        writer.sheet("台账", &LEDGER[..1]).unwrap();
        writer.row(&[Cell::Text(long)]).unwrap();
        let range = open(xlsx_bytes(writer)).worksheet_range("台账").unwrap();
        let Some(Data::String(cell)) = range.get((1, 0)) else {
            panic!("not a string");
        };
        assert_eq!(cell.chars().count(), CELL_TEXT_MAX);
        assert!(cell.ends_with("长…"));
    }

    #[test]
    fn xlsx_rejects_rows_without_a_sheet_or_of_the_wrong_width() {
        let mut writer = XlsxWriter::new();
        assert!(matches!(
            writer.row(&[text("x")]),
            Err(ExportError::NoSheet)
        ));
        writer.sheet("台账", LEDGER).unwrap();
        assert!(matches!(
            writer.row(&[text("x")]),
            Err(ExportError::RowWidth {
                expected: 7,
                got: 1
            })
        ));
    }

    #[test]
    fn export_error_can_cross_threads() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<ExportError>();
        fn assert_send<T: Send>() {}
        assert_send::<XlsxWriter>();
    }
}
