"""The submission form: its fields, the request body built from them, and the API's 422 errors in French."""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from schemas.monograph import SECTION_FIELDS, MonographContent, latest_start_year
from ui.components import labels
from ui.error_summary import field_box
from ui.territory_picker import pick_territory, stored_choice
from ui.text import md_literal

# The French title and hint of each section of `schemas.monograph.SECTION_FIELDS`.
SECTION_TEXTS: dict[str, tuple[str, str]] = {
    "context": ("Contexte", "Le besoin de départ, le « premier kilomètre » : qu'est-ce qui manquait ?"),
    "approach": ("Démarche", "Qui s'est allié avec qui, et comment ?"),
    "results": ("Résultats et impacts", "Des chiffres dès que possible."),
    "success_factors": ("Facteurs clés de succès", "Ce qui a fait la différence."),
    "outlook": ("Perspectives", "Changement d'échelle, essaimage vers d'autres territoires…"),
}
# The submission's list fields (their errors may name one item), read from the model.
LIST_FIELDS = frozenset(
    name for name, field in MonographContent.model_fields.items() if typing.get_origin(field.annotation) is list
)
# A model-level error on an object belongs to the field its validator checks.
OBJECT_SLOTS = {"territory": "territory.region", "contact": "contact.email"}
ACTOR_COLUMNS = ("Nom", "Catégorie", "Rôle")
CONTACT_PARTS = ("name", "organisation", "email", "url")
ITEM_NAMES = {"actors": "Acteur", "sources": "Source", "programmes": "Programme", "tags": "Mot-clé"}
# What each error slot is called in the error summary.
FIELD_NAMES = {
    "api_key": "Votre clé d'API",
    "title": "Titre",
    "summary": "Résumé",
    **{name: text[0] for name, text in SECTION_TEXTS.items()},
    "territory.name": "Territoire",
    "territory.code": "Territoire officiel",
    "territory.kind": "Territoire officiel",
    "territory.place": "Lieu précis",
    "territory.department": "Département",
    "territory.insee_code": "Code INSEE",
    "territory.region": "Région",
    "territory_types": "Types de territoire",
    "actor_categories": "Catégories d'acteurs",
    "actors": "Acteurs",
    "odd": "Objectifs de développement durable",
    "year": "Année de lancement",
    "programmes": "Programmes",
    "tags": "Mots-clés",
    "contact.name": "Nom du contact",
    "contact.organisation": "Organisation",
    "contact.email": "E-mail",
    "contact.url": "Site web",
    "sources": "Sources",
}
# The session key holding the id of the form on screen (see `form_key`).
FORM_INSTANCE = "contrib_form_instance"


def form_key(name: str, instance: str) -> str:
    """The session key of one field of one form instance: a new instance is a new, empty form
    (new widgets, in the browser too), and what an older one sends is ignored."""
    return f"contrib_{name}__{instance}"


def is_blank(values: Mapping[str, Any]) -> bool:
    """Nothing entered in any field."""
    for value in values.values():
        if isinstance(value, pd.DataFrame):
            if any(str(cell).strip() for cell in value.fillna("").to_numpy().flat):
                return False
        elif value not in (None, []) and str(value).strip():
            return False
    return True


def _split(text: str | None, pattern: str) -> list[str]:
    return [part.strip() for part in re.split(pattern, text or "") if part.strip()]


def _sources(text: str | None) -> list[str]:
    """Web addresses, one or more a line: a line of addresses is split at its spaces, any other line is one source
    (« un article du Dauphiné Libéré » is one source to correct, not five); « www.… » gets its « https:// »."""
    found: list[str] = []
    for line in (text or "").splitlines():
        words = line.split()
        addresses = all("://" in word or word.lower().startswith("www.") for word in words)
        found += words if addresses else [line.strip()] if words else []
    return ["https://" + source if source.lower().startswith("www.") else source for source in found]


def build_body(values: Mapping[str, Any], refs: dict[str, Any]) -> dict[str, Any]:
    """The `POST /monographs` body: required fields always sent (the API says what is missing), empty ones omitted."""

    def text(name: str) -> str:
        return str(values.get(name) or "").strip()

    body: dict[str, Any] = {
        "title": text("title"),
        "summary": text("summary"),
        "territory": _territory(values),
        "territory_types": list(values.get("territory_types") or []),
        "actor_categories": list(values.get("actor_categories") or []),
        "odd": [int(n) for n in values.get("odd") or []],
    }
    for name in SECTION_FIELDS:
        if text(name):
            body[name] = text(name)
    if values.get("year") is not None:
        body["year"] = int(values["year"])
    body["actors"] = _actors(values.get("actors"), refs)
    body["programmes"] = _split(values.get("programmes"), r"[,;\n]")
    body["tags"] = _split(values.get("tags"), r"[,;\n]")
    body["sources"] = _sources(values.get("sources"))
    contact = {part: text(f"contact_{part}") for part in CONTACT_PARTS if text(f"contact_{part}")}
    if contact.get("url", "").lower().startswith("www."):
        contact["url"] = "https://" + contact["url"]
    if contact:
        body["contact"] = contact
    return body


def _territory(values: Mapping[str, Any]) -> dict[str, Any]:
    """A picked official territory by its code and kind (the API fills the rest); else the name typed, with
    the département, commune code and région given."""
    picked = values.get("territory_pick")
    if picked:
        chosen = {"name": picked["name"], "code": picked["code"], "kind": picked["kind"]}
        place = str(values.get("territory_place") or "").strip()
        return chosen | {"place": place} if place else chosen
    territory = {"name": str(values.get("territory_name") or "").strip()}
    for part in ("department", "insee_code"):
        if str(values.get(f"territory_{part}") or "").strip():
            territory[part] = str(values[f"territory_{part}"]).strip()
    if values.get("territory_region"):
        territory["region"] = values["territory_region"]
    return territory


def _actors(table: Any, refs: dict[str, Any]) -> list[dict[str, Any]]:
    if not isinstance(table, pd.DataFrame):
        return []
    category_of = {label: value for value, label in labels(refs, "actor_categories").items()}
    actors = []
    for row in table.fillna("").to_dict("records"):
        name, category, role = (str(row.get(column) or "").strip() for column in ACTOR_COLUMNS)
        if name or category or role:
            actor = {"name": name, "category": category_of.get(category, category)}
            if role:
                actor["role"] = role
            actors.append(actor)
    return actors


def _slot(loc: list[Any]) -> tuple[str, int | None]:
    """Where an error is shown: the field's slot name, and the list position for list items."""
    path = [p for p in loc if p != "body"]
    names = [str(p) for p in path if not isinstance(p, int)]
    position = next((p for p in path if isinstance(p, int)), None)
    if not names:
        return "_form", None
    if names[0] in ("territory", "contact"):
        if len(names) == 1:
            return OBJECT_SLOTS[names[0]], None
        return f"{names[0]}.{names[1]}", position
    return names[0], position


_VALUE_ERRORS = (
    ("http", "Indiquez une adresse web complète, commençant par http:// ou https://."),
    ("e-mail", "Indiquez une adresse e-mail valide, par exemple contact@exemple.fr."),
    ("region", "Choisissez une région dans la liste officielle."),
    ("contain words", "Écrivez des mots : des lettres ou des chiffres."),
)
_PATTERNS = {
    "territory.department": "Code de département invalide (par exemple 26, 2A ou 974).",
    "territory.insee_code": "Code INSEE invalide : 5 caractères, par exemple 26113.",
}


_TERRITORY_ERRORS = {
    "territory.department": "Ce département n'existe pas ou ne contient pas le territoire indiqué.",
    "territory.region": "Cette région n'existe pas ou ne contient pas le territoire indiqué.",
    "territory.insee_code": "Ce code de commune est inconnu ou contredit le territoire indiqué.",
}


def french_message(detail: Mapping[str, Any], slot: str, position: int | None) -> str:
    """One validation error of the API, in French."""
    kind, message = str(detail.get("type", "")), str(detail.get("msg", ""))
    number = re.search(r"at (?:least|most) (\d+)", message)
    limit = number.group(1) if number else "?"
    is_list = slot in LIST_FIELDS and position is None
    if kind == "missing" or (kind.endswith("too_short") and detail.get("input") in ("", [], None) and not is_list):
        text = "Ce champ est obligatoire."
    elif kind.endswith("too_short"):
        wanted = "une valeur" if limit == "1" else f"{limit} valeurs"
        text = f"Choisissez au moins {wanted}." if is_list else f"Trop court : au moins {limit} caractères."
    elif kind.endswith("too_long"):
        text = f"Trop de valeurs : au plus {limit}." if is_list else f"Trop long : au plus {limit} caractères."
    elif kind == "value_error":
        text = next(
            (french for word, french in _VALUE_ERRORS if word in message), f"Valeur refusée : {md_literal(message)}"
        )
    elif kind == "string_pattern_mismatch":
        text = _PATTERNS.get(slot, "Format invalide.")
    elif kind in ("greater_than_equal", "less_than_equal", "int_parsing", "int_type", "year_too_late"):
        in_range = f"Indiquez une année entre 1950 et {latest_start_year()}."
        text = in_range if slot == "year" else "Valeur hors des limites autorisées."
    elif kind == "territory":
        text = _TERRITORY_ERRORS.get(slot, "Ce territoire n'est pas reconnu par le référentiel officiel.")
    elif kind == "enum":
        text = "Choisissez une valeur de la liste."
    else:
        text = f"Valeur refusée : {md_literal(message)}"
    if position is not None and slot in LIST_FIELDS:
        text = f"{ITEM_NAMES.get(slot, 'Valeur')} n° {position + 1} : {text[0].lower()}{text[1:]}"
    return text


def field_errors(details: Any) -> dict[str, list[str]]:
    """The API's 422 `details` grouped by the form slot they belong to, in French."""
    errors: dict[str, list[str]] = {}
    for detail in details if isinstance(details, list) else []:
        slot, position = _slot(list(detail.get("loc") or []))
        errors.setdefault(slot, []).append(french_message(detail, slot, position))
    return errors


def show_errors(errors: Mapping[str, list[str]], slot: str) -> None:
    for message in errors.get(slot, []):
        st.error(message, icon=":material/error:")


def initial_values(monograph: Mapping[str, Any]) -> dict[str, Any]:
    """A stored monograph as the form's field values (what `build_body` reads back)."""
    territory = monograph.get("territory") or {}
    contact = monograph.get("contact") or {}
    values: dict[str, Any] = {name: monograph.get(name) or "" for name in ("title", "summary", *SECTION_FIELDS)}
    values |= {f"territory_{part}": territory.get(part) or "" for part in ("name", "place", "department", "insee_code")}
    values |= {f"contact_{part}": contact.get(part) or "" for part in CONTACT_PARTS}
    values |= {
        "territory_region": territory.get("region"),
        "territory_types": list(monograph.get("territory_types") or []),
        "actor_categories": list(monograph.get("actor_categories") or []),
        "odd": [str(n) for n in monograph.get("odd") or []],
        "year": monograph.get("year"),
        "programmes": ", ".join(monograph.get("programmes") or []),
        "tags": ", ".join(monograph.get("tags") or []),
        "sources": "\n".join(monograph.get("sources") or []),
    }
    return values


def monograph_fields(
    refs: dict[str, Any],
    errors: Mapping[str, list[str]],
    instance: str,
    initial: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Draw the fields of form `instance` (filled from the stored monograph `initial`, to edit it), each
    followed by its errors; returns what the visitor entered.

    Nothing reruns the page while a field is filled in (`on_change="ignore"`): values are sent with the
    next action (the territory's suggestions, the submit button), as a form would.
    """
    values: dict[str, Any] = {}
    if initial is not None:
        for name, value in initial_values(initial).items():
            st.session_state.setdefault(form_key(name, instance), value)

    def slot_of(name: str) -> str:
        return name.replace("territory_", "territory.").replace("contact_", "contact.")

    def text(name: str, label: str, area: bool = False, **options: Any) -> None:
        widget = st.text_area if area else st.text_input
        with field_box(slot_of(name)):
            values[name] = widget(label, key=form_key(name, instance), on_change="ignore", **options)
            show_errors(errors, slot_of(name))

    def choices(name: str, label: str, options: dict[str, str], what: str) -> None:
        with field_box(name):
            values[name] = st.multiselect(
                label,
                options=list(options),
                format_func=options.__getitem__,
                placeholder=f"Choisir {what}",
                key=form_key(name, instance),
                on_change="ignore",
                # Typing « 3 » and Enter must choose ODD 3, not every ODD whose label holds a 3.
                select_all=False,
            )
            show_errors(errors, name)

    st.header("La pratique")
    text("title", "Titre *", max_chars=200, placeholder="ex. Un tiers-lieu nourricier dans une ancienne gare")
    text(
        "summary",
        "Résumé *",
        area=True,
        max_chars=2000,
        placeholder="ex. La communauté de communes, une SCIC et les habitants ont transformé la gare en épicerie…",
        help="Entre 20 et 2 000 caractères : l'essentiel en trois phrases.",
    )
    for name in SECTION_FIELDS:
        label, help_text = SECTION_TEXTS[name]
        text(name, label, area=True, help=help_text, height=140)

    st.header("Le territoire")
    with field_box("territory.name"):
        # Suggestions come on request ("Chercher"), never as a side effect of leaving the field: a rerun
        # started then would drop what the visitor picks in the next field at the same moment.
        name_column, search_column = st.columns([5, 1], vertical_alignment="bottom")
        values["territory_name"] = name_column.text_input(
            "Territoire *",
            key=form_key("territory_name", instance),
            max_chars=200,
            placeholder="ex. Die, Diois, Drôme…",
            help="Tapez le nom d'une commune, d'une intercommunalité, d'un département ou d'une région, "
            "cliquez sur « Chercher », puis choisissez-le parmi les territoires officiels proposés.",
            on_change="ignore",
        )
        search_column.button("Chercher", key=form_key("territory_search", instance), icon=":material/search:")
        show_errors(errors, "territory.name")
    with field_box("territory.code"):
        current = stored_choice((initial or {}).get("territory"))
        values["territory_pick"] = pick_territory(
            values["territory_name"], form_key("territory_pick", instance), current
        )
        show_errors(errors, "territory.code")
        show_errors(errors, "territory.kind")
    if values["territory_pick"] is not None:
        text(
            "territory_place",
            "Lieu précis (facultatif)",
            max_chars=200,
            placeholder="ex. Mafate, un hameau, un quartier, une ancienne commune",
            help="Un lieu plus précis dans ce territoire officiel : il s'affiche avant le nom officiel "
            "(« Mafate (Saint-Paul) ») et la recherche le trouve.",
        )
    else:
        # A name the referential does not know: where it is, said by hand.
        department, insee = st.columns(2)
        with department:
            text("territory_department", "Département (code)", placeholder="ex. 26")
        with insee:
            text("territory_insee_code", "Code INSEE de la commune", placeholder="ex. 26113")
        regions = [r["value"] for r in refs["regions"]]
        region_key = form_key("territory_region", instance)
        if st.session_state.get(region_key) not in regions:
            st.session_state.pop(region_key, None)
        with field_box("territory.region"):
            values["territory_region"] = st.selectbox(
                "Région",
                options=regions,
                index=None,
                placeholder="ex. Auvergne-Rhône-Alpes",
                key=region_key,
                on_change="ignore",
            )
            show_errors(errors, "territory.region")
    choices("territory_types", "Types de territoire *", labels(refs, "territory_types"), "un ou plusieurs types")

    st.header("Les acteurs et les objectifs")
    actor_labels = labels(refs, "actor_categories")
    choices("actor_categories", "Catégories d'acteurs *", actor_labels, "une ou plusieurs catégories")
    with field_box("actors"):
        st.markdown("**Acteurs**")
        values["actors"] = st.data_editor(
            _actor_table((initial or {}).get("actors"), actor_labels),
            num_rows="dynamic",
            key=form_key("actors", instance),
            on_change="ignore",
            column_config={
                "Nom": st.column_config.TextColumn("Nom", max_chars=200),
                "Catégorie": st.column_config.SelectboxColumn("Catégorie", options=list(actor_labels.values())),
                "Rôle": st.column_config.TextColumn("Rôle", max_chars=200),
            },
            hide_index=True,
            width="stretch",
        )
        st.caption("Une ligne par partenaire : nom, catégorie, rôle dans le projet. Facultatif.")
        show_errors(errors, "actors")
    odd_labels = {str(o["value"]): f"ODD {o['value']} : {o['label']}" for o in refs["odd"]}
    choices("odd", "Objectifs de développement durable *", odd_labels, "un ou plusieurs ODD")
    with field_box("year"):
        # No bounds on the widget: the browser would refuse 1850 with an English note on the field and send nothing,
        # and the sheet went without its year. The API checks the range; its error lands in the summary, in French.
        values["year"] = st.number_input(
            "Année de lancement",
            value=None,
            step=1,
            key=form_key("year", instance),
            placeholder="ex. 2021",
            on_change="ignore",
        )
        show_errors(errors, "year")
    text(
        "programmes",
        "Programmes",
        placeholder="ex. Petites Villes de Demain, CRTE",
        help="Séparés par des virgules.",
    )
    text("tags", "Mots-clés", placeholder="ex. circuits courts, tiers-lieu", help="Séparés par des virgules.")

    st.header("Contact et sources")
    person, organisation = st.columns(2)
    with person:
        text("contact_name", "Nom du contact", placeholder="ex. Camille Martin")
    with organisation:
        text("contact_organisation", "Organisation", placeholder="ex. SCIC La Gare Nourricière")
    email, website = st.columns(2)
    with email:
        text("contact_email", "E-mail", placeholder="ex. contact@exemple.fr")
    with website:
        text("contact_url", "Site web", placeholder="ex. https://exemple.fr")
    text(
        "sources",
        "Sources",
        area=True,
        placeholder="ex. https://exemple.fr/article",
        help="Une adresse web (http:// ou https://) par ligne.",
        height=100,
    )
    return values


def _actor_table(actors: list[dict[str, Any]] | None, actor_labels: Mapping[str, str]) -> pd.DataFrame:
    """The actors' table: empty for a new practice, the stored actors to edit one."""
    rows = [
        {"Nom": a["name"], "Catégorie": actor_labels.get(a["category"], a["category"]), "Rôle": a.get("role") or ""}
        for a in actors or []
    ]
    return pd.DataFrame(rows, columns=list(ACTOR_COLUMNS))
