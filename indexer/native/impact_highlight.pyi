"""The compiled module: indexer/highlight.py's scan and rendering (src/lib.rs), indexer/facets.py's facet lists as
JSON (src/facets.rs), and a search's answer read and its page of hits written from its bytes (src/answers.rs:
indexer/es_answers.py and indexer/hits.py), the same output."""

from collections.abc import Callable

class Scanner:
    def __init__(
        self, prefixes: list[bytes], table: bytes, fold_other: Callable[[str], str], is_match: Callable[[str], bool]
    ) -> None: ...
    def spans(self, text: str) -> list[tuple[int, int]]: ...
    def render_hit(
        self, title: str, summary: str, sections: list[str], budget: int, fragment_size: int, max_fragments: int
    ) -> tuple[str | None, str | None, list[str]]: ...

class FacetWriter:
    def __init__(
        self,
        keyword: bool,
        entry_of: Callable[[str], tuple[tuple[int, str], str]],
        value_of: Callable[[object], str],
        limit: int,
    ) -> None: ...
    def write(self, buckets: dict[object, object], selected: list[str], by_value: bool) -> str: ...

class Answer:
    @property
    def total(self) -> int: ...
    @property
    def aggregations(self) -> tuple[int, int] | None: ...
    def hits(self) -> list[tuple[str, float | None, tuple[int, int] | None]]: ...

def read_answer(data: bytes) -> Answer | None: ...

class HitWriter:
    def __init__(
        self,
        fields: list[tuple[str, int]],
        territory_json: Callable[[bytes], bytes],
        budget: int,
        fragment_size: int,
        max_fragments: int,
    ) -> None: ...
    def write(
        self, answer: Answer, hits: list[tuple[int, float | None]], scanner: Scanner | None, page: str
    ) -> bytes | None: ...
