//! A facet's list written as the answer's JSON, compiled: `indexer/facets.py facet_values_json` is the reference
//! (tests/engines/test_facets_native.py compares them). An engine's counts of about a hundred values a search
//! become one string, without a Python object per value; each value's label and tie order are worked out once,
//! by Python (`entry_of`), and kept.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

/// A value's tie order (`Facet.order`) and its JSON up to its count (`{"value":…,"label":…,"count":`).
struct Entry {
    order: (i64, String),
    head: String,
}

#[pyclass(frozen)]
pub struct FacetWriter {
    /// Whether the facet's values are strings (`FacetKind.KEYWORD`): a string key is then the value itself.
    keyword: bool,
    /// `value -> ((int, str), head)`: an `Entry`, for a value not seen yet.
    entry_of: Py<PyAny>,
    /// `key -> value` (`bucket_value`), for a key that is neither a keyword's string nor a number.
    value_of: Py<PyAny>,
    entries: Mutex<HashMap<String, Arc<Entry>>>,
    /// Values kept at most (or one list's, when it alone has more): past it, all are forgotten and worked out again.
    limit: usize,
}

impl FacetWriter {
    /// A bucket's key as the facet's value.
    fn value(&self, key: &Bound<'_, PyAny>) -> PyResult<String> {
        if let Ok(text) = key.cast::<PyString>() {
            if self.keyword {
                return Ok(text.to_str()?.to_owned());
            }
        } else if !self.keyword && !key.is_instance_of::<PyBool>() {
            // `str(int(float(key)))`, as `bucket_value`, for the numbers within an i64.
            if let Ok(number) = key.cast::<PyInt>() {
                if let Ok(whole) = number.extract::<i64>() {
                    return Ok(((whole as f64) as i64).to_string());
                }
            } else if let Ok(number) = key.cast::<PyFloat>() {
                let real = number.value();
                if real.is_finite() && real.abs() < 9.0e18 {
                    return Ok((real.trunc() as i64).to_string());
                }
            }
        }
        self.value_of.bind(key.py()).call1((key,))?.extract()
    }
}

/// A bucket's count as `int(count)` when it is above 0 (`count > 0`), else None.
fn positive(count: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if let Ok(number) = count.cast::<PyInt>() {
        let whole: i64 = number.extract()?;
        return Ok((whole > 0).then_some(whole));
    }
    if let Ok(number) = count.cast::<PyFloat>() {
        let real = number.value();
        return Ok((real > 0.0).then_some(real.trunc() as i64));
    }
    Err(PyTypeError::new_err("a bucket's count is a number"))
}

#[pymethods]
impl FacetWriter {
    #[new]
    fn new(keyword: bool, entry_of: Py<PyAny>, value_of: Py<PyAny>, limit: usize) -> Self {
        FacetWriter { keyword, entry_of, value_of, entries: Mutex::new(HashMap::new()), limit }
    }

    /// `facet_values_json`: the values counted above 0 and the selected ones (count 0 when absent), by count
    /// then tie order (`by_value`: by tie order alone), as a JSON array of `FacetValue`s.
    fn write(
        &self,
        py: Python<'_>,
        buckets: &Bound<'_, PyDict>,
        selected: Vec<String>,
        by_value: bool,
    ) -> PyResult<String> {
        let mut counts: Vec<(String, i64)> = Vec::with_capacity(buckets.len() + selected.len());
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(counts.capacity());
        for (key, count) in buckets.iter() {
            if let Some(count) = positive(&count)? {
                let value = self.value(&key)?;
                match seen.get(&value) {
                    Some(&at) => counts[at].1 += count,
                    None => {
                        seen.insert(value.clone(), counts.len());
                        counts.push((value, count));
                    }
                }
            }
        }
        for value in &selected {
            if !seen.contains_key(value) {
                seen.insert(value.clone(), counts.len());
                counts.push((value.clone(), 0));
            }
        }
        // Each value's entry taken under the lock (shared, so another thread forgetting them meanwhile takes nothing
        // from this search); those not known yet worked out by Python without holding it (it may let another
        // thread run), then kept.
        let mut found: Vec<Option<Arc<Entry>>> = {
            let entries = self.entries();
            counts.iter().map(|(value, _)| entries.get(value).cloned()).collect()
        };
        let mut made: Vec<(String, Arc<Entry>)> = Vec::new();
        for ((value, _), entry) in counts.iter().zip(found.iter_mut()) {
            if entry.is_none() {
                let (order, head): ((i64, String), String) = self.entry_of.bind(py).call1((value,))?.extract()?;
                let new = Arc::new(Entry { order, head });
                made.push((value.clone(), Arc::clone(&new)));
                *entry = Some(new);
            }
        }
        if !made.is_empty() {
            let mut entries = self.entries();
            if entries.len() + made.len() > self.limit {
                entries.clear();
            }
            entries.extend(made);
        }
        let rows = counts
            .iter()
            .zip(found.iter())
            .filter_map(|((value, count), entry)| entry.as_deref().map(|entry| (entry, *count, value.as_str())))
            .collect();
        Ok(written(rows, &selected, by_value))
    }
}

impl FacetWriter {
    /// The values' entries, even after a panic of another thread holding them (they are only ever added whole).
    fn entries(&self) -> MutexGuard<'_, HashMap<String, Arc<Entry>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The rows (entry, count, value) ordered and written as a JSON array.
fn written(mut rows: Vec<(&Entry, i64, &str)>, selected: &[String], by_value: bool) -> String {
    rows.sort_unstable_by(|a, b| {
        let by_order = a.0.order.cmp(&b.0.order);
        if by_value {
            by_order
        } else {
            b.1.cmp(&a.1).then(by_order)
        }
    });
    let chosen: HashSet<&str> = selected.iter().map(String::as_str).collect();
    let mut json = String::with_capacity(2 + rows.iter().map(|(entry, _, _)| entry.head.len() + 40).sum::<usize>());
    json.push('[');
    for (number, (entry, count, value)) in rows.iter().enumerate() {
        if number > 0 {
            json.push(',');
        }
        json.push_str(&entry.head);
        json.push_str(&count.to_string());
        json.push_str(if chosen.contains(value) { ",\"selected\":true}" } else { ",\"selected\":false}" });
    }
    json.push(']');
    json
}
