//! Full-text search at the edge (issue 13; docs/search.md): the words a
//! petition is indexed under, the query a search box becomes, and the
//! ranking of what the database found.
//!
//! The words come from one segmenter per process (`segmenter`): jieba's
//! dictionary, the petition-work terms shipped in the text crate, and the
//! names of the units of the tree it was first built with (so that
//! 天河区人社局 stays whole and is found whole). A petitioner's name is
//! never indexed in plain text: it becomes one keyed token (`name_token`),
//! and a search for a name looks for that token.

use crate::intake::name_key;
use std::sync::{Arc, OnceLock};
use xinfang_crypto::Keyring;
use xinfang_domain::unit::UnitTree;
use xinfang_store::{FullText, IndexText};
use xinfang_text::Segmenter;

/// Most words of a query that are searched for (the rest are ignored).
pub const MAX_QUERY_TERMS: usize = 8;

static SEGMENTER: OnceLock<Arc<Segmenter>> = OnceLock::new();

/// This process's segmenter, built on first use (about 0.2 s in a release
/// build) with the names of `tree`'s units as words.
pub fn segmenter(tree: &UnitTree) -> Arc<Segmenter> {
    Arc::clone(SEGMENTER.get_or_init(|| {
        let mut seg = Segmenter::new();
        for u in tree.all() {
            seg.add_word(&u.name, None);
        }
        Arc::new(seg)
    }))
}

/// What the index token of a name starts with. (A typed word that starts
/// so is probed too, harmlessly: a word no entry holds matches nothing
/// whether its alternative is dropped or not.)
const NAME_TOKEN_PREFIX: &str = "nm";

/// The index token of a petitioner's name: a keyed hash (96 bits, hex),
/// so the index does not hold names and a name is found only whole.
pub fn name_token(keys: &Keyring, name: &str) -> String {
    let h = keys.keyed_hash("search-name", &name_key(name));
    format!("{NAME_TOKEN_PREFIX}{}", &h[..h.len().min(24)])
}

/// The words a petition is indexed under: its text cut into words, and
/// its petitioners' names as keyed tokens.
pub fn petition_tokens(seg: &Segmenter, keys: &Keyring, text: &IndexText, names: &[String]) -> String {
    let body = [&text.title, &text.content, &text.request, &text.facts_and_reasons, &text.accused];
    let mut out = seg.index_text(&body.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"));
    for n in names.iter().filter(|n| !name_key(n).is_empty()) {
        out.push(' ');
        out.push_str(&name_token(keys, n));
    }
    out
}

/// The searchable text of a registration (the same fields the rebuild
/// reads back from the record: `Store::petitions_for_index`).
pub fn registration_text(reg: &xinfang_domain::petition::Registration) -> IndexText {
    let accused =
        reg.accused.as_ref().map(|a| [&a.name, &a.unit, &a.position].into_iter().flatten().cloned().collect::<Vec<_>>().join(" "));
    IndexText {
        title: reg.title.clone(),
        content: reg.content.clone(),
        request: reg.request.clone(),
        facts_and_reasons: reg.facts_and_reasons.clone(),
        accused: accused.unwrap_or_default(),
    }
}

/// The index words of a registration with its petitioners.
pub fn registration_tokens(seg: &Segmenter, keys: &Keyring, reg: &xinfang_domain::petition::Registration) -> String {
    let names: Vec<String> = reg.petitioners.iter().map(|p| p.name.clone()).collect();
    petition_tokens(seg, keys, &registration_text(reg), &names)
}

/// Rebuild the whole index from the record (the `xinfang search-index`
/// command, and start-up after a migration marked the index stale): after
/// a change of dictionary (a new unit's name) or a restore from
/// elsewhere. Every entry is rewritten in place, oldest first, so searches
/// keep answering meanwhile; the stale marks standing when it began are
/// cleared only once every petition is done. Petitions registered
/// meanwhile index themselves; a batch rewrites their entry with the same
/// words. Returns how many petitions were indexed.
pub async fn rebuild_index(store: &xinfang_store::Store, tree: &UnitTree, keys: &Keyring) -> Result<usize, xinfang_store::StoreError> {
    const BATCH: i64 = 1000;
    let seg = segmenter(tree);
    let stale = store.search_index_stale_mark().await?;
    let (mut after, mut n) = (0, 0);
    loop {
        let batch = store.petitions_for_index(after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        let entries: Vec<(i64, String)> = batch.iter().map(|p| (p.id, petition_tokens(&seg, keys, &p.text, &p.names))).collect();
        store.write_index_batch(&entries).await?;
        n += entries.len();
    }
    store.compact_index().await?;
    store.search_index_rebuilt(stale).await?;
    Ok(n)
}

/// What a search box's words look for: every word of the text (the first
/// alternative; the words returned are the typed ones), a word of a
/// synonym group as its group's index token (`xinfang_text::synonyms`: 欠薪
/// also finds 拖欠工资, in one list of postings); the query said another
/// way where the group's word sits inside a longer one; a petitioner with
/// exactly this name; or, for several words, one of them as a
/// petitioner's name and the others as words (郑文 工资). None when the
/// text has no word.
pub fn query(seg: &Segmenter, keys: &Keyring, q: &str) -> Option<(FullText, Vec<String>)> {
    let terms = words_of(seg, q);
    let mut alternatives: Vec<Vec<String>> = Vec::new();
    let mut push = |alt: Vec<String>| {
        if !alt.is_empty() && !alternatives.contains(&alt) {
            alternatives.push(alt);
        }
    };
    push(indexed(&terms));
    // A part of a longer word (沙村 in 上沙村), as the index's pieces; kept
    // as typed, since a piece that is a synonym group's word was indexed
    // as itself, not as the group's token.
    if let Some(mut pieces) = seg.pieces_query(q, false) {
        pieces.truncate(MAX_QUERY_TERMS);
        push(pieces);
    }
    for (_, also) in synonyms(seg, q) {
        push(indexed(&also));
    }
    let name = name_key(q);
    if !name.is_empty() && name.chars().count() <= 30 {
        push(vec![name_token(keys, &name)]);
    }
    if terms.len() > 1 {
        for (i, t) in terms.iter().enumerate().filter(|(_, t)| looks_like_a_name(t)).take(MAX_NAMES_IN_QUERY) {
            let others: Vec<String> = terms.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, w)| w.clone()).collect();
            let mut alt = vec![name_token(keys, t)];
            alt.extend(indexed(&others));
            push(alt);
        }
    }
    // The name tokens: most searches name nobody, and an alternative of a
    // name no petition holds is dropped before the search (`probe`).
    let probe = alternatives.iter().flatten().filter(|w| w.starts_with(NAME_TOKEN_PREFIX)).cloned().collect();
    (!alternatives.is_empty()).then_some((FullText { alternatives, probe }, terms))
}

/// The wider query for a search whose words found nothing: every long word
/// as its two-character pieces (人力资源 inside a unit's name; see
/// `Segmenter::pieces_query`). Not part of every query: on a common long
/// word the pieces are common words, costly to AND at a province's size.
pub fn wider_query(seg: &Segmenter, q: &str) -> Option<FullText> {
    let mut pieces = seg.pieces_query(q, true)?;
    pieces.truncate(MAX_QUERY_TERMS);
    Some(FullText { alternatives: vec![pieces], probe: Vec::new() })
}

/// Query words as the index holds them: a word of a synonym group becomes
/// its group's token (each once), the others stay as they are.
fn indexed(words: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words {
        let t = xinfang_text::synonyms::group_token(w).map_or_else(|| w.clone(), str::to_string);
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Most words of a query tried as a petitioner's name beside the others.
const MAX_NAMES_IN_QUERY: usize = 3;

/// A query's words, at most `MAX_QUERY_TERMS`.
pub fn words_of(seg: &Segmenter, q: &str) -> Vec<String> {
    let mut terms = seg.query_terms(q);
    terms.truncate(MAX_QUERY_TERMS);
    terms
}

/// Two to four Chinese characters: could be a person's name.
fn looks_like_a_name(word: &str) -> bool {
    let n = word.chars().count();
    (2..=4).contains(&n) && word.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The query said other ways (`xinfang_text::synonyms`), each with its
/// words, the query as typed left out: what a search also looks for, and
/// what ranking and snippets read beside the typed words.
pub fn synonyms(seg: &Segmenter, q: &str) -> Vec<(String, Vec<String>)> {
    let typed = words_of(seg, q);
    xinfang_text::synonyms::variants(q)
        .into_iter()
        .skip(1)
        .map(|v| {
            let w = words_of(seg, &v);
            (v, w)
        })
        .filter(|(_, w)| !w.is_empty() && *w != typed)
        .collect()
}

/// Whether `title` holds every query word, or a word of its synonym group
/// (width and ASCII case ignored): a row the caller does not see in full
/// is shown only when its title, which the caller does see, matches.
pub fn title_has_terms(title: &str, terms: &[String]) -> bool {
    let t = xinfang_text::segment::normalize(title);
    !terms.is_empty()
        && terms.iter().all(|w| xinfang_text::synonyms::said_alike(&xinfang_text::segment::normalize(w)).iter().any(|m| t.contains(m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keyring {
        Keyring::generate(xinfang_crypto::Algorithm::Sm4Gcm).0
    }

    #[test]
    fn a_name_is_indexed_keyed_and_found_whole() {
        let (seg, k) = (Segmenter::new(), keys());
        let text = IndexText { title: "反映欠薪问题".into(), content: "公司拖欠工资三个月".into(), ..Default::default() };
        let tokens = petition_tokens(&seg, &k, &text, &["张 三丰".into()]);
        assert!(!tokens.contains("张三丰") && !tokens.contains("三丰"), "{tokens}");
        assert!(tokens.split(' ').any(|w| w == "欠薪"), "{tokens}");
        let (q, _) = query(&seg, &k, "张三丰").expect("a query");
        assert!(q.alternatives.iter().any(|a| a.len() == 1 && tokens.split(' ').any(|w| w == a[0])));
        // Another key, another token: the index is useless without the key.
        assert_ne!(name_token(&k, "张三丰"), name_token(&keys(), "张三丰"));
    }

    #[test]
    fn a_word_said_another_way_and_a_name_beside_a_word_are_looked_for_too() {
        let (seg, k) = (Segmenter::new(), keys());
        let (q, terms) = query(&seg, &k, "欠薪").expect("a query");
        assert_eq!(terms, vec!["欠薪".to_string()]);
        // Every way of saying it is one token of the index: one alternative
        // of words (and one of a name), not one per way.
        assert_eq!(q.alternatives[0], vec!["sy欠薪".to_string()], "{:?}", q.alternatives);
        assert_eq!(q.alternatives.iter().filter(|a| !a[0].starts_with("nm")).count(), 1, "{:?}", q.alternatives);
        let indexed = petition_tokens(&seg, &k, &IndexText { content: "老板拖欠工资半年".into(), ..Default::default() }, &[]);
        assert!(indexed.split(' ').any(|w| w == "sy欠薪"), "{indexed}");
        let (q, _) = query(&seg, &k, "噪音 工地").expect("a query");
        assert_eq!(q.alternatives[0], vec!["sy噪音".to_string(), "工地".to_string()]);
        assert!(synonyms(&seg, "噪音").iter().any(|(v, _)| v == "噪声"));
        assert!(synonyms(&seg, "工伤认定").is_empty());
        let (q, terms) = query(&seg, &k, "郑文 工伤").expect("a query");
        assert_eq!(terms.len(), 2, "{terms:?}");
        let named = vec![name_token(&k, "郑文"), "工伤".to_string()];
        assert!(q.alternatives.contains(&named), "{:?}", q.alternatives);
    }

    #[test]
    fn punctuation_alone_is_no_query_and_titles_match_by_words() {
        let (seg, k) = (Segmenter::new(), keys());
        let (q, terms) = query(&seg, &k, "工伤 工地").expect("a query");
        assert_eq!(q.alternatives[0], terms);
        let (_, terms) = query(&seg, &k, "欠薪 工地").expect("a query");
        assert!(title_has_terms("工地欠薪", &terms));
        assert!(title_has_terms("工地拖欠工资", &terms), "said another way");
        assert!(!title_has_terms("工地噪音", &terms));
        assert!(title_has_terms("拖欠工资 违章建筑", &["欠薪".to_string(), "违建".to_string()]));
        assert!(query(&seg, &k, "").is_none());
    }
}
