//! Attachments: decoded, size-checked and typed by their content.

use crate::dto::AttachmentInput;
use crate::error::ApiError;
use base64::Engine;
use sha2::{Digest, Sha256};
use xinfang_store::NewAttachment;

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
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    } else if starts(b"PK\x03\x04") && lower.ends_with(".xlsx") {
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    } else if lower.ends_with(".txt") && !content.contains(&0) && std::str::from_utf8(content).is_ok() {
        Some("text/plain; charset=utf-8")
    } else {
        None
    }
}

pub fn decode(inputs: &[AttachmentInput], max_count: usize, max_bytes: usize) -> Result<Vec<NewAttachment>, ApiError> {
    if inputs.len() > max_count {
        return Err(ApiError::bad_request("too_many_attachments", format!("附件不能超过{max_count}个")));
    }
    let mut out = Vec::with_capacity(inputs.len());
    for a in inputs {
        let name = a.filename.trim();
        if name.is_empty() || name.chars().count() > 200 || name.contains(['/', '\\', '\0']) {
            return Err(ApiError::bad_request("invalid_filename", "附件文件名不正确"));
        }
        let content = base64::engine::general_purpose::STANDARD
            .decode(a.content_base64.trim())
            .map_err(|_| ApiError::bad_request("invalid_attachment", format!("附件“{name}”的内容不是有效的base64编码")))?;
        if content.is_empty() {
            return Err(ApiError::bad_request("empty_attachment", format!("附件“{name}”是空文件")));
        }
        if content.len() > max_bytes {
            return Err(ApiError::bad_request("attachment_too_large", format!("附件“{name}”超过{}MB", max_bytes / (1024 * 1024))));
        }
        let content_type = sniff(&content, name).ok_or_else(|| {
            ApiError::bad_request(
                "attachment_type_not_allowed",
                format!("附件“{name}”的类型不受支持（支持PDF、图片、Word/Excel文档、文本、录音）"),
            )
        })?;
        out.push(NewAttachment {
            filename: name.to_string(),
            content_type: content_type.to_string(),
            sha256: hex::encode(Sha256::digest(&content)),
            content,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_is_taken_from_content_not_name() {
        assert_eq!(sniff(b"%PDF-1.7 ...", "x.jpg"), Some("application/pdf"));
        assert_eq!(sniff(b"MZ\x90\x00", "report.pdf"), None);
        assert_eq!(sniff(b"PK\x03\x04....", "a.docx").map(|s| s.contains("word")), Some(true));
        assert_eq!(sniff(b"PK\x03\x04....", "a.zip"), None);
        assert_eq!(sniff(b"hello", "a.txt"), Some("text/plain; charset=utf-8"));
    }
}
