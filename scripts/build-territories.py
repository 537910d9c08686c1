#!/usr/bin/env python3
"""Build the territories referential (`seed/territories/`) from Etalab's `@etalab/decoupage-administratif`.

Fetches the pinned package with `npm pack` (only the npm registry is needed), checks the tarball against
the registry's pinned `dist.integrity` (sha512), and converts its communes, EPCI, départements and régions
into two compact tables, written deterministically (rows sorted, gzip without name or time stamp), so that
running it again gives identical files: `tests/territories/test_build.py` does and compares.

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
import json
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

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "seed" / "territories"
TERRITORY_COLUMNS = ("kind", "code", "name", "department", "region", "zone", "population", "epci", "nature", "parent")
FORMER_CODE_COLUMNS = ("code", "name", "successor")
KIND_ORDER = ("region", "departement", "epci", "commune", "arrondissement")

# The package abbreviates the legal form at the start of EPCI names ("CC du Diois"); users know both.
EPCI_FORMS = {"CC ": "Communauté de communes ", "CA ": "Communauté d'agglomération ", "CU ": "Communauté urbaine "}
# EPCI legal nature: communauté de communes, d'agglomération, urbaine, métropole (Lyon's included).
EPCI_NATURE = {"CC": "CC", "CA": "CA", "CU": "CU", "METRO": "ME", "MET69": "ME"}


def fetch(workdir: Path) -> Path:
    """The pinned tarball, fetched by npm and checked against the pinned integrity."""
    spec = f"{PACKAGE}@{VERSION}"
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = workdir / json.loads(out.stdout)[0]["filename"]
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if digest != INTEGRITY:
        raise SystemExit(f"{spec}: integrity {digest} differs from the pinned {INTEGRITY}; refusing to build")
    return tarball


def read_package(tarball: Path) -> tuple[dict[str, list[dict[str, Any]]], str]:
    """The four data files (parsed) and the package's licence text."""
    with tarfile.open(tarball, "r:gz") as archive:

        def member(name: str) -> bytes:
            file = archive.extractfile(f"package/{name}")
            if file is None:
                raise SystemExit(f"{tarball.name}: no file {name}")
            return file.read()

        data = {source: json.loads(member(f"data/{source}.json")) for source in SOURCES}
        return data, member("LICENSE").decode()


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


def write_table(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    """CSV inside gzip with no file name and a zero time stamp: the same rows give the same bytes."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(text.getvalue().encode())


def build(out: Path) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        data, licence = read_package(fetch(Path(workdir)))
    territories = territory_rows(data)
    former = former_code_rows(data)
    write_table(out / "territories.csv.gz", TERRITORY_COLUMNS, territories)
    write_table(out / "former_codes.csv.gz", FORMER_CODE_COLUMNS, former)
    (out / "LICENSE").write_text(licence)
    counts = Counter(r["kind"] for r in territories)
    return {**{kind: counts[kind] for kind in KIND_ORDER}, "former codes": len(former)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory of the tables (default: %(default)s)")
    counts = build(parser.parse_args().out)
    print(f"{PACKAGE}@{VERSION}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
