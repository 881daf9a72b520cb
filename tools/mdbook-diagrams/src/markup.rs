//! The pieces of an SVG drawing as Chromium serializes an element (`outerHTML`, which draw.js
//! returns): start tags with their attributes, end tags and text. That serialization is regular
//! (attribute values always in double quotes, a `"` inside one written `&quot;`, `<` in text written
//! `&lt;`), so a small reader suffices; anything else it meets is refused, not guessed at.

use std::ops::Range;

#[derive(Debug, PartialEq)]
pub enum Token<'a> {
    Start {
        name: &'a str,
        attributes: Vec<Attribute<'a>>,
    },
    End(&'a str),
    /// Text, or a comment.
    Text(&'a str),
}

#[derive(Debug, PartialEq)]
pub struct Attribute<'a> {
    pub name: &'a str,
    /// The value as written (still escaped); `None` for an attribute written without one.
    pub value: Option<&'a str>,
}

/// Each piece of `markup` with its byte range.
pub fn tokens(markup: &str) -> Result<Vec<(Range<usize>, Token<'_>)>, String> {
    let mut found = Vec::new();
    let mut at = 0;
    while at < markup.len() {
        let rest = &markup[at..];
        let (length, token) = if let Some(comment) = rest.strip_prefix("<!--") {
            let end = comment.find("-->").ok_or("a comment does not end")?;
            (4 + end + 3, Token::Text(&rest[..4 + end + 3]))
        } else if let Some(end_tag) = rest.strip_prefix("</") {
            let end = end_tag.find('>').ok_or("an end tag does not close")?;
            (2 + end + 1, Token::End(end_tag[..end].trim()))
        } else if rest.starts_with('<') {
            start_tag(rest)?
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            (end, Token::Text(&rest[..end]))
        };
        found.push((at..at + length, token));
        at += length;
    }
    Ok(found)
}

/// The start tag at the beginning of `text`: its length and the token.
fn start_tag(text: &str) -> Result<(usize, Token<'_>), String> {
    let name_end = text[1..]
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .map(|i| i + 1)
        .ok_or("a start tag does not close")?;
    let name = &text[1..name_end];
    if name.is_empty() {
        return Err("a `<` that starts no tag".into());
    }
    let mut attributes = Vec::new();
    let mut at = name_end;
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        if let Some(length) = [">", "/>"]
            .iter()
            .find(|e| trimmed.starts_with(**e))
            .map(|e| e.len())
        {
            return Ok((at + length, Token::Start { name, attributes }));
        }
        let name_length = trimmed
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/' || c == '>')
            .ok_or_else(|| format!("the tag <{name}> does not close"))?;
        if name_length == 0 {
            return Err(format!(
                "the tag <{name}> holds a stray `{}`",
                &trimmed[..1]
            ));
        }
        let attribute = &trimmed[..name_length];
        at += name_length;
        let value = if let Some(quoted) = text[at..].strip_prefix("=\"") {
            let end = quoted
                .find('"')
                .ok_or_else(|| format!("the value of {attribute} in <{name}> does not end"))?;
            at += 2 + end + 1;
            Some(&quoted[..end])
        } else if text[at..].starts_with('=') {
            return Err(format!(
                "the value of {attribute} in <{name}> is not in double quotes"
            ));
        } else {
            None
        };
        attributes.push(Attribute {
            name: attribute,
            value,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tags_attributes_text_and_comments() {
        let svg = "<svg id=\"d\" class=\"a b\"><style>#d .x{fill:#333;}</style><!-- c --><text x=\"1\" hidden>a &lt; b</text><br><path d=\"M0 0\"/></svg>";
        let found = tokens(svg).unwrap();
        let tokens: Vec<&Token> = found.iter().map(|(_, t)| t).collect();
        assert_eq!(
            tokens,
            [
                &Token::Start {
                    name: "svg",
                    attributes: vec![
                        Attribute {
                            name: "id",
                            value: Some("d")
                        },
                        Attribute {
                            name: "class",
                            value: Some("a b")
                        },
                    ],
                },
                &Token::Start {
                    name: "style",
                    attributes: vec![]
                },
                &Token::Text("#d .x{fill:#333;}"),
                &Token::End("style"),
                &Token::Text("<!-- c -->"),
                &Token::Start {
                    name: "text",
                    attributes: vec![
                        Attribute {
                            name: "x",
                            value: Some("1")
                        },
                        Attribute {
                            name: "hidden",
                            value: None
                        },
                    ],
                },
                &Token::Text("a &lt; b"),
                &Token::End("text"),
                &Token::Start {
                    name: "br",
                    attributes: vec![]
                },
                &Token::Start {
                    name: "path",
                    attributes: vec![Attribute {
                        name: "d",
                        value: Some("M0 0")
                    }],
                },
                &Token::End("svg"),
            ]
        );
        // The ranges cover the text, piece after piece.
        let joined: String = found.iter().map(|(r, _)| &svg[r.clone()]).collect();
        assert_eq!(joined, svg);
    }

    #[test]
    fn refuses_what_outer_html_never_writes() {
        for bad in [
            "<svg id='d'>",
            "<svg id=d>",
            "<svg id=\"d>",
            "<svg",
            "< svg>",
            "<!-- x",
            "</svg",
        ] {
            assert!(tokens(bad).is_err(), "{bad}");
        }
    }
}
