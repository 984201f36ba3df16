//! A Word document (.docx, Office Open XML WordprocessingML) of headings, paragraphs and
//! tables, in the layout of a Chinese government document (GB/T 9704: A4, 3.7 cm top margin,
//! the title in 小标宋 22 pt, the text in 仿宋 16 pt, headings in 黑体): the weekly bulletin
//! (每周通报) that offices edit and forward. Only what the bulletin needs; every piece of text
//! is escaped, never markup.

use std::io::{Cursor, Write};

use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

/// A piece of the document, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The masthead: large, red, centred (the bulletin's name).
    Masthead(String),
    /// A centred line in the text's size (the issue number, the office and date).
    Centered(String),
    /// The red rule under the masthead.
    Rule,
    /// The document's title, centred in 小标宋.
    Title(String),
    /// A section heading (一、…) in 黑体.
    Heading(String),
    /// A paragraph of text, first line indented two characters.
    Paragraph(String),
    /// A table: its header row and its rows, with borders.
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

/// The document's body, written with [`Document::finish`].
#[derive(Debug, Clone, Default)]
pub struct Document {
    blocks: Vec<Block>,
}

impl Document {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, block: Block) -> &mut Self {
        self.blocks.push(block);
        self
    }

    /// The .docx file.
    pub fn finish(&self) -> zip::result::ZipResult<Vec<u8>> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, body) in [
            ("[Content_Types].xml", CONTENT_TYPES.to_string()),
            ("_rels/.rels", ROOT_RELS.to_string()),
            ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_string()),
            ("word/styles.xml", STYLES.to_string()),
            ("word/document.xml", self.document_xml()),
        ] {
            zip.start_file(name, options)?;
            zip.write_all(body.as_bytes())?;
        }
        Ok(zip.finish()?.into_inner())
    }

    fn document_xml(&self) -> String {
        let mut out = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#,
        );
        for block in &self.blocks {
            match block {
                Block::Masthead(text) => paragraph(&mut out, Some("Masthead"), text),
                Block::Centered(text) => paragraph(&mut out, Some("Centered"), text),
                Block::Rule => paragraph(&mut out, Some("Rule"), ""),
                Block::Title(text) => paragraph(&mut out, Some("Title"), text),
                Block::Heading(text) => paragraph(&mut out, Some("Heading1"), text),
                Block::Paragraph(text) => {
                    for line in text.lines() {
                        paragraph(&mut out, None, line);
                    }
                }
                Block::Table { header, rows } => table(&mut out, header, rows),
            }
        }
        // A4 portrait; margins of GB/T 9704 (top 37 mm, bottom 35 mm, left 28 mm, right 26 mm).
        out.push_str(
            r#"<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="2098" w:right="1474" w:bottom="1984" w:left="1588" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>"#,
        );
        out
    }
}

/// `text` as XML character data: the five markup characters escaped, and characters XML 1.0
/// does not allow (control characters but tab and line breaks) dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn paragraph(out: &mut String, style: Option<&str>, text: &str) {
    out.push_str("<w:p>");
    if let Some(style) = style {
        out.push_str(&format!(r#"<w:pPr><w:pStyle w:val="{style}"/></w:pPr>"#));
    }
    if !text.is_empty() {
        out.push_str(&format!(
            r#"<w:r><w:t xml:space="preserve">{}</w:t></w:r>"#,
            escape(text)
        ));
    }
    out.push_str("</w:p>");
}

fn table(out: &mut String, header: &[String], rows: &[Vec<String>]) {
    out.push_str(
        r#"<w:tbl><w:tblPr><w:tblStyle w:val="Grid"/><w:tblW w:w="5000" w:type="pct"/></w:tblPr><w:tblGrid>"#,
    );
    for _ in header {
        out.push_str("<w:gridCol/>");
    }
    out.push_str("</w:tblGrid>");
    let mut row = |cells: &[String], head: bool| {
        out.push_str("<w:tr>");
        if head {
            out.push_str("<w:trPr><w:tblHeader/></w:trPr>");
        }
        for cell in cells {
            out.push_str("<w:tc><w:tcPr><w:tcW w:w=\"0\" w:type=\"auto\"/></w:tcPr>");
            paragraph(out, Some(if head { "CellHead" } else { "Cell" }), cell);
            out.push_str("</w:tc>");
        }
        out.push_str("</w:tr>");
    };
    row(header, true);
    for r in rows {
        row(r, false);
    }
    out.push_str("</w:tbl>");
    // Word needs a paragraph between two tables, and after one at the end.
    out.push_str("<w:p/>");
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// The styles: the text in 仿宋_GB2312 三号 (16 pt, 28 pt lines), the title in 方正小标宋 二号
/// (22 pt), headings in 黑体 三号, tables in 仿宋 小四 (12 pt). Fonts an office lacks fall
/// back to its own.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="仿宋_GB2312" w:cs="Times New Roman"/><w:sz w:val="32"/><w:szCs w:val="32"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:line="560" w:lineRule="exact"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:pPr><w:ind w:firstLineChars="200" w:firstLine="640"/><w:jc w:val="both"/></w:pPr></w:style><w:style w:type="paragraph" w:styleId="Masthead"><w:name w:val="Masthead"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:before="240" w:after="240" w:line="240" w:lineRule="auto"/><w:ind w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="center"/></w:pPr><w:rPr><w:rFonts w:eastAsia="方正小标宋简体"/><w:b/><w:color w:val="C00000"/><w:sz w:val="72"/><w:szCs w:val="72"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Centered"><w:name w:val="Centered"/><w:basedOn w:val="Normal"/><w:pPr><w:ind w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="center"/></w:pPr></w:style><w:style w:type="paragraph" w:styleId="Rule"><w:name w:val="Rule"/><w:basedOn w:val="Normal"/><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="18" w:space="1" w:color="C00000"/></w:pBdr><w:spacing w:line="240" w:lineRule="auto"/><w:ind w:firstLineChars="0" w:firstLine="0"/></w:pPr><w:rPr><w:sz w:val="8"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:before="480" w:after="240" w:line="240" w:lineRule="auto"/><w:ind w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="center"/></w:pPr><w:rPr><w:rFonts w:eastAsia="方正小标宋简体"/><w:sz w:val="44"/><w:szCs w:val="44"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:rFonts w:eastAsia="黑体"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Cell"><w:name w:val="Cell"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:line="300" w:lineRule="auto"/><w:ind w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="left"/></w:pPr><w:rPr><w:sz w:val="21"/><w:szCs w:val="21"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="CellHead"><w:name w:val="CellHead"/><w:basedOn w:val="Cell"/><w:pPr><w:jc w:val="center"/></w:pPr><w:rPr><w:rFonts w:eastAsia="黑体"/></w:rPr></w:style><w:style w:type="table" w:styleId="Grid"><w:name w:val="Table Grid"/><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:left w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:right w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="000000"/></w:tblBorders><w:tblCellMar><w:left w:w="80" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style></w:styles>"#;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn entry(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn text_is_escaped_and_every_part_is_well_formed() {
        let mut doc = Document::new();
        doc.push(Block::Title("<b>通报 & \"说明\"\u{0}".into()))
            .push(Block::Table {
                header: vec!["单位".into(), "受理".into()],
                rows: vec![vec!["区<住建局>".into(), "3".into()]],
            });
        let bytes = doc.finish().unwrap();
        for name in [
            "[Content_Types].xml",
            "_rels/.rels",
            "word/_rels/document.xml.rels",
            "word/styles.xml",
            "word/document.xml",
        ] {
            roxmltree::Document::parse(&entry(&bytes, name)).unwrap();
        }
        let xml = entry(&bytes, "word/document.xml");
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let texts: Vec<&str> = parsed
            .descendants()
            .filter(|n| n.has_tag_name("t"))
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(
            texts,
            ["<b>通报 & \"说明\"", "单位", "受理", "区<住建局>", "3"]
        );
    }
}
