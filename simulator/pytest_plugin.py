"""The smtp_simulator pytest fixtures: a provider-faithful SMTP server on the test's own loop.

    @pytest.mark.smtp_simulator("office365", accounts=["alice@contoso.com:Secret-1"])
    async def test_send(smtp_simulator):
        ...  # smtp_simulator.host, .port, .client_ssl_context(), .mailbox, .clock

The marker takes the same keywords as simulator.server.Simulator, plus `scenario`
(a Scenario, a file path or a lesson name) and `accounts` (Account objects or
"USER:PASSWORD" strings). `smtp_simulator_factory` starts as many as a test needs.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from simulator.state import Account

if TYPE_CHECKING:
    from simulator.scenario import Scenario
    from simulator.server import Simulator

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


FIXTURES = ("smtp_simulator", "smtp_simulator_factory")


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
            raise ValueError(f"an account must be USER:PASSWORD, not {username!r}...")
        parsed.append(Account(username=username, password=password))
    return parsed


def _scenario(scenario: Scenario | str | Path | None) -> Scenario | None:
    from simulator.scenario import Scenario, load_scenario, resolve_scenario

    if scenario is None or isinstance(scenario, Scenario):
        return scenario
    return load_scenario(resolve_scenario(scenario))


def _factory(started: list[Simulator]) -> SimulatorFactory:
    from simulator.server import Simulator

    async def start(
        provider: str | None = None,
        *,
        scenario: Scenario | str | Path | None = None,
        accounts: Iterable[Account | str] = (),
        **options: Any,
    ) -> Simulator:
        loaded = _scenario(scenario)
        chosen = provider or (loaded.provider if loaded else "office365")
        simulator = Simulator(chosen, scenario=loaded, accounts=parse_accounts(accounts), **options)
        await simulator.start()
        started.append(simulator)
        return simulator

    return start


if HAS_PYTEST_ASYNCIO:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def smtp_simulator_factory() -> AsyncIterator[SimulatorFactory]:
        """An async factory: `await smtp_simulator_factory("gmail", accounts=[...])`."""
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
        marker = request.node.get_closest_marker(MARKER)
        args, kwargs = (marker.args, marker.kwargs) if marker else ((), {})
        return await smtp_simulator_factory(*args, **kwargs)

else:

    @pytest.fixture
    def smtp_simulator_factory() -> None:
        """Unavailable: needs pytest-asyncio."""
        pytest.fail("the smtp_simulator fixtures need pytest-asyncio (pip install pytest-asyncio)")

    @pytest.fixture
    def smtp_simulator() -> None:
        """Unavailable: needs pytest-asyncio."""
        pytest.fail("the smtp_simulator fixtures need pytest-asyncio (pip install pytest-asyncio)")
