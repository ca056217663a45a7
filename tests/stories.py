"""Stories written for the archive tests: one wire story that three local outlets
print (each edited a little: its own headline, a dateline, a few words changed, a
paragraph cut, its own furniture), two different stories of the same event, and
each outlet's own stories. Invented text, written for this project.

Served as three sites by `three_outlets` (tests/test_archive_crawl.py), and
measured by `python -m tests.stories`, which prints the similarity of every kind
of pair: how SIMILARITY_THRESHOLD in newscrawl/duplicates.py was chosen.
"""

from __future__ import annotations

import html
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

# A word only the wire story has: search finds it in every copy and nowhere else.
WIRE_WORD = "centimetres"

WIRE_PARAGRAPHS = [
    (
        "The regional rail authority will reopen the Kessel valley line next spring, eleven"
        " years after a landslide buried its tracks below the village of Orrin, the"
        " authority's board decided on Tuesday."
    ),
    (
        "The board approved a budget of 48 million for the work, which includes a new"
        " tunnel under the slope that gave way and a funicular to carry passengers from"
        " Orrin station up to the old town on the ridge."
    ),
    (
        "Engineers surveyed the valley for two years before recommending the tunnel. Their"
        " report found that the hillside above the old alignment still moves by several"
        " centimetres each winter, and that rebuilding the line along its original route"
        " would leave it exposed to a second collapse."
    ),
    (
        '"We are not going to put trains back where the mountain has already told us it'
        ' does not want them," said Marta Velden, the authority\'s chief engineer. "The'
        ' tunnel costs more, but it will still be there in a hundred years."'
    ),
    (
        "Residents of the valley have campaigned for the reopening since the line closed."
        " Buses have replaced the trains, but the road through the valley floods most"
        " autumns, and the journey to the county town now takes more than an hour."
    ),
    (
        "The mayor of Orrin, Tomas Brede, said the decision would bring younger families"
        " back to a village whose school lost half of its pupils in the last decade. He"
        " said the funicular would also open the ridge to visitors who cannot manage the"
        " steep footpath."
    ),
    (
        "Construction is due to start in March and to take fourteen months. The authority"
        " expects the first trains to run the following summer, with six services a day in"
        " each direction and more at weekends."
    ),
    (
        "Opponents on the county council have questioned the cost, arguing that the money"
        " would serve more people if it went to the bus network. The council will vote on"
        " its share of the funding next month."
    ),
]


@dataclass(frozen=True)
class Outlet:
    """A local site: its name, its furniture, and how it edits the wire story."""

    name: str
    masthead: str
    furniture: list[str]
    headline: str
    dateline: str
    replacements: dict[str, str]
    cut: int | None  # the index of the wire paragraph it leaves out, if any
    own_stories: dict[str, tuple[str, list[str]]] = field(default_factory=dict)


OUTLETS = [
    Outlet(
        name="valley-courier",
        masthead="The Valley Courier",
        furniture=["Subscribe to the Courier for the week's valley news.", "Share this story"],
        headline="Kessel valley trains to return after eleven years",
        dateline="ORRIN (Wire) - ",
        replacements={},
        cut=None,
        own_stories={
            "market-hall-roof": (
                "Market hall roof to be replaced before winter",
                [
                    (
                        "Stallholders at the covered market in Brennick will trade from"
                        " marquees in the car park for six weeks while contractors replace"
                        " the hall's leaking slate roof."
                    ),
                    (
                        "The market's manager, Ilse Graun, said the old roof had been patched"
                        " so often that rain now found a new way in every week. The work is"
                        " paid for by a grant from the heritage fund and the traders' own"
                        " association, which raised money with a summer fair."
                    ),
                    (
                        "The hall will reopen in the first week of November with new lighting"
                        " and a heated corner for the cheese sellers."
                    ),
                ],
            ),
            "choir-prize": (
                "Brennick youth choir wins national prize",
                [
                    (
                        "A choir of forty schoolchildren from Brennick has won the national"
                        " youth choir competition at its first attempt, beating ensembles"
                        " from cities ten times the size of the town."
                    ),
                    (
                        "Their conductor, Pieter Auland, a retired music teacher, started the"
                        " choir three years ago with eight singers who rehearsed in the"
                        " library after closing time. The judges praised a folk song the"
                        " children had arranged themselves in four parts."
                    ),
                    "The prize includes a recording session in the capital next spring.",
                ],
            ),
        },
    ),
    Outlet(
        name="ridge-gazette",
        masthead="Ridge Gazette",
        furniture=["Read the Gazette every Thursday.", "Follow us for more local news"],
        headline="Funicular and tunnel in 48 million plan to reopen valley railway",
        dateline="",
        replacements={
            "decided on Tuesday": "agreed on Tuesday evening",
            "campaigned for": "fought for",
            "steep footpath": "steep path up from the station",
            "questioned the cost": "raised doubts about the cost",
        },
        cut=7,
        own_stories={
            "bridge-inspection": (
                "Old stone bridge closed for inspection",
                [
                    (
                        "The packhorse bridge over the Sallow stream near Tarn End has been"
                        " closed to walkers while surveyors check a crack that appeared in"
                        " its parapet after the storms in September."
                    ),
                    (
                        "The bridge, built in the seventeenth century, carries the only path"
                        " between the two halves of the hamlet. Walkers face a detour of two"
                        " miles by the lane until the surveyors report, which the highways"
                        " office expects within a fortnight."
                    ),
                    "A local history group has offered to help pay for any repairs.",
                ],
            ),
            "library-hours": (
                "Ridge library extends its opening hours",
                [
                    (
                        "The public library on the ridge will open on Saturday afternoons"
                        " and two evenings a week from next month, after volunteers agreed"
                        " to staff the extra hours alongside the two paid librarians."
                    ),
                    (
                        "The library's use has doubled since it started lending tools and"
                        " board games as well as books, its head librarian Ana Sorel said,"
                        " and working parents had asked for times they could actually come."
                    ),
                    "Volunteers will receive training in the lending system in October.",
                ],
            ),
        },
    ),
    Outlet(
        name="county-herald",
        masthead="County Herald",
        furniture=["Advertisement", "More from the Herald", "Sign up for our newsletter"],
        headline="Board backs tunnel as railway's return is confirmed",
        dateline="KESSEL VALLEY, (Wire) - ",
        replacements={
            "next spring": "in the spring",
            "Residents of the valley": "Valley residents",
            "younger families": "young families",
            "opponents on the county council": "some county councillors",
            "Opponents on the county council have": "Some county councillors have",
        },
        cut=4,
        own_stories={
            "harvest-festival": (
                "Harvest festival returns to the county showground",
                [
                    (
                        "The county harvest festival will fill the showground at Helm again"
                        " this weekend, with sheepdog trials, a ploughing match with horses"
                        " and more than a hundred stalls of local food."
                    ),
                    (
                        "Organisers cancelled last year's festival when the field was too wet"
                        " to take cars. This year they have laid a gravel track to the"
                        " parking area and will run a shuttle bus from Helm station every"
                        " twenty minutes."
                    ),
                    "Tickets at the gate cost less for families arriving by bus.",
                ],
            ),
            "clinic-opens": (
                "New health clinic opens in Helm",
                [
                    (
                        "A health clinic with four doctors, a dentist and a pharmacy opened"
                        " in Helm on Monday in the building that used to be the town's"
                        " post office."
                    ),
                    (
                        "Patients from the surrounding villages have until now travelled to"
                        " the county hospital for appointments that a local doctor could"
                        " have handled. The clinic's manager, Rosa Kettle, said it would"
                        " take new patients from the whole district from next week."
                    ),
                    "Parking is free for the first two hours.",
                ],
            ),
        },
    ),
]

# Two more stories of the same event, written apart from the wire story: the same
# names, places, figures and even a quote, in other words.
SAME_EVENT_STORIES = {
    "valley-line-analysis": (
        "Why the Kessel valley line is worth its price",
        [
            (
                "When the hillside above Orrin slid onto the railway eleven years ago, few"
                " people in the valley expected to see a train again. On Tuesday the rail"
                " authority's board put 48 million behind bringing it back."
            ),
            (
                "The price has drawn criticism, and it is easy to see why. A tunnel is the"
                " most expensive way to cross a slope, and the funicular to the ridge adds"
                " to the bill. But Marta Velden, who leads the authority's engineers, has"
                " a simple answer: the old route is still sliding."
            ),
            (
                "Anyone who has sat on the replacement bus when the valley road is under"
                " water knows what the closure has cost. Families have moved to the county"
                " town, the village school has shrunk, and the ridge has lost its visitors."
            ),
            (
                "If the work finishes on time, trains will run again the summer after next."
                " The county council still has to agree its share, and that vote will be"
                " the real test of whether the valley's patience is rewarded."
            ),
        ],
    ),
    "valley-line-residents": (
        "Orrin residents cheer railway decision",
        [
            (
                "There was applause in the Orrin village hall on Tuesday night when the news"
                " arrived that the railway would come back. Dozens of residents had gathered"
                " to follow the rail authority's board meeting on a laptop."
            ),
            (
                "Greta Holm, who has run the village shop for thirty years, said she had"
                " stopped believing anyone would listen. Her grandchildren take the bus to"
                " school in the county town and leave before seven in the morning."
            ),
            (
                "Tomas Brede, the mayor, thanked the campaigners who had written letters and"
                " collected signatures every year since the landslide. He said the tunnel and"
                " the new funicular would make Orrin a place people wanted to live again."
            ),
            "The county council's vote on its contribution is expected next month.",
        ],
    ),
}


def outlet_wire_copy(outlet: Outlet) -> list[str]:
    """The wire story as `outlet` prints it."""
    paragraphs = [p for i, p in enumerate(WIRE_PARAGRAPHS) if i != outlet.cut]
    edited = []
    for paragraph in paragraphs:
        for old, new in outlet.replacements.items():
            paragraph = paragraph.replace(old, new)
        edited.append(paragraph)
    edited[0] = outlet.dateline + edited[0]
    return edited


def page(outlet: Outlet, title: str, paragraphs: list[str], links: str = "") -> str:
    """An article page of `outlet`, with its masthead, furniture and links."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    furniture = "".join(f"<div class='furniture'><p>{html.escape(f)}</p></div>"
                        for f in outlet.furniture)  # fmt: skip
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} | {html.escape(outlet.masthead)}</title>"
        f"<meta property='og:type' content='article'>"
        f"<meta name='author' content='{html.escape(outlet.masthead)} staff'>"
        f"<meta property='article:published_time' content='2026-11-24'>"
        f"</head><body><header><a href='/'>{html.escape(outlet.masthead)}</a></header>"
        f"<nav>{links}</nav><article><h1>{html.escape(title)}</h1>{body}</article>"
        f"{furniture}<footer><p>{html.escape(outlet.masthead)}, all rights reserved.</p>"
        f"</footer></body></html>"
    )


def write_outlet(outlet: Outlet, root: Path, extra: dict[str, tuple[str, list[str]]]) -> None:
    """`outlet`'s pages under `root`: a front page linking the wire copy, its own
    stories and `extra` stories (path -> title, paragraphs)."""
    stories = {"news/valley-railway-returns": (outlet.headline, outlet_wire_copy(outlet))}
    stories.update({f"news/{slug}": story for slug, story in outlet.own_stories.items()})
    stories.update({f"news/{slug}": story for slug, story in extra.items()})
    links = "".join(f"<a href='/{path}.html'>{html.escape(title)}</a> "
                    for path, (title, _) in stories.items())  # fmt: skip
    (root / "news").mkdir(parents=True, exist_ok=True)
    for path, (title, paragraphs) in stories.items():
        (root / f"{path}.html").write_text(page(outlet, title, paragraphs), "utf-8")
    front = (
        f"<!doctype html><html lang='en'><head><title>{html.escape(outlet.masthead)}</title>"
        f"<meta property='og:type' content='website'></head><body>"
        f"<h1>{html.escape(outlet.masthead)}</h1><nav>{links}</nav></body></html>"
    )
    (root / "index.html").write_text(front, "utf-8")


# -- the measurement ---------------------------------------------------------------------


def edited_copy(rng: random.Random, changed_words: int, cut: int, dateline: bool) -> str:
    """The wire story with `changed_words` words replaced at random, `cut`
    paragraphs left out (from the end, as editors trim) and maybe a dateline."""
    paragraphs = WIRE_PARAGRAPHS[: len(WIRE_PARAGRAPHS) - cut]
    words = " ".join(paragraphs).split(" ")
    for index in rng.sample(range(len(words)), changed_words):
        words[index] = rng.choice(["local", "new", "said", "the", "regional", "big"])
    text = " ".join(words)
    return ("ORRIN, Nov 24 (Wire) - " if dateline else "") + text


def measure() -> dict[str, object]:
    """Estimated similarity of every kind of pair, as the store computes it."""
    from newscrawl.duplicates import signature, similarity

    wire = "\n".join(WIRE_PARAGRAPHS)
    wire_sig = signature(wire)
    assert wire_sig is not None
    rng = random.Random(7)
    copies: dict[str, list[float]] = {}
    for changed in (0, 6, 12, 24):
        for cut in (0, 1, 2, 3):
            scores = []
            for _ in range(5):
                sig = signature(edited_copy(rng, changed, cut, dateline=True))
                assert sig is not None
                scores.append(similarity(wire_sig, sig))
            copies[f"{changed} words changed, {cut} paragraphs cut"] = [
                round(min(scores), 3),
                round(max(scores), 3),
            ]
    outlets = {
        o.name: round(similarity(wire_sig, signature("\n".join(outlet_wire_copy(o))) or ()), 3)
        for o in OUTLETS
    }
    others = [("\n".join(p)) for _, p in SAME_EVENT_STORIES.values()]
    same_event = [round(similarity(wire_sig, signature(t) or ()), 3) for t in others]
    own = [
        "\n".join(p) for o in OUTLETS for _, p in o.own_stories.values()
    ]  # different stories, same kind of local news
    unrelated = [
        round(similarity(signature(a) or (), signature(b) or ()), 3)
        for i, a in enumerate(own + others + [wire])
        for b in (own + others + [wire])[i + 1 :]
        if not (a == wire and b in others) and not (b == wire and a in others)
    ]
    return {
        "wire copies edited at random (min, max of 5)": copies,
        "outlet copies in the crawl test": outlets,
        "same event, different story": same_event,
        "different stories, max": max(unrelated),
        **_shared_data_pairs(),
    }


def _shared_data_pairs() -> dict[str, object]:
    """The highest similarity between different articles of ../shared/data's ground
    truth (read only to measure; no text is copied), when present."""
    from newscrawl.duplicates import signature, similarity

    found: dict[str, object] = {}
    root = Path(__file__).resolve().parents[2] / "shared" / "data"
    for name in ("aeb", "fundus"):
        truth = root / name / "ground-truth.json"
        if not truth.is_file():
            continue
        bodies = [v.get("articleBody", "") for v in json.loads(truth.read_text("utf-8")).values()]
        sigs = [s for s in (signature(b) for b in bodies) if s is not None]
        scores = sorted(
            (similarity(a, b) for i, a in enumerate(sigs) for b in sigs[i + 1 :]), reverse=True
        )
        found[f"{name}: {len(sigs)} articles, {len(scores)} pairs, top 3"] = [
            round(s, 3) for s in scores[:3]
        ]
    return found


if __name__ == "__main__":
    json.dump(measure(), sys.stdout, indent=2)
    print()
