//! The safe markdown subset of caption texts, parsed into typed spans.
//!
//! Supported: `*emphasis*` (or `_emphasis_`), `**strong**`, `` `code` ``, `[text](url)` with an
//! `https://`, `http://` or `#fragment` url, and line breaks. Nothing else is markup: `<b>` is
//! the three characters `<`, `b`, `>`, shown as text. An unclosed marker is plain text. The
//! page renders [`Span`]s as text nodes inside `em` / `strong` / `code` / `a` elements, never
//! as an HTML string.

use serde::Serialize;

/// One run of caption text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Span {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// Emphasised text.
    Emphasis {
        /// The text.
        text: String,
    },
    /// Strong text.
    Strong {
        /// The text.
        text: String,
    },
    /// Inline code.
    Code {
        /// The text.
        text: String,
    },
    /// A link.
    Link {
        /// The link's text.
        text: String,
        /// Where it goes (`https://…`, `http://…` or `#…`).
        url: String,
    },
    /// A line break.
    Break,
}

/// Whether `url` is one a caption may link to.
pub fn safe_url(url: &str) -> bool {
    let ok_char = |c: char| !c.is_whitespace() && !c.is_control() && c != '"' && c != '\'';
    (url.starts_with("https://") || url.starts_with("http://") || url.starts_with('#'))
        && url.chars().all(ok_char)
}

/// Parse a caption text into spans. Never fails: whatever is not well-formed markup is text.
pub fn parse(text: &str) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut plain = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let flush = |plain: &mut String, out: &mut Vec<Span>| {
        if !plain.is_empty() {
            out.push(Span::Text {
                text: std::mem::take(plain),
            });
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let rest = &chars[i..];
        if c == '\n' {
            flush(&mut plain, &mut out);
            out.push(Span::Break);
            i += 1;
            continue;
        }
        if c == '`' {
            if let Some(end) = find(rest, 1, &['`']) {
                flush(&mut plain, &mut out);
                out.push(Span::Code {
                    text: rest[1..end].iter().collect(),
                });
                i += end + 1;
                continue;
            }
        }
        if c == '*' && rest.get(1) == Some(&'*') {
            if let Some(end) = find(rest, 2, &['*', '*']) {
                if end > 2 {
                    flush(&mut plain, &mut out);
                    out.push(Span::Strong {
                        text: rest[2..end].iter().collect(),
                    });
                    i += end + 2;
                    continue;
                }
            }
        }
        if (c == '*' || c == '_') && rest.get(1).is_some_and(|n| !n.is_whitespace()) {
            let word_inside = c == '_' && i > 0 && chars[i - 1].is_alphanumeric();
            if !word_inside {
                if let Some(end) = find(rest, 1, &[c]) {
                    if end > 1 {
                        flush(&mut plain, &mut out);
                        out.push(Span::Emphasis {
                            text: rest[1..end].iter().collect(),
                        });
                        i += end + 1;
                        continue;
                    }
                }
            }
        }
        if c == '[' {
            if let Some(close) = find(rest, 1, &[']']) {
                if rest.get(close + 1) == Some(&'(') {
                    if let Some(paren) = find(rest, close + 2, &[')']) {
                        let url: String = rest[close + 2..paren].iter().collect();
                        if safe_url(&url) && close > 1 {
                            flush(&mut plain, &mut out);
                            out.push(Span::Link {
                                text: rest[1..close].iter().collect(),
                                url,
                            });
                            i += paren + 1;
                            continue;
                        }
                    }
                }
            }
        }
        plain.push(c);
        i += 1;
    }
    flush(&mut plain, &mut out);
    out
}

/// The spans as plain text (links as `text <url>`), for terminals and screen-reader summaries.
pub fn plain(spans: &[Span]) -> String {
    let mut out = String::new();
    for s in spans {
        match s {
            Span::Text { text }
            | Span::Emphasis { text }
            | Span::Strong { text }
            | Span::Code { text } => out.push_str(text),
            Span::Link { text, url } => {
                out.push_str(text);
                out.push_str(" <");
                out.push_str(url);
                out.push('>');
            }
            Span::Break => out.push('\n'),
        }
    }
    out
}

/// Every link target written in `text` with the `[text](url)` form, safe or not (for
/// validation: an unsafe one is an error, not silently plain text).
pub fn link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(pos) = rest.find("](") {
        let after = &rest[pos + 2..];
        let end = after.find(')').unwrap_or(after.len());
        out.push(after[..end].to_string());
        rest = &after[end.min(after.len())..];
    }
    out
}

/// Find `pat` in `chars` starting at `from`, on one line; the index of its first character.
fn find(chars: &[char], from: usize, pat: &[char]) -> Option<usize> {
    let mut j = from;
    while j + pat.len() <= chars.len() {
        if chars[j] == '\n' {
            return None;
        }
        if chars[j..j + pat.len()] == *pat {
            return Some(j);
        }
        j += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> Span {
        Span::Text { text: t.into() }
    }

    #[test]
    fn the_subset_parses_into_spans() {
        assert_eq!(
            parse("n1 *leads* **term 2**; see `nextIndex` and [§5.4](https://raft.github.io/raft.pdf)."),
            vec![
                text("n1 "),
                Span::Emphasis { text: "leads".into() },
                text(" "),
                Span::Strong { text: "term 2".into() },
                text("; see "),
                Span::Code { text: "nextIndex".into() },
                text(" and "),
                Span::Link {
                    text: "§5.4".into(),
                    url: "https://raft.github.io/raft.pdf".into()
                },
                text("."),
            ]
        );
        assert_eq!(parse("a\nb"), vec![text("a"), Span::Break, text("b")]);
    }

    #[test]
    fn html_and_bad_markup_stay_text() {
        assert_eq!(parse("<b>x</b>"), vec![text("<b>x</b>")]);
        assert_eq!(
            parse("[x](javascript:alert(1))"),
            vec![text("[x](javascript:alert(1))")]
        );
        assert_eq!(parse("2 * 3 * 4"), vec![text("2 * 3 * 4")]);
        assert_eq!(parse("snake_case_name"), vec![text("snake_case_name")]);
        assert_eq!(parse("unclosed `code"), vec![text("unclosed `code")]);
        assert_eq!(parse("**"), vec![text("**")]);
        assert_eq!(
            link_targets("[a](javascript:x) and [b](#c)"),
            vec!["javascript:x", "#c"]
        );
        assert!(!safe_url("javascript:alert(1)"));
        assert!(!safe_url("https://a b"));
        assert!(safe_url("#figure-8"));
    }
}
