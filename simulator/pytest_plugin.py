"""The smtp_simulator pytest fixtures: a provider-faithful SMTP server on the test's own loop.

    @pytest.mark.smtp_simulator("office365", accounts=["alice@contoso.com:Secret-1"])
    async def test_send(smtp_simulator):
        ...  # smtp_simulator.host, .port, .client_ssl_context(), .mailbox, .clock

The marker takes the same keywords as simulator.server.Simulator, plus `scenario`
(a Scenario, a file path or a lesson name) and `accounts` (Account objects or
"USER:PASSWORD" strings). `smtp_simulator_factory` starts as many as a test needs.
A plain `def` test (smtplib, a framework's mail code) takes `smtp_simulator_thread`:
the same simulator, run on its own loop in a background thread.

Office 365 and Gmail simulators also run the simulated OAuth sign-in service
(`smtp_simulator.signin_url`). `smtp_signin` is that service, the simulated user:

    @pytest.mark.smtp_simulator("office365", accounts=["alice@contoso.com:pw"], consent="manual")
    async def test_sign_in(smtp_simulator, smtp_signin):
        ...  # start a device code sign-in against smtp_simulator.signin_url, then:
        smtp_signin.approve(user_code, "alice@contoso.com")  # or .deny(user_code)
        smtp_signin.consent = "auto"  # auto (default) | manual | deny; .pending() lists codes
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from simulator.state import Account

if TYPE_CHECKING:
    from simulator.scenario import Scenario
    from simulator.server import Simulator
    from simulator.signin.app import SigninService

MARKER = "smtp_simulator"
SimulatorFactory = Callable[..., Awaitable["Simulator"]]

# The plugin loads in every pytest run; without pytest-asyncio its fixtures explain why they fail.
HAS_PYTEST_ASYNCIO = find_spec("pytest_asyncio") is not None


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker, so --strict-markers accepts it."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(provider='office365', scenario=None, accounts=(), **options): "
        "start the smtp_simulator fixture with this provider, scenario and accounts",
    )


FIXTURES = ("smtp_simulator", "smtp_simulator_factory", "smtp_signin")


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_pycollect_makeitem(
    collector: pytest.Module | pytest.Class, name: str, obj: object
) -> Generator[None, Any, Any]:
    """Mark async tests that use the simulator for pytest-asyncio, also in its strict mode."""
    result: Any = yield
    items = result if isinstance(result, list) else [result]
    for item in items:
        if _uses_simulator(item) and not item.get_closest_marker("asyncio"):
            item.add_marker(pytest.mark.asyncio)
    return result


def _uses_simulator(item: object) -> bool:
    if not HAS_PYTEST_ASYNCIO or not isinstance(item, pytest.Function):
        return False
    if not inspect.iscoroutinefunction(item.obj):
        return False
    return bool(item.get_closest_marker(MARKER) or set(FIXTURES) & set(item.fixturenames))


def parse_accounts(accounts: Iterable[Account | str]) -> list[Account]:
    """Accounts from Account objects or "USER:PASSWORD" strings."""
    parsed = []
    for account in accounts:
        if isinstance(account, Account):
            parsed.append(account)
            continue
        username, colon, password = account.partition(":")
        if not colon or not username:
            shown = f"{username!r}" if colon else "a value without a colon (not repeated)"
            raise ValueError(f"an account must be USER:PASSWORD, not {shown}")
        parsed.append(Account(username=username, password=password))
    return parsed


def _scenario(scenario: Scenario | str | Path | None) -> Scenario | None:
    from simulator.scenario import Scenario, load_scenario, resolve_scenario

    if scenario is None or isinstance(scenario, Scenario):
        return scenario
    return load_scenario(resolve_scenario(scenario))


def build(
    provider: str | None = None,
    *,
    scenario: Scenario | str | Path | None = None,
    accounts: Iterable[Account | str] = (),
    **options: Any,
) -> Simulator:
    """A Simulator (not started) from the marker's arguments."""
    from simulator.server import Simulator

    loaded = _scenario(scenario)
    chosen = provider or (loaded.provider if loaded else "office365")
    return Simulator(chosen, scenario=loaded, accounts=parse_accounts(accounts), **options)


def _factory(started: list[Simulator]) -> SimulatorFactory:
    async def start(*args: Any, **kwargs: Any) -> Simulator:
        simulator = build(*args, **kwargs)
        await simulator.start()
        started.append(simulator)
        return simulator

    return start


def _marker_arguments(request: pytest.FixtureRequest) -> tuple[tuple[Any, ...], dict[str, Any]]:
    marker = request.node.get_closest_marker(MARKER)
    return (marker.args, marker.kwargs) if marker else ((), {})


@pytest.fixture
def smtp_simulator_thread(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    """A started Simulator in a background thread, for plain `def` tests and blocking clients."""
    from simulator.server import in_background

    args, kwargs = _marker_arguments(request)
    with in_background(build(*args, **kwargs)) as simulator:
        yield simulator


SYNC_HINT = (
    "{name} runs on the test's event loop, so it needs an `async def` test; "
    "a plain `def` test (smtplib, a web framework's mail code) uses smtp_simulator_thread"
)

if HAS_PYTEST_ASYNCIO:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def smtp_simulator_factory(
        request: pytest.FixtureRequest,
    ) -> AsyncIterator[SimulatorFactory]:
        """An async factory: `await smtp_simulator_factory("gmail", accounts=[...])`."""
        if not inspect.iscoroutinefunction(request.function):
            name = next(n for n in (MARKER, "smtp_simulator_factory") if n in request.fixturenames)
            pytest.fail(SYNC_HINT.format(name=name), pytrace=False)
        started: list[Simulator] = []
        try:
            yield _factory(started)
        finally:
            for simulator in reversed(started):
                await simulator.stop()

    @pytest_asyncio.fixture
    async def smtp_simulator(
        request: pytest.FixtureRequest, smtp_simulator_factory: SimulatorFactory
    ) -> Simulator:
        """A started Simulator on 127.0.0.1, configured by the smtp_simulator marker."""
        args, kwargs = _marker_arguments(request)
        return await smtp_simulator_factory(*args, **kwargs)

    @pytest_asyncio.fixture
    async def smtp_signin(smtp_simulator: Simulator) -> SigninService:
        """The smtp_simulator's sign-in service: approve(), deny(), consent, pending()."""
        if smtp_simulator.signin is None:
            pytest.fail(
                f"{smtp_simulator.profile.id}: no sign-in service (office365 and gmail have one)",
                pytrace=False,
            )
        return smtp_simulator.signin

else:

    @pytest.fixture
    def smtp_simulator_factory() -> None:
        """Unavailable: needs pytest-asyncio."""
        pytest.fail("the smtp_simulator fixtures need pytest-asyncio (pip install pytest-asyncio)")

    @pytest.fixture
    def smtp_simulator() -> None:
        """Unavailable: needs pytest-asyncio."""
        pytest.fail("the smtp_simulator fixtures need pytest-asyncio (pip install pytest-asyncio)")

    @pytest.fixture
    def smtp_signin() -> None:
        """Unavailable: needs pytest-asyncio."""
        pytest.fail("the smtp_simulator fixtures need pytest-asyncio (pip install pytest-asyncio)")
