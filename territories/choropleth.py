"""The map of practices per département: an escaped, accessible SVG drawn from {code: count}, no tiles.

Metropolitan départements are drawn from the shipped outlines (`territories/shapes.py`); the five DROM are
labelled tiles in the Atlantic, beside the Bay of Biscay. Every département is a link (`href(code)`) whose
`<title>` is its name and count (the hover text and the accessible name); `map_entries` gives the same
links as a list for keyboards and screen readers. The colours are our own, each with a text colour of
WCAG AA contrast; département borders are dark grey, a filtered one is outlined in near black on a white halo.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from markupsafe import Markup

from schemas.facets import DEPARTMENT_NAMES
from territories.shapes import SHAPES_CREDIT, department_shapes

# The overseas départements (zone `drom`), drawn as tiles: the outlines package has metropolitan ones only.
DROM = ("971", "972", "973", "974", "976")
# Paris and the petite couronne, too small to click at France's scale: drawn again, enlarged, in a box
# (x, y, width, height in source units) where Belgium and Luxembourg would be.
INSET = ("75", "92", "93", "94")
INSET_BOX = (470, 2, 130, 96)
INSET_TITLE = "Paris et petite couronne"
MAP_TITLE = "Carte des pratiques par département"


@dataclass(frozen=True)
class Shade:
    fill: str
    text: str  # the colour of text written on `fill` (contrast ≥ 4.5)


NO_PRACTICE = Shade("#F4F4F0", "#1A1A1A")
# From light to dark, ending at our accent colour.
SHADES = (
    Shade("#DCE8F2", "#1A1A1A"),
    Shade("#A9C7E0", "#1A1A1A"),
    Shade("#6B9DC4", "#1A1A1A"),
    Shade("#2F6E9E", "#FFFFFF"),
    Shade("#19486A", "#FFFFFF"),
)
BORDER = "#50535C"
SELECTED_BORDER = "#1A1A1A"
SELECTED_HALO = "#FFFFFF"
TEXT = "#1A1A1A"


def practices(count: int) -> str:
    """`aucune pratique`, `1 pratique`, `1 234 pratiques` (French thin space between thousands)."""
    if count == 0:
        return "aucune pratique"
    return f"{count:,}".replace(",", "\u202f") + (" pratique" if count == 1 else " pratiques")


@dataclass(frozen=True)
class MapEntry:
    code: str
    name: str
    count: int
    href: str
    selected: bool

    @property
    def label(self) -> str:
        """`Drôme : 3 pratiques`: the hover text and the accessible name of its link."""
        return f"{self.name} : {practices(self.count)}"


def map_entries(counts: Mapping[str, int], href: Callable[[str], str], selected: Collection[str]) -> list[MapEntry]:
    """Every département the map draws (metropolitan in code order, then the DROM), with its link."""
    codes = [*sorted(department_shapes().paths), *DROM]
    return [
        MapEntry(code, DEPARTMENT_NAMES.get(code, code), max(int(counts.get(code, 0)), 0), href(code), code in selected)
        for code in codes
    ]


def count_classes(top: int) -> list[tuple[int, int, Shade]]:
    """Up to five ranges of counts from 1 to `top`, each with its shade (spread over the whole scale)."""
    n = min(len(SHADES), max(top, 0))
    classes = []
    low = 1
    for i in range(n):
        high = math.ceil(top * (i + 1) / n)
        shade = SHADES[-1] if n == 1 else SHADES[round(i * (len(SHADES) - 1) / (n - 1))]
        classes.append((low, high, shade))
        low = high + 1
    return classes


def shade_of(count: int, classes: list[tuple[int, int, Shade]]) -> Shade:
    return next((shade for low, high, shade in classes if low <= count <= high), NO_PRACTICE)


def _range_label(low: int, high: int) -> str:
    return str(low) if low == high else f"{low} à {high}"


def _attrs(**values: object) -> Markup:
    """Attributes, escaped; `_` in a name becomes `-`."""
    return Markup("").join(
        Markup(' {}="{}"').format(name.rstrip("_").replace("_", "-"), value) for name, value in values.items()
    )


def _link(entry: MapEntry, shape: Markup, repeated: bool = False) -> Markup:
    """A département's link; a `repeated` one (the enlarged inset) is left out of the keyboard order and
    of what screen readers list, which have the first one."""
    extra = _attrs(aria_current="true") if entry.selected else Markup("")
    if repeated:
        extra += _attrs(aria_hidden="true", tabindex="-1")
    return Markup("<a{}{}><title>{}</title>{}</a>").format(
        _attrs(href=entry.href, data_department=entry.code, class_="department"), extra, entry.label, shape
    )


Classes = list[tuple[int, int, Shade]]


def _metropolitan(
    entries: list[MapEntry], classes: Classes, paths: dict[str, str], u: int, repeated: bool = False
) -> Markup:
    """The départements' outlines, filled by count; filtered ones drawn last, their outline on top."""
    outlines = []
    for entry in sorted((e for e in entries if e.code in paths), key=lambda e: e.selected):
        fill, d = shade_of(entry.count, classes).fill, paths[entry.code]
        if entry.selected:  # a near-black outline on a white halo: visible on any fill around it
            path = Markup("<path{}/><path{}/>").format(
                _attrs(d=d, fill=fill, stroke=SELECTED_HALO, stroke_width=6 * u),
                _attrs(d=d, fill="none", stroke=SELECTED_BORDER, stroke_width=round(2.5 * u)),
            )
        else:
            path = Markup("<path{}/>").format(_attrs(d=d, fill=fill))
        outlines.append(_link(entry, path, repeated))
    group = _attrs(class_="metro", stroke=BORDER, stroke_width=round(0.6 * u), stroke_linejoin="round")
    return Markup("<g{}>{}</g>").format(group, Markup("").join(outlines))


def _inset(entries: list[MapEntry], classes: Classes, u: int) -> Markup:
    """Paris and the petite couronne enlarged in a framed box, under its title."""
    shapes = department_shapes()
    left, top, right, bottom = shapes.bounds(INSET)
    x, y, width, height = (v * u for v in INSET_BOX)
    heading, margin = 14 * u, 4 * u
    k = min((width - 2 * margin) / (right - left), (height - heading - margin) / (bottom - top))
    dx = x + (width - k * (right - left)) / 2 - k * left
    dy = y + heading + (height - heading - margin - k * (bottom - top)) / 2 - k * top
    # Strokes are scaled with the drawing: divided by k, they keep the main map's widths.
    drawn = _metropolitan(
        [e for e in entries if e.code in INSET],
        classes,
        {c: shapes.paths[c] for c in INSET},
        max(round(u / k), 1),
        True,
    )
    return Markup("<g{}><rect{}/><text{}>{}</text><g{}>{}</g></g>").format(
        _attrs(class_="inset"),
        _attrs(x=x, y=y, width=width, height=height, rx=3 * u, fill="#FFFFFF", stroke=BORDER, stroke_width=u),
        _attrs(x=x + margin, y=y + 11 * u, font_size=9 * u, font_weight=700),
        INSET_TITLE,
        _attrs(transform=f"translate({dx:.0f} {dy:.0f}) scale({k:.4f})"),
        drawn,
    )


def _overseas(entries: list[MapEntry], classes: Classes, u: int) -> Markup:
    """The DROM: a column of labelled tiles west of the Bay of Biscay, under a heading."""
    tiles = [Markup("<text{}>Outre-mer</text>").format(_attrs(x=6 * u, y=292 * u, font_size=12 * u, font_weight=700))]
    for i, entry in enumerate(entries):
        top = (298 + i * 57) * u
        shade = shade_of(entry.count, classes)
        stroke, width = (SELECTED_BORDER, 3 * u) if entry.selected else (BORDER, u)
        tile = Markup("<rect{}/><text{}>{}</text><text{}>{}</text>").format(
            _attrs(
                x=6 * u,
                y=top,
                width=104 * u,
                height=50 * u,
                rx=4 * u,
                fill=shade.fill,
                stroke=stroke,
                stroke_width=width,
            ),
            _attrs(x=12 * u, y=top + 20 * u, fill=shade.text, font_size=11 * u, font_weight=700),
            entry.name,
            _attrs(x=12 * u, y=top + 38 * u, fill=shade.text, font_size=10 * u),
            practices(entry.count),
        )
        tiles.append(_link(entry, tile))
    return Markup('<g class="overseas">{}</g>').format(Markup("").join(tiles))


def _legend(classes: Classes, any_selected: bool, u: int) -> Markup:
    """In the Channel: no practice, each range of counts, and the filtered outline when there is one."""
    rows = [("aucune", NO_PRACTICE.fill, BORDER, u)]
    rows += [(_range_label(low, high), shade.fill, BORDER, u) for low, high, shade in classes]
    if any_selected:
        rows.append(("filtre actif", "none", SELECTED_BORDER, 3 * u))
    items = [Markup("<text{}>Pratiques</text>").format(_attrs(x=6 * u, y=16 * u, font_size=11 * u, font_weight=700))]
    for i, (label, fill, stroke, width) in enumerate(rows):
        top = (24 + i * 16) * u
        items.append(
            Markup("<rect{}/><text{}>{}</text>").format(
                _attrs(x=6 * u, y=top, width=18 * u, height=12 * u, fill=fill, stroke=stroke, stroke_width=width),
                _attrs(x=30 * u, y=top + 10 * u, font_size=10 * u),
                label,
            )
        )
    return Markup('<g class="legend" aria-hidden="true">{}</g>').format(Markup("").join(items))


def department_map(entries: list[MapEntry]) -> Markup:
    """The SVG (standalone: it carries its namespace), every text and link escaped."""
    shapes = department_shapes()
    u = shapes.scale  # stored coordinates per unit of the source drawing: the layout is in source units × u
    classes = count_classes(max((e.count for e in entries), default=0))
    credit = Markup("<text{}>{}</text>").format(
        _attrs(class_="credit", x=300 * u, y=580 * u, font_size=8 * u), SHAPES_CREDIT
    )
    drawing = (
        _metropolitan(entries, classes, shapes.paths, u),
        _inset(entries, classes, u),
        _overseas([e for e in entries if e.code not in shapes.paths], classes, u),
        _legend(classes, any(e.selected for e in entries), u),
        credit,
    )
    left, top, width, height = shapes.view_box
    return Markup('<svg xmlns="http://www.w3.org/2000/svg"{}><title>{}</title>{}</svg>').format(
        _attrs(
            viewBox=f"{left} {top} {width} {height}",
            class_="department-map",
            role="group",
            aria_label=MAP_TITLE,
            fill=TEXT,
            font_family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
        ),
        MAP_TITLE,
        Markup("").join(drawing),
    )
