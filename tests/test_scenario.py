"""Scenario files: parsing, errors that name path:line: field, lessons, and timed playback."""

import asyncio
import textwrap
from pathlib import Path

import pytest

import simulator.scenario as scenario_module
from simulator.clock import VirtualClock
from simulator.profile import load
from simulator.scenario import (
    LESSONS_DIR,
    ScenarioError,
    TimedEvent,
    lessons,
    load_scenario,
    parse_duration,
    play,
    resolve_scenario,
)

FULL = """\
provider = "office365"
title = "Everything"
clock_speed = 3600
seed = 9

[[accounts]]
username = "alice@contoso.com"
password = "one"
send_as = ["sales@contoso.com"]

[[accounts]]
username = "bob@contoso.com"
tokens = ["t1", "t2"]
two_step = true

[limits]
messages_per_minute = 5
rate_mode = "refuse"

[faults]
greylist = true
greylist_delay = "2m"
disconnect_probability = 0.25
latency = 0.5

[[faults.injections]]
command = "rcpt"
probability = 0.5
reply = "greylisted"

[[events]]
at = "1h"
action = "disable_smtp_auth"

[[events]]
at = "10m"
action = "rotate_password"
user = "Alice@contoso.com"
value = "two"
note = "changed"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lesson.toml"
    path.write_text(text)
    return path


def line_of(path: Path, fragment: str, occurrence: int = 0) -> int:
    lines = [n for n, t in enumerate(path.read_text().splitlines(), 1) if fragment in t]
    return lines[occurrence]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("10m", 600), ("1h30m", 5400), ("1d2h", 93600), ("0.5m", 30), (45, 45)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["10", "1x", "h", "-5m", True, -1, "1h30", None])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match="must"):
        parse_duration(text)


def test_full_scenario(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, FULL))
    assert (scenario.provider, scenario.title, scenario.clock_speed, scenario.seed) == (
        "office365",
        "Everything",
        3600.0,
        9,
    )
    alice, bob = scenario.accounts
    assert alice.password == "one" and alice.send_as == ["sales@contoso.com"]
    assert bob.tokens == ["t1", "t2"] and bob.two_step and bob.password is None
    assert scenario.faults.greylist and scenario.faults.greylist_delay == 120
    assert scenario.faults.injections[0].command == "RCPT"
    assert [(e.at, e.action) for e in scenario.events] == [
        (600, "rotate_password"),
        (3600, "disable_smtp_auth"),
    ]
    assert scenario.events[0].note == "changed"
    limits = scenario.apply_limits(load("office365").limits)
    assert (limits.messages_per_minute, limits.rate_mode, limits.recipients_per_day) == (
        5,
        "refuse",
        10000,
    )


def test_minimal_scenario_has_defaults(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, 'provider = "office365"\n'))
    assert scenario.accounts == [] and scenario.events == [] and scenario.limits == {}
    assert (scenario.clock_speed, scenario.seed, scenario.faults.greylist) == (1.0, 0, False)


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        ('action = "rotate_password"', 'action = "explode"', "events[1].action", "must be one of"),
        ('user = "Alice@contoso.com"', 'user = "eve@x.org"', "events[1].user", "not one of"),
        ('at = "10m"', 'at = "soon"', "events[1].at", "must be a duration"),
        ('note = "changed"', "colour = 1", "events[1].colour", "not a known field"),
        ('value = "two"', "value = 2", "events[1].value", "must be a string, not a whole number"),
        ('password = "one"', "password = 31415926", "accounts[0].password", "not a whole number"),
        ('tokens = ["t1", "t2"]', 'tokens = "tok-31415926"', "accounts[1].tokens", "not a string"),
        ("two_step = true", 'two_step = "yes"', "accounts[1].two_step", "must be true or false"),
        ('tokens = ["t1", "t2"]', "tokens = [1]", "accounts[1].tokens", "list of strings"),
        ('rate_mode = "refuse"', 'rate_mode = "drop"', "limits.rate_mode", "must be one of"),
        ("messages_per_minute = 5", "messages_per_minute = 0", "limits.messages_per_minute", "1"),
        ("messages_per_minute = 5", "per_hour = 5", "limits.per_hour", "not a known field"),
        ("latency = 0.5", "latency = -1", "faults.latency", "between 0 and 60"),
        ("probability = 0.5", "probability = 2", "faults.injections[0].probability", "between"),
        ('command = "rcpt"', 'command = "HELLO"', "faults.injections[0].command", "one of"),
        ('reply = "greylisted"', 'reply = "oops"', "faults.injections[0].reply", "neither"),
        ('provider = "office365"', 'provider = "aol"', "provider", "unknown provider"),
        ("seed = 9", 'seed = "nine"', "seed", "must be a whole number"),
        ("clock_speed = 3600", "clock_speed = -2", "clock_speed", "0 or more"),
        ("clock_speed = 3600", 'clock_speed = "fast"', "clock_speed", "must be a number, not"),
    ],
)
def test_errors_name_path_line_and_field(
    tmp_path: Path, old: str, new: str, field: str, reason: str
) -> None:
    assert old in FULL
    path = write(tmp_path, FULL.replace(old, new, 1))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    error = caught.value
    assert error.field == field
    assert reason in error.reason
    assert error.line == line_of(path, new)
    assert str(error).startswith(f"{path}:{error.line}: {field}: ")
    assert "31415926" not in str(error)  # a secret's value is never repeated


def test_user_on_a_tenant_action_is_refused(tmp_path: Path) -> None:
    text = FULL.replace('action = "disable_smtp_auth"', 'action = "disable_smtp_auth"\nuser = "x"')
    with pytest.raises(ScenarioError, match=r"events\[0\]\.user: is not used by disable_smtp"):
        load_scenario(write(tmp_path, text))


def test_missing_provider_and_bad_toml(tmp_path: Path) -> None:
    missing = write(tmp_path, "seed = 1\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(missing)
    assert str(caught.value) == f"{missing}: provider: is missing"
    with pytest.raises(ScenarioError, match=r"lesson.toml:2: is not valid TOML"):
        load_scenario(write(tmp_path, 'provider = "office365"\nseed = \n'))
    with pytest.raises(ScenarioError, match="cannot be read"):
        load_scenario(tmp_path / "absent.toml")
    latin = tmp_path / "latin.toml"
    latin.write_bytes('provider = "office365"\ntitle = "\u00e9t\u00e9"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(latin)
    assert str(caught.value) == f"{latin}: is not UTF-8 text"


def test_every_lesson_loads() -> None:
    found = lessons()
    assert {"password-changed", "office365-bulk", "gmail-no-app-password"} <= set(found)
    for name, title in found.items():
        scenario = load_scenario(resolve_scenario(name))
        assert title and scenario.title == title and scenario.description
        assert scenario.accounts and scenario.events


def test_resolve_by_name_or_path(tmp_path: Path) -> None:
    assert resolve_scenario("password-changed") == LESSONS_DIR / "password-changed.toml"
    assert resolve_scenario("password-changed.toml") == LESSONS_DIR / "password-changed.toml"
    own = write(tmp_path, FULL)
    assert resolve_scenario(str(own)) == own
    with pytest.raises(ScenarioError, match="no such file, nor a lesson.*password-changed"):
        resolve_scenario("no-such-lesson")


class Recorder:
    """Stands in for the Simulator's control(): records what is applied and when."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.applied: list[tuple[float, str, str | None, str | None]] = []

    def control(self, action: str, user: str | None = None, value: str | None = None) -> None:
        self.applied.append((self.clock.now(), action, user, value))


async def test_play_applies_events_at_their_virtual_times() -> None:
    clock = VirtualClock(speed=0, start=1000.0)
    sim = Recorder(clock)
    events = [
        TimedEvent(3600, "disable_smtp_auth"),
        TimedEvent(600, "rotate_password", "alice@contoso.com", "two", "changed"),
    ]
    announced: list[str] = []
    player = asyncio.create_task(play(events, sim, announce=lambda e: announced.append(e.note)))
    await asyncio.sleep(0)
    clock.advance(minutes=9)
    await asyncio.sleep(0)
    assert sim.applied == []
    clock.advance(minutes=1)
    await asyncio.sleep(0)
    assert sim.applied == [(1600.0, "rotate_password", "alice@contoso.com", "two")]
    clock.advance(hours=2)
    await asyncio.wait_for(player, 1)
    assert [a[1] for a in sim.applied] == ["rotate_password", "disable_smtp_auth"]
    assert announced == ["changed", ""]


async def test_play_runs_on_a_fast_clock() -> None:
    clock = VirtualClock(speed=36000, start=0.0)
    sim = Recorder(clock)
    await asyncio.wait_for(play([TimedEvent(3600, "throttle", "a@b.c")], sim), 2)
    assert sim.applied[0][0] >= 3600


def test_the_documented_example_loads(tmp_path: Path) -> None:
    doc = scenario_module.__doc__ or ""
    example = textwrap.dedent(doc.split("::\n", 1)[1].split("Errors name")[0])
    scenario = load_scenario(write(tmp_path, example))
    assert scenario.faults.injections and scenario.events[0].at == 600
