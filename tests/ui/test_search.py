"""Recherche, driven with AppTest against the live API: text, facets, sort, pages and URL state."""

from __future__ import annotations

from tests.ui.conftest import OpenPage, checked, facet_counts, hit_titles, total_shown
from ui.state import YEAR_MAX


def test_a_search_shows_highlighted_hits_and_goes_into_the_url(open_page: OpenPage) -> None:
    app = open_page()
    everything = total_shown(app)
    assert everything >= 64

    checked(app.text_input(key="search_q").input("tiers-lieux").run())

    assert 0 < total_shown(app) < everything
    assert app.query_params == {"q": "tiers-lieux"}
    # Each title is its practice's link, the words found in bold; the snippets keep their marks.
    titles = [link.proto.label for link in app.get("page_link") if link.proto.query_string.startswith("id=")]
    assert titles and any("**" in title for title in titles)
    assert all(link.proto.label != "Lire la fiche" for link in app.get("page_link"))
    assert any("<mark>" in m.value for m in app.markdown if 'class="impact-snippet"' in m.value)


def test_a_facet_narrows_the_results_and_keeps_its_other_counts(open_page: OpenPage) -> None:
    app = open_page(q="tiers-lieux")
    before = facet_counts(app, "territory_type")
    actors_before = facet_counts(app, "actor_category")
    assert before["rural"] < total_shown(app)

    checked(app.checkbox(key="facet__territory_type__rural").check().run())

    assert total_shown(app) == before["rural"]
    # Disjunctive: the facet's own counts ignore its selection, so other types can still be added.
    assert facet_counts(app, "territory_type") == before
    assert app.checkbox(key="facet__territory_type__rural").value is True
    actors_after = facet_counts(app, "actor_category")
    assert all(actors_after[v] <= actors_before[v] for v in actors_after)
    assert app.query_params == {"q": "tiers-lieux", "territory_type": "rural"}

    checked(app.checkbox(key="facet__territory_type__urbain").check().run())
    assert before["rural"] <= total_shown(app) <= before["rural"] + before["urbain"]
    assert app.query_params["territory_type"] == ["rural", "urbain"]


def test_a_link_restores_the_same_view(open_page: OpenPage) -> None:
    first = open_page()
    checked(first.checkbox(key="facet__territory_type__rural").check().run())
    checked(first.multiselect(key="facet_list__odd").select("17").run())
    checked(first.selectbox(key="search_sort").select("recent").run())
    checked(first.button(key="page_next").click().run())
    link = dict(first.query_params)
    assert link == {"territory_type": "rural", "odd": "17", "sort": "recent", "page": "2"}

    shared = open_page(**link)

    assert hit_titles(shared) == hit_titles(first) and hit_titles(shared)
    assert total_shown(shared) == total_shown(first)
    assert shared.checkbox(key="facet__territory_type__rural").value is True
    assert shared.multiselect(key="facet_list__odd").value == ["17"]
    assert shared.checkbox(key="facet__territory_type__urbain").value is False
    assert shared.selectbox(key="search_sort").value == "recent"
    assert "Page 2 sur" in " ".join(m.value for m in shared.markdown)
    assert shared.query_params == link


def test_pages_and_sort_change_the_hits(open_page: OpenPage) -> None:
    app = open_page(sort="oldest")
    first_page = hit_titles(app)
    assert app.button(key="page_prev").disabled

    checked(app.button(key="page_next").click().run())

    assert app.query_params == {"sort": "oldest", "page": "2"}
    assert set(hit_titles(app)).isdisjoint(first_page)
    checked(app.text_input(key="search_q").input("mobilité").run())
    assert "page" not in app.query_params  # a new search starts again at page 1


def test_a_hand_edited_link_is_read_leniently(open_page: OpenPage) -> None:
    app = open_page(odd=["7", "99", "abc"], territory_type="lunaire", page="-3", sort="n'importe")

    assert app.multiselect(key="facet_list__odd").value == ["7"]
    assert app.query_params == {"odd": "7"}


def test_partial_matches_are_announced(open_page: OpenPage) -> None:
    app = open_page(q="tiers-lieux zorglubesque")

    assert total_shown(app) > 0
    # By default words and meaning: said so, that no practice has every word, and the switch to the words alone.
    assert any("par les mots et par le sens" in c.value for c in app.caption)
    assert any("Aucune pratique ne contient tous vos mots" in c.value for c in app.caption)
    checked(app.text_input(key="search_q").input("tiers-lieux").run())  # one word, found: no widening
    assert not any("tous vos mots" in c.value for c in app.caption)
    checked(app.text_input(key="search_q").input("tiers-lieux zorglubesque").run())
    assert app.toggle(key="search_words_only").value is False
    checked(app.toggle(key="search_words_only").set_value(True).run())
    assert app.query_params == {"q": "tiers-lieux zorglubesque", "mode": "lexical"}
    assert total_shown(app) > 0
    assert any("ne contiennent pas tous vos mots" in c.value for c in app.caption)
    assert not any("par le sens" in c.value for c in app.caption)


def test_a_need_in_other_words_finds_practices_by_meaning(open_page: OpenPage) -> None:
    need = "comment garder nos anciens chez eux à la campagne"
    by_meaning = open_page(q=need)
    words_only = open_page(q=need, mode="lexical")
    assert total_shown(by_meaning) > total_shown(words_only)


def test_a_corrected_typo_is_said_and_searched_on_demand(open_page: OpenPage) -> None:
    app = open_page(q="mobilte", odd="11")

    assert total_shown(app) > 0
    # The practices shown are the typed word's, found despite the typo: said so, not passed off as the
    # corrected word's.
    assert any(
        "Résultats approchants de « mobilte »" in i.value and "Vouliez-vous dire « mobilité » ?" in i.value
        for i in app.info
    )
    app.button(key="search_corrected").click().run()

    assert app.query_params["q"] == "mobilité"
    assert app.query_params["odd"] == "11"  # the same search, other words
    assert not any("Vouliez-vous dire" in i.value for i in app.info)
    assert total_shown(app) > 0


def test_no_result_under_filters_says_how_many_without_them(open_page: OpenPage) -> None:
    app = open_page(q="covoiturage", region="Corse")

    assert total_shown(app) == 0
    clear = app.button(key="suggest_clear_filters")
    assert "sans filtre" in clear.label and clear.label.startswith("Retirer tous les filtres (")


def test_no_result_suggests_what_to_change(open_page: OpenPage) -> None:
    app = open_page(q="jardins partagés", region="Corse", odd="14")

    assert total_shown(app) == 0
    assert any("Aucune pratique ne correspond" in i.value for i in app.info)
    assert not app.selectbox  # nothing to sort
    assert any("orthographe" in m.value for m in app.markdown)
    labels = [b.label for b in app.button]
    assert "Corse" in labels and "Effacer les mots recherchés" in labels  # the filters' chips, and the words

    checked(app.button(key="chip__odd__14").click().run())

    assert app.query_params == {"q": "jardins partagés", "region": "Corse"}
    assert total_shown(app) > 0


def test_a_year_range_filters_and_can_be_removed(open_page: OpenPage) -> None:
    app = open_page()
    everything = total_shown(app)

    checked(app.slider(key="search_years").set_range(2015, 2018).run())

    assert app.query_params == {"year_from": "2015", "year_to": "2018"}
    assert 0 < total_shown(app) < everything
    checked(app.button(key="filters_clear").click().run())
    assert app.query_params == {}
    assert app.slider(key="search_years").value == (2000, YEAR_MAX)
    assert total_shown(app) == everything


def test_an_alliance_requires_every_chosen_actor_category(open_page: OpenPage) -> None:
    either = open_page(actor_category=["collectivite", "association"])
    assert either.toggle(key="all_of__actor_category").value is False
    alliance = open_page(actor_category=["collectivite", "association"], actor_mode="all")

    assert alliance.toggle(key="all_of__actor_category").value is True
    assert 0 < total_shown(alliance) < total_shown(either)
    assert alliance.query_params["actor_mode"] == "all"
    alliance.toggle(key="all_of__actor_category").set_value(False).run()
    assert total_shown(alliance) == total_shown(either) and "actor_mode" not in alliance.query_params


def test_an_odd_typed_in_the_box_becomes_the_filter(open_page: OpenPage) -> None:
    app = open_page(q="ODD 11")

    # The search read: the ODD selected (removable like any filter), the box emptied of it, and said.
    assert app.query_params.get("odd") == "11" and "q" not in app.query_params
    assert total_shown(app) > 0
    assert any(
        i.value.startswith("« ODD 11 » lu comme un filtre : ODD 11") and "Villes et communautés durables" in i.value
        for i in app.info
    )
    app.button(key="search_words_as_typed").click().run()

    assert app.query_params["q"] == '"ODD 11"' and "odd" not in app.query_params
    assert not any("lu comme un filtre" in i.value for i in app.info)
