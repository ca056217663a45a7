from newscrawl.cleaning.structure import anchor_keys, find_link_lists, link_share

ANCHORS = anchor_keys(
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
    assert find_link_lists(paragraphs, ANCHORS) == {1, 2}


def test_a_single_linked_paragraph_is_kept():
    paragraphs = [
        "The council met on Thursday and argued about the harbour for three hours.",
        "Council approves harbour budget",
        "The vote was close, and the mayor cast the deciding ballot.",
    ]
    assert find_link_lists(paragraphs, ANCHORS) == set()


def test_sentences_with_an_inline_link_are_kept():
    paragraphs = [
        "You can read the full report on the council's website, which has the figures.",
        "You can read the full report in the library too, from Monday morning.",
    ]
    assert find_link_lists(paragraphs, ANCHORS) == set()
