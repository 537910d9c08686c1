"""Query strings validated into pydantic models, with French sentences naming each refused parameter."""

from __future__ import annotations

import typing
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams

Model = TypeVar("Model", bound=BaseModel)


class InvalidQuery(Exception):
    """The query string did not validate; `problems` are French sentences, one per field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _is_list(model: type[BaseModel], name: str) -> bool:
    field = model.model_fields.get(name)
    return field is not None and typing.get_origin(field.annotation) is list


# Parameters that newsletters, social networks and site analytics add to the links they carry (Google Analytics,
# Matomo and Piwik campaigns, click ids): an embed or feed linked so is not misconfigured, they are left aside.
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_")
TRACKING = frozenset({"fbclid", "gclid", "msclkid", "mc_cid", "mc_eid", "_hsenc", "_hsmi"})


def is_tracking(name: str) -> bool:
    return name.startswith(TRACKING_PREFIXES) or name in TRACKING


def query_dict(model: type[BaseModel], query: QueryParams) -> dict[str, Any]:
    """Query parameters as the model's input: lists for list fields, empty values and tracking parameters dropped."""
    data: dict[str, Any] = {}
    problems = []
    for name in dict.fromkeys(query.keys()):
        if is_tracking(name) and name not in model.model_fields:
            continue
        values = [v for v in query.getlist(name) if v != ""]
        if not values:
            continue
        if _is_list(model, name):
            data[name] = values
        elif len(values) > 1:
            problems.append(f"« {name} » : donné plusieurs fois, une seule valeur est permise")
        else:
            data[name] = values[0]
    if problems:
        raise InvalidQuery(problems)
    return data


def validate_query(model: type[Model], data: dict[str, Any]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidQuery([french_problem(error) for error in exc.errors()]) from exc


_FRENCH_RULES = {
    "extra_forbidden": "paramètre inconnu",
    "int_parsing": "doit être un nombre entier",
    "less_than_equal": "doit être au plus {le}",
    "greater_than_equal": "doit être au moins {ge}",
    "string_too_long": "trop long (au plus {max_length} caractères)",
    "string_too_short": "trop court (au moins {min_length} caractères)",
    "enum": "valeur inconnue ; valeurs permises : {expected}",
    "literal_error": "valeur inconnue ; valeurs permises : {expected}",
    "bool_parsing": "doit valoir 1 (oui) ou 0 (non)",
    "bool_type": "doit valoir 1 (oui) ou 0 (non)",
    "too_many_values": "au plus {cap} valeurs (reçu {count}) ; donnez chaque valeur une fois",
    "too_long": "au plus {max_length} valeurs",
}
# Model-level rules carry no field in their location: the field comes from here.
_FRENCH_MESSAGES = (
    ("unknown region", "region", "région inconnue ; utilisez le nom officiel (par exemple « Bretagne »)"),
    ("unknown department", "department", "département inconnu ; utilisez son code INSEE (par exemple 26, 2A ou 974)"),
    ("unknown epci", "epci", "intercommunalité inconnue ; utilisez son numéro SIREN (par exemple 242600534)"),
    ("year_to must not be before year_from", "year_to", "ne doit pas être avant year_from"),
    (
        "must be a commune's INSEE code",
        "like_territory",
        "doit être le code INSEE d'une commune (5 caractères, par exemple 26113 ou 2A004) ou le SIREN d'une "
        "intercommunalité (9 chiffres)",
    ),
    ("page × size", "page × size", "ne doit pas dépasser 10 000 ; affinez plutôt la recherche"),
    ("must be a colour", None, "doit être une couleur écrite #RRGGBB, par exemple #19486A"),
)


def french_problem(error: Any) -> str:
    """One pydantic error as a French sentence naming the parameter."""
    name = ".".join(str(p) for p in error.get("loc", ()) if not isinstance(p, int))
    rule = _FRENCH_RULES.get(error.get("type", ""))
    if rule:
        # Pydantic lists allowed values as `'blank' or 'self'`: « ou » in French.
        context = {k: str(v).replace("' or '", "' ou '") for k, v in (error.get("ctx") or {}).items()}
        message = rule.format(**context)
    else:
        english = str(error.get("msg", "")).removeprefix("Value error, ")
        field, message = next(
            ((f, fr) for en, f, fr in _FRENCH_MESSAGES if en in english), (None, f"valeur refusée ({english})")
        )
        name = name or field or ""
    value = error.get("input")
    shown = ""
    if isinstance(value, str | int) and error.get("type") != "missing":
        shown = f" (reçu : « {str(value)[:80]} »)"
    name = name or "paramètres"
    return f"« {name} » : {message}{shown}"


# An error page names the first few problems: a query string with thousands of bad parameters
# gets a short page, not one line per parameter.
SHOWN_PROBLEMS = 10


def first_problems(problems: list[str], limit: int = SHOWN_PROBLEMS) -> list[str]:
    if len(problems) <= limit:
        return problems
    return [*problems[:limit], f"… et {len(problems) - limit} autres paramètres refusés"]


def _query_value(value: object) -> str:
    # A switch reads `map=1`, as partners write it, rather than Python's `True`.
    return ("1" if value else "0") if isinstance(value, bool) else str(value)


def query_lists(model: BaseModel, exclude: Iterable[str] = ()) -> dict[str, list[str]]:
    """A model's non-default values as query-string lists."""
    dumped = model.model_dump(mode="json", exclude_defaults=True, exclude=set(exclude))
    return {k: [_query_value(x) for x in v] if isinstance(v, list) else [_query_value(v)] for k, v in dumped.items()}
