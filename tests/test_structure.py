from newscrawl.cleaning.structure import (
    LINKED,
    SUMMARY,
    WHOLLY_LINKED,
    AnchorIndex,
    find_link_lists,
    link_share,
)

# An article's body, beside which a teaser list is a small part of the page.
STORY = (
    "The harbour board met on Thursday evening and, after three hours of argument about"
    " the cost of the north quay, voted to rebuild the wall before the winter storms, the"
    " chair said, with the money taken from the reserve that was put aside ten years ago"
    " for exactly this kind of repair."
)

ANCHORS = AnchorIndex.build(
    [
        "Council approves harbour budget",
        "Ferry fares to rise in spring",
        "Home",  # one word: ignored
        "read the full report",
    ]
)


def test_link_share_counts_words_inside_anchor_texts():
    assert link_share("Council approves harbour budget", ANCHORS) == 1.0
    assert link_share("Council approves harbour budget after a long night", ANCHORS) == 4 / 8
    assert link_share("Home", ANCHORS) == 0.0


def test_a_run_of_linked_paragraphs_is_a_teaser_list():
    paragraphs = [
        "The council met on Thursday and argued about the harbour for three hours.",
        "Council approves harbour budget",
        "Ferry fares to rise in spring",
    ]
    assert find_link_lists(paragraphs, ANCHORS) == {1: LINKED, 2: LINKED}


def test_a_single_linked_paragraph_is_kept():
    paragraphs = [
        "The council met on Thursday and argued about the harbour for three hours.",
        "Council approves harbour budget",
        "The vote was close, and the mayor cast the deciding ballot.",
    ]
    assert find_link_lists(paragraphs, ANCHORS) == {}


def test_sentences_with_an_inline_link_are_kept():
    paragraphs = [
        "You can read the full report on the council's website, which has the figures.",
        "You can read the full report in the library too, from Monday morning.",
    ]
    assert find_link_lists(paragraphs, ANCHORS) == {}


def test_list_items_opening_with_a_linked_headline_are_teasers():
    anchors = AnchorIndex.build(["Coach fired by the club", "Who will replace the coach?"])
    paragraphs = [
        "The season ended badly for the club, which finished ninth in the table.",
        STORY,
        "- Coach fired by the club He took the team to a final in June",
        "- Who will replace the coach? Here are some names to watch this week",
    ]
    assert find_link_lists(paragraphs, anchors) == {2: LINKED, 3: LINKED}
    # The same words as prose, not list items, are text.
    prose = [p.removeprefix("- ") for p in paragraphs]
    assert find_link_lists(prose, anchors) == {}


def test_a_title_printed_twice_in_its_heading_is_all_link():
    anchors = AnchorIndex.build(["Nikki Haley will not quit"])
    assert link_share("Nikki Haley will not quit Nikki Haley will not quit", anchors) == 1.0


def test_linked_titles_with_summaries_between_them_are_one_teaser_list():
    anchors = AnchorIndex.build(["Harbour wall repairs finish early", "Fish market moves indoors"])
    paragraphs = [
        "The council met on Thursday and argued about the harbour for three hours, then voted.",
        STORY,
        "Harbour wall repairs finish early",
        "Divers replaced four hundred blocks.",
        "Fish market moves indoors",
        "The market leaves the quay after sixty years.",
    ]
    assert find_link_lists(paragraphs, anchors) == {2: LINKED, 3: SUMMARY, 4: LINKED, 5: SUMMARY}


def test_teaser_lists_that_would_be_most_of_the_text_are_the_text():
    """A listicle whose items link to their own pages lost two thirds of its text
    as "teasers" (found by a review of unfamiliar pages): linked items that would
    be more than half of the words are the article."""
    titles = [f"Things to do this weekend number {n} in the old town" for n in range(1, 6)]
    anchors = AnchorIndex.build(titles)
    paragraphs = ["Here is our pick of the weekend, from the harbour to the hills."]
    for title in titles:
        paragraphs += [title, "A short note on why it is worth the trip, with times."]
    assert find_link_lists(paragraphs, anchors) == {}
    # Beside a story three times as long, the same list is a teaser list.
    assert len(find_link_lists([STORY, STORY, STORY, *paragraphs], anchors)) == 10


def test_a_wholly_linked_headline_is_a_teaser_even_alone():
    anchors = AnchorIndex.build(["Fish market moves indoors after sixty years"])
    paragraphs = [
        "The council met on Thursday and argued about the harbour for three hours, then voted.",
        "Fish market moves indoors after sixty years",
        "The vote was close, and the mayor cast the deciding ballot after midnight.",
    ]
    assert find_link_lists(paragraphs, anchors) == {1: WHOLLY_LINKED}
    assert (
        find_link_lists(["Fish market", *paragraphs[2:]], AnchorIndex.build(["Fish market"])) == {}
    )


def test_rows_of_a_table_whose_first_cells_are_links_are_its_data():
    # A test of bicycle lights: each model's name links to its review, the other
    # cells are the results. Rows without a review link sit between linked ones.
    anchors = AnchorIndex.build(
        ["Lumo Beam front light with helmet mount", "Spark Duo front and rear light set"]
    )
    rows = [
        "| Model | Price | Rain-proof |",
        "| Lumo Beam front light with helmet mount | 45 € | yes |",
        "| Nightrider basic | 19 € | no |",
        "| Spark Duo front and rear light set | 60 € | yes |",
    ]
    assert find_link_lists([STORY, *rows], anchors) == {}


def test_a_run_of_linked_lines_that_are_not_table_rows_is_still_a_teaser_list():
    paragraphs = [STORY, "| Council approves harbour budget", "Ferry fares to rise in spring |"]
    assert find_link_lists(paragraphs, ANCHORS) == {1: LINKED, 2: LINKED}


def test_a_table_of_linked_headlines_and_their_dates_is_still_a_teaser_list():
    # "More from the city desk" as a table: each row a linked headline and its
    # date, nothing else. Its rows are teasers, not data: dropped before table
    # rows were exempted, they must stay dropped. Under a header they are a table's
    # data (a download table's linked rows under "Platform | amd64 | arm64").
    headlines = [
        "School meals pilot extended to all primary schools in the borough",
        "Library opens a repair cafe for broken toasters and bicycles",
        "Flood wall inspection finds cracks along the eastern embankment",
        "Council approves the new river footbridge after a long debate",
    ]
    anchors = AnchorIndex.build(headlines)
    dates = ["Sunday 5 October", "Sunday 19 October", "Monday 3 November", "Thursday 2 October"]
    rows = [f"| {headline} | {date} |" for headline, date in zip(headlines, dates, strict=True)]
    assert find_link_lists([STORY, STORY, *rows], anchors) == {i: LINKED for i in range(2, 6)}
    with_header = [STORY, STORY, "| Story | Published on |", *rows]
    assert find_link_lists(with_header, anchors) == {}
