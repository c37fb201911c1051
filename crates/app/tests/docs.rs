//! The documentation derives from the code: the action table in
//! docs/api.md is exactly what `xinfang actions-table` prints.

#[test]
fn api_guide_shows_the_action_table_of_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md");
    let doc = std::fs::read_to_string(path).expect("docs/api.md");
    let begin = doc.find("<!-- actions:begin -->\n").expect("begin marker") + "<!-- actions:begin -->\n".len();
    let end = doc.find("<!-- actions:end -->").expect("end marker");
    let shown = doc.get(begin..end).expect("section");
    assert_eq!(
        shown,
        xinfang_domain::procedure::actions::markdown_table(),
        "docs/api.md is stale: regenerate the section with `xinfang actions-table`"
    );
}
