//! The search index file, `searchindex-<hash>.js`, as mdBook 0.5.4 lays it out: read, and written
//! back from typed parts.
//!
//! The file is `window.search = Object.assign(window.search, JSON.parse('…'));` around JSON with
//! `\` and `'` escaped. The JSON holds, in this order, `results_options`, `search_options`,
//! `doc_urls` and `index`, the elasticlunr index; from `index` down, every object has its keys in
//! sorted order (mdBook writes it through a `serde_json::Value`, whose maps sort their keys). The
//! rebuilt index is written the same way without building a `Value`: elasticlunr-rs serializes
//! each per-field index once, the parts kept are read back as raw JSON (`RawValue`) or, for the
//! inverted index, as a tree of its nodes, and written from structs whose fields are in that
//! order; the escaping is done as the JSON is written. A unit test checks the result against the
//! `Value` round trip.

use anyhow::{Context, Result, bail};
use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};

const PREFIX: &str = "window.search = Object.assign(window.search, JSON.parse('";
const SUFFIX: &str = "'));";

/// What this program reads of mdBook's search index: the addresses, the options it passes on as
/// they are, and each document's stored fields. mdBook's inverted index, most of the file, is
/// skipped without being built.
#[derive(Deserialize)]
pub struct Stored {
    pub results_options: Value,
    pub search_options: Value,
    pub doc_urls: Vec<String>,
    pub index: StoredIndex,
}

#[derive(Deserialize)]
pub struct StoredIndex {
    #[serde(rename = "documentStore")]
    pub document_store: StoredDocuments,
}

#[derive(Deserialize)]
pub struct StoredDocuments {
    pub docs: HashMap<String, StoredDocument>,
}

#[derive(Deserialize)]
pub struct StoredDocument {
    pub title: String,
    pub body: String,
    pub breadcrumbs: String,
}

/// A document as the rewritten index stores it, its keys in the file's (sorted) order.
#[derive(Serialize)]
pub struct Document<'a> {
    pub body: String,
    pub breadcrumbs: &'a str,
    pub id: String,
    pub title: &'a str,
}

/// The JSON inside a search index file, read as `T`.
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T> {
    let Some(inner) = text
        .strip_prefix(PREFIX)
        .and_then(|t| t.trim_end().strip_suffix(SUFFIX))
    else {
        bail!("it does not start with `{PREFIX}` and end with `{SUFFIX}`");
    };
    let mut json = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(at) = rest.find('\\') {
        json.push_str(&rest[..at]);
        let escaped = rest[at + 1..]
            .chars()
            .next()
            .context("it ends in a lone backslash")?;
        json.push(escaped);
        rest = &rest[at + 1 + escaped.len_utf8()..];
    }
    json.push_str(rest);
    Ok(serde_json::from_str(&json)?)
}

/// The search index file of `stored`'s options and addresses, `documents` and `indexes` (each
/// as elasticlunr-rs serializes an index, of one or more of `fields`), merged into one index of
/// all `fields`. A field may be split between indexes of different documents: their inverted
/// indexes are merged. The first index gives the language, pipeline, reference field, version
/// and the number of documents, so it must hold every document; each gives its fields' lengths
/// of its documents.
pub fn encode(
    stored: &Stored,
    fields: &[&str],
    indexes: &[String],
    documents: &[Document],
) -> Result<String> {
    let mut singles = Vec::new();
    for json in indexes {
        let single: Single = serde_json::from_str(json)
            .context("elasticlunr-rs wrote an index differently from what is read here")?;
        singles.push(single);
    }
    let Some(first) = singles.first() else {
        bail!("no index to write");
    };
    let (lang, pipeline, reference, version, length) = (
        first.lang,
        first.pipeline,
        first.reference,
        first.version,
        first.document_store.length,
    );
    let mut index: BTreeMap<&str, Inverted> = BTreeMap::new();
    let mut doc_info: BTreeMap<&str, BTreeMap<&str, &RawValue>> = BTreeMap::new();
    for single in singles {
        for (field, inverted) in single.index {
            match index.get_mut(field) {
                Some(merged) => merged
                    .root
                    .merge(inverted.root)
                    .with_context(|| format!("cannot merge the indexes of {field}"))?,
                None => _ = index.insert(field, inverted),
            }
        }
        for (key, lengths) in single.document_store.doc_info {
            doc_info.entry(key).or_default().extend(lengths);
        }
    }
    let docs = documents.iter().map(|d| (d.id.as_str(), d)).collect();
    let written = Written {
        results_options: &stored.results_options,
        search_options: &stored.search_options,
        doc_urls: &stored.doc_urls,
        index: WrittenIndex {
            document_store: WrittenStore {
                doc_info,
                docs,
                length,
                save: true,
            },
            fields,
            index,
            lang,
            pipeline,
            reference,
            version,
        },
    };
    Ok(file_text(&serde_json::to_string(&written)?))
}

/// What is kept of one per-field index as elasticlunr-rs serializes it.
#[derive(Deserialize)]
struct Single<'a> {
    #[serde(borrow)]
    pipeline: &'a RawValue,
    #[serde(rename = "ref", borrow)]
    reference: &'a RawValue,
    #[serde(borrow)]
    version: &'a RawValue,
    #[serde(borrow)]
    index: BTreeMap<&'a str, Inverted<'a>>,
    #[serde(rename = "documentStore", borrow)]
    document_store: SingleStore<'a>,
    #[serde(borrow)]
    lang: &'a RawValue,
}

#[derive(Deserialize)]
struct SingleStore<'a> {
    #[serde(rename = "docInfo", borrow)]
    doc_info: BTreeMap<&'a str, BTreeMap<&'a str, &'a RawValue>>,
    #[serde(borrow)]
    length: &'a RawValue,
}

/// The file's JSON, its fields in mdBook's order.
#[derive(Serialize)]
struct Written<'a> {
    results_options: &'a Value,
    search_options: &'a Value,
    doc_urls: &'a [String],
    index: WrittenIndex<'a>,
}

/// The merged index, its keys sorted (as every key from here down).
#[derive(Serialize)]
struct WrittenIndex<'a> {
    #[serde(rename = "documentStore")]
    document_store: WrittenStore<'a>,
    fields: &'a [&'a str],
    index: BTreeMap<&'a str, Inverted<'a>>,
    lang: &'a RawValue,
    pipeline: &'a RawValue,
    #[serde(rename = "ref")]
    reference: &'a RawValue,
    version: &'a RawValue,
}

#[derive(Serialize)]
struct WrittenStore<'a> {
    #[serde(rename = "docInfo")]
    doc_info: BTreeMap<&'a str, BTreeMap<&'a str, &'a RawValue>>,
    docs: BTreeMap<&'a str, &'a Document<'a>>,
    length: &'a RawValue,
    save: bool,
}

/// One field's inverted index.
#[derive(Deserialize, Serialize)]
struct Inverted<'a> {
    #[serde(borrow)]
    root: Node<'a>,
}

/// A node of an inverted index, a tree of the words' characters: the documents holding the word
/// that ends here (`docs`, each with its term frequency, sorted) and their count (`df`), and a
/// child for each next character. elasticlunr-rs writes `docs`, `df`, then the children in
/// character order; the file has them sorted as strings, where `df` and `docs` come after the
/// children up to `d` and before the rest.
struct Node<'a> {
    docs: Vec<(&'a str, &'a RawValue)>,
    df: i64,
    children: Vec<(char, Node<'a>)>,
}

impl<'a> Node<'a> {
    /// Adds the words of `other`, an index of other documents.
    fn merge(&mut self, other: Node<'a>) -> Result<()> {
        self.df += other.df;
        self.docs.extend(other.docs);
        self.docs.sort_by_key(|(key, _)| *key);
        if let Some(pair) = self.docs.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            bail!("document {} is in both", pair[0].0);
        }
        for (c, child) in other.children {
            match self.children.binary_search_by_key(&c, |(c, _)| *c) {
                Ok(at) => self.children[at].1.merge(child)?,
                Err(at) => self.children.insert(at, (c, child)),
            }
        }
        Ok(())
    }
}

impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.children.len() + 2))?;
        let split = self.children.partition_point(|(c, _)| *c <= 'd');
        let mut buffer = [0; 4];
        let mut children = |map: &mut S::SerializeMap, range: &[(char, Node)]| {
            for (c, child) in range {
                map.serialize_entry(c.encode_utf8(&mut buffer) as &str, child)?;
            }
            Ok(())
        };
        children(&mut map, &self.children[..split])?;
        map.serialize_entry("df", &self.df)?;
        map.serialize_entry("docs", &Docs(&self.docs))?;
        children(&mut map, &self.children[split..])?;
        map.end()
    }
}

/// A node's documents, written as a map.
struct Docs<'n, 'a>(&'n [(&'a str, &'a RawValue)]);

impl Serialize for Docs<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, value)| (key, value)))
    }
}

/// A node's documents, read from a map into a list in its order.
struct DocsVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for DocsVisitor<'a> {
    type Value = Vec<(&'a str, &'a RawValue)>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the documents of a node of an elasticlunr inverted index")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut docs = Vec::new();
        while let Some(entry) = map.next_entry()? {
            docs.push(entry);
        }
        Ok(docs)
    }
}

struct DocsSeed<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> de::DeserializeSeed<'de> for DocsSeed<'a> {
    type Value = Vec<(&'a str, &'a RawValue)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(DocsVisitor(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Node<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(NodeVisitor(std::marker::PhantomData))
    }
}

struct NodeVisitor<'a>(std::marker::PhantomData<Node<'a>>);

impl<'de: 'a, 'a> Visitor<'de> for NodeVisitor<'a> {
    type Value = Node<'a>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a node of an elasticlunr inverted index")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'a>, A::Error> {
        let (mut docs, mut df, mut children) = (None, None, Vec::new());
        while let Some(key) = map.next_key::<NodeKey>()? {
            match key {
                NodeKey::Docs => {
                    docs = Some(map.next_value_seed(DocsSeed(std::marker::PhantomData))?);
                }
                NodeKey::Df => df = Some(map.next_value()?),
                NodeKey::Child(c) => children.push((c, map.next_value()?)),
            }
        }
        // Sorted already as elasticlunr-rs writes them; sorting again costs little.
        children.sort_by_key(|(c, _)| *c);
        let mut docs: Vec<(&str, &RawValue)> =
            docs.ok_or_else(|| de::Error::missing_field("docs"))?;
        docs.sort_by_key(|(key, _)| *key);
        Ok(Node {
            docs,
            df: df.ok_or_else(|| de::Error::missing_field("df"))?,
            children,
        })
    }
}

/// A key of an inverted index's node.
enum NodeKey {
    Docs,
    Df,
    Child(char),
}

impl<'de> Deserialize<'de> for NodeKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NodeKeyVisitor)
    }
}

struct NodeKeyVisitor;

impl Visitor<'_> for NodeKeyVisitor {
    type Value = NodeKey;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("`docs`, `df` or one character")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<NodeKey, E> {
        let mut chars = key.chars();
        match (key, chars.next(), chars.next()) {
            ("docs", ..) => Ok(NodeKey::Docs),
            ("df", ..) => Ok(NodeKey::Df),
            (_, Some(c), None) => Ok(NodeKey::Child(c)),
            _ => Err(E::invalid_value(de::Unexpected::Str(key), &self)),
        }
    }
}

/// The file around `json`, in which `\` and `'` are escaped by a `\` as the JavaScript string
/// literal needs, in one pass.
fn file_text(json: &str) -> String {
    let mut out = String::with_capacity(PREFIX.len() + json.len() + json.len() / 16 + SUFFIX.len());
    out.push_str(PREFIX);
    let mut rest = json;
    while let Some(at) = rest.find(['\\', '\'']) {
        out.push_str(&rest[..at]);
        out.push('\\');
        out.push_str(&rest[at..=at]);
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out.push_str(SUFFIX);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cached_english::CachedEnglish;
    use elasticlunr::IndexBuilder;

    /// mdBook's layout of the file, as this program wrote it before it had typed parts: the
    /// `Value` round trip, which sorts every key from `index` down.
    #[derive(Deserialize, Serialize)]
    struct AsValues {
        results_options: Value,
        search_options: Value,
        doc_urls: Vec<String>,
        index: Value,
    }

    fn as_values(file: &str) -> String {
        let json = serde_json::to_string(&decode::<AsValues>(file).unwrap()).unwrap();
        format!(
            "{PREFIX}{}{SUFFIX}",
            json.replace('\\', "\\\\").replace('\'', "\\'")
        )
    }

    /// Per-field indexes of words whose characters sort before, at and after `d` (and past
    /// ASCII), with quotes and backslashes in the text, written as the `Value` round trip writes
    /// them; the body's index split between two documents' indexes gives the same file.
    #[test]
    fn writes_what_the_value_round_trip_writes() {
        let fields = ["title", "body"];
        let texts = [
            [
                "Don't poll",
                "a dd ddd deed\\ it's abc zed x\u{e9}y xay xdy \"quoted\" poll",
            ],
            ["b'c", "doc docs df dfa c d e 0 _x 9 poll x\u{e9}z"],
        ];
        let language = CachedEnglish::new();
        let index = |field: &str, numbers: &[usize]| {
            let mut index = IndexBuilder::with_language(Box::new(language.clone()))
                .save_docs(false)
                .add_field(field)
                .build();
            let at = fields.iter().position(|f| *f == field).unwrap();
            for &number in numbers {
                index.add_doc(&number.to_string(), [texts[number][at]]);
            }
            serde_json::to_string(&index).unwrap()
        };
        let whole = [index("title", &[0, 1]), index("body", &[0, 1])];
        let split = [
            index("title", &[0, 1]),
            index("body", &[1]),
            index("body", &[0]),
        ];
        let documents: Vec<_> = texts
            .iter()
            .enumerate()
            .map(|(number, [title, body])| Document {
                body: body.to_string(),
                breadcrumbs: "Book \u{bb} it's",
                id: number.to_string(),
                title,
            })
            .collect();
        let stored: Stored = serde_json::from_value(serde_json::json!({
            "results_options": {"teaser_word_count": 30, "limit_results": 30},
            "search_options": {"fields": {"title": {"boost": 2}}, "bool": "OR"},
            "doc_urls": ["a.html#x", "a.html#y"],
            "index": {"documentStore": {"docs": {}}}
        }))
        .unwrap();
        let file = encode(&stored, &fields, &whole, &documents).unwrap();
        assert_eq!(file, as_values(&file));
        assert_eq!(encode(&stored, &fields, &split, &documents).unwrap(), file);
        let index = &decode::<AsValues>(&file).unwrap().index;
        assert_eq!(index["documentStore"]["docInfo"]["1"]["body"], 12);
        assert_eq!(index["documentStore"]["docs"]["0"]["title"], "Don't poll");
        let body = &index["index"]["body"]["root"];
        assert_eq!(body["d"]["o"]["c"]["df"], 1);
        assert_eq!(body["p"]["o"]["l"]["l"]["df"], 2);
        assert!(body["x"]["\u{e9}"].is_object());
    }

    #[test]
    fn escapes_backslashes_and_quotes() {
        let text = file_text(r#"{"a":"\\b'c\"'"}"#);
        assert_eq!(text, format!(r#"{PREFIX}{{"a":"\\\\b\'c\\"\'"}}{SUFFIX}"#));
        let json: Value = decode(&text).unwrap();
        assert_eq!(json["a"], r#"\b'c"'"#);
    }

    #[test]
    fn refuses_what_is_not_a_search_index() {
        let error = decode::<Value>("var x = 1;").unwrap_err().to_string();
        assert!(error.contains("does not start with"), "{error}");
        let error = decode::<Value>(&format!("{PREFIX}\\{SUFFIX}")).unwrap_err();
        assert!(error.to_string().contains("lone backslash"), "{error}");
    }
}
