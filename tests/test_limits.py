"""The ledger: exact rolling windows, 24-hour quotas, carry-over and connection caps."""

import asyncio

from simulator.clock import VirtualClock
from simulator.limits import Ledger
from simulator.profile import Limits, load

ALICE = "alice@contoso.com"


def ledger(**limits: object) -> tuple[Ledger, VirtualClock]:
    clock = VirtualClock(speed=0, start=1_000_000.0)
    return Ledger(Limits(**limits), clock), clock  # type: ignore[arg-type]


def test_recipient_quota_admits_exactly_the_limit_then_frees_a_day_later() -> None:
    book, clock = ledger(recipients_per_day=10_000)
    admitted = [book.admit(ALICE, 1).accepted for _ in range(10_001)]
    assert admitted.count(True) == 10_000 and admitted[-1] is False
    assert book.admit(ALICE, 1).reply_key == "daily_quota_exceeded"
    clock.advance(hours=23, minutes=59)
    assert book.refusal(ALICE, 1) == "daily_quota_exceeded"
    clock.advance(minutes=1)
    assert book.refusal(ALICE, 1) is None
    assert book.admit(ALICE, 1).accepted


def test_quota_window_is_rolling() -> None:
    book, clock = ledger(recipients_per_day=10)
    book.admit(ALICE, 6)
    clock.advance(hours=12)
    book.admit(ALICE, 4)
    assert book.refusal(ALICE, 1) == "daily_quota_exceeded"
    clock.advance(hours=12)  # the first six leave the window, the last four stay
    assert book.usage(ALICE).recipients_last_day == 4
    assert book.admit(ALICE, 6).accepted
    assert not book.admit(ALICE, 1).accepted


def test_a_message_that_would_overshoot_the_quota_is_refused_whole() -> None:
    book, _ = ledger(recipients_per_day=10)
    assert book.admit(ALICE, 8).accepted
    assert book.admit(ALICE, 3).reply_key == "daily_quota_exceeded"
    assert book.admit(ALICE, 2).accepted


def test_daily_message_quota() -> None:
    book, _ = ledger(messages_per_day=3)
    assert [book.admit(ALICE, 50).accepted for _ in range(4)] == [True, True, True, False]


def test_refusal_changes_nothing() -> None:
    book, _ = ledger(messages_per_day=1)
    for _ in range(5):
        assert book.refusal(ALICE, 1) is None
    assert book.usage(ALICE).messages_last_day == 0


def test_users_are_counted_apart_and_case_insensitively() -> None:
    book, _ = ledger(messages_per_day=1)
    assert book.admit(ALICE, 1).accepted
    assert not book.admit("Alice@Contoso.com", 1).accepted
    assert book.admit("bob@contoso.com", 1).accepted
    assert book.admit(None, 1).accepted


def test_refuse_mode_per_minute_window() -> None:
    book, clock = ledger(messages_per_minute=30, rate_mode="refuse")
    results = [book.admit(ALICE).reply_key for _ in range(31)]
    assert results[:30] == [None] * 30 and results[30] == "rate_exceeded"
    clock.advance(seconds=59.9)
    assert book.refusal(ALICE) == "rate_exceeded"
    clock.advance(seconds=0.1)
    assert book.admit(ALICE).accepted


def test_delay_mode_carries_the_excess_over_to_the_next_minutes() -> None:
    book, clock = ledger(messages_per_minute=30, rate_mode="delay")
    start = clock.now()
    admissions = [book.admit(ALICE) for _ in range(75)]
    assert all(a.accepted for a in admissions)
    assert [a.delayed for a in admissions].count(False) == 30
    assert {a.deliver_at for a in admissions[:30]} == {start}
    assert {a.deliver_at for a in admissions[30:60]} == {start + 60}
    assert {a.deliver_at for a in admissions[60:]} == {start + 120}
    assert book.usage(ALICE).delivery_backlog_until == start + 120


def test_delay_mode_never_delivers_more_than_the_rate_in_any_minute() -> None:
    book, clock = ledger(messages_per_minute=5, rate_mode="delay")
    deliveries = []
    for step in range(200):
        clock.advance(seconds=(step * 7) % 13)
        deliveries.append(book.admit(ALICE).deliver_at)
    assert deliveries == sorted(deliveries)
    for index in range(len(deliveries) - 5):
        assert deliveries[index + 5] - deliveries[index] >= 60


def test_per_second_rate() -> None:
    book, clock = ledger(messages_per_second=1)
    assert book.admit(ALICE).accepted
    assert book.admit(ALICE).reply_key == "rate_exceeded"
    clock.advance(seconds=1)
    assert book.admit(ALICE).accepted


def test_quota_is_checked_before_rate() -> None:
    book, _ = ledger(messages_per_second=1, messages_per_day=1)
    book.admit(ALICE)
    assert book.refusal(ALICE) == "daily_quota_exceeded"


def test_connections_per_user() -> None:
    book, _ = ledger(connections_per_user=3)
    assert [book.connect(ALICE) for _ in range(4)] == [True, True, True, False]
    assert book.usage(ALICE).connections == 3
    book.disconnect(ALICE)
    assert book.connect(ALICE)
    assert not book.connect(ALICE)
    assert book.connect("bob@contoso.com")


def test_use_up_quota_throttle_and_reset() -> None:
    book, clock = ledger(
        recipients_per_day=100, messages_per_minute=30, rate_mode="refuse", connections_per_user=3
    )
    book.admit(ALICE, 10)
    book.use_up_quota(ALICE)
    assert book.usage(ALICE).recipients_last_day == 100
    assert book.refusal(ALICE) == "daily_quota_exceeded"
    book.connect(ALICE)
    book.reset(ALICE)
    assert book.refusal(ALICE) is None
    assert book.usage(ALICE).connections == 1
    book.throttle(ALICE)
    assert book.refusal(ALICE) == "rate_exceeded"
    clock.advance(minutes=1)
    assert book.refusal(ALICE) is None
    book.throttle(ALICE)
    book.reset()
    assert book.admit(ALICE).accepted


def test_throttle_in_delay_mode_pushes_the_next_message_a_minute_out() -> None:
    book, clock = ledger(messages_per_minute=30, rate_mode="delay")
    book.throttle(ALICE)
    admission = book.admit(ALICE)
    assert admission.accepted and admission.delayed
    assert admission.deliver_at == clock.now() + 60


def test_no_limits_admits_everything_at_once() -> None:
    book, clock = ledger()
    admission = book.admit(ALICE, 5000)
    assert admission.accepted and not admission.delayed and admission.deliver_at == clock.now()
    assert book.connect(ALICE)


def test_office365_profile_limits() -> None:
    clock = VirtualClock(speed=0)
    book = Ledger(load("office365").limits, clock)
    results = [book.admit(ALICE, 500) for _ in range(21)]
    assert sum(a.accepted for a in results) == 20
    assert results[-1].reply_key == "daily_quota_exceeded"
    assert sum(a.delayed for a in results) == 0
    assert [book.connect(ALICE) for _ in range(4)][-1] is False


async def test_fifty_concurrent_senders_never_exceed_the_limit() -> None:
    book, _ = ledger(messages_per_minute=30, rate_mode="refuse", recipients_per_day=45)

    async def sender(index: int) -> bool:
        await asyncio.sleep(0)  # interleave the senders on the loop
        return book.admit(f"user{index % 2}@contoso.com", 1).accepted

    results = await asyncio.gather(*(sender(i) for i in range(100)))
    assert sum(results) == 60
    assert book.usage("user0@contoso.com").messages_last_minute == 30


def test_ten_thousand_entries_stay_cheap() -> None:
    book, clock = ledger(recipients_per_day=100_000, messages_per_minute=10**9)
    for _ in range(50_000):
        book.admit(ALICE, 1)
        clock.advance(seconds=2)
    # The window is the last 86,400 s up to now, 2 s after the last message: 43,199 steps.
    assert book.usage(ALICE).messages_last_day == 43_199


def test_unlimited_windows_stay_small_however_fast_mail_comes() -> None:
    book, clock = ledger(messages_per_minute=30, rate_mode="delay")
    for _ in range(20_000):
        book.admit(ALICE, 2)
        clock.advance(seconds=0.01)
    usage = book.usage(ALICE)
    assert usage.messages_last_day == 20_000 and usage.recipients_last_day == 40_000
    user = book._user(ALICE)
    assert len(user.day.entries) <= 1001 and len(user.second.entries) <= 1001
    assert len(user.minute.entries) == usage.messages_last_minute > 5000  # one entry a message
