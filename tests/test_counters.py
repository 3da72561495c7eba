"""Stored counters stay exact through every write, and `manage.py recount` finds any drift."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from accounts import actions as account_actions
from accounts.models import User
from debates import actions, moderation
from debates.counters import rebuild
from debates.demo import DEMO_FILES
from debates.interchange import import_consultation, load_file
from debates.models import Argument, Consultation, Debate, Proposal, Source, Stance, Vote
from tests.conftest import make_user, proposal_of


def drift(consultation: Consultation) -> list[str]:
    """Return what a rebuild would change (rolled back): empty when every counter is exact."""
    with transaction.atomic():
        found = [str(d) for d in rebuild(consultation)]
        transaction.set_rollback(True)
    return found


def counts(proposal: Proposal) -> dict[str, int]:
    fresh = Proposal.objects.get(pk=proposal.pk)
    names = [
        "arguments_for",
        "arguments_against",
        "source_count",
        "hidden_for",
        "hidden_against",
        "hidden_sources",
        "votes_agree",
        "votes_mixed",
        "votes_disagree",
        "discussion",
    ]
    return {name: getattr(fresh, name) for name in names}


def endorsements(argument: Argument) -> int:
    return Argument.objects.get(pk=argument.pk).endorsement_count


@pytest.fixture
def mona(db: None) -> User:
    return make_user("mona", "Mona Modératrice", is_staff=True)


def test_posts_count_their_arguments_sources_and_positions(
    open_consultation: Consultation, alice: User, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    first = actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="a")
    actions.post_argument(proposal=proposal, author=bob, stance=Stance.AGAINST, body="b")
    second = actions.post_argument(proposal=proposal, author=alice, stance=Stance.FOR, body="c")
    source = actions.post_source(proposal=proposal, author=bob, title="t", url="https://a.fr")
    other = actions.post_proposal(debate=proposal.debate, author=bob, title="P2", body="x")
    assert counts(proposal) == {
        **dict.fromkeys(counts(proposal), 0),
        "arguments_for": 2,
        "arguments_against": 1,
        "source_count": 1,
        "discussion": 4,
    }
    assert (first.position, second.position, source.position) == (1, 2, 1)
    assert (proposal.position, Proposal.objects.get(pk=other.pk).position) == (1, 2)
    assert Debate.objects.get(pk=proposal.debate_id).proposal_count == 2
    assert drift(open_consultation) == []


def test_hiding_and_unhiding_move_the_hidden_counts_and_editing_moves_none(
    open_consultation: Consultation, bob: User, mona: User
) -> None:
    proposal = proposal_of(open_consultation)
    pour = actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="a")
    contre = actions.post_argument(proposal=proposal, author=bob, stance=Stance.AGAINST, body="b")
    source = actions.post_source(proposal=proposal, author=bob, title="t", url="https://a.fr")
    for item in (pour, contre, source):
        moderation.hide(contribution=item, actor=mona, reason="spam", notify=False)
    # A second hide of the same contribution is one decision: counted once.
    moderation.hide(contribution=pour, actor=mona, reason="spam", notify=False)
    after_hide = counts(proposal)
    assert (after_hide["hidden_for"], after_hide["hidden_against"]) == (1, 1)
    assert after_hide["hidden_sources"] == 1
    assert after_hide["arguments_for"] == 1  # hidden ones stay listed and counted
    assert drift(open_consultation) == []
    moderation.unhide(contribution=contre, actor=mona)
    moderation.unhide(contribution=source, actor=mona)
    moderation.unhide(contribution=source, actor=mona)
    after_unhide = counts(proposal)
    assert (after_unhide["hidden_for"], after_unhide["hidden_against"]) == (1, 0)
    assert after_unhide["hidden_sources"] == 0
    actions.edit_contribution(contribution=Argument.objects.get(pk=contre.pk), body="changé")
    assert counts(proposal) == after_unhide
    assert drift(open_consultation) == []


def test_votes_count_by_value_through_change_and_withdrawal(
    open_consultation: Consultation, alice: User, bob: User, vera: User
) -> None:
    proposal = proposal_of(open_consultation)
    actions.cast_vote(proposal=proposal, user=alice, value="agree")
    actions.cast_vote(proposal=proposal, user=bob, value="agree")
    actions.cast_vote(proposal=proposal, user=vera, value="mixed")
    actions.cast_vote(proposal=proposal, user=bob, value="disagree")  # a change
    actions.cast_vote(proposal=proposal, user=bob, value="disagree")  # the same again
    tallies = counts(proposal)
    assert (tallies["votes_agree"], tallies["votes_mixed"], tallies["votes_disagree"]) == (1, 1, 1)
    assert actions.withdraw_vote(proposal=proposal, user=vera)
    assert not actions.withdraw_vote(proposal=proposal, user=vera)
    tallies = counts(proposal)
    assert (tallies["votes_agree"], tallies["votes_mixed"], tallies["votes_disagree"]) == (1, 0, 1)
    assert drift(open_consultation) == []


def test_imported_tallies_add_to_the_votes_cast_here(
    open_consultation: Consultation, alice: User
) -> None:
    proposal = proposal_of(open_consultation)
    actions.cast_vote(proposal=proposal, user=alice, value="agree")
    proposal = Proposal.objects.get(pk=proposal.pk)
    proposal.imported_votes_agree = 7
    proposal.save()  # a full save keeps the stored tallies it did not load fresh
    assert counts(proposal)["votes_agree"] == 8
    assert drift(open_consultation) == []


def test_endorsements_count_on_and_off(
    open_consultation: Consultation, alice: User, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    argument = actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="a")
    assert actions.toggle_endorsement(argument=argument, user=alice)
    assert actions.toggle_endorsement(argument=argument, user=bob)
    assert endorsements(argument) == 2
    assert not actions.toggle_endorsement(argument=argument, user=alice)
    assert endorsements(argument) == 1
    stored = Argument.objects.get(pk=argument.pk)
    stored.imported_endorsements = 4
    stored.save()
    assert endorsements(argument) == 5
    assert drift(open_consultation) == []


def test_a_stale_instance_saved_whole_does_not_write_its_counts_back(
    open_consultation: Consultation, alice: User, bob: User
) -> None:
    stale = proposal_of(open_consultation)
    actions.post_argument(proposal=stale, author=bob, stance=Stance.FOR, body="a")
    actions.cast_vote(proposal=stale, user=alice, value="mixed")
    stale.title = "Nouveau titre"
    stale.save()
    fresh = Proposal.objects.get(pk=stale.pk)
    assert (fresh.title, fresh.arguments_for, fresh.votes_mixed) == ("Nouveau titre", 1, 1)
    assert drift(open_consultation) == []


def test_account_deletion_changes_no_count(
    open_consultation: Consultation, alice: User, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    argument = actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="a")
    actions.cast_vote(proposal=proposal, user=bob, value="agree")
    actions.toggle_endorsement(argument=argument, user=bob)
    before = counts(proposal), endorsements(argument)
    account_actions.delete_account(user=bob)
    assert (counts(proposal), endorsements(argument)) == before
    assert drift(open_consultation) == []


def test_an_import_counts_what_it_wrote(db: None) -> None:
    result = import_consultation(load_file(DEMO_FILES[0]))
    consultation = result.consultation
    assert drift(consultation) == []
    proposals = Proposal.objects.of_consultation(consultation)
    for proposal in proposals:
        arguments = Argument.objects.filter(proposal=proposal)
        assert proposal.arguments_for == arguments.filter(stance=Stance.FOR).count()
        assert proposal.arguments_against == arguments.filter(stance=Stance.AGAINST).count()
        assert proposal.source_count == Source.objects.filter(proposal=proposal).count()
        assert (
            proposal.votes_agree
            == proposal.imported_votes_agree
            + Vote.objects.filter(proposal=proposal, value="agree").count()
        )
        positions = sorted(arguments.filter(stance=Stance.FOR).values_list("position", flat=True))
        assert positions == list(range(1, proposal.arguments_for + 1))
    assert sum(p.arguments_for + p.arguments_against for p in proposals) > 0


def test_recount_reports_and_repairs_drift_and_check_fails_on_it(
    open_consultation: Consultation, alice: User, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="a")
    actions.cast_vote(proposal=proposal, user=alice, value="agree")
    out = StringIO()
    call_command("recount", "--check", stdout=out)
    assert "0 valeur(s) en écart" in out.getvalue()
    # Damage two counters behind the write paths' back.
    Proposal.objects.filter(pk=proposal.pk).update(arguments_for=9, cast_agree=0)
    with pytest.raises(CommandError, match="2 compteur"):
        call_command("recount", "--check", stdout=StringIO())
    assert Proposal.objects.get(pk=proposal.pk).arguments_for == 9  # --check changes nothing
    out = StringIO()
    call_command("recount", stdout=out)
    assert "debates_proposal.arguments_for: 1" in out.getvalue()
    fresh = Proposal.objects.get(pk=proposal.pk)
    assert (fresh.arguments_for, fresh.votes_agree) == (1, 1)
    call_command("recount", "--check", stdout=StringIO())


def test_recount_refuses_an_unknown_consultation(db: None) -> None:
    with pytest.raises(CommandError, match="inconnue"):
        call_command("recount", "nulle-part", stdout=StringIO())


THREADS = 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_votes_and_endorsements_on_postgresql_keep_the_counters_exact(
    open_consultation: Consultation, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    argument = actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="a")
    voters = [make_user(f"votant{i}") for i in range(THREADS * 2)]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(chunk: list[User]) -> None:
        try:
            barrier.wait()
            for user in chunk:
                actions.cast_vote(proposal=proposal, user=user, value="agree")
                actions.toggle_endorsement(argument=argument, user=user)
                actions.cast_vote(proposal=proposal, user=user, value="mixed")
                actions.toggle_endorsement(argument=argument, user=user)
                actions.toggle_endorsement(argument=argument, user=user)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(voters[i::THREADS],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    tallies = counts(proposal)
    assert (tallies["votes_agree"], tallies["votes_mixed"]) == (0, len(voters))
    assert endorsements(argument) == len(voters)
    assert drift(open_consultation) == []


def participants(consultation: Consultation) -> int:
    return Consultation.objects.get(pk=consultation.pk).participant_count


def test_participants_count_distinct_authors_and_voters_through_withdrawal(
    open_consultation: Consultation, alice: User, bob: User, vera: User
) -> None:
    proposal = proposal_of(open_consultation)  # posted by alice
    assert participants(open_consultation) == 1
    actions.post_argument(proposal=proposal, author=alice, stance=Stance.FOR, body="a")
    actions.cast_vote(proposal=proposal, user=alice, value="agree")
    assert participants(open_consultation) == 1  # the same account, three times
    actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="b")
    actions.cast_vote(proposal=proposal, user=vera, value="mixed")
    assert participants(open_consultation) == 3
    actions.cast_vote(proposal=proposal, user=vera, value="agree")  # a change
    assert participants(open_consultation) == 3
    actions.withdraw_vote(proposal=proposal, user=vera)  # her only part
    actions.withdraw_vote(proposal=proposal, user=alice)  # she still has two posts
    assert participants(open_consultation) == 2
    account_actions.delete_account(user=bob)  # his argument stays, and counts
    assert participants(open_consultation) == 2
    assert drift(open_consultation) == []


def test_each_post_counts_on_its_day_in_the_site_time_zone(
    open_consultation: Consultation, bob: User
) -> None:
    from django.utils import timezone

    from debates.counters import per_day

    proposal = proposal_of(open_consultation)
    actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="a")
    actions.post_source(proposal=proposal, author=bob, title="t", url="https://a.fr")
    assert per_day(open_consultation) == {timezone.localdate(): 3}
    assert drift(open_consultation) == []


def test_recount_rebuilds_participants_and_days(
    open_consultation: Consultation, alice: User
) -> None:
    from debates.models import DailyTally, Participation

    Participation.objects.filter(consultation=open_consultation).delete()
    DailyTally.objects.filter(consultation=open_consultation).update(contributions=9)
    Consultation.objects.filter(pk=open_consultation.pk).update(participant_count=0)
    assert sorted(drift(open_consultation)) == [
        "debates_consultation.participant_count: 1",
        "debates_dailytally.contributions: 1",
        "debates_participation.weight: 1",
    ]
    rebuild(open_consultation)
    assert participants(open_consultation) == 1
    assert drift(open_consultation) == []
