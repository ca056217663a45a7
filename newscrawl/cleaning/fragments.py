"""Boilerplate fragments: whole paragraphs that are page furniture, not text.

Each pattern must match a *whole* paragraph (after normalisation and trimming of
decorative punctuation), never a part of one: "Read more" alone is a link label,
while "Read more about the ruling in our explainer." is a sentence of the story.
That is what keeps these rules precise enough to run on every page.

Users add their own patterns (same full-match semantics) through the
``NEWSCRAWL_FRAGMENT_PATTERNS`` setting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from newscrawl.cleaning.normalize import comparison_key

__all__ = ["BUILTIN_FRAGMENT_PATTERNS", "FragmentMatcher", "InvalidPatternError"]

_NETWORKS = (
    r"(?:facebook|twitter|x|instagram|linkedin|tiktok|youtube|threads|bluesky|mastodon"
    r"|whatsapp|telegram|reddit|pinterest|flipboard|messenger|google news|email|e-mail)"
)

# Grouped by the kind of furniture they describe; the group names are for readers
# and for tests, every match counts under the one cleaning rule "fragment".
BUILTIN_FRAGMENT_PATTERNS: dict[str, tuple[str, ...]] = {
    "related": (
        # "More From This Section", "More stories from the author", "More in Sport"
        (
            r"more (?:stories |news |articles |coverage |videos? )?(?:from|in|on|about) "
            r"(?:this|the) (?:section|topic|category|author|site|series)"
        ),
        r"more (?:from|in|on) [\w'&.-]+(?: [\w'&.-]+){0,3}",
        r"more (?:stories|news|articles|headlines|videos|coverage|to read|like this)",
        (
            r"(?:related|recommended|suggested|similar|popular|trending|featured|latest|recent"
            r"|most (?:read|popular|viewed|shared|commented))"
            r"(?: (?:articles?|stories|news|posts|content|coverage|links|reads?|reading|videos"
            r"|topics|now|today|for you|on [\w'&.-]+(?: [\w'&.-]+){0,2}))*"
        ),
        r"top (?:stories|news|headlines)",
        r"you (?:may|might|will|could) (?:also )?(?:like|enjoy|be interested in)",
        (
            r"(?:see also|further reading|editors?'?s? picks?|read next|up next|what to read next"
            r"|don'?t miss|do not miss|in other news|elsewhere on [\w'&.-]+)"
        ),
        (
            r"(?:leia também|leia mais|leggi anche|baca juga|lihat juga|lea también|lire aussi"
            r"|mehr zum thema|관련 ?기사|함께 볼 ?만한 뉴스)"
        ),
    ),
    "advertisement": (
        (
            r"(?:advertisement|advertising|advert|ad|sponsored(?: content| posts?| links?)?"
            r"|promoted(?: content| stories)?|paid (?:content|post)"
            r"|publicidade|pubblicità|publicidad|werbung|anzeige|annonce|iklan|광고)"
        ),
        (
            r"(?:story|article|content|text) continues (?:below|after (?:the )?(?:ad|advertisement))"
            r"(?: advertisement)?"
        ),
        r"scroll (?:down )?to continue(?: reading| with content)?",
    ),
    "read_more": (
        r"(?:read|see|view|click) (?:more|here|all|the full (?:story|article|report)|full story)",
        r"read (?:the )?(?:rest|whole) of (?:the|this) (?:story|article)",
        r"continue reading(?: the (?:story|article)| below| after the ad)?",
        r"(?:also read|read also|read more)(?: (?:here|about this|stories|news))?",
        # A prompt followed by the linked headline: "Read more: Rates to rise again".
        (
            r"(?:read more|also read|read also|see also|related|more|read next|recommended"
            r"|leia também|leia mais|leggi anche|baca juga) ?[:»>|] ?.{1,160}"
        ),
    ),
    "share": (
        (
            r"(?:share|tweet|email|print|copy link|save)"
            r"(?: (?:this|the))?(?: (?:article|story|post|page|link))?"
            rf"(?: (?:on|via|with|to) {_NETWORKS})?"
        ),
        # A row of sharing buttons: "Share Facebook Twitter Email"
        rf"(?:(?:share|print|copy link|comments?|{_NETWORKS})[ ,|/·•]*){{2,}}",
    ),
    "follow": (
        # "Follow us", "Follow @desk", "Follow The Desk on X and Threads"; but not a
        # heading such as "Follow the money", hence no bare "follow <words>".
        rf"follow (?:us|me|@[\w.]+)(?: on {_NETWORKS}(?:(?:,| and| or| &) {_NETWORKS})*)?",
        rf"follow [@\w.]+(?: [\w.]+){{0,3}} on {_NETWORKS}(?:(?:,| and| or| &) {_NETWORKS})*",
        rf"(?:like|find|join) us on {_NETWORKS}",
    ),
    "subscribe": (
        (
            r"(?:subscribe|sign up|register|join)(?: now| today| here| for free| free)?"
            r"(?: (?:to|for) (?:our |the |my )?(?:[\w'-]+ ){0,3}"
            r"(?:newsletters?|updates|alerts|digest|briefing|emails?|podcast|channel|account))?"
            r"(?: (?:now|today|here|for free))?"
        ),
        (
            r"(?:get|receive) (?:our|the) (?:[\w'-]+ ){0,3}(?:newsletter|updates|alerts|briefing)"
            r"(?: [\w'-]+){0,5}"
        ),
        r"newsletter(?: sign[- ]?up)?",
    ),
    "comments": (
        r"(?:\d+ )?comments?",
        (
            r"(?:leave|post|add|write|view|show|hide|read|load) (?:a |the |all |more )?(?:\d+ )?"
            r"comments?"
        ),
        r"join the (?:conversation|discussion|debate)",
        r"comments? (?:are |is )?(?:closed|disabled)",
        r"be the first to comment",
    ),
    "navigation": (
        (
            r"(?:back to top|skip to (?:main )?content|(?:previous|next) (?:article|story|post|page)"
            r"|print this (?:article|page)|image|photo|video|close|menu|loading)"
        ),
    ),
}

# Decorative characters around a label: "» Read more", "Related:", "More ›", "•"
# (after normalisation, which has already turned guillemets into '"').
_EDGE_DECORATION = re.compile(r"^[\s»›>|•·*#\-\"']+|[\s:.…»›>|•·*\-\"']+$")


class InvalidPatternError(ValueError):
    """A user-supplied fragment pattern is not a valid regular expression."""


@dataclass(frozen=True)
class FragmentMatcher:
    """Decides whether a whole paragraph is a boilerplate fragment."""

    pattern: re.Pattern[str]

    @classmethod
    def build(cls, extra_patterns: Iterable[str] = ()) -> FragmentMatcher:
        """Combine the built-in patterns with `extra_patterns` from the user."""
        sources = [p for group in BUILTIN_FRAGMENT_PATTERNS.values() for p in group]
        for extra in extra_patterns:
            try:
                re.compile(extra)
            except re.error as exc:
                raise InvalidPatternError(f"invalid fragment pattern {extra!r}: {exc}") from None
            sources.append(extra)
        combined = "|".join(f"(?:{source})" for source in sources)
        return cls(re.compile(combined, re.IGNORECASE))

    def matches(self, paragraph: str) -> bool:
        """True if `paragraph`, as a whole, is page furniture."""
        label = _EDGE_DECORATION.sub("", comparison_key(paragraph))
        return bool(label) and self.pattern.fullmatch(label) is not None
