"""Long facets in the sidebar: départements and EPCI are searchable lists, never a checkbox per value;
the EPCI list offers the values with practices and searches the others through the API."""

from __future__ import annotations

import httpx

from tests.live import LiveApi
from tests.ui.conftest import OpenPage, checked, total_shown

DIOIS = "242600534"


def epci_options(app: object) -> list[str]:
    return list(app.multiselect(key="facet_list__epci").options)  # type: ignore[attr-defined]


def test_long_facets_are_lists_of_the_values_with_practices(open_page: OpenPage, live_api: LiveApi) -> None:
    app = open_page()
    boxes = [
        box.key for box in app.checkbox if box.key and box.key.startswith(("facet__epci__", "facet__department__"))
    ]
    assert boxes == []
    facets = httpx.get(f"{live_api.url}/api/v1/search", params={"size": 1}).json()["facets"]
    assert app.multiselect(key="facet_list__department").options
    options = epci_options(app)
    # The EPCI with practices (the seed's 45 or so), not the referential's 1,255; by label.
    assert 20 < len(options) == len(facets["epci"]) < 1255
    assert options == sorted(options)
    assert any(option.startswith("CC du Diois (26) (") for option in options)


def test_the_epci_box_searches_the_api_and_keeps_the_choice(open_page: OpenPage) -> None:
    app = open_page()
    checked(app.text_input(key="facet_find__epci").input("DIOIS").run())
    assert [option.rsplit(" (", 1)[0] for option in epci_options(app)] == ["CC du Diois (26)"]
    count = int(epci_options(app)[0].rsplit("(", 1)[1].rstrip(")"))

    checked(app.multiselect(key="facet_list__epci").select(DIOIS).run())
    assert app.query_params["epci"] == DIOIS and total_shown(app) == count

    # A département's code finds its EPCI with practices; the chosen one stays, to be removed.
    checked(app.text_input(key="facet_find__epci").input("973").run())
    assert any(option.startswith("CC de l'Ouest Guyanais (973) (") for option in epci_options(app))
    assert any(option.startswith("CC du Diois (26) (") for option in epci_options(app))
    assert app.multiselect(key="facet_list__epci").value == [DIOIS]

    checked(app.text_input(key="facet_find__epci").input("zzzz").run())
    assert any("Aucune valeur avec des pratiques" in caption.value for caption in app.caption)
    assert [option.rsplit(" (", 2)[0] for option in epci_options(app)] == ["CC du Diois"]


def test_typing_in_a_list_then_enter_chooses_one_value_not_every_match(open_page: OpenPage, live_api: LiveApi) -> None:
    """Streamlit offers « select all N matches » in a list by default: typing « 1 » and Enter ticked ODD 1, 10, 11…
    in the filters, and typing « 3 » saved ODD 3 and 13 in a submission. No list offers it."""
    from tests.ui.conftest import with_key

    lists = list(open_page().multiselect) + list(with_key(open_page, live_api.contributor_key).multiselect)
    keys = {box.key for box in lists}
    assert {"facet_list__department", "facet_list__epci"} <= keys and any("odd" in (key or "") for key in keys)
    assert all(box.proto.select_all == 0 for box in lists), [(b.key, b.proto.select_all) for b in lists]
