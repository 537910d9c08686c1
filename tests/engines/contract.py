"""The engine contract: every search behaviour users rely on, run unchanged against each engine.

A backend's test module subclasses `EngineContract` and provides the `engine` fixture.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest

from indexer.documents import facet_fields, likeness_fields
from indexer.engine import EngineUnavailable, SearchEngine, SearchTimeout, UnknownMonograph
from indexer.like_territory import likeness_boosts
from indexer.relevance import TYPO_KNOWN_MIN_DOCS
from indexer.suggest import suggest
from schemas.facets import DEPARTMENT_NAMES, FACETS, Facet
from schemas.monograph import Monograph, Status
from schemas.search import SearchFilters, SearchParams, SearchQuery, SearchResult, Sort
from territories.choropleth import DROM
from territories.like_territory import territory_profile
from tests.corpus import CORPUS, by_id, monograph, seed_corpus

PUBLISHED = {m.id for m in CORPUS if m.status == Status.PUBLISHED}
# Metropolitan départements and the five DROM: what the map draws.
DEPARTMENT_CODES = [code for code in DEPARTMENT_NAMES if len(code) == 2 or code in DROM]


def ids(result: SearchResult) -> list[str]:
    return [hit.id for hit in result.hits]


def counts(result: SearchResult, facet: str) -> dict[str, int]:
    return {f.value: f.count for f in result.facets[facet]}


def at_version(monograph_id: str, version: int, **changes: object) -> Monograph:
    """A corpus monograph as the store would hold it at `version` (with other changes)."""
    return by_id(monograph_id).model_copy(update={"version": version, **changes})


class EngineContract:
    """Subclasses provide an `engine` fixture: an empty engine, closed after the test."""

    @pytest.fixture
    def engine(self) -> Iterator[SearchEngine]:
        raise NotImplementedError

    @pytest.fixture
    def loaded(self, engine: SearchEngine) -> SearchEngine:
        report = engine.index(CORPUS)
        assert report.indexed == len(PUBLISHED) and not report.failed
        return engine

    def search(self, engine: SearchEngine, q: str = "", **kwargs: object) -> SearchResult:
        filters = {k: kwargs.pop(k) for k in list(kwargs) if k in SearchFilters.model_fields}
        return engine.search(SearchQuery(q=q, filters=SearchFilters(**filters), **kwargs))  # type: ignore[arg-type]

    # -- French analysis -------------------------------------------------------

    @pytest.mark.parametrize("q", ["economie circulaire", "ÉCONOMIE CIRCULAIRE", "Économie circulaire"])
    def test_case_and_accents_are_folded(self, loaded: SearchEngine, q: str) -> None:
        assert ids(self.search(loaded, q)) == ["ess-bretagne"]

    def test_elision(self, loaded: SearchEngine) -> None:
        assert "innovation-sociale-qpv" in ids(self.search(loaded, "l'innovation"))
        assert "innovation-sociale-qpv" in ids(self.search(loaded, "innovation"))

    @pytest.mark.parametrize("q", ["tiers-lieux", "tiers-lieu", "tiers lieux"])
    def test_plural_and_singular(self, loaded: SearchEngine, q: str) -> None:
        assert ids(self.search(loaded, q)) == ["tiers-lieu-diois"]

    def test_stemming_mobilites(self, loaded: SearchEngine) -> None:
        plural = ids(self.search(loaded, "mobilités"))
        singular = ids(self.search(loaded, "mobilité"))
        # Exact stems first; typo tolerance may add near words ("mobilise") further down.
        assert set(plural) == set(singular)
        assert set(plural[:2]) == set(singular[:2]) == {"mobilite-vallee", "xss"}

    def test_stopwords_do_not_narrow(self, loaded: SearchEngine) -> None:
        assert set(ids(self.search(loaded, "la mobilité dans les vallées"))) >= {"mobilite-vallee"}

    def test_typo_tolerance_on_long_words(self, loaded: SearchEngine) -> None:
        assert "mobilite-vallee" in ids(self.search(loaded, "mobilte"))
        assert "mobilite-vallee" in ids(self.search(loaded, "covoiturrage"))

    def test_a_word_many_practices_hold_gets_no_typo_tolerance(self, engine: SearchEngine) -> None:
        """Typo tolerance is for words the index knows little: `jardin`, in 50 practices, matches itself, not
        the practice writing `jardon` (another word, one letter away); `jardon`, in one, still reaches them."""
        gardens = [
            monograph(f"jardin-{n}", f"Un jardin partagé, le {n}e", "Des habitants cultivent ensemble.")
            for n in range(TYPO_KNOWN_MIN_DOCS)
        ]
        engine.index([*gardens, monograph("jardon", "Le jardon des anciens", "Une pratique au nom inconnu.")])
        assert self.search(engine, "jardin").total == TYPO_KNOWN_MIN_DOCS
        assert self.search(engine, "jardin", sort=Sort.RECENT, size=100).total == TYPO_KNOWN_MIN_DOCS
        reached = self.search(engine, "jardon")
        assert reached.total == TYPO_KNOWN_MIN_DOCS + 1 and ids(reached)[0] == "jardon"

    def test_quoted_phrase_is_exact(self, loaded: SearchEngine) -> None:
        assert ids(self.search(loaded, '"vallée de montagne"')) == ["mobilite-vallee"]
        assert ids(self.search(loaded, '"montagne vallée"')) == []

    def test_quoted_phrase_has_no_typo_tolerance(self, loaded: SearchEngine) -> None:
        assert ids(self.search(loaded, '"mobilte"')) == []

    @pytest.mark.parametrize("q", ["PVD", "pvd", "Petites Villes de Demain"])
    def test_acronym_synonyms(self, loaded: SearchEngine, q: str) -> None:
        assert ids(self.search(loaded, q)) == ["pvd-centre-bourg"]

    @pytest.mark.parametrize("q", ["outre-mer", "Outre mer", "DOM-TOM", "outremer", "ultramarins"])
    def test_overseas_vocabulary_is_one_expression(self, loaded: SearchEngine, q: str) -> None:
        # Written « outre-mer », « DOM-TOM » or « ultramarin », hyphenated or not: the same practices.
        overseas = at_version("eau-reunion", 2, summary="Un projet des territoires ultramarins sur l'eau.")
        dom_tom = at_version("mobilite-vallee", 2, id="dom-tom", summary="Une navette dans les DOM-TOM.")
        assert loaded.index([overseas, dom_tom]).indexed == 2
        assert set(ids(self.search(loaded, q))) == {"eau-reunion", "dom-tom"}

    @pytest.mark.parametrize("q", ["ODD 11", "odd11", "ODD n° 11"])
    def test_an_odd_typed_as_words_filters_by_it(self, loaded: SearchEngine, q: str) -> None:
        # Read as the filter, not as the words « ODD » and « 11 »; quoted, it is words again.
        typed = loaded.search(SearchParams(q=q).to_query())
        assert typed.total > 1 and set(ids(typed)) == set(ids(self.search(loaded, odd=[11])))
        assert typed.understood is not None and typed.understood.odd == [11] and typed.understood.q == ""
        assert [v.value for v in typed.facets["odd"] if v.selected] == ["11"]
        with_words = loaded.search(SearchParams(q=f"mobilité {q}").to_query())
        assert with_words.total and set(ids(with_words)) == set(ids(self.search(loaded, "mobilité", odd=[11])))
        literal = loaded.search(SearchParams(q=typed.understood.literal_query()).to_query())
        assert literal.understood is None and literal.total == 0

    @pytest.mark.parametrize(
        ("q", "found"),
        [
            ("DOM-TOM", {"eau-reunion"}),
            ("outre-mer", {"eau-reunion"}),
            ("Morbihan", {"ess-bretagne", "pvd-centre-bourg"}),
            ("Grand Coude", {"eau-reunion"}),  # the place its contributor named, within Saint-Joseph
        ],
    )
    def test_a_practice_is_found_by_where_it_is_as_people_name_it(
        self, loaded: SearchEngine, q: str, found: set[str]
    ) -> None:
        # No text of theirs says « outre-mer », « Morbihan » or « Grand Coude »: their territory types, département
        # and place do.
        assert set(ids(self.search(loaded, q))) == found

    def test_acronym_expands_to_full_form(self, loaded: SearchEngine) -> None:
        assert ids(self.search(loaded, "ESS")) == ["ess-bretagne"]

    @pytest.mark.parametrize("q", ["title:(a OR b)", '"', "\\", "*", "~", "mobilité~2", "a AND (", "{}[]^!:/"])
    def test_query_syntax_is_plain_text(self, loaded: SearchEngine, q: str) -> None:
        result = self.search(loaded, q)  # never a syntax error
        assert result.total == len(result.hits) and set(ids(result)) <= PUBLISHED

    # -- ranking, sorting, paging ----------------------------------------------

    def test_title_match_ranks_above_section_match(self, loaded: SearchEngine) -> None:
        # "emploi" is in the summary of innovation-sociale-qpv and only in a section of mobilite-vallee.
        result = self.search(loaded, "emploi")
        assert ids(result)[:2] == ["innovation-sociale-qpv", "mobilite-vallee"]

    def test_all_words_must_match_when_some_practice_has_them_all(self, loaded: SearchEngine) -> None:
        result = self.search(loaded, "covoiturage vallée")
        assert ids(result) == ["mobilite-vallee"] and not result.relaxed

    def test_relaxed_when_no_practice_has_every_word(self, loaded: SearchEngine) -> None:
        result = self.search(loaded, "covoiturage lorient")
        assert result.relaxed and set(ids(result)) == {"mobilite-vallee", "ess-bretagne"}

    @pytest.mark.parametrize("q", ["comment covoiturage vallée ?", "Quand covoiturage vallée", "covoiturage vallée"])
    def test_question_words_are_not_required(self, loaded: SearchEngine, q: str) -> None:
        result = self.search(loaded, q)
        assert ids(result) == ["mobilite-vallee"] and not result.relaxed

    def test_a_lone_question_word_is_still_searched(self, loaded: SearchEngine) -> None:
        assert self.search(loaded, "comment").total == 0  # searched as a word (no practice has it), not dropped

    def test_longer_queries_are_graded_more_words_first(self, loaded: SearchEngine) -> None:
        # Three clauses or more: any word matches, practices with more of them first; a word no
        # practice has (or a question word) never hides the answer.
        result = self.search(loaded, "covoiturage solidaire villages introuvablement")
        assert result.relaxed and ids(result)[0] == "mobilite-vallee"
        # ess-bretagne has three of the words in a section; mobilite-vallee one in its title and one in
        # a section: more words matched outweigh one title word.
        result = self.search(loaded, "montagne emplois tonnes réemployées")
        assert ids(result)[:2] == ["ess-bretagne", "mobilite-vallee"]

    def test_quoted_phrases_stay_required_in_graded_queries(self, loaded: SearchEngine) -> None:
        result = self.search(loaded, '"vallée de montagne" lorient quartier emploi')
        assert ids(result) == ["mobilite-vallee"]

    @pytest.mark.parametrize("q", ["covoit", "mobilité covoit", "COVOIT"])
    def test_the_last_word_typed_matches_as_a_prefix(self, loaded: SearchEngine, q: str) -> None:
        assert ids(self.search(loaded, q))[:1] == ["mobilite-vallee"]

    def test_a_finished_or_short_last_word_is_not_a_prefix(self, loaded: SearchEngine) -> None:
        assert ids(self.search(loaded, "covoit.")) == []  # punctuation after it: a whole word
        assert ids(self.search(loaded, '"covoit"')) == []  # quoted: exact

    # -- alliance make-up (actor_mode=all) -----------------------------------------

    def test_all_mode_keeps_practices_bringing_every_category_together(self, loaded: SearchEngine) -> None:
        chosen = {"collectivite", "association"}
        published = [by_id(i) for i in PUBLISHED]
        together = {m.id for m in published if chosen <= set(m.actor_categories)}
        either = {m.id for m in published if chosen & set(m.actor_categories)}
        assert together and together < either  # the corpus tells the two modes apart
        alliance = self.search(loaded, actor_category=sorted(chosen), actor_mode="all", size=50)
        assert set(ids(alliance)) == together and alliance.total == len(together)
        assert set(ids(self.search(loaded, actor_category=sorted(chosen), size=50))) == either
        # Each category's count is the number of practices if it were added; the chosen ones count them all.
        expected = Counter(c for m in published if m.id in together for c in m.actor_categories)
        assert counts(alliance, "actor_category") == dict(expected)
        assert all(counts(alliance, "actor_category")[c] == len(together) for c in chosen)
        # Other facets are counted under the alliance as usual.
        assert sum(counts(alliance, "region").values()) == len(together)

    # -- did you mean, suggestions -------------------------------------------------

    @pytest.mark.parametrize(
        ("q", "corrected"),
        [("mobilte", "mobilité"), ("Covoiturrage dans la vallée", "Covoiturage dans la vallée")],
    )
    def test_a_word_matched_through_a_typo_is_corrected(self, loaded: SearchEngine, q: str, corrected: str) -> None:
        result = self.search(loaded, q)
        assert "mobilite-vallee" in ids(result) and result.corrected_query == corrected

    @pytest.mark.parametrize("q", ["mobilité", "covoit", "emploi", '"vallée de montagne"', ""])
    def test_words_found_as_typed_are_not_corrected(self, loaded: SearchEngine, q: str) -> None:
        result = self.search(loaded, q)
        assert result.total and result.corrected_query is None

    def test_nothing_under_the_filters_says_how_many_without_them(self, loaded: SearchEngine) -> None:
        result = self.search(loaded, "covoiturage", region=["Bretagne"])
        assert result.total == 0 and result.total_without_filters == 1
        assert self.search(loaded, "covoiturage").total_without_filters is None
        assert self.search(loaded, "introuvablement").total_without_filters is None  # no filters to drop

    def test_suggestions_complete_the_last_word(self, engine: SearchEngine) -> None:
        engine.index(
            [
                monograph("a", "Covoiturage solidaire en vallée", "Des conducteurs bénévoles.", tags=["covoiturage"]),
                monograph(
                    "b", "Autopartage rural", "Voitures partagées et covoiturage.", tags=["covoiturage", "rural"]
                ),
                monograph("c", "Une cantine", "Restauration scolaire.", tags=["alimentation"]),
            ]
        )
        found = suggest(engine, "covoit")
        assert (found[0].kind, found[0].text) == ("tag", "covoiturage")  # one theme, from both practices
        assert [s.id for s in found if s.kind == "practice"] == ["a", "b"]
        assert [s.text for s in suggest(engine, "cant", limit=1)] == ["Une cantine"]
        assert suggest(engine, "   ") == [] and suggest(engine, "zzzzzz") == []

    def test_empty_query_lists_published_newest_first(self, loaded: SearchEngine) -> None:
        result = self.search(loaded, size=50)
        assert result.total == len(PUBLISHED)
        years = [by_id(i).year or 0 for i in ids(result)]
        assert years == sorted(years, reverse=True)

    @pytest.mark.parametrize("sort", [Sort.RECENT, Sort.OLDEST])
    def test_sort_by_year(self, loaded: SearchEngine, sort: Sort) -> None:
        result = self.search(loaded, sort=sort, territory_type=["montagne"])
        years = [by_id(i).year for i in ids(result)]
        assert years == sorted(years, reverse=sort == Sort.RECENT) and len(years) == 3

    def test_sort_by_publication_date(self, engine: SearchEngine) -> None:
        """Newest publication first, whatever the start year; filters and text still apply (feeds)."""
        published = {  # days after the corpus date: the order is the opposite of the start years
            "xss": 6,
            "tiers-lieu-diois": 5,
            "eau-reunion": 4,
            "mobilite-vallee": 3,
            "ess-bretagne": 2,
            "innovation-sociale-qpv": 1,
        }
        dated = {i: by_id(i).updated_at + timedelta(days=days) for i, days in published.items()}
        engine.index([m.model_copy(update={"published_at": dated[m.id]}) if m.id in dated else m for m in CORPUS])
        newest = ids(self.search(engine, sort=Sort.PUBLISHED, size=50))
        assert newest == [*published, "pvd-centre-bourg"]  # published_at missing: its last update counts
        assert ids(self.search(engine, sort=Sort.PUBLISHED, size=2, page=2)) == ["eau-reunion", "mobilite-vallee"]
        assert ids(self.search(engine, sort=Sort.PUBLISHED, territory_type=["montagne"])) == [
            "tiers-lieu-diois",
            "eau-reunion",
            "mobilite-vallee",
        ]
        by_text = ids(self.search(engine, "mobilité", sort=Sort.PUBLISHED))
        assert {"xss", "mobilite-vallee"} <= set(by_text) and by_text == [i for i in newest if i in by_text]
        assert self.search(engine, sort=Sort.PUBLISHED, year_from=2100).hits == []

    def test_pagination(self, loaded: SearchEngine) -> None:
        pages = [ids(self.search(loaded, size=3, page=p)) for p in (1, 2, 3)]
        assert [len(p) for p in pages] == [3, 3, 1]
        assert set(pages[0]) | set(pages[1]) | set(pages[2]) == PUBLISHED
        assert self.search(loaded, size=3, page=9).hits == []

    # -- practices from territories like mine (like_territory) ---------------------

    @pytest.fixture
    def seeded(self, engine: SearchEngine) -> SearchEngine:
        """The 64 seed monographs with their territories resolved, indexed in id order."""
        report = engine.index(seed_corpus())
        assert report.indexed == len(seed_corpus()) and not report.failed
        return engine

    def like(self, engine: SearchEngine, code: str, q: str = "", **kwargs: object) -> SearchResult:
        return self.search(engine, q, like=territory_profile(code), size=64, **kwargs)

    @pytest.mark.parametrize("code", ["48061", "97411", "13055", "200041317", "2A004"])
    def test_like_territory_ranks_by_likeness_then_year_then_id(self, seeded: SearchEngine, code: str) -> None:
        # The order is the likeness each feature's weight (`indexer/relevance.py`) gives, computed
        # here from the indexed fields, ties newest first then by id: the same in every engine.
        profile = territory_profile(code)
        boosts = likeness_boosts(profile)

        def likeness(m: Monograph) -> float:
            fields = {**facet_fields(m), **likeness_fields(m)}
            return sum(b.weight for b in boosts if set(b.values) & {str(v) for v in fields[b.field]})

        expected = sorted(seed_corpus(), key=lambda m: (-likeness(m), -(m.year or 0), m.id))
        result = self.like(seeded, code)
        assert result.total == len(seed_corpus())  # every practice still matches
        assert ids(result) == [m.id for m in expected]
        assert len({likeness(m) for m in expected}) > 3  # the order is not a single tie

    def test_a_rural_commune_finds_rural_practices_of_its_size_first(self, seeded: SearchEngine) -> None:
        hits = self.like(seeded, "48061").hits  # Florac Trois Rivières (Lozère): 2,100 inhabitants, a CC
        assert [h.territory.name for h in hits[:2]] == ["Florac Trois Rivières", "Le Vigan"]
        assert all("rural" in h.territory_types and h.territory.zone == "metro" for h in hits[:10])
        assert hits[0].similarity_reasons == [
            "même type de territoire (rural)",
            "taille comparable (≈ 2\u202f100 hab.)",
            "même nature d'intercommunalité (communauté de communes)",
            "même département",
            "même zone (France métropolitaine)",
        ]
        assert "même région" in hits[1].similarity_reasons  # Le Vigan (Gard), Occitanie too

    def test_an_overseas_commune_finds_its_zones_practices_first(self, seeded: SearchEngine) -> None:
        result = self.like(seeded, "97411")  # Saint-Denis (La Réunion)
        overseas = [m.id for m in seed_corpus() if m.territory.zone == "drom"]
        assert set(ids(result)[: len(overseas)]) == set(overseas)
        assert result.hits[0].territory.name == "Saint-Denis"
        assert all("même zone (outre-mer, DROM)" in h.similarity_reasons for h in result.hits[:5])

    def test_like_territory_keeps_filters_and_words(self, seeded: SearchEngine) -> None:
        filtered = self.like(seeded, "48061", region=["Bretagne"])
        assert filtered.total == self.search(seeded, region=["Bretagne"]).total > 1
        assert {h.territory.region for h in filtered.hits} == {"Bretagne"}
        assert filtered.facets["region"] == self.search(seeded, region=["Bretagne"]).facets["region"]
        # Words still decide what matches; the territory only reorders.
        plain, like = self.search(seeded, "tiers-lieu", size=64), self.like(seeded, "97411", "tiers-lieu")
        assert set(ids(like)) == set(ids(plain)) and like.total == plain.total > 2
        overseas = [h.id for h in like.hits if "outre-mer" in h.territory_types]
        assert overseas and ids(like)[: len(overseas)] == overseas
        assert all(h.similarity_reasons for h in like.hits[: len(overseas)])

    def test_without_like_territory_hits_have_no_reasons(self, seeded: SearchEngine) -> None:
        result = self.search(seeded, "tiers-lieu")
        assert result.like_territory is None and not any(h.similarity_reasons for h in result.hits)

    # -- filters and facets ------------------------------------------------------

    def test_or_within_a_facet_and_across_facets(self, loaded: SearchEngine) -> None:
        either = self.search(loaded, territory_type=["littoral", "outre-mer"])
        assert set(ids(either)) == {"ess-bretagne", "eau-reunion"}
        both = self.search(loaded, territory_type=["littoral", "outre-mer"], actor_category=["ess"])
        assert ids(both) == ["ess-bretagne"]

    def test_odd_region_and_year_filters(self, loaded: SearchEngine) -> None:
        assert set(ids(self.search(loaded, odd=[17]))) == {"tiers-lieu-diois", "ess-bretagne"}
        assert set(ids(self.search(loaded, region=["Bretagne"]))) == {"ess-bretagne", "pvd-centre-bourg"}
        assert set(ids(self.search(loaded, year_from=2020, year_to=2021))) == {"mobilite-vallee", "eau-reunion"}

    def test_facet_counts_without_filters(self, loaded: SearchEngine) -> None:
        result = self.search(loaded)
        assert counts(result, "territory_type") == {
            "rural": 2,
            "montagne": 3,
            "urbain": 3,
            "littoral": 1,
            "metropole": 1,
            "outre-mer": 1,
            "periurbain": 1,
        }
        assert counts(result, "odd")["17"] == 2 and counts(result, "odd")["11"] == 3
        assert counts(result, "region") == {
            "Auvergne-Rhône-Alpes": 3,
            "Bretagne": 2,
            "La Réunion": 1,
            "Pays de la Loire": 1,
        }

    def test_facet_order_is_count_then_value(self, loaded: SearchEngine) -> None:
        values = [(f.count, f.value) for f in self.search(loaded).facets["territory_type"]]
        assert values == sorted(values, key=lambda cv: (-cv[0], cv[1]))
        odd = [(f.count, int(f.value)) for f in self.search(loaded).facets["odd"]]
        assert odd == sorted(odd, key=lambda cv: (-cv[0], cv[1]))  # ODD numbers as numbers: 2 before 12
        assert [value for _, value in odd[:4]] == [11, 8, 17, 2]

    def test_facets_are_disjunctive(self, loaded: SearchEngine) -> None:
        unfiltered = self.search(loaded)
        narrowed = self.search(loaded, territory_type=["montagne"])
        # Its own facet ignores its own selection, so the user can widen it…
        assert counts(narrowed, "territory_type") == counts(unfiltered, "territory_type")
        # …while every other facet applies it.
        assert counts(narrowed, "region") == {"Auvergne-Rhône-Alpes": 2, "La Réunion": 1}
        assert narrowed.total == 3

    @pytest.mark.parametrize(
        "selection",
        [
            {"territory_type": ["rural", "montagne"], "region": ["Auvergne-Rhône-Alpes", "Bretagne", "Occitanie"]},
            {"odd": [11, 13], "year_from": 2018, "actor_category": ["association"]},
            {"actor_category": ["collectivite", "association"], "actor_mode": "all", "year_to": 2021},
            {
                "region": ["Bretagne", "Nouvelle-Aquitaine"],
                "territory_type": ["littoral"],
                "year_from": 2010,
                "year_to": 2030,
            },
        ],
    )
    def test_every_facet_count_is_a_recount_of_the_corpus(self, loaded: SearchEngine, selection: dict) -> None:
        """Several facets selected at once, with years: each facet's counts are those of the published
        practices passing every other selection (and its own when all its values are required)."""
        filters = SearchFilters(**selection)

        def passes(m: Monograph, ignoring: str | None) -> bool:
            if filters.year_from is not None and (m.year is None or m.year < filters.year_from):
                return False
            if filters.year_to is not None and (m.year is None or m.year > filters.year_to):
                return False
            for f in FACETS:
                chosen = set(filters.selected(f.name))
                if not chosen or (f.name == ignoring and not filters.requires_all(f)):
                    continue
                have = {str(v) for v in f.of(m)}
                if not (chosen <= have if filters.requires_all(f) else chosen & have):
                    return False
            return True

        published = [by_id(i) for i in sorted(PUBLISHED)]
        result = self.search(loaded, size=100, **selection)
        assert {h.id for h in result.hits} == {m.id for m in published if passes(m, None)}
        assert result.total == len(result.hits) > 0
        for f in FACETS:
            expected = Counter(str(v) for m in published if passes(m, f.name) for v in f.of(m))
            assert {v: c for v, c in counts(result, f.name).items() if c} == dict(expected), f.name

    @pytest.mark.parametrize(
        "q", ["mobilité alimentation tiers-lieu", '"économie circulaire" déchets réemploi', "comment nourrir la ville"]
    )
    def test_counts_of_a_graded_search_add_up_to_its_total(self, loaded: SearchEngine, q: str) -> None:
        """Facets are counted on the practices the ranked search matched: every practice has one région."""
        result = self.search(loaded, q, size=100)
        assert result.relaxed and result.total > 0
        assert sum(counts(result, "region").values()) == result.total == len(result.hits)

    def test_facets_apply_the_text_query(self, loaded: SearchEngine) -> None:
        result = self.search(loaded, "covoiturage")
        assert counts(result, "territory_type") == {"montagne": 1, "rural": 1}

    def test_selected_value_listed_even_at_zero(self, loaded: SearchEngine) -> None:
        result = self.search(loaded, "mobilité", region=["Corse"])
        corse = next(f for f in result.facets["region"] if f.value == "Corse")
        assert corse.count == 0 and corse.selected and result.total == 0

    def test_facet_labels_are_french(self, loaded: SearchEngine) -> None:
        result = self.search(loaded)
        labels = {f.value: f.label for f in result.facets["actor_category"]}
        assert labels["collectivite"] == "Collectivité"
        assert any(f.label.startswith("ODD 17 : Partenariats") for f in result.facets["odd"])

    def test_epci_filter_counts_and_labels(self, loaded: SearchEngine) -> None:
        assert ids(self.search(loaded, epci=["200042174"])) == ["ess-bretagne"]
        either = self.search(loaded, epci=["200042174", "245614433"])
        assert set(ids(either)) == {"ess-bretagne", "pvd-centre-bourg"}
        everything = {"242600534": 1, "200042174": 1, "245614433": 1}
        assert counts(self.search(loaded), "epci") == everything
        # Disjunctive: its own selection aside, every other filter applies.
        lorient = self.search(loaded, epci=["200042174"])
        assert counts(lorient, "epci") == everything and counts(lorient, "region") == {"Bretagne": 1}
        assert counts(self.search(loaded, territory_type=["urbain"]), "epci") == {"200042174": 1, "245614433": 1}
        labels = {f.value: f.label for f in lorient.facets["epci"]}
        assert labels == {
            "242600534": "CC du Diois (26)",
            "200042174": "CA Lorient Agglomération (56)",
            "245614433": "CC Pontivy Communauté (56)",
        }
        assert [f.value for f in lorient.facets["epci"] if f.selected] == ["200042174"]

    def test_year_counts_apply_every_filter(self, loaded: SearchEngine) -> None:
        assert "year" not in self.search(loaded).facets  # only when asked
        everything = self.search(loaded, size=0, year_counts=True)
        assert {f.value: f.count for f in everything.facets["year"]} == {
            "2010": 1,
            "2016": 1,
            "2018": 1,
            "2019": 1,
            "2020": 1,
            "2021": 1,
            "2022": 1,
        }
        assert [f.value for f in everything.facets["year"]] == sorted(f.value for f in everything.facets["year"])
        assert everything.hits == [] and everything.total == len(PUBLISHED)
        narrowed = self.search(loaded, "mobilité", size=0, year_counts=True, territory_type=["montagne"])
        assert counts(narrowed, "year") == {"2021": 1}
        assert counts(self.search(loaded, year_counts=True, year_from=2019, year_to=2020), "year") == {
            "2019": 1,
            "2020": 1,
        }
        alone = self.search(loaded, facets=False, year_counts=True, odd=[17])
        assert list(alone.facets) == ["year"] and counts(alone, "year") == {"2016": 1, "2019": 1}

    def test_a_search_past_its_deadline_is_refused(self, loaded: SearchEngine) -> None:
        with pytest.raises(SearchTimeout) as refused:
            self.search(loaded, "covoiturage lorient", deadline=time.monotonic() - 0.001)
        assert isinstance(refused.value, EngineUnavailable)  # answered 503 + Retry-After by the API
        assert self.search(loaded, "covoiturage lorient", deadline=time.monotonic() + 30).relaxed

    # -- highlighting ------------------------------------------------------------

    def test_highlight_marks_matches(self, loaded: SearchEngine) -> None:
        hit = self.search(loaded, "covoiturage").hits[0]
        assert hit.highlight.summary is not None and "<mark>Covoiturage</mark>" in hit.highlight.summary

    def test_highlight_escapes_html(self, loaded: SearchEngine) -> None:
        hit = next(h for h in self.search(loaded, "mobilité").hits if h.id == "xss")
        rendered = (hit.highlight.title or "") + (hit.highlight.summary or "")
        assert "<script>" not in rendered and "<img" not in rendered and "<b>" not in rendered
        assert "&lt;script&gt;" in rendered and "<mark>Mobilité</mark>" in rendered

    def test_highlight_fragments_from_sections(self, loaded: SearchEngine) -> None:
        hit = self.search(loaded, "soins").hits[0]
        assert hit.id == "mobilite-vallee"
        assert any("<mark>soins</mark>" in fragment for fragment in hit.highlight.sections)

    def test_hits_carry_display_fields(self, loaded: SearchEngine) -> None:
        hit = self.search(loaded, "Pontivy").hits[0]
        assert hit.id == "pvd-centre-bourg" and hit.territory.name == "Pontivy"
        assert hit.odd == [11] and hit.year == 2022 and "collectivite" in hit.actor_categories

    # -- lifecycle -----------------------------------------------------------------

    def test_only_published_are_searchable(self, loaded: SearchEngine) -> None:
        assert "brouillon" not in ids(self.search(loaded, "brouillon"))
        published = at_version("brouillon", 2, status=Status.PUBLISHED)
        assert loaded.index([published]).indexed == 1
        assert ids(self.search(loaded, "brouillon")) == ["brouillon"]
        assert loaded.index([at_version("brouillon", 3, status=Status.ARCHIVED)]).removed == 1
        assert ids(self.search(loaded, "brouillon")) == []

    def test_update_replaces_the_document(self, loaded: SearchEngine) -> None:
        changed = at_version("eau-reunion", 2, title="Irrigation économe sur les hauts")
        assert loaded.index([changed]).indexed == 1
        assert ids(self.search(loaded, "irrigation")) == ["eau-reunion"]
        assert self.search(loaded).total == len(PUBLISHED)

    def test_delete(self, loaded: SearchEngine) -> None:
        # `removed` counts the ids now absent, an unknown one included: the goal is their absence.
        assert loaded.delete(["ess-bretagne", "unknown-id"]).removed == 2
        assert ids(self.search(loaded, "circulaire")) == []
        assert loaded.ids() == PUBLISHED - {"ess-bretagne"}

    def test_rebuild_replaces_everything(self, loaded: SearchEngine) -> None:
        report = loaded.rebuild([by_id("mobilite-vallee"), by_id("brouillon")])
        assert (report.indexed, report.removed, report.skipped, report.failed) == (1, 1, 0, {})
        assert loaded.ids() == {"mobilite-vallee"}
        assert self.search(loaded).total == 1

    def test_a_bad_document_never_blocks_the_rest(self, engine: SearchEngine) -> None:
        good = [m for m in CORPUS if m.id in PUBLISHED]
        # Not valid any more (a start year in words): neither engine can index it.
        bad = good[0].model_copy(update={"id": "bad-doc", "year": "deux mille vingt"})
        report = engine.index([*good[:2], bad, *good[2:]])
        assert report.indexed == len(good) and list(report.failed) == ["bad-doc"]
        assert engine.ids() == PUBLISHED

    def test_a_new_engine_needs_a_rebuild_until_it_has_one(self, engine: SearchEngine) -> None:
        assert engine.needs_rebuild()
        report = engine.rebuild(CORPUS)
        assert (report.indexed, report.removed) == (len(PUBLISHED), len(CORPUS) - len(PUBLISHED))
        assert not engine.needs_rebuild() and engine.ids() == PUBLISHED

    def test_facet_lists_say_when_they_are_truncated(
        self, loaded: SearchEngine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert self.search(loaded).truncated_facets == []  # every facet asks its referential's size
        # Ask the engines for 2 ODD values only: more exist, and the answer says so.
        monkeypatch.setattr(Facet, "size", property(lambda facet: 2 if facet.name == "odd" else 50))
        result = self.search(loaded, odd=[3])
        assert result.truncated_facets == ["odd"]
        assert [f.value for f in result.facets["odd"]][:2] == ["11", "8"] and "3" in counts(result, "odd")

    def test_every_department_is_counted_for_the_map(self, engine: SearchEngine) -> None:
        """The map of practices per département reads one search's `department` facet: an engine answers
        a count for every département that has practices (all 101 here), none left out."""
        template = by_id("mobilite-vallee")
        spread = [
            template.model_copy(
                update={
                    "id": f"dep-{code.lower()}",
                    "territory": template.territory.model_copy(update={"department": code}),
                }
            )
            for code in DEPARTMENT_CODES
        ]
        assert engine.index(spread).indexed == len(spread)
        result = self.search(engine, size=1)
        assert counts(result, "department") == dict.fromkeys(DEPARTMENT_CODES, 1)
        assert result.truncated_facets == []

    def test_similar(self, loaded: SearchEngine) -> None:
        similar = [h.id for h in loaded.similar("mobilite-vallee")]
        assert similar and "mobilite-vallee" not in similar and "brouillon" not in similar
        assert len(similar) <= 5

    def test_similar_after_removals(self, loaded: SearchEngine) -> None:
        """Removed practices leave term statistics behind until segments merge: similar still answers
        (tantivy's more-like-this panicked on them) and never returns a removed practice."""
        removed = sorted(PUBLISHED - {"mobilite-vallee", "tiers-lieu-diois"})[:3]
        loaded.delete(removed)
        for monograph_id in PUBLISHED - set(removed):
            similar = [h.id for h in loaded.similar(monograph_id, 5)]
            assert monograph_id not in similar and not set(similar) & set(removed)
        assert loaded.similar("mobilite-vallee")

    def test_similar_unknown(self, loaded: SearchEngine) -> None:
        with pytest.raises(UnknownMonograph):
            loaded.similar("brouillon")

    def test_health(self, loaded: SearchEngine) -> None:
        health = loaded.health()
        assert health.ok and health.documents == len(PUBLISHED)

    def test_relevance_ties_go_to_the_newest(self, engine: SearchEngine) -> None:
        twins = [
            by_id("eau-reunion").model_copy(update={"id": f"twin-{year}", "year": year}) for year in (2011, 2023, 2017)
        ]
        engine.index(twins)
        assert ids(self.search(engine, "ressource en eau")) == ["twin-2023", "twin-2017", "twin-2011"]

    def test_hyphenated_compound_is_a_phrase(self, loaded: SearchEngine) -> None:
        apart = by_id("eau-reunion").model_copy(
            update={"id": "apart", "title": "Un tiers des habitants loin de tout lieu de soin"}
        )
        loaded.index([apart])
        assert ids(self.search(loaded, "tiers-lieux")) == ["tiers-lieu-diois"]
        assert set(ids(self.search(loaded, "tiers lieux"))) == {"tiers-lieu-diois", "apart"}

    # -- ordered writes (Monograph.version) --------------------------------------------

    def test_older_version_never_replaces_a_newer_one(self, loaded: SearchEngine) -> None:
        newer = at_version("eau-reunion", 3, title="Irrigation économe sur les hauts")
        older = at_version("eau-reunion", 2, title="Citernes communales du littoral")
        assert loaded.index([newer]).indexed == 1
        report = loaded.index([older])
        assert (report.indexed, report.removed, report.skipped, report.failed) == (0, 0, 1, {})
        assert ids(self.search(loaded, "irrigation")) == ["eau-reunion"]
        assert ids(self.search(loaded, "citernes")) == []
        assert loaded.versions()["eau-reunion"] == 3
        assert self.search(loaded).total == len(PUBLISHED)

    @pytest.mark.parametrize("order", ["newer first", "older first"])
    def test_newest_wins_within_one_call(self, loaded: SearchEngine, order: str) -> None:
        newer = at_version("eau-reunion", 3, title="Irrigation économe sur les hauts")
        older = at_version("eau-reunion", 2, title="Citernes communales du littoral")
        report = loaded.index([newer, older] if order == "newer first" else [older, newer])
        assert report.skipped == (1 if order == "newer first" else 0) and not report.failed
        assert ids(self.search(loaded, "irrigation")) == ["eau-reunion"]
        assert ids(self.search(loaded, "citernes")) == []
        assert loaded.versions()["eau-reunion"] == 3

    def test_older_removal_leaves_a_newer_publication(self, loaded: SearchEngine) -> None:
        assert loaded.index([at_version("eau-reunion", 3)]).indexed == 1
        report = loaded.index([at_version("eau-reunion", 2, status=Status.ARCHIVED)])
        assert (report.removed, report.skipped, report.failed) == (0, 1, {})
        assert loaded.versions()["eau-reunion"] == 3
        assert "eau-reunion" in ids(self.search(loaded, "eau"))

    def test_newer_removal_removes(self, loaded: SearchEngine) -> None:
        assert loaded.index([at_version("eau-reunion", 3)]).indexed == 1
        report = loaded.index([at_version("eau-reunion", 4, status=Status.ARCHIVED)])
        assert (report.removed, report.skipped, report.failed) == (1, 0, {})
        assert "eau-reunion" not in loaded.versions()
        assert self.search(loaded).total == len(PUBLISHED) - 1

    def test_older_publication_after_a_removal_in_one_call_is_skipped(self, loaded: SearchEngine) -> None:
        removal = at_version("eau-reunion", 4, status=Status.ARCHIVED)
        report = loaded.index([removal, at_version("eau-reunion", 3)])
        assert (report.indexed, report.removed, report.skipped) == (0, 1, 1)
        assert "eau-reunion" not in loaded.ids()

    def test_same_version_again_is_idempotent(self, loaded: SearchEngine) -> None:
        again = at_version("eau-reunion", 1)
        for _ in range(2):
            report = loaded.index([again])
            assert (report.indexed, report.skipped, report.failed) == (1, 0, {})
        assert self.search(loaded).total == len(PUBLISHED)
        assert ids(self.search(loaded, "eau", region=["La Réunion"])) == ["eau-reunion"]
        assert loaded.versions()["eau-reunion"] == 1

    def test_versions_match_what_was_indexed(self, engine: SearchEngine) -> None:
        assert engine.versions() == {}
        monographs = [m.model_copy(update={"version": n}) for n, m in enumerate(CORPUS, start=1)]
        engine.index(monographs)
        expected = {m.id: m.version for m in monographs if m.status == Status.PUBLISHED}
        assert engine.versions() == expected and len(set(expected.values())) == len(expected)
        assert engine.ids() == set(expected)

    def test_rebuild_applies_the_catch_up(self, loaded: SearchEngine) -> None:
        refill = [
            at_version("mobilite-vallee", 2),
            at_version("eau-reunion", 2),
            at_version("tiers-lieu-diois", 2),
            by_id("brouillon"),
        ]
        calls: list[set[str]] = []

        def catch_up() -> list[Monograph]:
            calls.append(loaded.ids())  # called once, before the new index goes live
            return [
                at_version("mobilite-vallee", 3, title="Navettes citoyennes entre villages"),  # newer: wins
                at_version("eau-reunion", 1, title="Citernes communales du littoral"),  # older: skipped
                at_version("tiers-lieu-diois", 3, status=Status.ARCHIVED),  # removed since
                at_version("ess-bretagne", 5),  # published since
            ]

        report = loaded.rebuild(refill, catch_up=catch_up)
        assert len(calls) == 1 and calls[0] == PUBLISHED  # the old index was still the live one
        assert (report.indexed, report.removed, report.skipped, report.failed) == (5, 2, 1, {})
        assert loaded.versions() == {"mobilite-vallee": 3, "eau-reunion": 2, "ess-bretagne": 5}
        assert ids(self.search(loaded, "navettes")) == ["mobilite-vallee"]
        assert ids(self.search(loaded, "citernes")) == []
        assert self.search(loaded).total == 3
