"""The Simulator: a provider-faithful SMTP server running on the current event loop."""

from __future__ import annotations

import asyncio
import ipaddress
import resource
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from simulator import state as state_controls
from simulator.behaviour import Behaviour, as_provider_holds
from simulator.clock import VirtualClock
from simulator.events import MASK, Event, EventBus
from simulator.faults import FaultConfig, Faults
from simulator.limits import Ledger
from simulator.listener import Listener, listening_socket, refuse
from simulator.mailbox import Mailbox
from simulator.profile import Profile, load
from simulator.scenario import LEDGER_ACTIONS, Scenario, TimedEvent, play
from simulator.session import LEGACY_TLS_KEY, ProviderSMTP, Services
from simulator.signin.tokens import OAuthState
from simulator.silent import SilentPort
from simulator.state import Account, State
from simulator.tls import TLSMaterial

if TYPE_CHECKING:
    from simulator.signin.app import SigninService

# Which identity provider a mail provider's OAuth sign-in goes to (see simulator.signin).
IDENTITY = {"office365": "microsoft", "gmail": "google"}

MAX_CONNECTIONS = 1000  # open connections at once; more get the provider's 421
SPARE_DESCRIPTORS = 100  # kept free for files, the listeners and the refusals themselves
CLOSE_GRACE = 2.0  # seconds sessions get to close before their connections are cut
THREAD_TIMEOUT = 30.0  # seconds a background simulator gets to start or stop
NO_ANSWER = "the real host does not answer there, so clients time out"


class Simulator:
    """An SMTP server that answers as one provider does; an async context manager."""

    def __init__(
        self,
        provider: str | Profile,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_port: int | None = None,
        accounts: Iterable[Account] = (),
        scenario: Scenario | None = None,
        clock: VirtualClock | None = None,
        clock_speed: float | None = None,
        seed: int | None = None,
        maildir: Path | None = None,
        allow_remote: bool = False,
        ca_out: Path | None = None,
        ca_replace: bool = True,
        silent_port: int | None = None,
        silent_reason: str = "",
        keep: int | None = None,
        signin_port: int | None = 0,
        consent: str | None = None,
        max_connections: int | None = None,
        ca_in_child: bool = False,
    ) -> None:
        self.profile = load(provider) if isinstance(provider, str) else provider
        if scenario is not None and scenario.provider != self.profile.id:
            raise ValueError(
                f"the scenario is written for {scenario.provider!r}, not {self.profile.id!r}"
            )
        if not allow_remote and not is_loopback(host):
            raise ValueError(f"{host} is not a loopback address; pass allow_remote to bind it")
        # Unset, they come from the scenario, else real time and seed 0.
        if clock_speed is None:
            clock_speed = scenario.clock_speed if scenario else 1.0
        if seed is None:
            seed = scenario.seed if scenario else 0
        self.host, self.port, self.tls_port = host, port, tls_port
        self.seed = seed
        self.scenario = scenario
        self.clock = clock or VirtualClock(speed=clock_speed)
        limits = scenario.apply_limits(self.profile.limits) if scenario else self.profile.limits
        self.behaviour = Behaviour(self.profile, limits, seed)
        self.state = State(oauth=OAuthState(self.clock))
        for account in [*(scenario.accounts if scenario else []), *accounts]:
            self.state.add(as_provider_holds(account, self.profile))
        for client in scenario.oauth_clients if scenario else []:
            self.state.oauth.add_client(client)
        self.state.oauth.consent = consent or (scenario.consent if scenario else "auto")
        # The sign-in service of an OAuth provider (None: not started); port 0 picks a free one.
        self.signin_port = signin_port if self.profile.id in IDENTITY else None
        self.signin: SigninService | None = None
        self.ledger = Ledger(limits, self.clock)
        self.faults = Faults(scenario.faults if scenario else FaultConfig(), seed, self.clock)
        self.state.greylisting = self.faults.config.greylist  # greylisting_off can stop it
        self.mailbox = Mailbox(maildir, keep=keep)  # keep: recent messages held
        self.events = EventBus()
        self.ca_out = ca_out
        self.ca_replace = ca_replace  # False: a different file at ca_out is left alone
        self.ca_file = Path()
        self.ca_in_child = ca_in_child  # a long-running server never loads cryptography
        self._tls: TLSMaterial | None = None
        self._servers: list[asyncio.Server] = []  # the silent ports
        self.max_connections = max_connections or connection_cap()
        self._listeners: list[Listener] = []
        self._starting = 0
        self._services: Services | None = None
        self._scenario_task: asyncio.Task[None] | None = None
        self._silent: set[asyncio.BaseTransport] = set()
        self.started_at = self.clock.now()
        self.unserved_reason: str | None = None  # why tls_port is held but never answered
        # A port the provider does not have (a rehearsed channel's): held, never answered.
        self.silent_port, self.silent_reason = silent_port, silent_reason

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on host:port (and tls_port for implicit TLS); returns once listening."""
        loop = asyncio.get_running_loop()
        names = ["localhost", "127.0.0.1", "::1", self.host, self.profile.host_token]
        hosts = [*names, *(e.host for e in self.profile.endpoints)]
        self._tls = TLSMaterial(hosts, in_child=self.ca_in_child)
        self.ca_file = self._tls.write_ca(self.ca_out, replace=self.ca_replace)
        context = self._tls.server_context(legacy=self.behaviour.speaks(LEGACY_TLS_KEY))
        services = Services(
            behaviour=self.behaviour,
            state=self.state,
            ledger=self.ledger,
            mailbox=self.mailbox,
            clock=self.clock,
            events=self.events,
            faults=self.faults,
            tls_context=context,
        )
        self._services = services
        hostname = self.profile.host_token
        plain_session = partial(ProviderSMTP, services, hostname=hostname)
        tls_session = partial(ProviderSMTP, services, hostname=hostname, implicit_tls=True)
        try:
            plain = Listener(
                listening_socket(self.host, self.port), partial(self._serve, plain_session, None)
            )
            self._listeners.append(plain)
            self.port = plain.port
            if self.silent_port is not None:
                why = f"{self.silent_reason}; {NO_ANSWER}"
                self.silent_port = await self._listen_silently(loop, self.silent_port, why)
            if self.tls_port is not None and not self.profile.offers(None, "tls"):
                reason = self.profile.missing_endpoint(465, "tls") or ""
                self.unserved_reason = why = f"{reason}; {NO_ANSWER}"
                self.tls_port = await self._listen_silently(loop, self.tls_port, why)
            elif self.tls_port is not None:
                wrapped = Listener(
                    listening_socket(self.host, self.tls_port),
                    partial(self._serve, tls_session, context),
                )
                self._listeners.append(wrapped)
                self.tls_port = wrapped.port
            await self._start_signin()
        except BaseException:
            await self.stop()
            raise
        self.started_at = self.clock.now()  # a lesson's time counts from here
        if self.scenario is not None and self.scenario.events:
            self._scenario_task = asyncio.create_task(
                play(self.scenario.events, self, start=self.started_at, announce=self._announce)
            )

    async def _listen_silently(self, loop: asyncio.AbstractEventLoop, port: int, why: str) -> int:
        """Hold a port the provider does not have, answering nobody there; its number."""

        def say(text: str) -> None:
            self.events.emit(Event("refused", "", f"{text}: {why}", self.clock.now(), time.time()))

        server = await loop.create_server(lambda: SilentPort(self._silent, say), self.host, port)
        self._servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    async def _start_signin(self) -> None:
        if self.signin_port is None:
            return
        from simulator.signin.app import SigninService  # aiohttp only when it is needed

        service = SigninService(
            self.state,
            IDENTITY[self.profile.id],
            host=self.host,
            port=self.signin_port,
            events=self.events,
        )
        await service.start()
        self.signin, self.signin_port = service, service.port

    @property
    def signin_url(self) -> str:
        """The sign-in service's base URL (http://127.0.0.1:PORT); empty when none runs."""
        return self.signin.url if self.signin is not None else ""

    async def stop(self) -> None:
        """Stop listening, close every session and remove temporary files."""
        if self.signin is not None:
            await self.signin.stop()
            self.signin = None
        if self._scenario_task is not None:
            self._scenario_task.cancel()
            await asyncio.gather(self._scenario_task, return_exceptions=True)
            self._scenario_task = None
        for listener in self._listeners:
            await listener.close()
        self._listeners.clear()
        for server in self._servers:
            server.close()
        for transport in list(self._silent):
            transport.close()
        if self._services is not None and self._services.open_sessions:
            for session in list(self._services.open_sessions):
                if session.transport is not None:
                    session.transport.close()
            try:
                await asyncio.wait_for(self._services.all_closed.wait(), CLOSE_GRACE)
            except TimeoutError:
                for session in list(self._services.open_sessions):
                    if isinstance(session.transport, asyncio.Transport):
                        session.transport.abort()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        if self._tls is not None:
            self._tls.cleanup()

    async def _serve(
        self,
        session: Callable[[], ProviderSMTP],
        context: ssl.SSLContext | None,
        conn: socket.socket,
    ) -> None:
        """Start a session on an accepted connection, or refuse it when too many are open."""
        services = self._services
        taken = self._starting + (len(services.open_sessions) if services else 0)
        if taken >= self.max_connections:
            self.events.emit(
                Event("refused", "", "connection cap reached", self.clock.now(), time.time())
            )
            if context is None:
                await refuse(conn, self._cap_reply())
            else:
                conn.close()
            return
        loop = asyncio.get_running_loop()
        self._starting += 1  # counted until its session is open (or failed to start)
        try:
            await loop.connect_accepted_socket(session, conn, ssl=context)
        finally:
            self._starting -= 1

    def _cap_reply(self) -> str:
        """The provider's own 421 for too many connections, else its 'service unavailable'."""
        for key in ("too_many_connections", "service_unavailable"):
            text = self.behaviour.render(key, {})
            if text.startswith("421 "):
                return text
        return "421 4.3.2 Service not available, closing transmission channel"

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this simulator's certificate authority."""
        if self._tls is None:
            raise RuntimeError("the simulator is not started")
        return self._tls.client_context()

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Receive every later event; returns the function that unsubscribes."""
        return self.events.subscribe(callback)

    def add_account(self, account: Account) -> None:
        """Add (or replace) an account while the server runs."""
        self.state.add(as_provider_holds(account, self.profile))

    def control(self, action: str, user: str | None = None, value: str | None = None) -> None:
        """Apply a trainer or scenario control (see simulator.state.CONTROLS)."""
        if action not in state_controls.CONTROLS:
            raise KeyError(f"unknown control {action!r}")
        if action in LEDGER_ACTIONS:
            self._ledger_control(action, user)
        else:
            state_controls.apply(self.state, action, user, value)
        # A control's value is a new password or similar: never shown.
        detail = " ".join(p for p in (action, user, MASK if value else None) if p)
        self.events.emit(Event("control", "", detail, self.clock.now(), time.time()))

    def holds(self, action: str, user: str | None = None) -> bool | None:
        """Whether the provider now shows what control `action` does (see state.holds)."""
        if action not in ("use_up_quota", "throttle"):
            return state_controls.holds(self.state, action, user)
        users: list[str | None] = [user] if user else [*self.state.accounts, None]
        which = 0 if action == "use_up_quota" else 1
        return any(self.ledger.used_up(name)[which] for name in users)

    def _ledger_control(self, action: str, user: str | None) -> None:
        if action == "reset_limits":
            self.ledger.reset(user)
            return
        users: list[str | None] = [user] if user else list(self.state.accounts)
        for name in users or [None]:
            if action == "use_up_quota":
                self.ledger.use_up_quota(name)
            else:
                self.ledger.throttle(name)

    def _announce(self, event: TimedEvent) -> None:
        text = event.note or event.action
        self.events.emit(Event("scenario", "", text, self.clock.now(), time.time()))


def connection_cap() -> int:
    """The default cap on open connections: the 421 comes before descriptors run out."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, soft - SPARE_DESCRIPTORS))


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextmanager
def in_background(simulator: Simulator) -> Iterator[Simulator]:
    """Run a simulator on its own event loop in a thread, for synchronous code (smtplib)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="smtp-simulator", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(simulator.start(), loop).result(THREAD_TIMEOUT)
        try:
            yield simulator
        finally:
            asyncio.run_coroutine_threadsafe(simulator.stop(), loop).result(THREAD_TIMEOUT)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(THREAD_TIMEOUT)
        loop.close()
