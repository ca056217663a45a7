"""The page budget's accounting (newscrawl/budget.py), on its own."""

from __future__ import annotations

from newscrawl.budget import QUEUE_FACTOR, PageBudget


def test_sites_that_queued_first_do_not_take_the_crawl_cap_from_the_others() -> None:
    budget = PageBudget(max_pages=4)
    for site in ("north", "south"):
        while budget.may_queue(site):
            budget.queued(site)
    assert budget.waiting["north"] == QUEUE_FACTOR * 4
    assert budget.may_queue("west")


def test_nothing_more_is_queued_or_sent_once_the_crawl_cap_is_spent() -> None:
    budget = PageBudget(max_pages=2)
    for site in ("north", "south"):
        budget.queued(site)
        budget.unqueued(site)
        assert budget.may_send(site)
        budget.charge(site)
    assert not budget.may_send("west") and not budget.may_queue("west")


def test_a_site_cap_bounds_that_site_alone() -> None:
    budget = PageBudget(max_per_site=1)
    budget.queued("north")
    budget.unqueued("north")
    budget.charge("north")
    assert not budget.may_send("north") and budget.may_send("south")
    assert budget.may_queue("north")  # one more may wait: QUEUE_FACTOR times the cap
    budget.queued("north")
    assert not budget.may_queue("north") and budget.may_queue("south")


def test_a_backlog_is_given_one_budgets_worth_the_smaller_cap() -> None:
    assert PageBudget().room_for_backlog() == 0  # no cap: all of it
    assert PageBudget(max_pages=24).room_for_backlog() == 24
    assert PageBudget(max_pages=24, max_per_site=10).room_for_backlog() == 10
