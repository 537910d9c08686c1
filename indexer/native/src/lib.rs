//! The application highlighter's hot loops, compiled: finding the candidate words of a hit's texts and
//! rendering them as escaped HTML with `<mark>`. `indexer/highlight.py` is the reference: this module
//! gives exactly its output (tests/engines/test_highlight_native.py compares them), and the word check
//! itself (stems, typos) stays in Python, called once per distinct candidate word.
//!
//! Offsets are in characters, as in Python: each text is read as Python holds it (one code unit of 1, 2
//! or 4 bytes per character, no UTF-8 made), or, for an Elasticsearch answer read in place (`answers.rs`),
//! decoded from its JSON string into the same code units (`Scanner::fold_json`); and folded to one byte per
//! character (lowercase, accents dropped, as `indexer.highlight.scanned`). Answers are written in code points
//! and handed to Python as such (it stores them in the narrowest kind).
//! Reading that storage needs CPython's full API: on PyPy or the limited API the module does not build, and
//! `make install` leaves highlighting to Python.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::os::raw::{c_int, c_uint, c_void};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

mod answers;
mod facets;

use memchr::memmem::Finder;
use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyStringData};

const MARK_OPEN: &str = "<mark>";
const MARK_CLOSE: &str = "</mark>";
const ELLIPSIS: u32 = 0x2026;
/// A character that is neither a word character nor a space (the Python scan folds both to a space;
/// here a space stays a space, so finding the word boundaries of excerpts can use the folded text).
const OTHER: u8 = 1;
/// Candidate words remembered per scanner (`build_highlighter`'s cache holds as many, `WORDS_CHECKED`).
const MATCH_CACHE: usize = 1024;
/// Candidate words up to this many characters are looked up without a copy on the heap.
const SHORT_WORD: usize = 48;

fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// A text's characters as Python holds them: one code unit per character.
#[derive(Clone, Copy)]
pub(crate) enum Units<'a> {
    One(&'a [u8]),
    Two(&'a [u16]),
    Four(&'a [u32]),
}

impl<'a> Units<'a> {
    fn of(text: &'a Bound<'_, PyString>) -> PyResult<Self> {
        // SAFETY: pyo3 reads the kind from the string's state bitfield, whose layout it decodes
        // for CPython 3.11+ (tested on x86-64 Linux, where this module is built and its tests run).
        // The data stays put for `'a`: `text` holds a reference, and a `str` shared like this is
        // never resized in place.
        Ok(match unsafe { text.data()? } {
            PyStringData::Ucs1(units) => Units::One(units),
            PyStringData::Ucs2(units) => Units::Two(units),
            PyStringData::Ucs4(units) => Units::Four(units),
        })
    }

    fn len(self) -> usize {
        match self {
            Units::One(units) => units.len(),
            Units::Two(units) => units.len(),
            Units::Four(units) => units.len(),
        }
    }

    /// The characters `start..end`.
    fn slice(self, start: usize, end: usize) -> Self {
        match self {
            Units::One(units) => Units::One(&units[start..end]),
            Units::Two(units) => Units::Two(&units[start..end]),
            Units::Four(units) => Units::Four(&units[start..end]),
        }
    }

    /// Each character's code point, in order.
    fn each(self, mut call: impl FnMut(u32)) {
        match self {
            Units::One(units) => units.iter().for_each(|&c| call(u32::from(c))),
            Units::Two(units) => units.iter().for_each(|&c| call(u32::from(c))),
            Units::Four(units) => units.iter().for_each(|&c| call(c)),
        }
    }

    fn codes(self) -> Vec<u32> {
        let mut codes = Vec::new();
        self.each(|c| codes.push(c));
        codes
    }

    /// These characters as a Python `str`.
    fn to_python<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        match self {
            Units::One(units) => python_str(py, ffi::PyUnicode_1BYTE_KIND, units),
            Units::Two(units) => python_str(py, ffi::PyUnicode_2BYTE_KIND, units),
            Units::Four(units) => python_str(py, ffi::PyUnicode_4BYTE_KIND, units),
        }
    }
}

/// A text decoded from JSON as Python would hold it: one code unit per character, in the narrowest size.
pub(crate) enum OwnedUnits {
    One(Vec<u8>),
    Two(Vec<u16>),
    Four(Vec<u32>),
}

impl OwnedUnits {
    /// Adds a character, all of them widened first when it is wider than they are.
    fn push(&mut self, code: u32) {
        match self {
            OwnedUnits::One(units) if code < 0x100 => units.push(code as u8),
            OwnedUnits::Two(units) if code < 0x10000 => units.push(code as u16),
            OwnedUnits::Four(units) => units.push(code),
            OwnedUnits::One(units) if code < 0x10000 => {
                let mut two: Vec<u16> = units.iter().map(|&unit| u16::from(unit)).collect();
                two.push(code as u16);
                *self = OwnedUnits::Two(two);
            }
            OwnedUnits::One(units) => {
                let mut four: Vec<u32> = units.iter().map(|&unit| u32::from(unit)).collect();
                four.push(code);
                *self = OwnedUnits::Four(four);
            }
            OwnedUnits::Two(units) => {
                let mut four: Vec<u32> = units.iter().map(|&unit| u32::from(unit)).collect();
                four.push(code);
                *self = OwnedUnits::Four(four);
            }
        }
    }

    pub(crate) fn units(&self) -> Units<'_> {
        match self {
            OwnedUnits::One(units) => Units::One(units),
            OwnedUnits::Two(units) => Units::Two(units),
            OwnedUnits::Four(units) => Units::Four(units),
        }
    }
}

/// A new Python `str` of `units`, code units of `kind` (1, 2 or 4 bytes, the size of `T`).
fn python_str<'py, T>(py: Python<'py>, kind: c_uint, units: &[T]) -> PyResult<Bound<'py, PyString>> {
    debug_assert_eq!(std::mem::size_of::<T>(), kind as usize);
    // SAFETY: `units` holds `units.len()` code units of `kind`; Python copies them into a new `str`.
    unsafe {
        let made = ffi::PyUnicode_FromKindAndData(kind as c_int, units.as_ptr().cast::<c_void>(), units.len() as _);
        Ok(Bound::from_owned_ptr_or_err(py, made)?.cast_into_unchecked())
    }
}

/// A text as the scan sees it: its characters, and each folded to one byte.
struct Folded<'a> {
    units: Units<'a>,
    bytes: Vec<u8>,
}

impl<'a> Folded<'a> {
    fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The characters `start..end` of the text.
    fn slice(&self, start: usize, end: usize) -> Units<'a> {
        self.units.slice(start, end)
    }

    /// Python's `text.find(" ", start, end)`.
    fn find_space(&self, start: usize, end: usize) -> Option<usize> {
        memchr::memchr(b' ', &self.bytes[start..end]).map(|i| start + i)
    }

    /// Python's `text.rfind(" ", start, end)`.
    fn rfind_space(&self, start: usize, end: usize) -> Option<usize> {
        memchr::memrchr(b' ', &self.bytes[start..end]).map(|i| start + i)
    }
}

fn push_ascii(out: &mut Vec<u32>, text: &str) {
    out.extend(text.bytes().map(u32::from));
}

/// Python's `html.escape(text)` (quotes included), appended to `out`.
fn escape_into(out: &mut Vec<u32>, text: Units) {
    text.each(|c| match c {
        0x26 => push_ascii(out, "&amp;"),
        0x3c => push_ascii(out, "&lt;"),
        0x3e => push_ascii(out, "&gt;"),
        0x22 => push_ascii(out, "&quot;"),
        0x27 => push_ascii(out, "&#x27;"),
        _ => out.push(c),
    });
}

/// `indexer.highlight._render`: characters `start..end` of the text, escaped, the spans inside marked,
/// appended to `out`.
fn render(out: &mut Vec<u32>, folded: &Folded, spans: &[(usize, usize)], start: usize, end: usize) {
    out.reserve(end - start + 32);
    let mut cursor = start;
    for &(s, e) in spans {
        // (Spans never overlap: prefixes are word characters, `Scanner::new` checks it.)
        if s < start || e > end || s < cursor {
            continue;
        }
        escape_into(out, folded.slice(cursor, s));
        push_ascii(out, MARK_OPEN);
        escape_into(out, folded.slice(s, e));
        push_ascii(out, MARK_CLOSE);
        cursor = e;
    }
    escape_into(out, folded.slice(cursor, end));
}

/// Code points as a Python `str` (stored in the narrowest kind that holds them).
fn python_text<'py>(py: Python<'py>, codes: &[u32]) -> PyResult<Bound<'py, PyString>> {
    Units::Four(codes).to_python(py)
}

/// `indexer.highlight.fragments_of`, one text at a time: the excerpts of `text` around its spans, appended to
/// `fragments` until there are `max_fragments`.
fn fragments_into(
    fragments: &mut Vec<Vec<u32>>,
    text: &Folded,
    text_spans: &[(usize, usize)],
    fragment_size: usize,
    max_fragments: usize,
) {
    let length = text.len();
    let mut next = 0;
    while next < text_spans.len() && fragments.len() < max_fragments {
        let start = text_spans[next].0;
        // Start a little before the match, on a word boundary, and stop on one too.
        let mut begin = start.saturating_sub(fragment_size / 4);
        if begin > 0 {
            if let Some(space) = text.find_space(begin, start) {
                begin = space + 1;
            }
        }
        let mut finish = length.min(begin.saturating_add(fragment_size));
        if finish < length {
            if let Some(space) = text.rfind_space(start, finish) {
                if space > start {
                    finish = space;
                }
            }
        }
        let first = next;
        while next < text_spans.len() && text_spans[next].1 <= finish {
            next += 1;
        }
        let mut fragment = Vec::new();
        if begin > 0 {
            fragment.extend([ELLIPSIS, 0x20]);
        }
        render(&mut fragment, text, &text_spans[first..next], begin, finish);
        if finish < length {
            fragment.extend([0x20, ELLIPSIS]);
        }
        fragments.push(fragment);
        // A match cut by the fragment's end starts the next one.
        if next < text_spans.len() && text_spans[next].0 < finish {
            next += 1;
        }
    }
}

/// A hit's highlight in code points: its title and summary marked whole, the excerpts of its sections.
pub(crate) type Rendered = (Option<Vec<u32>>, Option<Vec<u32>>, Vec<Vec<u32>>);

/// A hit's text: a Python `str` as it stores it, or a JSON string as written (read when it is scanned).
pub(crate) enum Section<'a> {
    Python(Units<'a>),
    Json(&'a str),
}

/// The character a JSON escape (`\\n`, `\\u00e9`…) at the start of `bytes` stands for, and its length; None for a
/// surrogate (`answers::read_answer` leaves an answer holding one to orjson) or what is not an escape.
fn json_escape(bytes: &[u8]) -> Option<(u32, usize)> {
    Some(match *bytes.get(1)? {
        b'"' => (0x22, 2),
        b'\\' => (0x5c, 2),
        b'/' => (0x2f, 2),
        b'b' => (0x08, 2),
        b'f' => (0x0c, 2),
        b'n' => (0x0a, 2),
        b'r' => (0x0d, 2),
        b't' => (0x09, 2),
        b'u' => {
            let digits = bytes.get(2..6)?;
            if !digits.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            match u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()? {
                0xd800..0xe000 => return None,
                code => (code, 6),
            }
        }
        _ => return None,
    })
}

/// The character starting `bytes`, which are valid UTF-8 (a `str`'s), and its length in bytes.
fn utf8_char(bytes: &[u8]) -> (u32, usize) {
    let lead = u32::from(bytes[0]);
    let next = |at: usize| u32::from(bytes[at]) & 0x3f;
    if lead < 0xe0 {
        (((lead & 0x1f) << 6) | next(1), 2)
    } else if lead < 0xf0 {
        (((lead & 0x0f) << 12) | (next(1) << 6) | next(2), 3)
    } else {
        (((lead & 0x07) << 18) | (next(1) << 12) | (next(2) << 6) | next(3), 4)
    }
}

/// A JSON string's text (an object's key, a section), borrowed from the JSON unless it holds an escape.
pub(crate) struct JsonText<'a>(pub(crate) Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for JsonText<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> serde::de::Visitor<'de> for Text {
            type Value = JsonText<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<JsonText<'de>, E> {
                Ok(JsonText(Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<JsonText<'de>, E> {
                Ok(JsonText(Cow::Owned(text.to_owned())))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// What a hit's sections are scanned and excerpted within (`SCAN_BUDGET`, `FRAGMENT_SIZE`, `MAX_FRAGMENTS`).
#[derive(Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) budget: usize,
    pub(crate) fragment_size: usize,
    pub(crate) max_fragments: usize,
}

/// One search's highlighter: the prefixes of its stems (as `indexer.highlight.scanned` folds them), the
/// Python check of a candidate word, and the fold of characters beyond Latin-1.
#[pyclass(frozen, module = "impact_highlight")]
pub(crate) struct Scanner {
    finders: Vec<Finder<'static>>,
    table: [u8; 256],
    fold_other: Py<PyAny>,
    is_match: Py<PyAny>,
    matches: Mutex<HashMap<Vec<u32>, bool>>,
}

/// The fold of characters beyond Latin-1 (0: not asked yet), the same for every scanner (their `fold_other`
/// is always `indexer.highlight._scanned_char`): the first plane, then the few others.
static WIDE_FOLDS: OnceLock<Box<[AtomicU8]>> = OnceLock::new();
static RARE_FOLDS: OnceLock<Mutex<HashMap<u32, u8>>> = OnceLock::new();

impl Scanner {
    fn fold_char(&self, py: Python<'_>, code: u32) -> PyResult<u8> {
        let index = code as usize;
        let known = if index < 0x10000 {
            let folds = WIDE_FOLDS.get_or_init(|| (0..0x10000).map(|_| AtomicU8::new(0)).collect());
            folds[index].load(Ordering::Relaxed)
        } else {
            RARE_FOLDS.get_or_init(Default::default).lock().unwrap().get(&code).copied().unwrap_or(0)
        };
        if known != 0 {
            return Ok(known);
        }
        // Any code point a `str` holds, a lone surrogate included (no `char` in Rust).
        let character = Units::Four(&[code]).to_python(py)?;
        let folded: String = self.fold_other.bind(py).call1((character,))?.extract()?;
        let byte = match folded.as_bytes() {
            [byte] if byte.is_ascii() && *byte != b' ' && *byte != 0 => *byte,
            _ => OTHER,
        };
        if index < 0x10000 {
            WIDE_FOLDS.get().unwrap()[index].store(byte, Ordering::Relaxed);
        } else {
            RARE_FOLDS.get().unwrap().lock().unwrap().insert(code, byte);
        }
        Ok(byte)
    }

    fn fold_wide(&self, py: Python<'_>, codes: impl ExactSizeIterator<Item = u32>) -> PyResult<Vec<u8>> {
        let mut bytes = Vec::with_capacity(codes.len());
        for code in codes {
            bytes.push(if code < 256 { self.table[code as usize] } else { self.fold_char(py, code)? });
        }
        Ok(bytes)
    }

    fn fold<'a>(&self, py: Python<'_>, units: Units<'a>) -> PyResult<Folded<'a>> {
        let bytes = match units {
            // Latin-1 (most French text): one table lookup per character.
            Units::One(codes) => codes.iter().map(|&code| self.table[usize::from(code)]).collect(),
            Units::Two(codes) => self.fold_wide(py, codes.iter().map(|&code| u32::from(code)))?,
            Units::Four(codes) => self.fold_wide(py, codes.iter().copied())?,
        };
        Ok(Folded { units, bytes })
    }

    fn is_match(&self, py: Python<'_>, word: Units) -> PyResult<bool> {
        // The word's code points as the cache's key, on the stack when it is short (most are): a search
        // looks up every candidate word of its page, a few hundred.
        let mut short = [0u32; SHORT_WORD];
        let long;
        let key: &[u32] = if word.len() <= SHORT_WORD {
            let mut at = 0;
            word.each(|c| {
                short[at] = c;
                at += 1;
            });
            &short[..at]
        } else {
            long = word.codes();
            &long
        };
        if let Some(&known) = self.matches.lock().unwrap().get(key) {
            return Ok(known);
        }
        let matched = self.is_match.bind(py).call1((word.to_python(py)?,))?.is_truthy()?;
        let mut matches = self.matches.lock().unwrap();
        if matches.len() >= MATCH_CACHE {
            matches.clear();
        }
        matches.insert(key.to_vec(), matched);
        Ok(matched)
    }

    /// A text's characters and their folds (`fold`), from a Python `str` or a JSON string, handed to `then`.
    fn with_folded<R>(&self, py: Python<'_>, text: &Section, then: impl FnOnce(&Folded) -> PyResult<R>) -> PyResult<R> {
        match text {
            Section::Python(units) => then(&self.fold(py, *units)?),
            Section::Json(raw) => {
                let (units, bytes) = self.fold_json(py, raw)?;
                then(&Folded { units: units.units(), bytes })
            }
        }
    }

    /// A JSON string's characters (`OwnedUnits`) and their folds (`fold`), in one pass over its UTF-8: no copy of the
    /// text made before. `raw` is a JSON string as the node wrote it (valid JSON, without an escaped surrogate:
    /// `answers::read_answer` leaves such answers to orjson).
    fn fold_json(&self, py: Python<'_>, raw: &str) -> PyResult<(OwnedUnits, Vec<u8>)> {
        let inner = raw
            .strip_prefix('"')
            .and_then(|text| text.strip_suffix('"'))
            .ok_or_else(|| PyValueError::new_err("a text is not a JSON string"))?
            .as_bytes();
        let mut folded = Vec::with_capacity(inner.len());
        // Latin-1 (most French text) a run of one-byte characters at a time, each folded by table; the first wider
        // character widens all of them, and the rest goes character by character.
        let mut one = Vec::with_capacity(inner.len());
        let mut at = 0;
        while at < inner.len() {
            let run = inner[at..].iter().position(|&byte| byte >= 0x80 || byte == b'\\').unwrap_or(inner.len() - at);
            one.extend_from_slice(&inner[at..at + run]);
            folded.extend(inner[at..at + run].iter().map(|&byte| self.table[usize::from(byte)]));
            at += run;
            if at == inner.len() {
                break;
            }
            let (code, width) = self.json_char(&inner[at..])?;
            if code >= 0x100 {
                let mut units = OwnedUnits::One(one);
                let mut rest = at;
                while rest < inner.len() {
                    let (code, width) = self.json_char(&inner[rest..])?;
                    units.push(code);
                    folded.push(self.fold_code(py, code)?);
                    rest += width;
                }
                return Ok((units, folded));
            }
            one.push(code as u8);
            folded.push(self.table[code as usize]);
            at += width;
        }
        Ok((OwnedUnits::One(one), folded))
    }

    /// The character at the start of a JSON string's `bytes` (an escape, a UTF-8 sequence), and its length.
    fn json_char(&self, bytes: &[u8]) -> PyResult<(u32, usize)> {
        match bytes[0] {
            b'\\' => json_escape(bytes)
                .ok_or_else(|| PyValueError::new_err("a text holds an escape that is not a character")),
            byte @ 0..0x80 => Ok((u32::from(byte), 1)),
            _ => Ok(utf8_char(bytes)),
        }
    }

    /// A character's fold (`fold`).
    fn fold_code(&self, py: Python<'_>, code: u32) -> PyResult<u8> {
        if code < 0x100 {
            Ok(self.table[code as usize])
        } else {
            self.fold_char(py, code)
        }
    }

    /// The whole text escaped and marked, or None when nothing in it matches (`highlight_whole`).
    fn marked_whole(&self, py: Python<'_>, text: &Section) -> PyResult<Option<Vec<u32>>> {
        self.with_folded(py, text, |folded| {
            let spans = self.spans_of(py, folded, folded.len())?;
            if spans.is_empty() {
                return Ok(None);
            }
            let mut out = Vec::new();
            render(&mut out, folded, &spans, 0, folded.len());
            Ok(Some(out))
        })
    }

    /// `render_hit`, in code points: the title and summary marked whole (None without a match), and up to
    /// `max_fragments` excerpts of the sections, among their first `budget` characters.
    pub(crate) fn rendered(
        &self,
        py: Python<'_>,
        title: &Section,
        summary: &Section,
        sections: &[Section],
        limits: Limits,
    ) -> PyResult<Rendered> {
        let title = self.marked_whole(py, title)?;
        let summary = self.marked_whole(py, summary)?;
        // `within_budget`: the first `budget` characters, the last text cut at the next space after it. Each
        // section's excerpts are made once it is scanned (`fragments_of` takes the texts in turn): once there
        // are `max_fragments`, the sections after it are neither folded nor scanned.
        let mut fragments = Vec::new();
        let mut used = 0;
        for section in sections {
            if used >= limits.budget || fragments.len() >= limits.max_fragments {
                break;
            }
            used += self.with_folded(py, section, |folded| {
                let limit = limits.budget - used;
                let length = folded.len();
                let scanned = if length > limit { folded.find_space(limit, length).unwrap_or(length) } else { length };
                let spans = self.spans_of(py, folded, scanned)?;
                fragments_into(&mut fragments, folded, &spans, limits.fragment_size, limits.max_fragments);
                Ok(length)
            })?;
        }
        Ok((title, summary, fragments))
    }

    /// The matching words among the first `limit` characters of a text, in order.
    fn spans_of(&self, py: Python<'_>, folded: &Folded, limit: usize) -> PyResult<Vec<(usize, usize)>> {
        let hay = &folded.bytes[..limit];
        // As the Python patterns: each prefix found where no word character precedes it, the word run
        // to its end; searching again after it (or one character on, when it started inside a word).
        // A word starting like two prefixes is one candidate (the later prefix's, as Python's dict).
        let mut ends: BTreeMap<usize, usize> = BTreeMap::new();
        for finder in &self.finders {
            let needle = finder.needle().len();
            let mut at = 0;
            while let Some(found) = finder.find(&hay[at..]).map(|i| at + i) {
                if found > 0 && is_word(hay[found - 1]) {
                    at = found + 1;
                    continue;
                }
                let mut end = found + needle;
                while end < hay.len() && is_word(hay[end]) {
                    end += 1;
                }
                ends.insert(found, end);
                at = end.max(found + 1);
            }
        }
        let mut spans = Vec::with_capacity(ends.len());
        for (start, end) in ends {
            if self.is_match(py, folded.slice(start, end))? {
                spans.push((start, end));
            }
        }
        Ok(spans)
    }
}

#[pymethods]
impl Scanner {
    /// `prefixes`: `scanned(stem[:PREFIX_LENGTH])` of each stem, sorted; `table`: `_SCAN_TABLE`;
    /// `fold_other(char) -> str`: the one-character fold of a character beyond Latin-1; `is_match(word)`.
    #[new]
    fn new(prefixes: Vec<Vec<u8>>, table: &[u8], fold_other: Py<PyAny>, is_match: Py<PyAny>) -> PyResult<Self> {
        let mut folds = [0u8; 256];
        if table.len() != 256 {
            return Err(pyo3::exceptions::PyValueError::new_err("the fold table has 256 bytes"));
        }
        for (code, byte) in table.iter().enumerate() {
            folds[code] = if *byte == b' ' && code != 0x20 { OTHER } else { *byte };
            if code < 0x80 && folds[code] != (code as u8).to_ascii_lowercase() {
                return Err(pyo3::exceptions::PyValueError::new_err("ASCII folds to its lowercase"));
            }
        }
        if prefixes.iter().any(|p| !p.iter().all(|&b| is_word(b))) {
            // A stem's first letters always are; the Python reference handles any other.
            return Err(pyo3::exceptions::PyValueError::new_err("prefixes are word characters ([a-z0-9_])"));
        }
        Ok(Scanner {
            finders: prefixes.iter().filter(|p| !p.is_empty()).map(|p| Finder::new(p).into_owned()).collect(),
            table: folds,
            fold_other,
            is_match,
            matches: Mutex::new(HashMap::new()),
        })
    }

    /// `Highlighter.spans`: the spans of the matching words of `text`.
    fn spans(&self, py: Python<'_>, text: &Bound<'_, PyString>) -> PyResult<Vec<(usize, usize)>> {
        let folded = self.fold(py, Units::of(text)?)?;
        self.spans_of(py, &folded, folded.len())
    }

    /// `Highlighter.render_hit`: the title and summary marked whole (None without a match), and up to
    /// `max_fragments` excerpts of the sections, among their first `budget` characters.
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn render_hit<'py>(
        &self,
        py: Python<'py>,
        title: &Bound<'_, PyString>,
        summary: &Bound<'_, PyString>,
        sections: Vec<Bound<'_, PyString>>,
        budget: usize,
        fragment_size: usize,
        max_fragments: usize,
    ) -> PyResult<(Option<Bound<'py, PyString>>, Option<Bound<'py, PyString>>, Vec<Bound<'py, PyString>>)> {
        let sections = sections.iter().map(|s| Units::of(s).map(Section::Python)).collect::<PyResult<Vec<_>>>()?;
        let limits = Limits { budget, fragment_size, max_fragments };
        let (title, summary) = (Section::Python(Units::of(title)?), Section::Python(Units::of(summary)?));
        let (title, summary, fragments) = self.rendered(py, &title, &summary, &sections, limits)?;
        let text = |codes: Option<Vec<u32>>| codes.map(|codes| python_text(py, &codes)).transpose();
        Ok((
            text(title)?,
            text(summary)?,
            fragments.iter().map(|codes| python_text(py, codes)).collect::<PyResult<Vec<_>>>()?,
        ))
    }
}

#[pymodule]
fn impact_highlight(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Scanner>()?;
    module.add_class::<facets::FacetWriter>()?;
    module.add_function(wrap_pyfunction!(answers::read_answer, module)?)?;
    module.add_class::<answers::Answer>()?;
    module.add_class::<answers::HitWriter>()
}
