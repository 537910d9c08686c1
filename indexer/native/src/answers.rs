//! Elasticsearch's answer to a search read from its bytes, and its page of hits written as the API's JSON, compiled:
//! `indexer/es_answers.py` reads the answer with orjson and `indexer/hits.py written_hits` writes the hits from
//! Python objects, the reference (tests/engines/test_answers_native.py compares them). A page's answer is about
//! 80 KB, most of it the practices' sections: here the answer is read once, in place (`Answer`: where each hit's
//! fields are), the sections into no Python object; each is folded straight from its JSON when it is scanned for the
//! highlight's excerpts (`Scanner::fold_json`).
//!
//! Anything a page's hits hold that the reference would handle otherwise (a title that is not a string, sections
//! that are not all strings, an id that is not one) makes `HitWriter::write` answer None, and an answer holding an
//! escaped surrogate makes `read_answer` answer None: the caller then reads or writes them as the reference does.
//! Fields shown as stored are copied as the node wrote them: the same values as the reference's for what the
//! engine indexes (orjson's JSON of validated practices: no number beyond 64 bits), the same bytes where the node
//! writes strings as orjson does.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use memchr::memmem;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{JsonText, Limits, Rendered, Scanner, Section};

/// A span of the answer's text: where a value starts and ends.
type Span = (usize, usize);

#[derive(Deserialize)]
struct Read<'a> {
    #[serde(borrow)]
    hits: Hits<'a>,
    #[serde(borrow, default)]
    aggregations: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Hits<'a> {
    total: Total,
    #[serde(borrow)]
    hits: Vec<Hit<'a>>,
}

#[derive(Deserialize)]
struct Total {
    value: i64,
}

#[derive(Deserialize)]
struct Hit<'a> {
    #[serde(rename = "_id")]
    id: String,
    #[serde(rename = "_score", default)]
    score: Option<f64>,
    #[serde(rename = "_source", borrow, default)]
    source: Option<Source<'a>>,
}

#[derive(Deserialize)]
struct Source<'a> {
    #[serde(borrow, default)]
    display: Option<Display<'a>>,
}

/// A display source as read: each field as written (the last of a repeated one counts, as in a Python dict), and its
/// sections' texts in order (`(source.get("sections") or {}).values()`), None when they are not all strings.
struct Display<'a> {
    fields: Vec<(Cow<'a, str>, &'a RawValue)>,
    sections: Option<Vec<&'a RawValue>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Display<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (fields, sections) = deserializer.deserialize_map(DisplayVisitor)?;
        Ok(Display { fields, sections })
    }
}

struct DisplayVisitor;

type DisplayFields<'a> = (Vec<(Cow<'a, str>, &'a RawValue)>, Option<Vec<&'a RawValue>>);

impl<'de> Visitor<'de> for DisplayVisitor {
    type Value = DisplayFields<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a display source")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<DisplayFields<'de>, M::Error> {
        let mut fields = Vec::with_capacity(16);
        let mut sections = Some(Vec::new());
        while let Some(JsonText(key)) = map.next_key::<JsonText<'de>>()? {
            let value: &'de RawValue = map.next_value()?;
            if key == "sections" {
                sections = section_texts(value);
            }
            fields.push((key, value));
        }
        Ok((fields, sections))
    }
}

/// The values of a JSON object in order when they are all strings (as written: each is read when it is scanned),
/// none for null, None for anything else.
fn section_texts(value: &RawValue) -> Option<Vec<&RawValue>> {
    if value.get() == "null" {
        return Some(Vec::new());
    }
    let texts: Vec<(IgnoredAny, &RawValue)> = serde_json::from_str::<OrderedEntries>(value.get()).ok()?.0;
    texts.into_iter().map(|(_, text)| text.get().starts_with('"').then_some(text)).collect()
}

/// An object's entries in order.
struct OrderedEntries<'a>(Vec<(IgnoredAny, &'a RawValue)>);

impl<'de> Deserialize<'de> for OrderedEntries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = OrderedEntries<'de>;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<OrderedEntries<'de>, M::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(OrderedEntries(entries))
            }
            fn visit_seq<S: SeqAccess<'de>>(self, _: S) -> Result<OrderedEntries<'de>, S::Error> {
                Err(serde::de::Error::custom("not an object"))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// Where `part` (a slice of `whole`) starts and ends in it.
fn span_in(whole: &str, part: &str) -> Span {
    let start = part.as_ptr() as usize - whole.as_ptr() as usize;
    (start, start + part.len())
}

/// A display source's place in the answer's text: the whole, each field (its name, and its value's span), the
/// sections' texts.
struct DisplaySpans {
    whole: Span,
    fields: Vec<(Span, Span)>,
    sections: Option<Vec<Span>>,
}

impl DisplaySpans {
    /// None for a source without fields, or a field name written with an escape (never, in what the engine
    /// indexes): its place is where its first name and last value are.
    fn of(text: &str, display: &Display) -> Option<Self> {
        let fields = display.fields.iter().map(|(key, value)| match key {
            Cow::Borrowed(key) => Some((span_in(text, key), span_in(text, value.get()))),
            Cow::Owned(_) => None,
        });
        let fields: Vec<(Span, Span)> = fields.collect::<Option<_>>()?;
        // The object's braces: before the first name's opening quote, after the last value, past any spaces.
        let (first_name, _) = fields.first()?;
        let (_, last_value) = fields.last()?;
        let before = text[..first_name.0.checked_sub(1)?].trim_end_matches([' ', '\n', '\r', '\t']);
        let after = text[last_value.1..].trim_start_matches([' ', '\n', '\r', '\t']);
        if !before.ends_with('{') || !after.starts_with('}') {
            return None;
        }
        Some(DisplaySpans {
            whole: (before.len() - 1, text.len() - after.len() + 1),
            fields,
            sections: display.sections.as_ref().map(|s| s.iter().map(|t| span_in(text, t.get())).collect()),
        })
    }
}

struct FoundHit {
    id: String,
    score: Option<f64>,
    display: Option<DisplaySpans>,
}

/// A search's answer (`_search`'s JSON) as the compiled module read it: its total, each hit's id and score and
/// where its display source's fields are, where its aggregations are. Made by `read_answer`.
#[pyclass(frozen)]
pub struct Answer {
    /// The answer's bytes, valid UTF-8 (checked when it was read; Python's `bytes` never change).
    data: Py<PyBytes>,
    total: i64,
    hits: Vec<FoundHit>,
    aggregations: Option<Span>,
}

impl Answer {
    fn text<'a>(&'a self, py: Python<'a>) -> &'a str {
        // SAFETY: checked to be UTF-8 by `read_answer`, and a `bytes` object is immutable.
        unsafe { std::str::from_utf8_unchecked(self.data.as_bytes(py)) }
    }
}

#[pymethods]
impl Answer {
    /// How many practices the search matched.
    #[getter]
    fn total(&self) -> i64 {
        self.total
    }

    /// Where the aggregations are in the answer, if it has some.
    #[getter]
    fn aggregations(&self) -> Option<Span> {
        self.aggregations
    }

    /// Each hit's id, score, and where its display source is in the answer (None without one).
    fn hits(&self) -> Vec<(String, Option<f64>, Option<Span>)> {
        self.hits.iter().map(|hit| (hit.id.clone(), hit.score, hit.display.as_ref().map(|d| d.whole))).collect()
    }
}

/// A search's answer read from its bytes (`Answer`). None when it is not UTF-8, not a search's answer, or a hit's
/// source is unlike those the engine indexes (the caller reads it as the reference does).
#[pyfunction]
pub(crate) fn read_answer(py: Python<'_>, data: Bound<'_, PyBytes>) -> Option<Answer> {
    let bytes = data.as_bytes();
    let (total, hits, aggregations) = py.detach(|| {
        // A surrogate written as an escape (`\ud800`): none in what the node writes of orjson's JSON (characters
        // beyond the first plane come as UTF-8), and a lone one orjson refuses: such an answer is orjson's to read.
        if memmem::find_iter(bytes, b"\\u").any(|at| matches!(bytes.get(at + 2), Some(b'd' | b'D'))) {
            return None;
        }
        let text = simdutf8::basic::from_utf8(bytes).ok()?;
        let read: Read = serde_json::from_str(text).ok()?;
        let mut hits = Vec::with_capacity(read.hits.hits.len());
        for hit in read.hits.hits {
            let display = match hit.source.and_then(|source| source.display) {
                Some(display) => Some(DisplaySpans::of(text, &display)?),
                None => None,
            };
            hits.push(FoundHit { id: hit.id, score: hit.score, display });
        }
        Some((read.hits.total.value, hits, read.aggregations.map(|a| span_in(text, a.get()))))
    })?;
    Some(Answer { data: data.unbind(), total, hits, aggregations })
}

/// A hit's display source in the answer's text, with the name of each field.
struct Fields<'a> {
    text: &'a str,
    display: &'a DisplaySpans,
}

impl<'a> Fields<'a> {
    fn at(&self, (start, end): Span) -> &'a str {
        &self.text[start..end]
    }

    /// A field's value as written, None when the source has none.
    fn get(&self, name: &str) -> Option<&'a str> {
        self.display.fields.iter().rev().find(|(key, _)| self.at(*key) == name).map(|&(_, value)| self.at(value))
    }
}

/// Whether a JSON value is false in Python (`value or []`): null, false, 0, "", [] or {}.
fn falsy(raw: &str) -> bool {
    match raw {
        "null" | "false" | "[]" | "{}" | "\"\"" => true,
        text if text.starts_with(['[', '{', '"', 't']) => false,
        number => serde_json::from_str::<f64>(number).is_ok_and(|n| n == 0.0),
    }
}

fn push_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Writing strings and numbers into a vector cannot fail.
    serde_json::to_writer(&mut *out, value).expect("JSON written to memory");
}

/// Code points written as a JSON string (they come from Rust strings and the highlighter's own marks: all valid).
fn push_codes(out: &mut Vec<u8>, codes: &[u32]) {
    let text: String = codes.iter().map(|&c| char::from_u32(c).unwrap_or('\u{FFFD}')).collect();
    push_json(out, text.as_str());
}

fn push_optional_codes(out: &mut Vec<u8>, codes: &Option<Vec<u32>>) {
    match codes {
        Some(codes) => push_codes(out, codes),
        None => out.extend_from_slice(b"null"),
    }
}

/// How a field of a hit is written (`indexer/hits.py NATIVE_FIELDS`).
const SOURCE: u8 = 0;
const LIST: u8 = 1;
const TERRITORY: u8 = 2;
const SCORE: u8 = 3;
const HIGHLIGHT: u8 = 4;
const NO_REASONS: u8 = 5;

/// Territories written remembered, at most (then forgotten and written again).
const TERRITORIES_KEPT: usize = 4096;

/// Writes pages of hits as the API answers them (`indexer/hits.py written_hits`) from their display sources in an
/// answer: `fields` in order, each with how it is written, then `url` (the page's address and the id). A territory
/// is written by `territory_json(its JSON) -> bytes` (the model's, validated), once, then remembered.
#[pyclass(frozen)]
pub struct HitWriter {
    fields: Vec<(String, u8)>,
    territory_json: Py<PyAny>,
    limits: Limits,
    territories: Mutex<HashMap<String, Vec<u8>>>,
}

impl HitWriter {
    fn push_territory(&self, py: Python<'_>, out: &mut Vec<u8>, raw: &str) -> PyResult<()> {
        if let Some(written) = self.territories.lock().unwrap_or_else(PoisonError::into_inner).get(raw) {
            out.extend_from_slice(written);
            return Ok(());
        }
        let written = self.territory_json.bind(py).call1((PyBytes::new(py, raw.as_bytes()),))?;
        let written = written.cast::<PyBytes>()?.as_bytes();
        out.extend_from_slice(written);
        let mut territories = self.territories.lock().unwrap_or_else(PoisonError::into_inner);
        if territories.len() >= TERRITORIES_KEPT {
            territories.clear();
        }
        territories.insert(raw.to_owned(), written.to_vec());
        Ok(())
    }

    /// A hit's highlight, or None when its source does not hold what the reference would read.
    fn highlight(&self, py: Python<'_>, scanner: &Scanner, fields: &Fields) -> PyResult<Option<Rendered>> {
        let text = |name| fields.get(name).filter(|raw| raw.starts_with('"')).map(Section::Json);
        let (Some(title), Some(summary), Some(sections)) = (text("title"), text("summary"), &fields.display.sections)
        else {
            return Ok(None);
        };
        let sections: Vec<Section> = sections.iter().map(|&span| Section::Json(fields.at(span))).collect();
        scanner.rendered(py, &title, &summary, &sections, self.limits).map(Some)
    }

    /// A hit as the API answers it, appended to `out`; false (and `out` left unfinished) when its source does not
    /// hold what the reference would read.
    fn push_hit(
        &self,
        py: Python<'_>,
        out: &mut Vec<u8>,
        fields: &Fields,
        score: Option<f64>,
        scanner: Option<&Bound<'_, Scanner>>,
        page: &str,
    ) -> PyResult<bool> {
        let Some(JsonText(id)) = fields.get("id").and_then(|raw| serde_json::from_str(raw).ok()) else {
            return Ok(false);
        };
        out.push(b'{');
        for (position, (name, kind)) in self.fields.iter().enumerate() {
            if position > 0 {
                out.push(b',');
            }
            push_json(out, name.as_str());
            out.push(b':');
            match *kind {
                SOURCE => out.extend_from_slice(fields.get(name).unwrap_or("null").as_bytes()),
                LIST => match fields.get(name) {
                    Some(raw) if !falsy(raw) => out.extend_from_slice(raw.as_bytes()),
                    _ => out.extend_from_slice(b"[]"),
                },
                TERRITORY => match fields.get(name) {
                    Some(raw) => self.push_territory(py, out, raw)?,
                    None => return Ok(false),
                },
                SCORE => match score {
                    Some(score) if score.is_finite() => push_json(out, &score),
                    _ => out.extend_from_slice(b"null"),
                },
                HIGHLIGHT => match scanner {
                    None => out.extend_from_slice(br#"{"title":null,"summary":null,"sections":[]}"#),
                    Some(scanner) => {
                        let Some((title, summary, sections)) = self.highlight(py, scanner.get(), fields)? else {
                            return Ok(false);
                        };
                        out.extend_from_slice(br#"{"title":"#);
                        push_optional_codes(out, &title);
                        out.extend_from_slice(br#","summary":"#);
                        push_optional_codes(out, &summary);
                        out.extend_from_slice(br#","sections":["#);
                        for (at, section) in sections.iter().enumerate() {
                            if at > 0 {
                                out.push(b',');
                            }
                            push_codes(out, section);
                        }
                        out.extend_from_slice(b"]}");
                    }
                },
                _ => out.extend_from_slice(b"[]"), // NO_REASONS
            }
        }
        out.extend_from_slice(br#","url":"#);
        push_json(out, format!("{page}{id}").as_str());
        out.push(b'}');
        Ok(true)
    }
}

#[pymethods]
impl HitWriter {
    #[new]
    fn new(
        fields: Vec<(String, u8)>,
        territory_json: Py<PyAny>,
        budget: usize,
        fragment_size: usize,
        max_fragments: usize,
    ) -> PyResult<Self> {
        if let Some((name, kind)) = fields.iter().find(|(_, kind)| *kind > NO_REASONS) {
            return Err(PyValueError::new_err(format!("unknown kind {kind} of field {name}")));
        }
        Ok(HitWriter {
            fields,
            territory_json,
            limits: Limits { budget, fragment_size, max_fragments },
            territories: Mutex::new(HashMap::new()),
        })
    }

    /// The JSON of a page of `answer`'s hits, each given by its index among them and its score, highlighted by
    /// `scanner` (none without words); `page` followed by the id is each one's `url`. None when a source holds
    /// something the reference would handle otherwise.
    fn write<'py>(
        &self,
        py: Python<'py>,
        answer: &Answer,
        hits: Vec<(usize, Option<f64>)>,
        scanner: Option<&Bound<'_, Scanner>>,
        page: &str,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let text = answer.text(py);
        let mut out = Vec::with_capacity(hits.len() * 1024 + 2);
        out.push(b'[');
        for (position, &(index, score)) in hits.iter().enumerate() {
            let Some(display) = answer.hits.get(index).and_then(|hit| hit.display.as_ref()) else {
                return Ok(None);
            };
            if position > 0 {
                out.push(b',');
            }
            if !self.push_hit(py, &mut out, &Fields { text, display }, score, scanner, page)? {
                return Ok(None);
            }
        }
        out.push(b']');
        Ok(Some(PyBytes::new(py, &out)))
    }
}
