//! Attachments: photos, PDFs and Word and Excel documents uploaded by users, linked to a
//! ticket (or one of its comments, progress notes or resolutions) when that is written, and
//! given only to those who may see the ticket and that part of it.
//!
//! The bytes are kept under the attachments folder as `<last two characters of the
//! id>/<id>`; the type is decided from the bytes, never from the name or the browser.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::db::attachments::{self, AttachmentRow, LinkTarget};
use crate::db::{comments, ticket_events};
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::{AppError, ErrorCode};
use crate::service::tickets::access::load_visible;

/// At most this many files on one ticket filing, comment, progress note or resolution.
pub const MAX_PER_ITEM: usize = 9;

pub const DOC: &str = "application/msword";
pub const XLS: &str = "application/vnd.ms-excel";
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What a file's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// A type of its own: a photo or a PDF.
    Type(&'static str),
    /// A ZIP archive: a .docx or .xlsx if its entries say so ([`office_zip_type`]).
    Zip,
    /// An OLE2 compound file: a .doc or .xls if its streams say so ([`office_ole_type`]).
    Ole2,
}

/// The first bytes of an OLE2 compound file (a .doc or .xls, but also an .msi or .msg).
const OLE2_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// The types we accept, recognised by their first bytes (at least 16 of them when the file
/// has so many); a ZIP or OLE2 container is told apart afterwards by what it holds.
pub fn sniff(head: &[u8]) -> Option<Sniffed> {
    let found = if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Sniffed::Type("image/jpeg")
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Sniffed::Type("image/png")
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Sniffed::Type("image/gif")
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Sniffed::Type("image/webp")
    } else if head.starts_with(b"%PDF-") {
        Sniffed::Type("application/pdf")
    } else if head.starts_with(b"PK\x03\x04") {
        Sniffed::Zip
    } else if head.starts_with(&OLE2_MAGIC) {
        Sniffed::Ole2
    } else {
        return None;
    };
    Some(found)
}

/// The type of a stored file, decided from its bytes: [`sniff`] on its first bytes, and for
/// a container what it holds. `None` for anything we do not accept.
pub fn type_of_file(path: &Path, head: &[u8]) -> std::io::Result<Option<&'static str>> {
    match sniff(head) {
        None => Ok(None),
        Some(Sniffed::Type(t)) => Ok(Some(t)),
        Some(Sniffed::Zip) => Ok(office_zip_type(std::fs::File::open(path)?)),
        Some(Sniffed::Ole2) => {
            let mut file = std::io::BufReader::new(std::fs::File::open(path)?);
            Ok(office_ole_type(&mut file))
        }
    }
}

/// A .docx (entries under `word/`) or .xlsx (under `xl/`), with the `[Content_Types].xml`
/// every Office Open XML package has. (Not `word/document.xml` by name: Office 365 may write
/// `word/document2.xml`.) Not an archive of anything else, nor a document with macros
/// (`vbaProject.bin`: a .docm or .xlsm renamed).
pub fn office_zip_type(file: impl std::io::Read + std::io::Seek) -> Option<&'static str> {
    let archive = zip::ZipArchive::new(file).ok()?;
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.map(std::borrow::Cow::into_owned))
        .collect::<Result<_, _>>()
        .ok()?;
    let has = |name: &str| names.iter().any(|n| n == name);
    if !has("[Content_Types].xml") || names.iter().any(|n| n.ends_with("vbaProject.bin")) {
        return None;
    }
    let under = |folder: &str| names.iter().any(|n| n.starts_with(folder));
    match (under("word/"), under("xl/")) {
        (true, false) => Some(DOCX),
        (false, true) => Some(XLSX),
        _ => None,
    }
}

/// A .doc (a stream `WordDocument`) or .xls (`Workbook`, or `Book` before Excel 97), from the
/// compound file's directory. Not another compound file (an installer, a mail), nor one with
/// macros (a storage `Macros` or `_VBA_PROJECT_CUR`).
pub fn office_ole_type(file: &mut (impl std::io::Read + std::io::Seek)) -> Option<&'static str> {
    let names = ole_directory_names(file)?;
    let has = |name: &str| names.iter().any(|n| n == name);
    if has("Macros") || has("_VBA_PROJECT_CUR") {
        return None;
    }
    match (has("WordDocument"), has("Workbook") || has("Book")) {
        (true, false) => Some(DOC),
        (false, true) => Some(XLS),
        _ => None,
    }
}

/// The names in a compound file's directory (MS-CFB: a 512-byte header, a FAT listed by the
/// header's DIFAT and its chain, the directory a chain of sectors of 128-byte entries). `None`
/// when the file is not a well-formed one. Bounded: at most 4,096 directory sectors.
fn ole_directory_names(file: &mut (impl std::io::Read + std::io::Seek)) -> Option<Vec<String>> {
    use std::io::SeekFrom;
    const END: u32 = 0xFFFF_FFFE;
    let u32_at = |b: &[u8], at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
    };
    let mut header = [0u8; 512];
    file.read_exact(&mut header).ok()?;
    if header[..8] != OLE2_MAGIC {
        return None;
    }
    let shift = u16::from_le_bytes([header[0x1E], header[0x1F]]);
    if shift != 9 && shift != 12 {
        return None;
    }
    let size = 1usize << shift;
    let mut read_sector = |n: u32| -> Option<Vec<u8>> {
        let mut buf = vec![0u8; size];
        let at = (u64::from(n) + 1) << shift;
        file.seek(SeekFrom::Start(at)).ok()?;
        file.read_exact(&mut buf).ok()?;
        Some(buf)
    };
    // The FAT's sectors: 109 in the header, the rest in the DIFAT's chain.
    let fat_count = usize::try_from(u32_at(&header, 0x2C)?).ok()?.min(4096);
    let mut fat_sectors: Vec<u32> = (0..109)
        .filter_map(|i| u32_at(&header, 0x4C + 4 * i))
        .take(fat_count)
        .collect();
    let mut difat = u32_at(&header, 0x44)?;
    let per_sector = size / 4;
    while fat_sectors.len() < fat_count && difat < END {
        let sector = read_sector(difat)?;
        fat_sectors.extend(
            (0..per_sector - 1)
                .filter_map(|i| u32_at(&sector, 4 * i))
                .take(fat_count - fat_sectors.len()),
        );
        difat = u32_at(&sector, size - 4)?;
    }
    let mut fat = Vec::with_capacity(fat_sectors.len() * per_sector);
    for n in fat_sectors {
        let sector = read_sector(n)?;
        fat.extend((0..per_sector).filter_map(|i| u32_at(&sector, 4 * i)));
    }
    let mut names = Vec::new();
    let mut next = u32_at(&header, 0x30)?;
    for _ in 0..4096 {
        if next >= END {
            return Some(names);
        }
        let sector = read_sector(next)?;
        for entry in sector.chunks_exact(128) {
            let len = usize::from(u16::from_le_bytes([entry[64], entry[65]])).min(64);
            let units: Vec<u16> = entry[..len]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|&u| u != 0)
                .collect();
            if entry[66] != 0 {
                names.push(String::from_utf16_lossy(&units));
            }
        }
        next = *fat.get(usize::try_from(next).ok()?)?;
    }
    None
}

/// A file name fit to store and send back: its last path part, without control characters
/// or quotes, at most 100 characters; `附件` when nothing is left.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .take(100)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "附件".to_string()
    } else {
        cleaned
    }
}

/// Where an attachment's bytes are.
pub fn path_of(dir: &Path, id: &str) -> PathBuf {
    let shard: String = id
        .chars()
        .rev()
        .take(2)
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    dir.join(shard).join(id)
}

/// Records an upload whose bytes are already in place. `per_hour` bounds how many files one
/// user may upload an hour.
pub fn record(
    conn: &mut DbConnection,
    row: &AttachmentRow,
    per_hour: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let hour_ago = time::format(now - chrono::Duration::hours(1));
    if attachments::count_since(conn, &row.uploaded_by, &hour_ago)? >= per_hour {
        return Err(AppError::new(
            ErrorCode::TooManyRequests,
            format!("at most {per_hour} files an hour; try again later"),
        ));
    }
    attachments::insert(conn, row)?;
    Ok(())
}

/// What is wrong with the ids a filing, comment, progress note or resolution names, if anything: more than
/// [`MAX_PER_ITEM`], or one named twice.
pub fn ids_problem(ids: &[String]) -> Option<String> {
    if ids.len() > MAX_PER_ITEM {
        return Some(format!("at most {MAX_PER_ITEM} files"));
    }
    let mut sorted = ids.to_vec();
    sorted.sort();
    sorted.dedup();
    (sorted.len() != ids.len()).then(|| "names a file twice".to_string())
}

/// Refuses what [`ids_problem`] finds.
pub fn check_ids(ids: &[String]) -> Result<(), AppError> {
    match ids_problem(ids) {
        Some(problem) => Err(AppError::invalid_field("attachment_ids", problem)),
        None => Ok(()),
    }
}

/// Links `who`'s uploads to the ticket (and comment or timeline entry), in the caller's
/// transaction; refuses ids that are not `who`'s unlinked uploads.
pub fn link(
    conn: &mut DbConnection,
    who: &Principal,
    ids: &[String],
    target: LinkTarget<'_>,
) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    check_ids(ids)?;
    let linked = attachments::link(conn, ids, &who.user_id, target)?;
    if linked != ids.len() {
        return Err(AppError::invalid_field(
            "attachment_ids",
            "names a file that is not an unattached upload of yours",
        ));
    }
    Ok(())
}

/// The attachment, if `who` may have it: its uploader while it is attached to nothing, the
/// readers of the visit for a visit's photo, and otherwise whoever may see the ticket (and, for the file of an internal comment or of a
/// progress note not shown to the enterprise, staff only). Anyone else is told it does not
/// exist.
pub fn readable(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
) -> Result<AttachmentRow, AppError> {
    let missing = || AppError::not_found("attachment");
    let row = attachments::find(conn, id)?.ok_or_else(missing)?;
    if let Some(policy_id) = row.policy_id.as_deref() {
        // A policy's document: whoever may read the policy.
        return if crate::service::policies::may_read(conn, who, policy_id)? {
            Ok(row)
        } else {
            Err(missing())
        };
    }
    if let Some(visit_id) = row.visit_id.as_deref() {
        // A visit's photo: whoever may read the visit.
        let visit = crate::db::visits::find(conn, visit_id)?.ok_or_else(missing)?;
        return if crate::service::liaison::may_read_visit(conn, who, &visit)? {
            Ok(row)
        } else {
            Err(missing())
        };
    }
    let Some(ticket_id) = row.ticket_id.as_deref() else {
        return if row.uploaded_by == who.user_id {
            Ok(row)
        } else {
            Err(missing())
        };
    };
    match load_visible(conn, who, ticket_id) {
        Ok(_) => {}
        Err(e) if matches!(e.code, ErrorCode::NotFound | ErrorCode::Forbidden) => {
            return Err(missing());
        }
        Err(e) => return Err(e),
    }
    if let Some(comment_id) = row.comment_id.as_deref()
        && who.role == Role::Enterprise
    {
        let visible = comments::list_for_ticket(conn, ticket_id, false)?
            .iter()
            .any(|c| c.id == comment_id);
        if !visible {
            return Err(missing());
        }
    }
    if let Some(seq) = row.event_seq
        && who.role == Role::Enterprise
        && !ticket_events::is_public(conn, ticket_id, seq)?
    {
        return Err(missing());
    }
    Ok(row)
}

/// A compound file of one FAT sector and one directory sector naming `streams` (for tests).
#[cfg(test)]
pub(crate) fn compound_file(streams: &[&str]) -> Vec<u8> {
    let mut file = vec![0u8; 512 * 3];
    file[..8].copy_from_slice(&OLE2_MAGIC);
    file[0x1E] = 9;
    file[0x2C] = 1; // one FAT sector…
    file[0x30] = 1; // …the directory at sector 1
    file[0x44..0x48].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
    for i in 1..109 {
        file[0x4C + 4 * i..0x50 + 4 * i].copy_from_slice(&u32::MAX.to_le_bytes());
    }
    let fat = 512;
    file[fat..fat + 4].copy_from_slice(&0xFFFF_FFFDu32.to_le_bytes());
    file[fat + 4..fat + 8].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
    for (i, name) in std::iter::once("Root Entry")
        .chain(streams.iter().copied())
        .enumerate()
    {
        let entry = 1024 + 128 * i;
        let units: Vec<u16> = name.encode_utf16().chain([0]).collect();
        for (j, u) in units.iter().enumerate() {
            file[entry + 2 * j..entry + 2 * j + 2].copy_from_slice(&u.to_le_bytes());
        }
        file[entry + 64] = (units.len() * 2) as u8;
        file[entry + 66] = if i == 0 { 5 } else { 2 };
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        let is = |t| Some(Sniffed::Type(t));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), is("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nIHDR"), is("image/png"));
        assert_eq!(sniff(b"GIF89a..."), is("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), is("image/webp"));
        assert_eq!(sniff(b"%PDF-1.7\n"), is("application/pdf"));
        assert_eq!(sniff(b"PK\x03\x04\x14\0"), Some(Sniffed::Zip));
        assert_eq!(sniff(&OLE2_MAGIC), Some(Sniffed::Ole2));
        for bad in [
            &b"<svg xmlns='http://www.w3.org/2000/svg'>"[..],
            b"<html><script>",
            b"MZ\x90\0",
            b"RIFF\0\0\0\0WAVE",
            b"",
        ] {
            assert_eq!(sniff(bad), None, "{bad:?}");
        }
    }

    fn zip_of(names: &[&str]) -> Vec<u8> {
        use std::io::Write;
        let mut out = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for name in names {
            zip.start_file(*name, stored).unwrap();
            zip.write_all(b"<x/>").unwrap();
        }
        zip.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn office_documents_are_told_apart_by_what_they_hold() {
        let ole =
            |streams: &[&str]| office_ole_type(&mut std::io::Cursor::new(compound_file(streams)));
        assert_eq!(ole(&["WordDocument", "1Table"]), Some(DOC));
        assert_eq!(ole(&["Workbook"]), Some(XLS));
        assert_eq!(ole(&["Book"]), Some(XLS));
        assert_eq!(ole(&["WordDocument", "Macros"]), None);
        assert_eq!(ole(&["Workbook", "_VBA_PROJECT_CUR"]), None);
        assert_eq!(ole(&["SummaryInformation"]), None);
        let mut cut = compound_file(&["WordDocument"]);
        cut.truncate(600);
        assert_eq!(office_ole_type(&mut std::io::Cursor::new(cut)), None);

        let ooxml = |names: &[&str]| office_zip_type(std::io::Cursor::new(zip_of(names)));
        assert_eq!(
            ooxml(&["[Content_Types].xml", "word/document.xml"]),
            Some(DOCX)
        );
        assert_eq!(
            ooxml(&["[Content_Types].xml", "xl/workbook.xml"]),
            Some(XLSX)
        );
        assert_eq!(
            ooxml(&[
                "[Content_Types].xml",
                "word/document.xml",
                "word/vbaProject.bin"
            ]),
            None
        );
        assert_eq!(
            ooxml(&["[Content_Types].xml", "word/document2.xml"]),
            Some(DOCX)
        );
        assert_eq!(ooxml(&["word/document.xml"]), None);
        assert_eq!(
            ooxml(&[
                "[Content_Types].xml",
                "word/document.xml",
                "xl/workbook.xml"
            ]),
            None
        );
        assert_eq!(
            ooxml(&["[Content_Types].xml", "META-INF/MANIFEST.MF"]),
            None
        );
        assert_eq!(
            office_zip_type(std::io::Cursor::new(b"PK\x03\x04junk".to_vec())),
            None
        );
    }

    #[test]
    fn file_names_lose_paths_and_dangerous_characters() {
        assert_eq!(
            clean_file_name("C:\\Users\\a\\现场照片.jpg"),
            "现场照片.jpg"
        );
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\"b<c>.png"), "abc.png");
        assert_eq!(clean_file_name("\u{0}\n"), "附件");
        assert_eq!(clean_file_name(".htaccess"), "htaccess");
        assert_eq!(clean_file_name(&"长".repeat(300)).chars().count(), 100);
    }

    #[test]
    fn files_are_sharded_by_the_end_of_their_id() {
        let p = path_of(Path::new("/d"), "0190abcd-ef12");
        assert_eq!(p, PathBuf::from("/d/12/0190abcd-ef12"));
    }
}
