//! A small writer and reader for Metadata API files: one root element in
//! the `http://soap.sforce.com/2006/04/metadata` namespace, child elements
//! holding text or further elements, no attributes that matter.

use std::path::Path;

use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;

use crate::core::error::{Error, Result};

/// The namespace every Metadata API file declares.
pub const NAMESPACE: &str = "http://soap.sforce.com/2006/04/metadata";

/// Builds one metadata file, indented by four spaces like the files the
/// Salesforce CLI retrieves.
pub struct XmlDoc {
    out: String,
    open: Vec<&'static str>,
}

impl XmlDoc {
    /// A document whose root element is `root`.
    pub fn new(root: &'static str) -> Self {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!("<{root} xmlns=\"{NAMESPACE}\">\n"));
        Self {
            out,
            open: vec![root],
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.out.push_str("    ");
        }
    }

    /// `<name>value</name>`, the value escaped.
    pub fn leaf(&mut self, name: &str, value: &str) -> &mut Self {
        self.indent();
        self.out
            .push_str(&format!("<{name}>{}</{name}>\n", escape(value)));
        self
    }

    /// Opens element `name`; [`XmlDoc::close`] ends it.
    pub fn open(&mut self, name: &'static str) -> &mut Self {
        self.indent();
        self.out.push_str(&format!("<{name}>\n"));
        self.open.push(name);
        self
    }

    /// Closes the element opened last.
    pub fn close(&mut self) -> &mut Self {
        if let Some(name) = self.open.pop() {
            self.indent();
            self.out.push_str(&format!("</{name}>\n"));
        }
        self
    }

    /// The finished text (every open element closed).
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.out
    }
}

/// One element read back: its local name, its text (trimmed) and its
/// children in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Node {
    /// Local name (namespace prefix dropped).
    pub name: String,
    /// Text content, trimmed.
    pub text: String,
    /// Child elements.
    pub children: Vec<Node>,
}

impl Node {
    /// Text of the first child called `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.children
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.text.as_str())
    }

    /// Every child called `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Reads the file at `path` into its root [`Node`]; malformed XML is an
/// error naming the file and line.
pub fn read_file(path: &Path) -> Result<Node> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse(&text).map_err(|m| Error::invalid(format!("{}: {m}", path.display())))
}

/// Parses `text` into its root [`Node`]; `Err` says what and where.
pub fn parse(text: &str) -> std::result::Result<Node, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    let line = |pos: u64| text[..(pos as usize).min(text.len())].matches('\n').count() + 1;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "not well-formed XML at line {}: {e}",
                line(reader.error_position())
            )
        })?;
        match event {
            Event::Start(e) => stack.push(Node {
                name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                ..Node::default()
            }),
            Event::Empty(e) => {
                let node = Node {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Node::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(t) => {
                if let Some(n) = stack.last_mut() {
                    let s = t.xml10_content().map_err(|e| format!("bad text: {e}"))?;
                    n.text.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&String::from_utf8_lossy(&t.into_inner()));
                }
            }
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r.into_inner()).into_owned();
                let resolved = quick_xml::escape::unescape(&format!("&{name};"))
                    .map_err(|e| format!("line {}: {e}", line(reader.buffer_position())))?
                    .into_owned();
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let Some(mut node) = stack.pop() else {
                    continue;
                };
                node.text = node.text.trim().to_owned();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("the file ends inside an element".into());
    }
    root.ok_or_else(|| "no XML element in the file".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_documents_parse_back() {
        let mut d = XmlDoc::new("Territory2");
        d.leaf("name", "R&D <West> \"1\"");
        d.open("ruleAssociations")
            .leaf("inherited", "false")
            .close();
        let text = d.finish();
        let n = parse(&text).expect("well-formed");
        assert_eq!(n.name, "Territory2");
        assert_eq!(n.get("name"), Some("R&D <West> \"1\""));
        let ra: Vec<&Node> = n.all("ruleAssociations").collect();
        assert_eq!(ra.len(), 1);
        assert_eq!(ra[0].get("inherited"), Some("false"));
        let e = parse("<a><b></a>").unwrap_err();
        assert!(e.contains("line 1"), "{e}");
    }
}
