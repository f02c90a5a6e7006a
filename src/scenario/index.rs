//! Where every value of a YAML document sits: a map from field path
//! (`outcomes[1].rate.beta.sd`) to line and column, built from the same parser
//! as the typed read. Validation reports a path; this index turns it into a
//! location a person can jump to. The index also remembers what kind of
//! scalar each value was read as (a quoted `"true"` is text, not a boolean)
//! and every key written twice in a mapping, with its path.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A 1-based line and column; line 0 means unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Loc {
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub col: u32,
}

impl Loc {
    /// Converts a serde-saphyr location.
    pub fn from_saphyr(l: &serde_saphyr::Location) -> Loc {
        Loc {
            line: u32::try_from(l.line()).unwrap_or(u32::MAX),
            col: u32::try_from(l.column()).unwrap_or(u32::MAX),
        }
    }
}

/// What a scalar was read as, by YAML 1.2's core schema (a quoted scalar is
/// always text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    /// `true` / `false`.
    Bool,
    /// A number (integer or float).
    Number,
    /// Text, quoted or not.
    Text,
    /// `null`, `~` or nothing.
    Null,
}

/// A generic YAML node that remembers where its children are.
enum Node {
    Map(Vec<(String, Spanned<Node>)>),
    Seq(Vec<Spanned<Node>>),
    Scalar(ScalarKind),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
                Ok(Node::Scalar(ScalarKind::Bool))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Node, E> {
                Ok(Node::Scalar(ScalarKind::Number))
            }
            fn visit_i128<E: de::Error>(self, _: i128) -> Result<Node, E> {
                Ok(Node::Scalar(ScalarKind::Number))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Node, E> {
                Ok(Node::Scalar(ScalarKind::Number))
            }
            fn visit_u128<E: de::Error>(self, _: u128) -> Result<Node, E> {
                Ok(Node::Scalar(ScalarKind::Number))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
                Ok(Node::Scalar(ScalarKind::Number))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Node, E> {
                Ok(Node::Scalar(ScalarKind::Text))
            }
            fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Node, E> {
                Ok(Node::Scalar(ScalarKind::Text))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
                Ok(Node::Scalar(ScalarKind::Null))
            }
            fn visit_none<E: de::Error>(self) -> Result<Node, E> {
                Ok(Node::Scalar(ScalarKind::Null))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = s.next_element::<Spanned<Node>>()? {
                    v.push(x);
                }
                Ok(Node::Seq(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = m.next_key::<KeyText>()? {
                    let val = m.next_value::<Spanned<Node>>()?;
                    v.push((k.0, val));
                }
                Ok(Node::Map(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// A mapping key read as text whatever its YAML type (`1: x` gives "1").
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".into()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A key written twice in one mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateKey {
    /// Path of the key (`enrolment.size`).
    pub path: String,
    /// Where its first value is.
    pub first: Loc,
    /// Where its repeated value is.
    pub again: Loc,
}

/// Field path -> location of the value at that path.
#[derive(Debug, Default, Clone)]
pub struct LocationIndex {
    map: HashMap<String, Loc>,
    kinds: HashMap<String, ScalarKind>,
    duplicates: Vec<DuplicateKey>,
}

impl LocationIndex {
    /// Builds the index of a YAML text; an error if the text does not parse
    /// as YAML. Duplicate keys are recorded, not refused (see
    /// [`LocationIndex::duplicates`]), whatever `options` say.
    pub fn build(
        text: &str,
        mut options: serde_saphyr::Options,
    ) -> Result<Self, serde_saphyr::Error> {
        options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
        let root: Spanned<Node> = serde_saphyr::from_str_with_options(text, options)?;
        let mut index = LocationIndex::default();
        index.walk(&root, String::new());
        Ok(index)
    }

    /// What the scalar at `path` was read as (None: no scalar there).
    pub fn kind(&self, path: &str) -> Option<ScalarKind> {
        self.kinds.get(path).copied()
    }

    /// Every key written twice in a mapping, in the order they appear.
    pub fn duplicates(&self) -> &[DuplicateKey] {
        &self.duplicates
    }

    /// The location of `path`, or of its nearest ancestor that exists
    /// (a missing key is reported where its parent mapping is).
    pub fn locate(&self, path: &str) -> Loc {
        let mut p = path;
        loop {
            if let Some(l) = self.map.get(p) {
                return *l;
            }
            if p.is_empty() {
                return Loc { line: 1, col: 1 };
            }
            p = parent_path(p);
        }
    }

    /// Whether the file has a value at exactly `path`.
    pub fn contains(&self, path: &str) -> bool {
        self.map.contains_key(path)
    }
}

/// `a.b[2].c` -> `a.b[2]` -> `a.b` -> `a` -> ``.
fn parent_path(p: &str) -> &str {
    match p.rfind(['.', '[']) {
        Some(i) => &p[..i],
        None => "",
    }
}

impl LocationIndex {
    fn walk(&mut self, node: &Spanned<Node>, path: String) {
        let loc = Loc::from_saphyr(&node.referenced);
        match &node.value {
            Node::Map(entries) => {
                let mut seen: HashMap<&str, Loc> = HashMap::new();
                for (k, v) in entries {
                    let child = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    // (Where the value starts: the key's line in practice.)
                    let at = Loc::from_saphyr(&v.referenced);
                    if let Some(&first) = seen.get(k.as_str()) {
                        self.duplicates.push(DuplicateKey {
                            path: child,
                            first,
                            again: at,
                        });
                        continue;
                    }
                    seen.insert(k, at);
                    self.walk(v, child);
                }
            }
            Node::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.walk(v, format!("{path}[{i}]"));
                }
            }
            Node::Scalar(kind) => {
                self.kinds.insert(path.clone(), *kind);
            }
        }
        self.map.insert(path, loc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_lines() {
        let text = "name: x\noutcomes:\n  - id: a\n    rate: {beta: {mean: 0.5, sd: 0.1}}\n";
        let idx = LocationIndex::build(text, serde_saphyr::Options::default()).unwrap();
        assert_eq!(idx.locate("name").line, 1);
        assert_eq!(idx.locate("outcomes[0].id").line, 3);
        assert_eq!(idx.locate("outcomes[0].rate.beta.sd").line, 4);
        // a missing key falls back to its parent
        assert_eq!(idx.locate("outcomes[0].price").line, 3);
        assert_eq!(idx.locate("finance.tranches"), Loc { line: 1, col: 1 });
        assert_eq!(parent_path("a.b[2].c"), "a.b[2]");
        assert_eq!(parent_path("a.b[2]"), "a.b");
    }
}
