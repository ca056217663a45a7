import random
from collections import Counter

from newscrawl.cleaning import TextCleaner
from newscrawl.cleaning.siteboiler import (
    RECENT_MIN_PAGES,
    SiteModel,
    boilerplate_fingerprints,
    fingerprint,
    new_furniture,
)

FURNITURE = "Our reporters walk the harbour every morning."


def page(n: int) -> list[str]:
    # Stories long enough to be articles without the furniture (see the cleaner's
    # minimum: site boilerplate alone never takes a page under it).
    return [
        FURNITURE,
        (
            f"Story {n} tells of boat number {n} and its crew of {n + 2}, who came in late"
            " on the evening tide."
        ),
    ]


def test_fingerprint_ignores_case_and_punctuation():
    assert fingerprint("Our reporters walk the harbour!") == fingerprint(
        "our REPORTERS walk, the harbour"
    )
    assert fingerprint("Our reporters walk the harbour") != fingerprint(
        "Our reporters walk the quay"
    )


def test_a_paragraph_on_three_pages_is_boilerplate_on_two_it_is_not():
    model = SiteModel()
    for n in range(2):
        model.observe("a.test", f"/{n}", {fingerprint(p) for p in page(n)})
    assert fingerprint(FURNITURE) not in model.boilerplate("a.test")
    model.observe("a.test", "/2", {fingerprint(p) for p in page(2)})
    assert fingerprint(FURNITURE) in model.boilerplate("a.test")
    assert model.boilerplate("b.test") == frozenset()  # sites do not mix


def test_the_same_page_seen_twice_counts_once():
    model = SiteModel()
    for _ in range(3):
        model.observe("a.test", "/same", {fingerprint(FURNITURE)})
    assert model.boilerplate("a.test") == frozenset()


def test_a_paragraph_on_few_of_many_pages_is_not_boilerplate():
    from collections import Counter

    counts = Counter({"background": 3, "furniture": 90})
    assert boilerplate_fingerprints(counts, pages=100) == frozenset({"furniture"})


def test_cleaning_does_not_depend_on_page_order():
    pages = {f"/{n}": page(n) for n in range(6)}
    outputs = []
    for seed in (1, 2, 3):
        order = list(pages)
        random.Random(seed).shuffle(order)
        model = SiteModel()
        for url in order:
            model.observe("a.test", url, {fingerprint(p) for p in pages[url]})
        cleaner = TextCleaner()
        boilerplate = model.boilerplate("a.test")
        outputs.append(
            {
                url: cleaner.clean(pages[url], site_boilerplate=boilerplate).paragraphs
                for url in pages
            }
        )
    assert outputs[0] == outputs[1] == outputs[2]
    assert all(FURNITURE not in kept for kept in outputs[0].values())
    assert all(len(kept) == 1 for kept in outputs[0].values())


def test_a_pages_share_of_the_boilerplate_is_the_whole_set_cut_to_its_paragraphs():
    rng = random.Random(7)
    shared = [f"Furniture line number {n} of the site." for n in range(12)]
    model = SiteModel()
    pages = []
    for n in range(40):
        paragraphs = [*rng.sample(shared, rng.randint(0, 6)), f"Story {n} has its own words."]
        prints = {fingerprint(p) for p in paragraphs}
        pages.append(prints)
        model.observe("a.test", f"/{n}", prints)
    whole = model.boilerplate("a.test")
    assert 0 < len(whole) < len(shared)  # some furniture passes the thresholds, some not
    for prints in pages:
        assert model.boilerplate("a.test", among=prints) == whole & prints
    assert model.boilerplate("b.test", among=pages[0]) == frozenset()


def test_a_redesigns_furniture_is_judged_against_the_pages_since_it_appeared():
    # 1,000 pages of the old template over ten days, then 40 of the new one over two.
    days = [(f"2026-11-{d:02d}", 100) for d in range(1, 11)] + [
        ("2026-11-11", 20),
        ("2026-11-12", 20),
    ]
    candidates = [
        ("new template", 40, "2026-11-11"),  # on every page since
        ("series background", 12, "2026-11-11"),  # a series: 12 of the 40
        ("old template", 1000, "2026-11-01"),  # on 1,000 of the 1,040 since
        ("a few pages", RECENT_MIN_PAGES - 1, "2026-11-12"),  # 9 of the last 20: too few
    ]  # fmt: skip
    assert new_furniture(candidates, days) == frozenset({"new template", "old template"})
    # On the share of all pages alone, the new template's 40 were not enough.
    counts = Counter({fp: count for fp, count, _ in candidates})
    assert boilerplate_fingerprints(counts, pages=1040) == frozenset({"old template"})
