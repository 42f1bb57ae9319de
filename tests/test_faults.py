"""Seeded faults: greylisting on the virtual clock, and reproducible chaos per session."""

from simulator.clock import VirtualClock
from simulator.faults import FaultConfig, Faults, Injection, is_reply_text

SENDER, RCPT = "alice@contoso.com", "bob@example.org"


def dialogue(faults: Faults, session: int, commands: list[str]) -> list[object]:
    chaos = faults.session(session)
    return [(chaos.latency(), chaos.should_disconnect(), chaos.injected(c)) for c in commands * 20]


CHAOS = FaultConfig(
    disconnect_probability=0.2,
    latency=0.01,
    latency_jitter=0.05,
    injections=[Injection("RCPT", 0.3, "451 4.3.0 Try again"), Injection("*", 0.1, "greylisted")],
)
COMMANDS = ["EHLO", "MAIL", "RCPT", "DATA", "DOT"]


def test_greylisting_defers_the_first_attempts_until_the_delay_passes() -> None:
    clock = VirtualClock(speed=0, start=0.0)
    faults = Faults(FaultConfig(greylist=True, greylist_delay=300), seed=1, clock=clock)
    assert faults.greylisted(SENDER, RCPT)
    clock.advance(seconds=299)
    assert faults.greylisted(SENDER, RCPT.upper())
    assert faults.greylist_retry_at(SENDER, RCPT) == 300
    clock.advance(seconds=1)
    assert not faults.greylisted(SENDER, RCPT)
    assert faults.greylisted(SENDER, "carol@example.org")


def test_greylisting_off_by_config_or_switch() -> None:
    faults = Faults(FaultConfig(), clock=VirtualClock(speed=0))
    assert not faults.greylisted(SENDER, RCPT)
    assert faults.greylisted(SENDER, RCPT, enabled=True)
    assert faults.greylist_retry_at("x@y", RCPT) is None


def test_same_seed_same_session_same_dialogue() -> None:
    first = dialogue(Faults(CHAOS, seed=42), 3, COMMANDS)
    again = dialogue(Faults(CHAOS, seed=42), 3, COMMANDS)
    assert first == again


def test_sessions_and_seeds_differ() -> None:
    faults = Faults(CHAOS, seed=42)
    assert dialogue(faults, 1, COMMANDS) != dialogue(faults, 2, COMMANDS)
    assert dialogue(faults, 1, COMMANDS) != dialogue(Faults(CHAOS, seed=43), 1, COMMANDS)


def test_probabilities_are_roughly_honoured() -> None:
    chaos = Faults(CHAOS, seed=7).session(0)
    drops = sum(chaos.should_disconnect() for _ in range(5000))
    assert 800 < drops < 1200
    injected = [chaos.injected("RCPT") for _ in range(5000)]
    assert 1300 < injected.count("451 4.3.0 Try again") < 1700
    assert all(0.01 <= chaos.latency() <= 0.06 for _ in range(100))


def test_injection_targets_its_command_and_certainty_needs_no_draw() -> None:
    config = FaultConfig(injections=[Injection("mail", 1.0, "rate_exceeded")])
    chaos = Faults(config, seed=0).session(0)
    assert chaos.injected("MAIL") == "rate_exceeded"
    assert chaos.injected("RCPT") is None
    assert not chaos.should_disconnect()
    assert chaos.latency() == 0.0


def test_reply_text_or_key() -> None:
    assert is_reply_text("451 4.7.1 Try again later")
    assert is_reply_text("550-5.4.5 Daily limit")
    assert not is_reply_text("greylisted")
