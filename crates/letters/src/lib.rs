//! PDF letters for xinfang: notices, forms, opinion letters, agreements and
//! the "three letters" of supervision, typeset with typst after
//! GB/T 9704-2012.
//!
//! The templates are typst files embedded in this crate
//! (`crates/letters/templates/`); a deployment may override any of them by
//! putting a file with the same name in [`LetterConfig::templates_dir`].
//! Record data never becomes markup: it is handed to the template as the
//! typst dictionary `sys.inputs`, so a petitioner's `#`, `*`, `$` or `\`
//! prints as itself.
//!
//! Fonts come only from [`LetterConfig::fonts_dir`] (searched recursively);
//! nothing is downloaded, and typst packages are not available to templates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use typst::foundations::{Array, Dict, Str, Value};
use typst::text::Font;
use typst_as_lib::{TypstEngine, TypstTemplateCollection};
use typst_layout::PagedDocument;

/// Where the renderer finds its fonts and (optional) template overrides.
#[derive(Debug, Clone)]
pub struct LetterConfig {
    /// Directory searched recursively for `.ttf`, `.otf` and `.ttc` files.
    pub fonts_dir: PathBuf,
    /// Directory whose `*.typ` files replace the built-in templates of the
    /// same name (read once, when the [`Renderer`] is built).
    pub templates_dir: Option<PathBuf>,
}

impl Default for LetterConfig {
    fn default() -> Self {
        LetterConfig { fonts_dir: PathBuf::from("/usr/share/fonts/opentype/noto"), templates_dir: None }
    }
}

/// Why a letter could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    /// The fonts directory holds no font that covers Chinese text.
    #[error("no usable CJK font (.ttf/.otf/.ttc) under {}", dir.display())]
    NoFonts { dir: PathBuf },
    /// A font or template file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The letter kind is not one of [`Renderer::kinds`].
    #[error("unknown letter kind {0:?}")]
    UnknownKind(String),
    /// The data is not a JSON object, or a field has the wrong type.
    #[error("bad data for {kind}: {message}")]
    Data { kind: String, message: String },
    /// A field the kind needs is absent or empty.
    #[error("{kind}: missing field {field:?}")]
    MissingField { kind: String, field: String },
    /// The template did not compile (a deployment's override, usually).
    #[error("template {kind} failed: {message}")]
    Template { kind: String, message: String },
    /// typst could not write the PDF.
    #[error("PDF export of {kind} failed: {message}")]
    Pdf { kind: String, message: String },
}

/// The shared layout every kind imports.
const LAYOUT_FILE: &str = "layout.typ";

/// Built-in templates: file name and text.
const BUILTIN: &[(&str, &str)] = &[
    (LAYOUT_FILE, include_str!("../templates/layout.typ")),
    ("acceptance_notice.typ", include_str!("../templates/acceptance_notice.typ")),
    ("decline_notice.typ", include_str!("../templates/decline_notice.typ")),
    ("no_longer_accepted_notice.typ", include_str!("../templates/no_longer_accepted_notice.typ")),
    ("forward_form.typ", include_str!("../templates/forward_form.typ")),
    ("assign_form.typ", include_str!("../templates/assign_form.typ")),
    ("extension_notice.typ", include_str!("../templates/extension_notice.typ")),
    ("decision_letter.typ", include_str!("../templates/decision_letter.typ")),
    ("review_opinion.typ", include_str!("../templates/review_opinion.typ")),
    ("final_review_opinion.typ", include_str!("../templates/final_review_opinion.typ")),
    ("mediation_agreement.typ", include_str!("../templates/mediation_agreement.typ")),
    ("settlement_agreement.typ", include_str!("../templates/settlement_agreement.typ")),
    ("supervision_letter.typ", include_str!("../templates/supervision_letter.typ")),
    ("assignment_letter.typ", include_str!("../templates/assignment_letter.typ")),
    ("reminder_letter.typ", include_str!("../templates/reminder_letter.typ")),
    ("warning_letter.typ", include_str!("../templates/warning_letter.typ")),
    ("annual_report.typ", include_str!("../templates/annual_report.typ")),
];

const KINDS: &[&str] = &[
    "acceptance_notice",
    "decline_notice",
    "no_longer_accepted_notice",
    "forward_form",
    "assign_form",
    "extension_notice",
    "decision_letter",
    "review_opinion",
    "final_review_opinion",
    "mediation_agreement",
    "settlement_agreement",
    "supervision_letter",
    "assignment_letter",
    "reminder_letter",
    "warning_letter",
    "annual_report",
];

/// Fields every kind needs. Optional: `title` (the kind's default title
/// when blank), `cc`, and `addressee` on the agreements (not printed there).
const COMMON_FIELDS: &[&str] =
    &["doc_number", "issuer", "issued_on", "petition_number", "petitioner_name", "received_on", "subject", "article"];

/// Kinds addressed to a unit about its work, not about a petition: their
/// common fields are these instead.
const UNIT_LEVEL: &[&str] = &["warning_letter", "annual_report"];
const UNIT_COMMON_FIELDS: &[&str] = &["issuer", "issued_on", "article"];

/// Kinds that are not addressed to anyone.
const UNADDRESSED: &[&str] = &["mediation_agreement", "settlement_agreement", "annual_report"];

/// Fields each kind needs besides the common ones. Optional fields
/// (`contact`, `note`, `cc`) are not listed.
fn kind_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "acceptance_notice" => &["handling_unit", "accepted_on", "due_on", "simplified"],
        "decline_notice" => &["ground", "reason", "proper_channel"],
        "no_longer_accepted_notice" => &["ground", "reason", "proper_channel", "final_review_unit", "final_review_on"],
        "forward_form" => &["to_unit", "from_unit", "channel", "category", "content", "request"],
        "assign_form" => &["to_unit", "from_unit", "channel", "category", "content", "request", "due_on"],
        "extension_notice" => &["days", "reason", "original_due_on", "new_due_on"],
        "decision_letter" => &["request", "facts_and_reasons", "decision", "legal_basis", "outcome", "review_unit", "review_days"],
        "review_opinion" => {
            &["outcome", "opinion", "facts_and_reasons", "legal_basis", "original_unit", "final_review_unit", "final_review_days"]
        }
        "final_review_opinion" => &["outcome", "opinion", "facts_and_reasons", "legal_basis", "original_unit"],
        "mediation_agreement" | "settlement_agreement" => &["parties", "summary", "mediator", "signed_on"],
        "supervision_letter" | "assignment_letter" | "reminder_letter" => &["to_unit", "reason", "suggestions", "reply_due_on", "due_on"],
        "warning_letter" => &[
            "doc_number",
            "title",
            "scope_name",
            "area_name",
            "month",
            "rank",
            "ranked",
            "score",
            "warning",
            "metrics",
            "suggestions",
            "reply_due_on",
            "rectify_by",
        ],
        "annual_report" => &["title", "year", "summary", "volume", "metrics", "topics", "areas", "units", "instruments", "suggestions"],
        _ => &[],
    }
}

/// Turns letter data into PDF. Build it once (fonts are loaded here) and
/// share it; [`Renderer::render`] takes `&self` and may run on many threads.
pub struct Renderer {
    engine: TypstEngine<TypstTemplateCollection>,
    font_count: usize,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer").field("font_count", &self.font_count).finish_non_exhaustive()
    }
}

/// The first character of 信访, to tell a CJK font from the rest.
const CJK_PROBE: u32 = 0x4FE1;

impl Renderer {
    /// Loads every font under `cfg.fonts_dir` and the templates (built-in,
    /// replaced file by file from `cfg.templates_dir`).
    pub fn new(cfg: &LetterConfig) -> Result<Renderer, LetterError> {
        let fonts = load_fonts(&cfg.fonts_dir)?;
        if !fonts.iter().any(|f| f.info().coverage.contains(CJK_PROBE)) {
            return Err(LetterError::NoFonts { dir: cfg.fonts_dir.clone() });
        }
        let mut sources: BTreeMap<String, String> = BTreeMap::new();
        for (name, text) in BUILTIN {
            let text = match &cfg.templates_dir {
                Some(dir) => read_override(&dir.join(name))?.unwrap_or_else(|| (*text).to_owned()),
                None => (*text).to_owned(),
            };
            sources.insert(format!("/{name}"), text);
        }
        let font_count = fonts.len();
        let engine = TypstEngine::builder()
            .fonts(fonts)
            .with_static_source_file_resolver(sources.iter().map(|(name, text)| (name.as_str(), text.clone())))
            .build();
        Ok(Renderer { engine, font_count })
    }

    /// Number of font faces loaded (a `.ttc` counts each face).
    pub fn font_count(&self) -> usize {
        self.font_count
    }

    /// Whether `kind` is about a unit's work rather than a petition (no
    /// petition number, petitioner or receipt date).
    pub fn is_unit_level(kind: &str) -> bool {
        UNIT_LEVEL.contains(&kind)
    }

    /// The letter kinds this renderer knows, e.g. `decision_letter`.
    pub fn kinds() -> &'static [&'static str] {
        KINDS
    }

    /// Renders one letter to PDF bytes. `data` is a JSON object with the
    /// common fields and the kind's own (see docs/letters.md). CPU-bound:
    /// async callers should use `spawn_blocking`.
    pub fn render(&self, kind: &str, data: &serde_json::Value) -> Result<Vec<u8>, LetterError> {
        if !KINDS.contains(&kind) {
            return Err(LetterError::UnknownKind(kind.to_owned()));
        }
        let serde_json::Value::Object(map) = data else {
            return Err(LetterError::Data { kind: kind.to_owned(), message: "data must be a JSON object".to_owned() });
        };
        let addressee: &[&str] = if UNADDRESSED.contains(&kind) { &[] } else { &["addressee"] };
        let common = if UNIT_LEVEL.contains(&kind) { UNIT_COMMON_FIELDS } else { COMMON_FIELDS };
        for field in common.iter().chain(addressee).chain(kind_fields(kind)) {
            let present = match map.get(*field) {
                None | Some(serde_json::Value::Null) => false,
                Some(serde_json::Value::String(s)) => !s.trim().is_empty(),
                // A report's table may be empty (it prints "（无）").
                Some(serde_json::Value::Array(a)) => !a.is_empty() || UNIT_LEVEL.contains(&kind),
                Some(_) => true,
            };
            if !present {
                return Err(LetterError::MissingField { kind: kind.to_owned(), field: (*field).to_owned() });
            }
        }
        let Value::Dict(inputs) = to_value(data) else {
            return Err(LetterError::Data { kind: kind.to_owned(), message: "data must be a JSON object".to_owned() });
        };
        let main = format!("/{kind}.typ");
        let doc: PagedDocument = self
            .engine
            .compile_with_input(main.as_str(), inputs)
            .output
            .map_err(|e| LetterError::Template { kind: kind.to_owned(), message: describe(&e) })?;
        let options = typst_pdf::PdfOptions::default();
        typst_pdf::pdf(&doc, &options).map_err(|diags| LetterError::Pdf {
            kind: kind.to_owned(),
            message: diags.iter().map(|d| d.message.to_string()).collect::<Vec<_>>().join("; "),
        })
    }
}

/// A readable message from a typst error (the diagnostics' messages, not
/// their spans' debug dump).
fn describe(e: &typst_as_lib::TypstAsLibError) -> String {
    match e {
        typst_as_lib::TypstAsLibError::TypstSource(diags) => diags.iter().map(|d| d.message.to_string()).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

/// JSON to a typst value. Strings stay strings: the template shows them as
/// text, never evaluates them.
fn to_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::None,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::Str(Str::from(s.as_str())),
        serde_json::Value::Array(items) => Value::Array(items.iter().map(to_value).collect::<Array>()),
        serde_json::Value::Object(map) => Value::Dict(map.iter().map(|(k, v)| (Str::from(k.as_str()), to_value(v))).collect::<Dict>()),
    }
}

fn read_override(path: &Path) -> Result<Option<String>, LetterError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(LetterError::Io { path: path.to_owned(), source }),
    }
}

/// Every face of every font file under `dir` (recursive, sorted by path so
/// that the order, and thus typst's choice among equal faces, is stable).
fn load_fonts(dir: &Path) -> Result<Vec<Font>, LetterError> {
    let mut files = Vec::new();
    collect_font_files(dir, &mut files, 0);
    files.sort();
    let mut fonts = Vec::new();
    for path in files {
        let data = std::fs::read(&path).map_err(|source| LetterError::Io { path: path.clone(), source })?;
        fonts.extend(Font::iter(typst::foundations::Bytes::new(data)));
    }
    Ok(fonts)
}

fn collect_font_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    // A missing or unreadable directory simply holds no fonts (NoFonts
    // follows); the depth limit guards against symlink loops.
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if depth < 8 {
                collect_font_files(&path, out, depth + 1);
            }
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "ttf" | "otf" | "ttc" | "otc"))
        {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn renderer_is_send_and_sync() {
        assert_send_sync::<Renderer>();
    }

    #[test]
    fn every_kind_has_a_template() {
        for kind in KINDS {
            let name = format!("{kind}.typ");
            assert!(BUILTIN.iter().any(|(n, _)| *n == name), "{kind} has no template");
        }
    }

    #[test]
    fn json_becomes_typst_values() {
        let v = to_value(&serde_json::json!({"a": [1, 2.5, true, null, "#x"]}));
        let Value::Dict(d) = v else { panic!("not a dict") };
        let Ok(Value::Array(a)) = d.get("a") else { panic!("no array") };
        assert_eq!(a.len(), 5);
        assert!(matches!(a.first(None), Ok(Value::Int(1))));
    }
}
