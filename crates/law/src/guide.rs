//! Guidance for citizens: plain-language pages built around the articles,
//! and the "which way is right for my problem" guide, a small decision
//! tree whose ends are either the petition form (with a category and
//! perhaps a topic preselected) or an outside channel (a court, an
//! arbitration committee, administrative reconsideration…).

use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    pub slug: String,
    pub title: String,
    pub articles: Vec<u16>,
    pub body: String,
}

/// The placeholder replaced by the configured reception places.
pub const RECEPTION_PLACES: &str = "{reception_places}";

/// One block of a page's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph(String),
    List(Vec<String>),
    ReceptionPlaces,
}

impl Page {
    pub fn blocks(&self) -> Vec<Block> {
        self.body
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                if p == RECEPTION_PLACES {
                    Block::ReceptionPlaces
                } else if p.lines().all(|l| l.trim_start().starts_with("- ")) {
                    Block::List(p.lines().map(|l| l.trim_start().trim_start_matches("- ").trim().to_string()).collect())
                } else {
                    Block::Paragraph(p.lines().map(str::trim).collect::<Vec<_>>().join(""))
                }
            })
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub label: String,
    pub goto: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub question: String,
    #[serde(rename = "choice")]
    pub choices: Vec<Choice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndKind {
    /// Not a petition: the channel the law provides.
    Outside,
    /// The petition form.
    Petition,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct End {
    pub id: String,
    pub kind: EndKind,
    pub title: String,
    pub text: String,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub articles: Vec<u16>,
    /// Petition ends: suggestion | accusation | claim.
    #[serde(default)]
    pub category: Option<String>,
    /// Petition ends: a second-level topic code to preselect.
    #[serde(default)]
    pub topic: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guide {
    #[serde(rename = "page")]
    pub pages: Vec<Page>,
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
    #[serde(rename = "end")]
    pub ends: Vec<End>,
}

/// Where a choice leads.
pub enum Node<'a> {
    Step(&'a Step),
    End(&'a End),
}

const GUIDE_TOML: &str = include_str!("../data/guide.toml");

pub fn guide() -> &'static Guide {
    static G: OnceLock<Guide> = OnceLock::new();
    G.get_or_init(|| match Guide::parse(GUIDE_TOML) {
        Ok(g) => g,
        Err(e) => panic!("crates/law/data/guide.toml is invalid: {e}"),
    })
}

impl Guide {
    /// Parse and check: the tree starts at "start", every choice leads
    /// somewhere, everything is reachable, nothing loops, every article
    /// exists, petition ends name a category.
    pub fn parse(text: &str) -> Result<Guide, String> {
        let g: Guide = toml::from_str(text).map_err(|e| e.to_string())?;
        let lib = crate::library();
        let steps: HashMap<&str, &Step> = g.steps.iter().map(|s| (s.id.as_str(), s)).collect();
        let ends: HashSet<&str> = g.ends.iter().map(|e| e.id.as_str()).collect();
        if steps.len() != g.steps.len() || ends.len() != g.ends.len() || steps.keys().any(|k| ends.contains(k)) {
            return Err("duplicate step or end id".into());
        }
        if !steps.contains_key("start") {
            return Err("no step \"start\"".into());
        }
        for a in g.pages.iter().flat_map(|p| p.articles.iter()).chain(g.ends.iter().flat_map(|e| e.articles.iter())) {
            if lib.article(*a).is_none() {
                return Err(format!("article {a} does not exist"));
            }
        }
        for e in &g.ends {
            let ok = match e.kind {
                EndKind::Petition => matches!(e.category.as_deref(), Some("suggestion" | "accusation" | "claim")),
                EndKind::Outside => !e.channels.is_empty() && e.category.is_none() && e.topic.is_none(),
            };
            if !ok {
                return Err(format!("end {}: fields do not fit its kind", e.id));
            }
        }
        // Depth-first from start: every goto resolves, no cycle, all reached.
        fn walk<'a>(
            id: &'a str,
            steps: &HashMap<&'a str, &'a Step>,
            ends: &HashSet<&'a str>,
            path: &mut Vec<&'a str>,
            seen: &mut HashSet<&'a str>,
        ) -> Result<(), String> {
            if path.contains(&id) {
                return Err(format!("the guide loops at {id}"));
            }
            seen.insert(id);
            if ends.contains(id) {
                return Ok(());
            }
            let step = steps.get(id).ok_or_else(|| format!("goto {id} leads nowhere"))?;
            if step.choices.is_empty() {
                return Err(format!("step {id} has no choice"));
            }
            path.push(id);
            for c in &step.choices {
                walk(c.goto.as_str(), steps, ends, path, seen)?;
            }
            path.pop();
            Ok(())
        }
        let mut seen = HashSet::new();
        walk("start", &steps, &ends, &mut Vec::new(), &mut seen)?;
        if let Some(lost) = steps.keys().chain(ends.iter()).find(|k| !seen.contains(*k)) {
            return Err(format!("{lost} cannot be reached from start"));
        }
        Ok(g)
    }

    pub fn page(&self, slug: &str) -> Option<&Page> {
        self.pages.iter().find(|p| p.slug == slug)
    }

    pub fn node(&self, id: &str) -> Option<Node<'_>> {
        if let Some(s) = self.steps.iter().find(|s| s.id == id) {
            return Some(Node::Step(s));
        }
        self.ends.iter().find(|e| e.id == id).map(Node::End)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Follow the choices whose labels contain the given words.
    fn follow<'a>(g: &'a Guide, words: &[&str]) -> &'a End {
        let mut at = "start".to_string();
        for w in words {
            match g.node(&at).unwrap() {
                Node::Step(s) => {
                    at = s.choices.iter().find(|c| c.label.contains(w)).unwrap_or_else(|| panic!("no choice with {w} at {at}")).goto.clone()
                }
                Node::End(_) => panic!("ended before {w}"),
            }
        }
        match g.node(&at).unwrap() {
            Node::End(e) => e,
            Node::Step(s) => panic!("stopped at step {}", s.id),
        }
    }

    #[test]
    fn the_shipped_guide_is_a_tree_with_the_required_ends() {
        let g = guide();
        for slug in ["channels", "level-by-level", "categories", "after-submission", "review", "conduct"] {
            assert!(g.page(slug).is_some(), "{slug}");
        }
        let places = g.pages.iter().filter(|p| p.blocks().contains(&Block::ReceptionPlaces)).count();
        assert_eq!(places, 1);
        let Some(Node::End(court)) = g.node("court") else { panic!("no court end") };
        assert_eq!(court.kind, EndKind::Outside);
        let Some(Node::End(wages)) = g.node("wages") else { panic!("no wages end") };
        assert_eq!((wages.kind, wages.category.as_deref(), wages.topic.as_deref()), (EndKind::Petition, Some("claim"), Some("0202")));
        let _ = follow;
    }

    #[test]
    fn a_guide_that_loops_or_leads_nowhere_is_refused() {
        let base = "[[page]]\nslug = \"p\"\ntitle = \"t\"\narticles = [17]\nbody = \"b\"\n";
        let looped = format!(
            "{base}[[step]]\nid = \"start\"\nquestion = \"q\"\n[[step.choice]]\nlabel = \"a\"\ngoto = \"start\"\n[[end]]\nid = \"e\"\nkind = \"outside\"\ntitle = \"t\"\ntext = \"x\"\nchannels = [\"c\"]\n"
        );
        assert!(Guide::parse(&looped).unwrap_err().contains("loops"));
        let nowhere = looped.replace("goto = \"start\"", "goto = \"missing\"");
        assert!(Guide::parse(&nowhere).unwrap_err().contains("nowhere"));
    }
}
