import hashlib
from pathlib import Path

from newscrawl.cleaning import TextCleaner, split_paragraphs
from newscrawl.cleaning.normalize import word_count, words
from newscrawl.cleaning.siteboiler import fingerprint

BODY = [
    "The ferry will run two extra crossings a day from April, the operator said on Friday.",
    "The last boat on Fridays will leave the island later, a change islanders asked for.",
    "Fares will stay the same until at least the end of the summer season, it said.",
]


def test_split_paragraphs_strips_and_skips_blank_lines():
    assert split_paragraphs("  one \n\n two\n   \nthree") == ["one", "two", "three"]


def test_fragments_and_headline_are_dropped_and_counted():
    paragraphs = [
        "Ferry timetable changes",
        BODY[0],
        "Advertisement",
        BODY[1],
        "Read more",
        BODY[2],
    ]
    result = TextCleaner().clean(paragraphs, title="Ferry Timetable Changes")
    assert result.paragraphs == BODY
    assert result.counts() == {"headline": 1, "fragment": 2}
    assert [drop.index for drop in result.dropped] == [0, 2, 4]


def test_repeated_block_split_by_furniture_is_one_run():
    long = [p + " More words to make it long." for p in BODY]
    paragraphs = [*long, "Advertisement", long[1], "Share this article", long[2]]
    result = TextCleaner().clean(paragraphs)
    assert result.paragraphs == long
    assert result.counts() == {"fragment": 2, "repeated": 2}


def test_word_count_and_text_of_the_result():
    result = TextCleaner().clean(BODY)
    assert result.text == "\n".join(BODY)
    assert result.word_count == sum(len(p.replace(",", "").replace(".", "").split()) for p in BODY)


def test_seed_article_is_cleaned_to_the_expected_body(seed_dir: Path):
    extracted = (seed_dir / "seed-article.txt").read_text(encoding="utf-8")
    expected = split_paragraphs((seed_dir / "expected-body.txt").read_text(encoding="utf-8"))
    result = TextCleaner().clean_text(extracted)
    assert result.paragraphs[: len(expected)] == expected
    # The standfirst may follow as one extra (unique) paragraph; nothing else.
    assert len(result.paragraphs) <= len(expected) + 1
    assert "More From This Section" not in result.paragraphs
    assert result.counts() == {"repeated": 7, "fragment": 1}


def test_the_line_before_a_photo_credit_is_text():
    # A caption may come before its credit or after it, as the site lays it out:
    # the line before a credit was dropped as a caption, and on pages outside the
    # dev sets it was the text's own 23 times in 24.
    before = "The ferry left the island at dusk, as it has every day since May."
    paragraphs = [BODY[0], before, "Credit: Jane Roe/Agency", BODY[1]]
    result = TextCleaner().clean(paragraphs)
    assert result.paragraphs == [BODY[0], before, BODY[1]]
    assert [(d.rule, d.detail) for d in result.dropped] == [("fragment", "photo_credit")]


def test_the_last_sentence_before_a_closing_photo_credit_is_kept():
    # The lead photo's credit printed at the foot of the article: the line before
    # it is the article's last sentence, short as it is.
    last = "The first crossing leaves at six."
    for tail in ([], ["Share this article"]):
        paragraphs = [*BODY, last, "Photo: Jane Roe/Agency", *tail]
        result = TextCleaner().clean(paragraphs)
        assert result.paragraphs == [*BODY, last]
        assert ("fragment", "photo_credit") in [(d.rule, d.detail) for d in result.dropped]


def test_edge_only_classes_count_only_near_the_start_or_end():
    byline = "By Jane Roe"
    middle = [*BODY, byline, *[p + " Again, with more words." for p in BODY]]
    assert byline in TextCleaner().clean(middle).paragraphs
    assert byline not in TextCleaner().clean([*BODY, byline]).paragraphs


NOTICE = "The harbour office is closed on public holidays and opens again at eight."
HOURS = "Tide tables for the week are posted by the slipway every Monday morning."


def test_site_boilerplate_does_not_take_a_thin_page_under_the_minimum():
    boilerplate = frozenset({fingerprint(NOTICE), fingerprint(HOURS)})
    thin = ["Quay Street closes on Tuesday.", NOTICE, HOURS]
    result = TextCleaner(min_words=15).clean(thin, site_boilerplate=boilerplate)
    # Five words of its own: dropping what the site repeats would lose the page.
    assert result.paragraphs == thin
    # A page with enough text of its own still loses the site's boilerplate.
    full = [BODY[0], NOTICE, BODY[1], HOURS]
    result = TextCleaner(min_words=15).clean(full, site_boilerplate=boilerplate)
    assert result.paragraphs == [BODY[0], BODY[1]]
    assert result.counts() == {"site_boilerplate": 2}
    # And a page that is short even with it is left to the minimum to drop.
    result = TextCleaner(min_words=40).clean(thin, site_boilerplate=boilerplate)
    assert result.paragraphs == ["Quay Street closes on Tuesday."]


def test_date_lines_are_dropped_at_the_edges_and_kept_inside_the_text():
    # A dateline under the headline repeats the item's `published`; dates inside
    # the text are the headings of a timeline, which a reader needs.
    timeline = [
        "Ferry timetable through the years",
        "Monday, 2 March 2026",
        BODY[0],
        BODY[1],
        "April 1911",
        "The first steam ferry crosses to the island with forty passengers on board.",
        "June 1958",
        "The car ferry replaces the steamer, and the slipway is built for it.",
        BODY[2],
        "Updated 3 March 2026, 14:02",
    ]
    result = TextCleaner().clean(timeline, title="Ferry timetable through the years")
    assert "April 1911" in result.paragraphs and "June 1958" in result.paragraphs
    dropped = {d.text: (d.rule, d.detail) for d in result.dropped}
    assert dropped["Monday, 2 March 2026"] == ("fragment", "timestamp")
    assert dropped["Updated 3 March 2026, 14:02"] == ("fragment", "timestamp")


def test_furniture_after_a_closing_line_does_not_move_it_from_the_edge():
    contact = "Write to Jane Roe at jane.roe@example.test"
    tail = ["Share this article", "Advertisement", "Read more", "© 2026 Harbour Media Ltd"]
    result = TextCleaner().clean([*BODY, BODY[0] + " Again.", contact, *tail])
    assert contact not in result.paragraphs
    # With text after it, the same line is inside the text, and kept.
    middle = [*BODY, contact, *[p + " Once more, with feeling." for p in BODY], *tail]
    assert contact in TextCleaner().clean(middle).paragraphs


# Chinese and Japanese, which write no spaces between words (text written for
# these tests): a council approves a footbridge over the river.
HARBOUR_ZH = [
    "河口镇议会星期四批准在南河上修建一座步行桥，工程将于明年春天开始。",
    "目前老城区的居民要走两公里才能到达最近的公路桥，孩子们只能坐车上学。",
    "这座桥的费用为八百万元，一半由省里承担，其余由镇财政分三年支付。",
]


def test_chinese_and_japanese_characters_count_as_words():
    # A run of letters in these scripts is a whole clause: the brief below counted
    # 3 "words" and was lost as too short. Each character is a word to the rules
    # that compare words, and half a word where lengths are measured (a Chinese
    # or Japanese word is one to two characters).
    brief = "港の新しい灯台は来月から点灯する。市は工事費の半分を負担した。"
    characters = len([ch for ch in brief if ch not in "。、"])
    assert len(words(brief)) == characters
    assert word_count(brief) == (characters + 1) // 2
    assert word_count("Tokyo 2026年") == 3
    assert TextCleaner().clean([brief]).word_count >= 15


def test_a_short_question_asked_twice_in_chinese_is_kept_as_in_english():
    # 19 characters, some 10 words: under the 14 words from which a lone paragraph
    # that occurs exactly twice is dropped, as its English twin is.
    question = "你认为这座新桥对老城区的居民有什么好处？"
    english = "What will the new bridge do for people in the old town?"
    for asked in (question, english):
        paragraphs = [asked, HARBOUR_ZH[0], asked, HARBOUR_ZH[1]]
        assert TextCleaner().clean(paragraphs).paragraphs == paragraphs


def test_a_repeated_block_of_chinese_paragraphs_is_dropped():
    result = TextCleaner().clean([*HARBOUR_ZH, "更多", *HARBOUR_ZH])
    assert result.paragraphs == [*HARBOUR_ZH, "更多"]
    assert result.counts() == {"repeated": 3}


def test_site_fingerprints_of_unspaced_text_keep_their_stored_key():
    # Stored site models hold fingerprints made from runs of letters; counting
    # characters as words must not change them (the site's model would be lost).
    key = "河口镇议会星期四批准在南河上修建一座步行桥 工程将于明年春天开始"
    assert fingerprint(HARBOUR_ZH[0]) == hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


def test_a_line_equal_to_the_title_is_a_headline_only_before_the_text():
    title = "Let the tide come in"
    verse = (
        "The boats lay on their sides in the mud all afternoon while the harbour master "
        "watched the sky and waited for the water to turn."
    )
    paragraphs = [
        title,
        verse,
        "Let the tide come in.",
        "The gulls were loud.",
        "Let the tide come in!",
    ]
    result = TextCleaner().clean(paragraphs, title=title)
    assert result.paragraphs == paragraphs[1:]
    assert result.counts() == {"headline": 1}
    # The headline after a long standfirst is still the headline (the first one).
    standfirst = (
        "A song the harbour children sing at the spring fair, written down for the first "
        "time by the choir's leader, who learned it from her grandmother."
    )
    result = TextCleaner().clean([standfirst, *paragraphs], title=title)
    assert result.paragraphs == [standfirst, *paragraphs[1:]]
    assert result.counts() == {"headline": 1}
    # Without the headline in the text (it stood outside the part extracted), a
    # refrain further down is the text's own.
    song = [standfirst, verse, "The gulls were loud.", "Let the tide come in."]
    assert TextCleaner().clean(song, title=title).paragraphs == song


def test_a_headline_after_a_dropped_teaser_is_still_the_headline():
    # The text has not begun where the only long paragraph before the title is a
    # teaser the link rules drop.
    title = "Ferry timetable changes for spring"
    teaser = (
        "Night buses will run every half hour on the island from May, the transport "
        "office said in a statement on Friday after a long consultation"
    )
    result = TextCleaner().clean([teaser, title, *BODY], title=title, anchor_texts=[teaser])
    assert result.paragraphs == BODY
    assert result.counts() == {"link_list": 1, "headline": 1}


def test_an_obituarys_lede_is_no_author_box():
    """The bio pattern ("<Name> was a reporter ...") took an obituary's lede for an
    author's box at the start of the text (found by a review of unfamiliar
    pages). A name the title holds is the story's subject."""
    lede = (
        "Margaret Ellison was a reporter who spent forty-one years covering Elmford's city"
        " hall, outlasting nine mayors and more than two thousand council meetings."
    )
    box = "Tom Aldridge is a senior reporter at the Daily Courier."
    body = "She started on the night desk in 1979 and never left the building for long."
    title = "Margaret Ellison, city hall reporter for four decades, dies at 83"
    more = [
        f"Paragraph {n} of her story, from the council chamber to the press bench."
        for n in range(4)
    ]
    result = TextCleaner().clean([lede, body, *more, box], title=title)
    assert result.paragraphs == [lede, body, *more]
    # A columnist's box at the end goes, though the title holds the name.
    column = "Tom Aldridge: why the ferry timetable needs a rethink"
    result = TextCleaner().clean([body, *more, box], title=column)
    assert result.paragraphs == [body, *more]
    # A short obituary keeps its lede too (found by a review of 4219c80).
    assert TextCleaner().clean([lede, body, box], title=title).paragraphs == [lede, body]
    assert TextCleaner().clean([lede, body], title=title).paragraphs == [lede, body]


def test_a_poems_refrain_that_is_its_title_is_kept():
    """A poem or a song of short lines whose refrain is its title lost every
    refrain: later title lines were kept only after a paragraph of 20 words or
    more, which such a text never has (found by a review of unfamiliar pages)."""
    title = "Bring the boats home"
    lines = [title, "The tide is turning grey", title, "Before the light has gone", title]
    assert TextCleaner().clean(lines, title=title).paragraphs == lines[1:]


def test_a_bio_of_someone_other_than_the_author_is_text():
    """The bio pattern ("<Name> is a photographer ...") took the last lines of a
    story about that person for the author's box: an exhibition's photographer,
    a profiled critic (found with pages written for the purpose). When the page
    names its authors, a box names one of them ("Steph Bazzle is a writer ..."
    under Stephanie Bazzle); another name is the story's."""
    subject = "Nia Farrow is a photographer and a fisherman's daughter from Hollow Bay."
    box = "Tom Aldridge is a senior reporter at the Daily Courier."
    more = [f"Paragraph {n} of Farrow's story, from the net loft to the gallery." for n in range(4)]
    cleaner = TextCleaner()
    result = cleaner.clean([*more, subject, box], authors=["Tom Aldridge"])
    assert result.paragraphs == [*more, subject]
    shortened = "Tom Aldridge is a writer for the Courier."
    assert cleaner.clean([*more, shortened], authors=["Thomas Aldridge"]).paragraphs == more
    # A page that names no author: a box is what the pattern says.
    assert cleaner.clean([*more, subject]).paragraphs == more


def test_a_reporters_box_under_a_publisher_named_as_author_still_goes():
    """A page whose metadata names its publisher as author ("Harbour Courier",
    "Staff") kept its reporter's box ("Tom Aldridge is a senior reporter ..."):
    a bio line naming someone other than the authors was taken for the story's
    subject (found by a review). The subject is someone the story names; the
    reporter is not."""
    more = [f"Paragraph {n} of the story, from the net loft to the gallery wall." for n in range(4)]
    box = "Tom Aldridge is a senior reporter at the Harbour Courier."
    cleaner = TextCleaner()
    for publisher in (["Harbour Courier"], ["Courier Staff"], ["127.0.0.1:8000"]):
        assert cleaner.clean([*more, box], authors=publisher).paragraphs == more, publisher
    # Named by the byline alone (a fragment, dropped too): still no subject of the text.
    byline = "By Tom Aldridge"
    assert cleaner.clean([byline, *more, box], authors=["Harbour Courier"]).paragraphs == more
    named = [*more, "Aldridge, who sailed with the fleet, wrote the catalogue."]
    assert cleaner.clean([*named, box], authors=["Harbour Courier"]).paragraphs == [*named, box]


def test_a_live_blogs_entry_times_are_kept_at_its_edges_too():
    """Time lines at the start or the end of a text are its date line, and go;
    a live blog's entries each open with one, and its first and last entries
    lost theirs while the others kept them (found with pages written for the
    purpose). Times within the text too are the entries' times."""
    entries = [
        "The coastguard says the second crew member has been brought ashore safely.",
        "A second lifeboat has joined the search, and a helicopter is on its way.",
        "The harbour master has closed the harbour entrance to all traffic for now.",
        "One of the two crew members has been picked up by the inshore lifeboat.",
        "Coastguard officers were called to a fishing boat taking on water offshore.",
    ]
    times = ["10:42", "10:15", "09:58", "09:31", "09:10"]
    blog = [line for pair in zip(times, entries, strict=True) for line in pair]
    assert TextCleaner().clean(blog).paragraphs == blog
    # A date line alone at the start still goes.
    assert TextCleaner().clean(["12 March 2026", *entries]).paragraphs == entries


def test_a_title_or_particle_shared_with_the_author_does_not_make_a_bio_theirs():
    """A bio line that shares no word with the authors' names is the story's
    subject's, but "Dr." under Dr. Tom Aldridge, or "de" under Maria de la Cruz,
    made any doctor's or any "de ..." bio the author's box, and it went (found
    with pages written for the purpose)."""
    more = [
        f"Paragraph {n} of the story of Farrow, de Souza and van Dam, from the net loft."
        for n in range(4)
    ]
    cleaner = TextCleaner()
    for subject, author in (
        (
            "Dr. Nia Farrow is a marine biologist and a photographer from Hollow Bay.",
            "Dr. Tom Aldridge",
        ),
        (
            "Ana de Souza is a photographer from Porto who settled in Hollow Bay.",
            "Maria de la Cruz",
        ),
        (
            "Pieter van Dam is a photographer who sailed with the fleet for a year.",
            "Anne van der Berg",
        ),
    ):
        assert cleaner.clean([*more, subject], authors=[author]).paragraphs == [*more, subject]
    # The author's own box still goes, title and all.
    box = "Dr. Tom Aldridge is a contributor and a retired harbour engineer."
    assert cleaner.clean([*more, box], authors=["Dr. Tom Aldridge"]).paragraphs == more


def test_a_paywall_box_after_the_teaser_goes():
    """A paywalled page's text is its teaser and the box that stands for the rest:
    "Subscribe to continue reading", "This article is for subscribers only.
    Already a subscriber? Log in", the price. Every line of the box was kept
    (found with pages written for the purpose)."""
    teaser = [
        "For eight years the old tannery on the river has sat empty, its chimney leaning.",
        "One plan would turn the yard into flats, the other keep the sheds as workshops.",
    ]
    box = [
        "Subscribe to continue reading",
        "This article is for subscribers only. Already a subscriber? Log in",
        "Get unlimited access for just 1 a month.",
    ]
    assert TextCleaner().clean([*teaser, *box]).paragraphs == teaser


def test_a_newsletter_box_and_consent_banner_after_the_text_go():
    """The newsletter box, its small print, a cookie banner and a feedback widget
    after a story were kept, and as five paragraphs of "text" they kept its tip
    line from the edge (found with pages written for the purpose)."""
    body = [
        f"Paragraph {n} of the story of the flood wall and the moors upstream." for n in range(3)
    ]
    furniture = [
        "Have a story? Email news@gazette.test",
        "Sign up for our morning briefing",
        "Get the day's top stories in your inbox every morning.",
        "By signing up you agree to our privacy policy.",
        "We use cookies to improve your experience. By continuing to browse you accept our cookies.",
        "Was this article helpful? Yes No",
    ]
    assert TextCleaner().clean([*body, *furniture]).paragraphs == body


def test_an_authors_box_naming_the_paper_goes():
    """ "Corin Maddox is the Gazette's environment correspondent." closes a story
    as "... is a reporter for the Gazette" does, but the bio pattern knew only
    "is a" and "is an", and the box was kept (found with pages written for the
    purpose). The story's subject under "is the" is still text."""
    body = [
        f"Paragraph {n} of the story of the flood wall and the moors upstream." for n in range(4)
    ]
    box = "Corin Maddox is the Gazette's environment correspondent. She has covered the valley since 2015."
    cleaner = TextCleaner()
    assert cleaner.clean([*body, box], authors=["Corin Maddox"]).paragraphs == body
    subject = "Nia Farrow is the photographer whose pictures of the moors hang in the museum."
    story = [f"Paragraph {n} of Farrow's story, from the moors to the gallery." for n in range(4)]
    result = cleaner.clean([*story, subject], authors=["Corin Maddox"])
    assert result.paragraphs == [*story, subject]


def test_a_role_taken_or_held_first_under_is_the_is_the_storys_news():
    """ "<Name> is the new editor of ...", "<Name> was the paper's first
    photographer" are a story's news (an appointment, an obituary, a history),
    but the bio pattern's "is the" took them for an author's box, and a story
    that opened with its appointment lost its lede (found with pages written for
    the purpose). An author's box names the job held, not its news."""
    body = [f"Paragraph {n} of the story of the paper and its hundred years." for n in range(4)]
    cleaner = TextCleaner()
    for line in (
        "Sarah Klein is the new editor of the Harbour Courier, its owners said on Monday.",
        "Sarah Klein is the incoming host of the morning programme on Harbour Radio.",
        "Tom Baker was the paper's first photographer and worked there for forty years.",
        "Ann Lee was the late columnist whose letters from the islands ran every Friday.",
    ):
        for page in ([line, *body], [*body, line]):
            result = cleaner.clean(
                page, title="A century of the Courier", authors=["Courier Staff"]
            )
            assert result.paragraphs == page, line
    box = "Sarah Klein is the Courier's chief political correspondent."
    assert cleaner.clean([*body, box], authors=["Sarah Klein"]).paragraphs == body


def test_the_third_item_of_a_list_is_no_copyright_line():
    """ "(c) Example Press" is a copyright line, and so the third item of a
    list, "(c) do nothing at all.", "(c) Madrid", was taken for one and dropped
    while its "(a)" and "(b)" stayed (found with pages written for the purpose).
    After a paragraph holding "(b)", a line "(c) ..." is the list's."""
    intro = [
        "The council has three options for the car park behind the harbour office.",
        "Each of them goes to a public vote at the meeting next Thursday evening.",
    ]
    cleaner = TextCleaner()
    for items in (
        ["(a) raise the parking fee;", "(b) close the road at night; or", "(c) do nothing at all."],
        ["Which town hosts the regatta?", "(a) Penmorrow", "(b) Hollow Bay", "(c) Madrid"],
        ["It may (a) repair the wall or (b) sell the land, or", "(C) Lease it to the club."],
    ):
        page = [*intro, *items, "The vote is expected to be close, councillors say."]
        assert cleaner.clean(page).paragraphs == page, items
    # A copyright line still goes, after a list too.
    page = [*intro, "(a) raise the fee;", "(b) close the road.", "Photo:", "(c) Harbour Media"]
    assert cleaner.clean(page).paragraphs == [*intro, "(a) raise the fee;", "(b) close the road."]


def test_an_events_period_at_the_start_is_text():
    """An exhibition's or a festival's story opens with its dates, "29 November
    2026 | 20 January 2027", and the timestamp class took the line for the
    page's date line (an in-reference line of the aeb set). Two dates with no
    word saying which is the page's are an event's period; a date line goes."""
    body = [
        "The harbour museum shows a century of fishing boats built on the quay.",
        "Models, tools and photographs come from the families of the boatbuilders.",
        "Entry is free on the first Sunday of every month, the museum said.",
    ]
    cleaner = TextCleaner()
    for period in ("29 November 2026 | 20 January 2027", "12 March – 30 June 2027"):
        assert cleaner.clean([period, *body]).paragraphs == [period, *body]
    dated = ["Published 3 March 2026 | Updated 4 March 2026", *body]
    assert cleaner.clean(dated).paragraphs == body
    assert cleaner.clean(["Monday, 2 March 2026", *body]).paragraphs == body


def test_a_readers_practical_line_closing_a_story_is_text():
    """A story about an event closes with where to write for tickets ("Contact the
    organisers at hello@fair.test for details.", "Email bookings@... to reserve a
    seat."), and the contact class took the line for the author's address, which
    closes a story in the same shape (found with pages written for the purpose).
    A line that says what to write for is the reader's; the author's still goes.
    So is a line naming where to find out more, "Tickets: www.fair.test", which
    the url_only class took (a link's line: "Listen: https://...")."""
    body = [
        "The harbour fair returns on Saturday with forty stalls along the quay.",
        "Boatbuilders will show their work, and the lifeboat crew will open its station.",
        "Last year more than three thousand people came, the organisers said.",
    ]
    cleaner = TextCleaner()
    for line in (
        "Contact the organisers at hello@fair.test for details.",
        "Email bookings@theatre.test to reserve a seat.",
        "Email the trust at help@trust.test for more information.",
    ):
        assert cleaner.clean([*body, line]).paragraphs == [*body, line], line
    for line in ("Tickets: www.fair.test", "Weitere Informationen: https://www.stadt.test/fest"):
        assert cleaner.clean([*body, line]).paragraphs == [*body, line], line
    assert cleaner.clean([*body, "Listen: https://courier.test/podcast"]).paragraphs == body
    author = "Write to Jane Roe at jane.roe@courier.test"
    assert cleaner.clean([*body, author]).paragraphs == body
    tips = "Got a news tip? Email us at tips@courier.test"
    assert cleaner.clean([*body, tips]).paragraphs == body


def test_furniture_labels_of_a_russian_story_go():
    """A Russian story's "Реклама", "Поделиться", "Подписывайтесь на наш канал в
    Telegram" and "Комментарии (3)" were kept, where the same lines in English
    or German go (found with pages written for the purpose)."""
    body = [
        "В центральном парке в субботу открылся новый каток площадью полторы тысячи метров.",
        "Вход на каток бесплатный, а коньки можно взять напрокат у входа.",
        "По словам администрации, каток будет работать до конца февраля.",
    ]
    page = [
        body[0],
        "Реклама",
        body[1],
        body[2],
        "Поделиться",
        "Подписывайтесь на наш канал в Telegram",
        "Комментарии (3)",
    ]
    assert TextCleaner().clean(page).paragraphs == body


def test_a_russian_story_s_dateline_credit_source_and_tags_are_dropped():
    # A story in a script the classes learnt later (written for this test): its
    # dateline, photo credit, source and tag lines all stayed in the text.
    body = [
        "Паром между островом и городом снова ходит по расписанию после шторма.",
        "Капитан рассказал, что команда проверила двигатели перед первым рейсом.",
        "Расписание на зиму останется прежним, сообщили в администрации порта.",
    ]
    paragraphs = [
        "20 ноября 2026, 10:42",
        body[0],
        "Фото: Иван Петров",
        body[1],
        body[2],
        "Источник: ТАСС",
        "Теги: порт, паром, погода",
    ]
    result = TextCleaner().clean(paragraphs)
    assert result.paragraphs == body
    assert [d.detail for d in result.dropped] == ["timestamp", "photo_credit", "source", "tags"]
