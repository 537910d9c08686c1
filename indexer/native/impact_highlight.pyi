"""The compiled highlighter (src/lib.rs): indexer/highlight.py's scan and rendering, the same output."""

from collections.abc import Callable

class Scanner:
    def __init__(
        self, prefixes: list[bytes], table: bytes, fold_other: Callable[[str], str], is_match: Callable[[str], bool]
    ) -> None: ...
    def spans(self, text: str) -> list[tuple[int, int]]: ...
    def render_hit(
        self, title: str, summary: str, sections: list[str], budget: int, fragment_size: int, max_fragments: int
    ) -> tuple[str | None, str | None, list[str]]: ...
