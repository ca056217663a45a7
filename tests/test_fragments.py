import pytest

from newscrawl.cleaning import FragmentMatcher, InvalidPatternError


@pytest.fixture(scope="module")
def matcher() -> FragmentMatcher:
    return FragmentMatcher.build()


@pytest.mark.parametrize(
    "line",
    [
        "More From This Section",
        "MORE FROM THIS SECTION",
        "More from Business",
        "Related Articles",
        "Related stories:",
        "You may also like",
        "Advertisement",
        "ADVERTISEMENT",
        "Story continues below advertisement",
        "Read more",
        "Read more »",
        "Also read: Council approves the budget",
        "Share this article",
        "Share on Facebook",
        "Share Facebook Twitter Email",
        "Follow us on X and Facebook",
        "Follow Courier Sport on Instagram",
        "Sign up for our daily newsletter",
        "Subscribe now",
        "12 Comments",
        "Leave a comment",
        "Leggi anche",
        "Baca juga",
        "관련기사",
    ],
)
def test_builtin_patterns_drop_furniture(matcher: FragmentMatcher, line: str) -> None:
    assert matcher.matches(line)


@pytest.mark.parametrize(
    "line",
    [
        # Real sentences that start like furniture are text.
        "Read more about the ruling in the court's published judgment.",
        "Advertisement spending fell by a tenth in the second quarter.",
        "Share prices rose after the announcement on Monday morning.",
        "Follow the money, the auditors told the committee.",
        "Follow the money",
        "Subscribers will pay two pounds more from March.",
        "Related parties must be disclosed in the annual accounts, the regulator said.",
        "",
    ],
)
def test_builtin_patterns_keep_text(matcher: FragmentMatcher, line: str) -> None:
    assert not matcher.matches(line)


def test_user_patterns_extend_the_builtin_list() -> None:
    matcher = FragmentMatcher.build([r"from the archive", r"listen to this story \(\d+ min\)"])
    assert matcher.matches("From the archive")
    assert matcher.matches("Listen to this story (4 min)")
    assert matcher.matches("Advertisement")  # built-ins still apply
    assert not matcher.matches("From the archive we learn that the mill closed in 1911.")


def test_invalid_user_pattern_is_reported_with_its_text() -> None:
    with pytest.raises(InvalidPatternError, match=r"'\(unclosed'"):
        FragmentMatcher.build(["(unclosed"])
