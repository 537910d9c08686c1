//! The application highlighter's hot loops, compiled: finding the candidate words of a hit's texts and
//! rendering them as escaped HTML with `<mark>`. `indexer/highlight.py` is the reference: this module
//! gives exactly its output (tests/engines/test_highlight_native.py compares them), and the word check
//! itself (stems, typos) stays in Python, called once per distinct candidate word.
//!
//! Offsets are in characters, as in Python: each text is folded to one byte per character (lowercase,
//! accents dropped, as `indexer.highlight.scanned`), and kept with its characters' byte offsets when it
//! is not ASCII.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

use memchr::memmem::Finder;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;

const MARK_OPEN: &str = "<mark>";
const MARK_CLOSE: &str = "</mark>";
/// A character that is neither a word character nor a space (the Python scan folds both to a space;
/// here a space stays a space, so finding the word boundaries of excerpts can use the folded text).
const OTHER: u8 = 1;
/// Candidate words remembered per scanner (`build_highlighter`'s cache holds as many).
const MATCH_CACHE: usize = 4096;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Eight ASCII bytes lowercased at once: 0x20 added to each byte from `A` to `Z`.
fn ascii_lowercase(word: u64) -> u64 {
    let above_z = word + (0x7f - u64::from(b'Z')) * ONES;
    let from_a = word + (0x80 - u64::from(b'A')) * ONES;
    word | ((!above_z & from_a & HIGH_BITS) >> 2)
}

fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// A text as the scan sees it: one byte per character, and where its wide characters are.
struct Folded<'a> {
    text: &'a str,
    bytes: Vec<u8>,
    /// Each character of more than one byte: its index, and the bytes beyond one per character up to
    /// and including it (mostly ASCII, a French text has a few of them).
    wide: Vec<(usize, usize)>,
}

impl Folded<'_> {
    fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Where the character `char_index` starts in the text (or the text's length, at its end).
    fn byte(&self, char_index: usize) -> usize {
        match self.wide.partition_point(|&(index, _)| index < char_index) {
            0 => char_index,
            before => char_index + self.wide[before - 1].1,
        }
    }

    /// The characters `start..end` of the text.
    fn slice(&self, start: usize, end: usize) -> &str {
        &self.text[self.byte(start)..self.byte(end)]
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

/// Python's `html.escape(text)` (quotes included), appended to `out`.
fn escape_into(out: &mut String, text: &str) {
    let mut last = 0;
    for (i, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(entity);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

/// `indexer.highlight._render`: characters `start..end` of the text, escaped, the spans inside marked.
fn render(folded: &Folded, spans: &[(usize, usize)], start: usize, end: usize) -> String {
    let mut out = String::with_capacity(folded.byte(end) - folded.byte(start) + 32);
    let mut cursor = start;
    for &(s, e) in spans {
        // (Spans never overlap: prefixes are word characters, `Scanner::new` checks it.)
        if s < start || e > end || s < cursor {
            continue;
        }
        escape_into(&mut out, folded.slice(cursor, s));
        out.push_str(MARK_OPEN);
        escape_into(&mut out, folded.slice(s, e));
        out.push_str(MARK_CLOSE);
        cursor = e;
    }
    escape_into(&mut out, folded.slice(cursor, end));
    out
}

/// `indexer.highlight.fragments_of`: the excerpts of `texts` around their spans.
fn fragments_of(
    texts: &[Folded],
    spans: &[Vec<(usize, usize)>],
    fragment_size: usize,
    max_fragments: usize,
) -> Vec<String> {
    let mut fragments = Vec::new();
    for (text, text_spans) in texts.iter().zip(spans) {
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
            let mut fragment = String::new();
            if begin > 0 {
                fragment.push_str("… ");
            }
            fragment.push_str(&render(text, &text_spans[first..next], begin, finish));
            if finish < length {
                fragment.push_str(" …");
            }
            fragments.push(fragment);
            // A match cut by the fragment's end starts the next one.
            if next < text_spans.len() && text_spans[next].0 < finish {
                next += 1;
            }
        }
        if fragments.len() >= max_fragments {
            break;
        }
    }
    fragments
}

/// One search's highlighter: the prefixes of its stems (as `indexer.highlight.scanned` folds them), the
/// Python check of a candidate word, and the fold of characters beyond Latin-1.
#[pyclass(frozen, module = "impact_highlight")]
struct Scanner {
    finders: Vec<Finder<'static>>,
    table: [u8; 256],
    fold_other: Py<PyAny>,
    is_match: Py<PyAny>,
    matches: Mutex<HashMap<String, bool>>,
}

/// The fold of characters beyond Latin-1 (0: not asked yet), the same for every scanner (their `fold_other`
/// is always `indexer.highlight._scanned_char`): the first plane, then the few others.
static WIDE_FOLDS: OnceLock<Box<[AtomicU8]>> = OnceLock::new();
static RARE_FOLDS: OnceLock<Mutex<HashMap<char, u8>>> = OnceLock::new();

impl Scanner {
    fn fold_char(&self, py: Python<'_>, c: char) -> PyResult<u8> {
        let code = c as usize;
        let known = if code < 0x10000 {
            let folds = WIDE_FOLDS.get_or_init(|| (0..0x10000).map(|_| AtomicU8::new(0)).collect());
            folds[code].load(Ordering::Relaxed)
        } else {
            RARE_FOLDS.get_or_init(Default::default).lock().unwrap().get(&c).copied().unwrap_or(0)
        };
        if known != 0 {
            return Ok(known);
        }
        let folded: String = self.fold_other.bind(py).call1((c,))?.extract()?;
        let byte = match folded.as_bytes() {
            [byte] if byte.is_ascii() && *byte != b' ' && *byte != 0 => *byte,
            _ => OTHER,
        };
        if code < 0x10000 {
            WIDE_FOLDS.get().unwrap()[code].store(byte, Ordering::Relaxed);
        } else {
            RARE_FOLDS.get().unwrap().lock().unwrap().insert(c, byte);
        }
        Ok(byte)
    }

    fn fold<'a>(&self, py: Python<'_>, text: &'a str) -> PyResult<Folded<'a>> {
        // ASCII folds to its lowercase (`_SCAN_TABLE`'s first half, checked by `new`): eight bytes at a
        // time while they are ASCII; each wide character to its one byte.
        let raw = text.as_bytes();
        let mut bytes = vec![0u8; raw.len()];
        let mut wide = Vec::new();
        let (mut read, mut write, mut extra) = (0, 0, 0);
        while read < raw.len() {
            if let Some(chunk) = raw.get(read..read + 8) {
                let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
                if word & HIGH_BITS == 0 {
                    bytes[write..write + 8].copy_from_slice(&ascii_lowercase(word).to_le_bytes());
                    read += 8;
                    write += 8;
                    continue;
                }
            }
            let byte = raw[read];
            if byte < 0x80 {
                bytes[write] = byte.to_ascii_lowercase();
                read += 1;
                write += 1;
                continue;
            }
            let c = text[read..].chars().next().expect("a character starts here");
            let code = c as usize;
            bytes[write] = if code < 256 { self.table[code] } else { self.fold_char(py, c)? };
            extra += c.len_utf8() - 1;
            wide.push((write, extra));
            write += 1;
            read += c.len_utf8();
        }
        bytes.truncate(write);
        Ok(Folded { text, bytes, wide })
    }

    fn is_match(&self, py: Python<'_>, word: &str) -> PyResult<bool> {
        if let Some(&known) = self.matches.lock().unwrap().get(word) {
            return Ok(known);
        }
        let matched = self.is_match.bind(py).call1((word,))?.is_truthy()?;
        let mut matches = self.matches.lock().unwrap();
        if matches.len() >= MATCH_CACHE {
            matches.clear();
        }
        matches.insert(word.to_owned(), matched);
        Ok(matched)
    }

    /// The whole text escaped and marked, or None when nothing in it matches (`highlight_whole`).
    fn marked_whole(&self, py: Python<'_>, text: &str) -> PyResult<Option<String>> {
        let folded = self.fold(py, text)?;
        let spans = self.spans_of(py, &folded, folded.len())?;
        Ok((!spans.is_empty()).then(|| render(&folded, &spans, 0, folded.len())))
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
    fn spans(&self, py: Python<'_>, text: &str) -> PyResult<Vec<(usize, usize)>> {
        let folded = self.fold(py, text)?;
        self.spans_of(py, &folded, folded.len())
    }

    /// `Highlighter.render_hit`: the title and summary marked whole (None without a match), and up to
    /// `max_fragments` excerpts of the sections, among their first `budget` characters.
    fn render_hit(
        &self,
        py: Python<'_>,
        title: &str,
        summary: &str,
        sections: Vec<PyBackedStr>,
        budget: usize,
        fragment_size: usize,
        max_fragments: usize,
    ) -> PyResult<(Option<String>, Option<String>, Vec<String>)> {
        let title = self.marked_whole(py, title)?;
        let summary = self.marked_whole(py, summary)?;
        // `within_budget`: the first `budget` characters, the last text cut at the next space after it.
        let mut texts = Vec::new();
        let mut spans = Vec::new();
        let mut used = 0;
        for section in &sections {
            if used >= budget {
                break;
            }
            let folded = self.fold(py, section)?;
            let limit = budget - used;
            let length = folded.len();
            let scanned = if length > limit { folded.find_space(limit, length).unwrap_or(length) } else { length };
            spans.push(self.spans_of(py, &folded, scanned)?);
            texts.push(folded);
            used += length;
        }
        Ok((title, summary, fragments_of(&texts, &spans, fragment_size, max_fragments)))
    }
}

#[pymodule]
fn impact_highlight(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Scanner>()
}
