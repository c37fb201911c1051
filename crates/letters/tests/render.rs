//! Renders every letter kind and reads the PDFs back with poppler
//! (pdftotext, pdfinfo, pdftoppm). Needs the Noto CJK fonts and
//! poppler-utils (scripts/setup.sh installs both); without them these
//! tests fail, on purpose.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use common::samples::{self, PETITION_NUMBER, PETITIONER, RECEIVED_ON};
use serde_json::json;
use xinfang_letters::{LetterConfig, LetterError, Renderer};

fn renderer() -> &'static Renderer {
    static R: OnceLock<Renderer> = OnceLock::new();
    R.get_or_init(|| Renderer::new(&LetterConfig::default()).expect("fonts-noto-cjk missing? run scripts/setup.sh"))
}

/// Writes the PDF into a fresh temporary directory and returns both.
fn write_pdf(pdf: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("letter.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    (dir, path)
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd} ({e}); poppler-utils missing? run scripts/setup.sh"));
    assert!(out.status.success(), "{cmd} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// The text of the PDF, line by line as pdftotext reads it.
fn pdf_text(pdf: &[u8]) -> String {
    let (_dir, path) = write_pdf(pdf);
    run("pdftotext", &[path.to_str().expect("path"), "-"])
}

/// Text without any whitespace: justified CJK lines and line ends put
/// spaces and newlines inside words.
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// With LETTERS_DUMP_DIR set, keeps a test's PDF there for a look.
fn dump(name: &str, pdf: &[u8]) {
    if let Ok(dir) = std::env::var("LETTERS_DUMP_DIR") {
        std::fs::create_dir_all(&dir).expect("dump dir");
        std::fs::write(Path::new(&dir).join(format!("{name}.pdf")), pdf).expect("dump");
    }
}

fn pdf_info(pdf: &[u8]) -> String {
    let (_dir, path) = write_pdf(pdf);
    run("pdfinfo", &[path.to_str().expect("path")])
}

fn page_count(pdf: &[u8]) -> usize {
    let info = pdf_info(pdf);
    let line = info.lines().find(|l| l.starts_with("Pages:")).expect("Pages line");
    line.trim_start_matches("Pages:").trim().parse().expect("page count")
}

/// Chinese closing punctuation must never begin a line.
fn assert_no_line_starts_with_closing_punctuation(text: &str) {
    const CLOSING: &[char] = &['，', '。', '、', '；', '：', '？', '！', '）', '》', '」', '』', '”', '’', '〕', '】'];
    for line in text.lines() {
        if let Some(first) = line.trim_start().chars().next() {
            assert!(!CLOSING.contains(&first), "line starts with closing punctuation: {line:?}");
        }
    }
}

#[test]
fn every_kind_renders_with_its_facts() {
    for kind in Renderer::kinds() {
        let data = samples::sample(kind);
        let pdf = renderer().render(kind, &data).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(pdf.starts_with(b"%PDF-"), "{kind}: not a PDF");
        assert!(pdf.len() < 1_000_000, "{kind}: {} bytes, fonts not subsetted?", pdf.len());
        let text = pdf_text(&pdf);
        let flat = squeeze(&text);
        let title = data["title"].as_str().expect("title");
        let petition: &[&str] = if Renderer::is_unit_level(kind) { &[] } else { &[PETITIONER, PETITION_NUMBER, RECEIVED_ON] };
        for needle in petition.iter().copied().chain([samples::article(kind), title, "—1—"]) {
            assert!(flat.contains(needle), "{kind}: {needle:?} missing from\n{text}");
        }
        for date in samples::dates(kind) {
            assert!(flat.contains(date), "{kind}: date {date:?} missing from\n{text}");
        }
        assert!(flat.contains("（印章）") || *kind == "annual_report", "{kind}: no seal placeholder");
        assert_no_line_starts_with_closing_punctuation(&text);
    }
}

#[test]
fn letters_carry_their_fixed_wording() {
    let cases: &[(&str, &[&str])] = &[
        ("decision_letter", &["自收到本意见书之日起30日内", "福州市鼓楼区人民政府书面提出复查请求", "予以支持", "法律法规依据"]),
        ("review_opinion", &["30日内", "福州市人民政府书面提出复核请求", "复查结论：维持"]),
        ("final_review_opinion", &["最终处理意见", "不再受理", "复核结论：维持"]),
        ("assign_form", &["办结后向交办机关报告办理结果", "2027年1月4日前办结"]),
        ("acceptance_notice", &["60日内办结", "福州市鼓楼区住房和城乡建设局"]),
        ("extension_notice", &["延长30日"]),
        ("mediation_agreement", &["当事人一：林秀英", "当事人二：", "签名（捺印）", "一式三份", "日期"]),
        ("supervision_letter", &["督办事由", "2026年12月10日前"]),
        ("warning_letter", &["在13个地区中排名第13名", "红色预警", "按期办结率", "79.5%", "2026年12月28日前完成整改"]),
        ("annual_report", &["信访总体情况", "12345", "被反映较多的单位", "福州市人力资源和社会保障局", "已采纳"]),
    ];
    for (kind, needles) in cases {
        let flat = squeeze(&pdf_text(&renderer().render(kind, &samples::sample(kind)).expect("render")));
        for needle in *needles {
            assert!(flat.contains(needle), "{kind}: {needle:?} missing from {flat}");
        }
        assert!(!flat.contains("不予支持") || *kind != "decision_letter");
    }
}

#[test]
fn an_annual_report_of_an_empty_year_renders_its_empty_tables() {
    let mut data = samples::sample("annual_report");
    for table in ["volume", "metrics", "topics", "areas", "units", "instruments", "suggestions"] {
        data[table] = json!([]);
    }
    let flat = squeeze(&pdf_text(&renderer().render("annual_report", &data).expect("render")));
    assert!(flat.contains("（无）"), "{flat}");
}

#[test]
fn simplified_procedure_says_ten_working_days() {
    let mut data = samples::sample("acceptance_notice");
    data["simplified"] = json!(true);
    let flat = squeeze(&pdf_text(&renderer().render("acceptance_notice", &data).expect("render")));
    assert!(flat.contains("10个工作日内"), "{flat}");
    assert!(!flat.contains("60日内"), "{flat}");
}

#[test]
fn optional_fields_may_be_left_out() {
    let mut data = samples::sample("mediation_agreement");
    let map = data.as_object_mut().expect("object");
    for field in ["title", "addressee", "cc"] {
        map.remove(field);
    }
    let flat = squeeze(&pdf_text(&renderer().render("mediation_agreement", &data).expect("render")));
    assert!(flat.contains("调解协议书"), "default title missing: {flat}");
    assert!(!flat.contains("抄送"), "{flat}");
}

#[test]
fn page_is_a4() {
    let pdf = renderer().render("decision_letter", &samples::sample("decision_letter")).expect("render");
    let info = pdf_info(&pdf);
    assert!(info.contains("595.276 x 841.89 pts (A4)"), "{info}");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("letter.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let prefix = dir.path().join("page");
    run("pdftoppm", &["-r", "60", "-png", "-f", "1", "-l", "1", path.to_str().expect("p"), prefix.to_str().expect("p")]);
    let png = std::fs::read_dir(dir.path())
        .expect("read_dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .expect("pdftoppm wrote no PNG");
    let (w, h) = png_size(&png);
    // A4 at 60 dpi: 496 x 702 pixels.
    assert!((495..=497).contains(&w) && (701..=703).contains(&h), "{w} x {h}");
    let ratio = f64::from(h) / f64::from(w);
    assert!((ratio - 297.0 / 210.0).abs() < 0.01, "ratio {ratio}");
}

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).expect("read png");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let w = u32::from_be_bytes(bytes[16..20].try_into().expect("width"));
    let h = u32::from_be_bytes(bytes[20..24].try_into().expect("height"));
    (w, h)
}

#[test]
fn hostile_text_prints_literally() {
    let hostile = r#"#set page(width: 1cm) $x$ *bold* _it_ \ ] [ #{panic()} @ref <lbl> // not a comment"#;
    let mut data = samples::sample("forward_form");
    data["content"] = json!(hostile);
    data["petitioner_name"] = json!("王#五]");
    data["subject"] = json!("$x$ 与 *y*");
    let pdf = renderer().render("forward_form", &data).expect("render");
    dump("hostile", &pdf);
    let info = pdf_info(&pdf);
    assert!(info.contains("(A4)"), "page size changed: {info}");
    let flat = squeeze(&pdf_text(&pdf));
    for needle in ["#setpage(width:1cm)$x$*bold*_it_\\][#{panic()}@ref<lbl>//notacomment", "王#五]", "$x$与*y*"] {
        assert!(flat.contains(needle), "{needle:?} not printed literally in {flat}");
    }
}

#[test]
fn long_content_runs_over_several_pages() {
    let sentence = "信访人反映，小区加装电梯工程施工期间夜间噪声扰民，多次向社区和施工单位反映未果，请求有关部门依法查处。";
    let mut content = String::new();
    let mut n = 0;
    while content.chars().count() < 3000 {
        n += 1;
        content.push_str(&format!("{n}. {sentence}"));
        if n % 4 == 0 {
            content.push('\n');
        }
    }
    let mut data = samples::sample("forward_form");
    data["content"] = json!(content);
    let pdf = renderer().render("forward_form", &data).expect("render");
    dump("long_content", &pdf);
    let pages = page_count(&pdf);
    assert!(pages >= 3, "only {pages} pages for 3,000 characters");
    let text = pdf_text(&pdf);
    let flat = squeeze(&text);
    assert!(flat.contains(&format!("{n}.信访人反映")), "last sentence lost");
    assert!(flat.contains("—2—") && flat.contains("—3—"), "page numbers missing");
    assert_no_line_starts_with_closing_punctuation(&text);
}

#[test]
fn templates_dir_overrides_a_builtin_template() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("decline_notice.typ"),
        "#import \"layout.typ\": *\n#show: letter.with(default-title: \"不予受理告知书\")\n#par[本地措辞：#field(\"petitioner_name\")，#field(\"reason\")]\n#signature()\n",
    )
    .expect("write override");
    let cfg = LetterConfig { templates_dir: Some(dir.path().to_owned()), ..LetterConfig::default() };
    let r = Renderer::new(&cfg).expect("renderer");
    let flat = squeeze(&pdf_text(&r.render("decline_notice", &samples::sample("decline_notice")).expect("render")));
    assert!(flat.contains("本地措辞：林秀英"), "{flat}");
    assert!(!flat.contains("特此告知"), "built-in wording still there: {flat}");
    // Kinds without an override keep the built-in template.
    let flat = squeeze(&pdf_text(&r.render("decision_letter", &samples::sample("decision_letter")).expect("render")));
    assert!(flat.contains("特此告知"), "{flat}");
}

#[test]
fn broken_override_is_a_template_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("decline_notice.typ"), "#let x = (\n").expect("write");
    let cfg = LetterConfig { templates_dir: Some(dir.path().to_owned()), ..LetterConfig::default() };
    let r = Renderer::new(&cfg).expect("renderer");
    let err = r.render("decline_notice", &samples::sample("decline_notice")).expect_err("must fail");
    assert!(matches!(&err, LetterError::Template { kind, .. } if kind == "decline_notice"), "{err:?}");
}

#[test]
fn fonts_dir_without_fonts_is_no_fonts() {
    let empty = tempfile::tempdir().expect("tempdir");
    std::fs::write(empty.path().join("readme.txt"), "no fonts here").expect("write");
    for dir in [empty.path().to_owned(), empty.path().join("missing")] {
        let cfg = LetterConfig { fonts_dir: dir.clone(), templates_dir: None };
        match Renderer::new(&cfg) {
            Err(LetterError::NoFonts { dir: d }) => assert_eq!(d, dir),
            other => panic!("expected NoFonts, got {other:?}"),
        }
    }
}

#[test]
fn unknown_kind_and_missing_fields_are_refused() {
    let err = renderer().render("love_letter", &json!({})).expect_err("unknown");
    assert!(matches!(&err, LetterError::UnknownKind(k) if k == "love_letter"), "{err:?}");
    let mut data = samples::sample("decision_letter");
    data["legal_basis"] = json!("  ");
    let err = renderer().render("decision_letter", &data).expect_err("missing");
    assert!(matches!(&err, LetterError::MissingField { field, .. } if field == "legal_basis"), "{err:?}");
    let mut data = samples::sample("decline_notice");
    data["addressee"] = json!(null);
    let err = renderer().render("decline_notice", &data).expect_err("no addressee");
    assert!(matches!(&err, LetterError::MissingField { field, .. } if field == "addressee"), "{err:?}");
    let err = renderer().render("decision_letter", &json!("not an object")).expect_err("not object");
    assert!(matches!(err, LetterError::Data { .. }), "{err:?}");
}

#[test]
fn one_renderer_serves_many_threads() {
    let r = Arc::new(Renderer::new(&LetterConfig::default()).expect("renderer"));
    let handles: Vec<_> = ["decision_letter", "assign_form", "mediation_agreement", "reminder_letter"]
        .into_iter()
        .map(|kind| {
            let r = Arc::clone(&r);
            std::thread::spawn(move || r.render(kind, &samples::sample(kind)).map(|pdf| pdf.len()))
        })
        .collect();
    for h in handles {
        let len = h.join().expect("thread").expect("render");
        assert!(len > 1000);
    }
}

/// A 复查 or 复核 that orders the matter redone decides nothing the
/// petitioner could take further yet: neither letter promises 复核 or says
/// the matter is closed; both say the original unit answers again.
#[test]
fn an_order_to_redo_promises_no_further_review() {
    for kind in ["review_opinion", "final_review_opinion"] {
        let mut data = samples::sample(kind);
        data["redo"] = json!(true);
        data["outcome"] = json!("责令重新办理");
        let flat = squeeze(&pdf_text(&renderer().render(kind, &data).unwrap_or_else(|e| panic!("{kind}: {e}"))));
        assert!(flat.contains("将依法重新办理，重新作出处理意见并书面告知你"), "{kind}: {flat}");
        for never in ["书面提出复核请求", "最终处理意见", "不再受理"] {
            assert!(!flat.contains(never), "{kind}: {never} in {flat}");
        }
    }
}

/// A letter to several petitioners (张三等3人) says 你们, never 你.
#[test]
fn a_letter_to_several_petitioners_says_you_in_the_plural() {
    for kind in [
        "acceptance_notice",
        "decision_letter",
        "decline_notice",
        "extension_notice",
        "final_review_opinion",
        "no_longer_accepted_notice",
        "review_opinion",
    ] {
        let mut data = samples::sample(kind);
        data["petitioners"] = json!(3);
        let flat = squeeze(&pdf_text(&renderer().render(kind, &data).unwrap_or_else(|e| panic!("{kind}: {e}"))));
        assert!(flat.contains("你们"), "{kind}: {flat}");
        // (Staff-typed text may say 你 in its own words; the template's never.)
        for singular in ["你于", "你不服", "你如对", "你可以", "你的", "你所", "你此次", "如你的", "告知你。"] {
            assert!(!flat.contains(singular), "{kind}: {singular} in {flat}");
        }
        data["petitioners"] = json!(1);
        let flat = squeeze(&pdf_text(&renderer().render(kind, &data).unwrap_or_else(|e| panic!("{kind}: {e}"))));
        assert!(flat.contains('你') && !flat.contains("你们"), "{kind}: {flat}");
    }
}
