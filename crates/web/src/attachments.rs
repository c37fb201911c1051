//! Attachments: decoded, size-checked and typed by their content, checked
//! to the end (issue 8): an office file must be a real OOXML package
//! without macros or executables, an image, PDF or recording must carry no
//! HTML or script anywhere, and the stored name's extension is made to
//! match the detected type (the file is renamed, not refused: citizens
//! often have misnamed scans, and the name is only a label).

use crate::dto::AttachmentInput;
use crate::error::ApiError;
use axum::body::Bytes;
use base64::Engine;
use futures_util::{Stream, StreamExt};
use xinfang_objects::Objects;
use xinfang_store::NewAttachment;

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Detect a file type by its first bytes; the name's extension only picks
/// between formats that share a container (zip-based office files).
pub fn sniff(content: &[u8], filename: &str) -> Option<&'static str> {
    let lower = filename.to_lowercase();
    let starts = |m: &[u8]| content.starts_with(m);
    if starts(b"%PDF-") {
        Some("application/pdf")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if starts(b"RIFF") && content.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else if starts(b"RIFF") && content.get(8..12) == Some(b"WAVE") {
        Some("audio/wav")
    } else if starts(b"ID3") || starts(b"\xFF\xFB") || starts(b"\xFF\xF3") {
        Some("audio/mpeg")
    } else if starts(b"PK\x03\x04") && lower.ends_with(".docx") {
        Some(DOCX)
    } else if starts(b"PK\x03\x04") && lower.ends_with(".xlsx") {
        Some(XLSX)
    } else if lower.ends_with(".txt") && !content.contains(&0) && std::str::from_utf8(content).is_ok() {
        Some("text/plain; charset=utf-8")
    } else {
        None
    }
}

/// Why a file was refused after its type was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Named .docx/.xlsx but not an OOXML package of that kind.
    NotOoxml,
    /// An OOXML package with a VBA project or an executable inside.
    ActiveContent,
    /// HTML or script inside an image, PDF or recording.
    Markup,
}

/// Check a file to its end and settle its type and stored name: the
/// content type, and the name with an extension that matches it.
pub fn inspect(content: &[u8], filename: &str) -> Result<Option<(&'static str, String)>, Refusal> {
    let Some(mut kind) = sniff(content, filename) else { return Ok(None) };
    if kind == DOCX || kind == XLSX {
        kind = ooxml_kind(content)?;
    } else if (kind.starts_with("image/") || kind.starts_with("audio/") || kind == "application/pdf") && has_markup(content) {
        // A polyglot (GIF/PDF header, HTML body) turns into a page if any
        // client ever sniffs it; nothing legitimate carries these.
        return Err(Refusal::Markup);
    }
    Ok(Some((kind, matching_name(filename, kind))))
}

/// Tags that make a browser treat bytes as a page, searched anywhere in
/// the file, case-insensitively.
fn has_markup(content: &[u8]) -> bool {
    const TAGS: [&[u8]; 4] = [b"<script", b"<html", b"<!doctype html", b"<svg"];
    content
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'<')
        .any(|(i, _)| TAGS.iter().any(|t| content.get(i..i + t.len()).is_some_and(|w| w.eq_ignore_ascii_case(t))))
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 2).map(|x| usize::from(u16::from_le_bytes([x[0], x[1]])))
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 4).and_then(|x| usize::try_from(u32::from_le_bytes([x[0], x[1], x[2], x[3]])).ok())
}

/// The entry names of a zip archive from its central directory, each
/// checked against its local header (a name hidden from one of the two
/// lists is refused). Nothing is decompressed.
pub fn zip_names(b: &[u8]) -> Option<Vec<String>> {
    // End of central directory: 22 bytes plus a comment of at most 64 KiB.
    let floor = b.len().saturating_sub(22 + 65_535);
    let eocd = (floor..=b.len().checked_sub(22)?).rev().find(|&i| b[i..].starts_with(b"PK\x05\x06"))?;
    let (count, mut at) = (u16_at(b, eocd + 10)?, u32_at(b, eocd + 16)?);
    let mut names = Vec::with_capacity(count);
    for _ in 0..count {
        if !b.get(at..)?.starts_with(b"PK\x01\x02") {
            return None;
        }
        let (n, e, c, local) = (u16_at(b, at + 28)?, u16_at(b, at + 30)?, u16_at(b, at + 32)?, u32_at(b, at + 42)?);
        let name = b.get(at + 46..at + 46 + n)?;
        if !b.get(local..)?.starts_with(b"PK\x03\x04") || b.get(local + 30..local + 30 + u16_at(b, local + 26)?)? != name {
            return None;
        }
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + n + e + c;
    }
    Some(names)
}

/// A real Word or Excel package, without macros or executables; its kind
/// comes from its parts, not from its name.
fn ooxml_kind(content: &[u8]) -> Result<&'static str, Refusal> {
    const EXECUTABLE: [&str; 16] =
        [".exe", ".dll", ".js", ".jse", ".vbs", ".vbe", ".bat", ".cmd", ".ps1", ".scr", ".jar", ".msi", ".com", ".hta", ".wsf", ".lnk"];
    let names = zip_names(content).ok_or(Refusal::NotOoxml)?;
    let lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    if lower.iter().any(|n| n.contains("vbaproject") || n.ends_with("vbadata.xml") || EXECUTABLE.iter().any(|x| n.ends_with(x))) {
        return Err(Refusal::ActiveContent);
    }
    if !names.iter().any(|n| n == "[Content_Types].xml") {
        return Err(Refusal::NotOoxml);
    }
    if lower.iter().any(|n| n == "word/document.xml") {
        Ok(DOCX)
    } else if lower.iter().any(|n| n == "xl/workbook.xml") {
        Ok(XLSX)
    } else {
        Err(Refusal::NotOoxml)
    }
}

/// Extensions that name each type; the first is the one given on rename.
fn extensions(kind: &str) -> &'static [&'static str] {
    match kind {
        "application/pdf" => &["pdf"],
        "image/png" => &["png"],
        "image/jpeg" => &["jpg", "jpeg", "jpe"],
        "image/gif" => &["gif"],
        "image/webp" => &["webp"],
        "audio/wav" => &["wav"],
        "audio/mpeg" => &["mp3"],
        DOCX => &["docx"],
        XLSX => &["xlsx"],
        _ => &["txt"],
    }
}

/// The name with an extension that matches `kind`: kept when it does,
/// otherwise its extension replaced (or one added).
pub fn matching_name(filename: &str, kind: &str) -> String {
    let ok = extensions(kind);
    let (stem, ext) = match filename.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, Some(ext.to_lowercase())),
        _ => (filename, None),
    };
    match ext {
        Some(e) if ok.contains(&e.as_str()) => filename.to_string(),
        _ => format!("{stem}.{}", ok[0]),
    }
}

/// A streaming scanner for HTML or script tags: each chunk is searched
/// together with the tail of the one before, so a tag split between two
/// chunks is found too.
#[derive(Default)]
pub struct MarkupScan {
    carry: Vec<u8>,
    pub found: bool,
}

impl MarkupScan {
    /// The longest tag (`<!doctype html`) less one byte.
    const OVERLAP: usize = 13;

    pub fn feed(&mut self, chunk: &[u8]) {
        if self.found {
            return;
        }
        let mut window = std::mem::take(&mut self.carry);
        window.extend_from_slice(chunk);
        self.found = has_markup(&window);
        self.carry = window.split_off(window.len().saturating_sub(Self::OVERLAP));
    }
}

fn refusal_error(name: &str, r: Refusal) -> ApiError {
    match r {
        Refusal::NotOoxml => ApiError::bad_request("attachment_not_ooxml", format!("附件“{name}”不是有效的Word/Excel文档")),
        Refusal::ActiveContent => {
            ApiError::bad_request("attachment_active_content", format!("附件“{name}”含有宏或可执行文件，请另存为不含宏的文档后再上传"))
        }
        Refusal::Markup => ApiError::bad_request("attachment_has_markup", format!("附件“{name}”含有网页或脚本内容，不予接收")),
    }
}

fn not_allowed(name: &str) -> ApiError {
    ApiError::bad_request("attachment_type_not_allowed", format!("附件“{name}”的类型不受支持（支持PDF、图片、Word/Excel文档、文本、录音）"))
}

pub fn too_large(name: &str, max_bytes: usize) -> ApiError {
    ApiError::bad_request("attachment_too_large", format!("附件“{name}”超过{}MB", max_bytes / (1024 * 1024)))
}

fn check_name(filename: &str) -> Result<&str, ApiError> {
    let name = filename.trim();
    if name.is_empty() || name.chars().count() > 200 || name.contains(['/', '\\', '\0']) {
        return Err(ApiError::bad_request("invalid_filename", "附件文件名不正确"));
    }
    Ok(name)
}

fn object_error(e: xinfang_objects::ObjectError) -> ApiError {
    tracing::error!(error = %e, "object store");
    ApiError::internal()
}

/// Bytes kept from the start of a file for type detection.
const HEAD: usize = 512;

/// Receive one file as a stream of chunks: each chunk goes to the object
/// store while it is hashed, counted (over `max_bytes` the upload is
/// aborted and its partial object deleted) and scanned for markup; the
/// type is detected from the first bytes; an office package or a text file
/// is checked whole from the stored object before it is committed under
/// its SHA-256. A refused file leaves no object.
pub async fn receive<S, E>(objects: &Objects, filename: &str, mut chunks: S, max_bytes: usize) -> Result<NewAttachment, ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let name = check_name(filename)?;
    let limit = max_bytes as u64;
    let mut upload = objects.begin(limit).await.map_err(object_error)?;
    let (mut head, mut scan) = (Vec::with_capacity(HEAD), MarkupScan::default());
    while let Some(chunk) = chunks.next().await {
        let Ok(chunk) = chunk else {
            upload.abort().await;
            return Err(ApiError::bad_request("attachment_incomplete", format!("附件“{name}”上传不完整，请重试")));
        };
        match upload.write(&chunk).await {
            Ok(()) => {}
            Err(xinfang_objects::ObjectError::TooLarge { .. }) => return Err(too_large(name, max_bytes)),
            Err(e) => {
                upload.abort().await;
                return Err(object_error(e));
            }
        }
        if head.len() < HEAD {
            head.extend_from_slice(&chunk[..chunk.len().min(HEAD - head.len())]);
        }
        scan.feed(&chunk);
    }
    if upload.size() == 0 {
        upload.abort().await;
        return Err(ApiError::bad_request("empty_attachment", format!("附件“{name}”是空文件")));
    }
    let staged = upload.finish().await.map_err(object_error)?;
    let checked = match sniff(&head, name) {
        None if !name.to_lowercase().ends_with(".txt") => Err(not_allowed(name)),
        // Office packages (zip directory at the end) and text (UTF-8 as a
        // whole) are checked on the complete stored object.
        Some(DOCX | XLSX) | None => match staged.read_all(limit).await {
            Ok(content) => match inspect(&content, name) {
                Ok(Some((kind, stored))) => Ok((kind, stored)),
                Ok(None) => Err(not_allowed(name)),
                Err(r) => Err(refusal_error(name, r)),
            },
            Err(e) => Err(object_error(e)),
        },
        Some(kind) if (kind.starts_with("image/") || kind.starts_with("audio/") || kind == "application/pdf") && scan.found => {
            Err(refusal_error(name, Refusal::Markup))
        }
        Some(kind) if kind.starts_with("text/") => match staged.read_all(limit).await {
            Ok(content) => inspect(&content, name).map_err(|r| refusal_error(name, r)).and_then(|f| f.ok_or_else(|| not_allowed(name))),
            Err(e) => Err(object_error(e)),
        },
        Some(kind) => Ok((kind, matching_name(name, kind))),
    };
    let (content_type, stored_name) = match checked {
        Ok(c) => c,
        Err(e) => {
            staged.discard().await;
            return Err(e);
        }
    };
    let stored = staged.commit().await.map_err(object_error)?;
    Ok(NewAttachment { filename: stored_name, content_type: content_type.to_string(), sha256: stored.sha256, size: stored.size })
}

/// Base64 attachments of the JSON API (small files: the whole request is
/// at most `MAX_BODY_BYTES`), stored through the same path as a stream.
pub async fn decode(
    objects: &Objects,
    inputs: &[AttachmentInput],
    max_count: usize,
    max_bytes: usize,
) -> Result<Vec<NewAttachment>, ApiError> {
    if inputs.len() > max_count {
        return Err(ApiError::bad_request("too_many_attachments", format!("附件不能超过{max_count}个")));
    }
    let mut out = Vec::with_capacity(inputs.len());
    for a in inputs {
        let name = check_name(&a.filename)?;
        let content = base64::engine::general_purpose::STANDARD
            .decode(a.content_base64.trim())
            .map_err(|_| ApiError::bad_request("invalid_attachment", format!("附件“{name}”的内容不是有效的base64编码")))?;
        let one = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(Bytes::from(content))]);
        out.push(receive(objects, name, one, max_bytes).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored (uncompressed) zip with the given entries.
    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let (mut out, mut central) = (Vec::new(), Vec::new());
        for (name, data) in entries {
            let offset = out.len() as u32;
            let (n, len) = (name.len() as u16, data.len() as u32);
            out.extend(b"PK\x03\x04");
            out.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend(len.to_le_bytes());
            out.extend(len.to_le_bytes());
            out.extend(n.to_le_bytes());
            out.extend(0u16.to_le_bytes());
            out.extend(name.as_bytes());
            out.extend(*data);
            central.extend(b"PK\x01\x02");
            central.extend([20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend(len.to_le_bytes());
            central.extend(len.to_le_bytes());
            central.extend(n.to_le_bytes());
            central.extend([0u8; 12]);
            central.extend(offset.to_le_bytes());
            central.extend(name.as_bytes());
        }
        let (cd_at, cd_len, count) = (out.len() as u32, central.len() as u32, entries.len() as u16);
        out.extend(central);
        out.extend(b"PK\x05\x06");
        out.extend([0u8; 4]);
        out.extend(count.to_le_bytes());
        out.extend(count.to_le_bytes());
        out.extend(cd_len.to_le_bytes());
        out.extend(cd_at.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out
    }

    fn docx(extra: &[(&str, &[u8])]) -> Vec<u8> {
        let mut entries: Vec<(&str, &[u8])> = vec![("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")];
        entries.extend_from_slice(extra);
        zip(&entries)
    }

    #[test]
    fn type_is_taken_from_content_not_name() {
        assert_eq!(sniff(b"%PDF-1.7 ...", "x.jpg"), Some("application/pdf"));
        assert_eq!(sniff(b"MZ\x90\x00", "report.pdf"), None);
        assert_eq!(sniff(b"PK\x03\x04....", "a.docx").map(|s| s.contains("word")), Some(true));
        assert_eq!(sniff(b"PK\x03\x04....", "a.zip"), None);
        assert_eq!(sniff(b"hello", "a.txt"), Some("text/plain; charset=utf-8"));
    }

    #[test]
    fn an_office_name_needs_a_real_ooxml_package() {
        assert_eq!(inspect(&docx(&[]), "信访材料.docx"), Ok(Some((DOCX, "信访材料.docx".into()))));
        // A plain zip, or a zip without [Content_Types].xml, renamed .docx.
        assert_eq!(inspect(&zip(&[("a.txt", b"x")]), "a.docx"), Err(Refusal::NotOoxml));
        assert_eq!(inspect(&zip(&[("word/document.xml", b"x")]), "a.docx"), Err(Refusal::NotOoxml));
        assert_eq!(inspect(b"PK\x03\x04 truncated", "a.docx"), Err(Refusal::NotOoxml));
        // A spreadsheet named .docx is stored as what it is.
        let xlsx = zip(&[("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")]);
        assert_eq!(inspect(&xlsx, "表格.docx"), Ok(Some((XLSX, "表格.xlsx".into()))));
    }

    #[test]
    fn macros_and_executables_inside_an_office_file_are_refused() {
        for bad in ["word/vbaProject.bin", "word/vbaData.xml", "word/embeddings/payload.exe", "x/run.DLL", "scripts/a.js", "a.vbs"] {
            assert_eq!(inspect(&docx(&[(bad, b"MZ")]), "a.docx"), Err(Refusal::ActiveContent), "{bad}");
        }
        // An entry hidden from the central directory (local header differs) is refused too.
        let mut hidden = docx(&[]);
        let at = hidden.windows(17).position(|w| w == b"word/document.xml").unwrap_or(0);
        hidden[at..at + 4].copy_from_slice(b"evil");
        assert_eq!(inspect(&hidden, "a.docx"), Err(Refusal::NotOoxml));
    }

    #[test]
    fn html_or_script_after_an_image_or_pdf_header_is_refused() {
        let cases: [&[u8]; 5] = [
            b"GIF89a\x01\x00\x01\x00<script>alert(1)</script>",
            b"%PDF-1.4\n<HTML><body>x</body></HTML>",
            b"\x89PNG\r\n\x1a\n....<!DOCTYPE html>",
            b"\xFF\xD8\xFF\xE0 ... <SvG onload=alert(1)>",
            b"ID3....<ScRiPt src=//x>",
        ];
        for c in cases {
            assert_eq!(inspect(c, "a.gif"), Err(Refusal::Markup), "{}", String::from_utf8_lossy(c));
        }
        // Markup deep at the end of a large file is still found.
        let mut big = b"%PDF-1.4\n".to_vec();
        big.extend(vec![b'a'; 2_000_000]);
        big.extend(b"<script>");
        assert_eq!(inspect(&big, "a.pdf"), Err(Refusal::Markup));
        // Found by the streaming scan too, when split between chunks.
        let mut scan = MarkupScan::default();
        for part in [&b"%PDF-1.4 aaaa<scr"[..], b"IPT>"] {
            scan.feed(part);
        }
        assert!(scan.found);
        let mut clean = MarkupScan::default();
        clean.feed(b"%PDF-1.4\n<< /Type ");
        clean.feed(b"/Catalog >>");
        assert!(!clean.found);
        // Ordinary angle brackets are fine.
        assert!(inspect(b"%PDF-1.4\n<< /Type /Catalog >>\n%%EOF", "a.pdf").is_ok());
    }

    #[test]
    fn the_stored_name_is_renamed_to_match_the_detected_type() {
        assert_eq!(inspect(b"%PDF-1.4\n%%EOF", "照片.jpg"), Ok(Some(("application/pdf", "照片.pdf".into()))));
        assert_eq!(inspect(b"\xFF\xD8\xFF\xE0", "scan.JPEG"), Ok(Some(("image/jpeg", "scan.JPEG".into()))));
        assert_eq!(inspect(b"\x89PNG\r\n\x1a\n", "page.html"), Ok(Some(("image/png", "page.png".into()))));
        assert_eq!(inspect(b"GIF89a", "noext"), Ok(Some(("image/gif", "noext.gif".into()))));
        assert_eq!(matching_name(".hidden", "image/png"), ".hidden.png");
    }
}
