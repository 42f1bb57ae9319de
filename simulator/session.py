"""One SMTP connection, spoken in a provider's own words (an aiosmtpd SMTP subclass)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import ssl
import time
from asyncio import sslproto
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from functools import cached_property

from aiosmtpd.smtp import SMTP

from simulator import auth, strict, wire
from simulator.behaviour import Behaviour, header_senders, rewrite_sender
from simulator.clock import VirtualClock
from simulator.events import MASK, Event, EventBus, EventKind
from simulator.faults import Faults, SessionFaults, is_reply_text
from simulator.limits import Ledger
from simulator.mailbox import Mailbox, StoredMessage, header
from simulator.state import Account, State

log = logging.getLogger(__name__)

TOKEN_USER = "(server token)"  # what a message records for a token used as user name
DEFAULT_MAX_MESSAGE = 64 * 1024 * 1024  # memory bound when a profile sets no size limit
TURN_SLICE = 0.002  # seconds a session may run before it lets others run
IDLE_COMMAND_BUDGET = 2000  # commands a connection may send between two accepted messages
LEGACY_TLS_KEY = "tls_version_unsupported"
LEGACY_TLS_VERSIONS = frozenset({"TLSv1", "TLSv1.1"})
RECEIVE_BUFFER = 65536  # bytes one read from a client's socket may bring


@dataclass
class Services:
    """What every session of one simulator shares."""

    behaviour: Behaviour
    state: State
    ledger: Ledger
    mailbox: Mailbox
    clock: VirtualClock
    events: EventBus
    faults: Faults
    tls_context: ssl.SSLContext | None
    sessions: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    open_sessions: set[ProviderSMTP] = field(default_factory=set)
    all_closed: asyncio.Event = field(default_factory=asyncio.Event)
    # Every session reads into this one buffer: each read is copied out before the
    # transport reads again, all in one call on the simulator's own event loop.
    received: memoryview = field(default_factory=lambda: memoryview(bytearray(RECEIVE_BUFFER)))

    def emit(self, kind: EventKind, session: str, text: str) -> None:
        """Publish one event stamped with virtual and real time."""
        self.events.emit(Event(kind, session, text, self.clock.now(), time.time()))


@dataclass
class Transaction:
    """The envelope of the message being sent."""

    sender: str | None = None
    recipients: list[str] = field(default_factory=list)
    body: bytearray | None = None  # the BDAT chunks so far; None until the first one
    size: int = 0
    body_type: str | None = None  # MAIL FROM's BODY= value (BINARYMIME needs BDAT)
    utf8: bool = False  # MAIL FROM declared SMTPUTF8


class ReplyValues(dict[str, str]):
    """Reply placeholder values, looked up in the session only when a reply uses them."""

    def __init__(self, session: ProviderSMTP, extra: dict[str, str]) -> None:
        super().__init__(extra)
        self.session = session

    def __missing__(self, name: str) -> str:
        value = self.session.placeholder(name)
        if value is None:
            raise KeyError(name)
        self[name] = value
        return value


class Disconnect(Exception):
    """The session ends here (a 421, a fault, or the client went away)."""


class ProviderSMTP(SMTP, asyncio.BufferedProtocol):
    """An aiosmtpd session whose every reply, and its stage, come from the provider profile."""

    line_length_limit = wire.READER_LIMIT  # AUTH lines may be long; read_command checks the rest

    def __init__(self, services: Services, *, hostname: str, implicit_tls: bool = False) -> None:
        super().__init__(
            services,
            hostname=hostname,
            tls_context=services.tls_context,
            data_size_limit=None,
            enable_SMTPUTF8=True,
            timeout=300,
        )
        self.services = services
        self.behaviour = services.behaviour
        self.implicit_tls = implicit_tls
        self.number = 0
        self.name = "s0"
        self.session_id = ""
        self.faults: SessionFaults | None = None
        self._ids = services.behaviour.session_rng(0)
        self.counted_user: str | None = None
        self.connection_refusal: str | None = None
        self.legacy_tls = False
        self.idle_commands = 0
        self._turn_began = 0.0
        self.hiding = False  # True from an AUTH attempt until the next real command
        self._idle_deadline = 0.0
        self._reset_session()

    # Connection lifecycle

    def _reset_session(self) -> None:
        self._release_connection()
        self.greeted = False
        self.account: Account | None = None
        self.user: str | None = None
        self.transaction = Transaction()

    def _release_connection(self) -> None:
        """Stop counting this session against its user's connection limit."""
        if self.counted_user is not None:
            self.services.ledger.disconnect(self.counted_user)
            self.counted_user = None
        self.connection_refusal = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        upgraded = self._original_transport is not None
        super().connection_made(transport)
        self.legacy_tls = legacy_tls(transport)
        if upgraded:  # STARTTLS done: the client starts over, as RFC 3207 requires
            self._reset_session()
            return
        self.number = next(self.services.sessions)
        self.name = f"s{self.number}"
        self._ids = self.behaviour.session_rng(self.number)
        self.session_id = self.behaviour.session_id(self._ids)
        self.faults = self.services.faults.session(self.number)
        self.services.open_sessions.add(self)
        self.services.all_closed.clear()
        security = " over TLS" if self.implicit_tls else ""
        self.services.emit("session-open", self.name, f"connection from {self.peer}{security}")

    @property
    def peer(self) -> str:
        """The client's address as host:port."""
        peer = self.session.peer if self.session else None
        return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer or "?")

    def connection_lost(self, error: Exception | None) -> None:
        self._forget("connection closed")
        super().connection_lost(error)

    def _reset_timeout(self, duration: float | None = None) -> None:
        """Move the idle deadline on; its timer is set again only if it would fire too late."""
        # aiosmtpd cancels and sets a timer at every command: a heap push and pop each time.
        self._idle_deadline = self.loop.time() + (duration or self._timeout_duration)
        timer = self._timeout_handle
        if timer is None or timer.cancelled() or timer.when() > self._idle_deadline:
            if timer is not None:
                timer.cancel()
            self._timeout_handle = self.loop.call_at(self._idle_deadline, self._idle_check)

    def _idle_check(self) -> None:
        if self.loop.time() < self._idle_deadline:  # commands came meanwhile: wait on
            self._timeout_handle = self.loop.call_at(self._idle_deadline, self._idle_check)
        elif self.transport is not None:
            self._forget(f"idle for {self._timeout_duration:g} s: closed")
            self.transport.close()

    # A buffered protocol: without it the transport makes a fresh 256 KB buffer for every
    # read, which the C library maps and unmaps anew (page faults: a tenth of the CPU).
    def get_buffer(self, sizehint: int) -> memoryview:
        """Where the transport puts what it reads next."""
        return self.services.received

    def buffer_updated(self, nbytes: int) -> None:
        """Hand what was just read to the stream reader (which copies it: no bytes made here)."""
        self.data_received(self.services.received[:nbytes])  # type: ignore[arg-type]

    def eof_received(self) -> bool:
        """The client closed its side: answer what it sent, then the loop meets EOF and closes."""
        # aiosmtpd cancels the command loop here and keeps a plain socket half open
        # (CLOSE-WAIT) until the idle timer: one leaked descriptor per such client.
        asyncio.StreamReaderProtocol.eof_received(self)
        return not self.tls

    def _forget(self, reason: str) -> None:
        """Take this session off the open list (once) and say why it closed."""
        if self in self.services.open_sessions:
            self.services.open_sessions.discard(self)
            self._release_connection()
            self.services.emit("session-close", self.name, reason)
            if not self.services.open_sessions:
                self.services.all_closed.set()

    @property
    def max_message(self) -> int:
        """The most message bytes this session will hold."""
        return self.behaviour.size_limit or DEFAULT_MAX_MESSAGE

    @property
    def tls(self) -> bool:
        """True when this session is encrypted."""
        return self.implicit_tls or self._tls_protocol is not None

    # Replies and events

    def values(self, **extra: object) -> ReplyValues:
        """The placeholder values for a reply in this session, each computed when used."""
        return ReplyValues(self, {k: wire.printable(str(v)) for k, v in extra.items()})

    def placeholder(self, name: str) -> str | None:
        """The value of one reply placeholder in this session, or None if unknown."""
        sender = self.transaction.sender or ""
        if name == "id":
            return self.session_id
        if name in ("ip", "port"):
            peer = self.session.peer if self.session else None
            host, port = peer[:2] if isinstance(peer, tuple) else ("127.0.0.1", 0)
            return str(host if name == "ip" else port)
        if name == "user":
            return wire.printable(self.user or "")
        if name == "sender":
            return wire.printable(sender)
        if name == "domain":
            return wire.printable(sender.rpartition("@")[2])
        if name == "date":
            return format_datetime(self.services.clock.datetime())
        if name == "timestamp":
            now = self.services.clock.datetime()
            return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return None

    async def push(self, status: str, shown: str | None = None) -> None:  # type: ignore[override]
        """Send a reply; the event shows `shown` instead when the reply echoes a secret."""
        self.services.emit("reply", self.name, (shown or status).replace("\r\n", "\n"))
        await super().push(status)

    async def reply(self, key: str, **extra: object) -> None:
        """Send the provider's reply for a behaviour key; a 421 ends the session."""
        text = self.behaviour.render(key, self.values(**extra))
        await self.push(text)
        if text.startswith("421"):
            raise Disconnect(key)

    async def refuse(self, key: str, **extra: object) -> None:
        """Refuse the message in progress and record why."""
        self.services.emit("refused", self.name, key)
        try:
            await self.reply(key, **extra)
        finally:
            self.transaction = Transaction()

    def note_command(self, text: str) -> None:
        """Publish the command the client sent (already masked where needed)."""
        self.services.emit("command", self.name, text)

    # The command loop

    async def _handle_client(self) -> None:
        try:
            if not await self._fault("CONNECT"):
                await self.reply("greeting")
            while self.transport is not None:
                try:
                    line = await wire.read_command(self._reader)
                except wire.LineTooLong as error:
                    self.note_command("(line too long)")
                    if error.auth:
                        await self.reply("auth_line_too_long")
                    else:
                        await self.reply("unknown_command", command="(line too long)")
                    continue
                try:
                    await self._dispatch(line)
                    await self._take_turn()
                except (Disconnect, ConnectionError, asyncio.IncompleteReadError):
                    raise
                except Exception:  # a simulator bug must not leave the client hanging
                    log.exception("%s: error while handling a command", self.name)
                    self.transaction = Transaction()
                    await self.reply("local_error")
        except Disconnect:
            self._close()
        except (ConnectionError, asyncio.IncompleteReadError):
            self._close()

    async def _take_turn(self) -> None:
        """Let other sessions run between commands, and end one that only sends idle ones."""
        # Pipelined commands are all buffered already: without a yield here one client
        # could hold the event loop for as long as it keeps sending. A slice, not every
        # command, so that a long pipeline of a well-behaved client stays fast.
        now = self.loop.time()
        if now - self._turn_began >= TURN_SLICE:
            await asyncio.sleep(0)
            self._turn_began = self.loop.time()
        self.idle_commands += 1
        if self.idle_commands > IDLE_COMMAND_BUDGET:
            self.services.emit("refused", self.name, "command budget used up")
            await self.reply("service_unavailable")
            raise Disconnect("budget")

    async def _dispatch(self, line: bytes) -> None:
        verb_bytes, _, arg_bytes = line.partition(b" ")
        verb = verb_bytes.decode("ascii", "replace").upper()
        arg = arg_bytes.strip().decode("utf-8", "surrogateescape") or None
        known = verb.isalpha() and verb in self._commands
        # After an AUTH attempt, lines up to the next real command are the client's
        # pipelined answers (a password in base64): never logged, even when refused.
        if wire.looks_like_auth(line):
            self.hiding = True
        elif known:
            self.hiding = False
        self.note_command(MASK if self.hiding and not known else wire.masked_command(line))
        if self.legacy_tls:  # only a profile that speaks this key lets such a handshake through
            self.services.emit("refused", self.name, LEGACY_TLS_KEY)
            await self.reply(LEGACY_TLS_KEY)
            raise Disconnect(LEGACY_TLS_KEY)
        handler = self._commands.get(verb)
        if not known or handler is None:
            render = self.behaviour.render
            text = render("unknown_command", self.values(command=verb[:32]))
            shown = render("unknown_command", self.values(command=MASK)) if self.hiding else None
            await self.push(text, shown)
            return
        self._reset_timeout()
        # A BDAT chunk must be read before any answer: its faults come at the last chunk.
        if verb != "BDAT" and await self._fault(verb):
            return
        await handler(arg)

    @cached_property
    def _commands(self) -> dict[str, Callable[[str | None], Awaitable[None]]]:
        return {
            "EHLO": self.smtp_EHLO,
            "HELO": self.smtp_HELO,
            "STARTTLS": self.smtp_STARTTLS,
            "AUTH": self.smtp_AUTH,
            "MAIL": self.smtp_MAIL,
            "RCPT": self.smtp_RCPT,
            "DATA": self.smtp_DATA,
            "RSET": self.smtp_RSET,
            "NOOP": self.smtp_NOOP,
            "QUIT": self.smtp_QUIT,
            "VRFY": self.smtp_VRFY,
            "BDAT": self.smtp_BDAT,
        }

    async def _fault(self, command: str) -> bool:
        """Apply seeded faults to a command; True when a fault answered it instead."""
        faults = self.faults
        if faults is None:
            return False
        delay = faults.latency()
        if delay > 0:
            await asyncio.sleep(delay)
        if faults.should_disconnect():
            self.services.emit("refused", self.name, f"fault: disconnect at {command}")
            raise Disconnect("fault")
        injected = faults.injected(command)
        if injected is None:
            return False
        self.services.emit("refused", self.name, f"fault: {injected} at {command}")
        if is_reply_text(injected):
            await self.push(injected)
            if injected.startswith("421"):
                raise Disconnect("fault")
        else:
            await self.reply(injected)
        if command in ("MAIL", "DATA", "DOT"):  # a refused RCPT leaves the envelope as it was
            self.transaction = Transaction()
        return True

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    # Greeting and TLS

    async def smtp_EHLO(self, arg: str | None) -> None:
        if not arg or not strict.ehlo_name_ok(arg):
            await self.reply("ehlo_invalid_domain")
            return
        self.greeted = True
        self.transaction = Transaction()
        offered = self.services.state.starttls_offered and self.tls_context is not None
        await self.push(self.behaviour.ehlo(self.values(), tls=self.tls, starttls_offered=offered))

    async def smtp_HELO(self, arg: str | None) -> None:
        if not arg or not strict.ehlo_name_ok(arg):
            await self.reply("ehlo_invalid_domain")
            return
        self.greeted = True
        self.transaction = Transaction()
        await self.push(self.behaviour.helo(self.values()))

    async def smtp_STARTTLS(self, arg: str | None) -> None:
        offered = self.services.state.starttls_offered and self.behaviour.advertises(
            "STARTTLS", tls=False
        )
        if self.tls_context is None or not offered:
            await self.reply("unknown_command", command="STARTTLS")
            return
        if arg:
            await self.reply("syntax_error")
            return
        if self.tls or not self.greeted:
            await self.reply("out_of_sequence" if self.greeted else "bad_sequence")
            return
        await self.reply("starttls_ready")
        await self._start_tls()

    async def _start_tls(self) -> None:
        """Switch this connection to TLS in place, as aiosmtpd's own STARTTLS does."""
        assert self.tls_context is not None and self.transport is not None
        waiter: asyncio.Future[None] = self.loop.create_future()
        self._tls_protocol = sslproto.SSLProtocol(
            self.loop, self, self.tls_context, waiter, server_side=True
        )
        self._original_transport = plain = self.transport
        plain.set_protocol(self._tls_protocol)
        self.transport = self._tls_protocol._app_transport
        self._tls_protocol.connection_made(plain)
        try:
            await waiter
        except (ssl.SSLError, OSError) as error:
            # A failed handshake closes the socket but asyncio never reports the loss to
            # this protocol (it was never connected to the TLS layer), so forget it here.
            plain.close()
            self._forget(f"TLS handshake failed: {error}")
            raise Disconnect("tls") from None

    # Authentication

    async def smtp_AUTH(self, arg: str | None) -> None:
        state = self.services.state
        if not self.greeted or self.user is not None or self.transaction.sender:
            await self.reply("out_of_sequence" if self.greeted else "bad_sequence")
            return
        parts = (arg or "").split()
        if not parts or len(parts) > 2:
            await self.reply("syntax_error")
            return
        mechanism, initial = parts[0].upper(), (parts[1] if len(parts) == 2 else None)
        if not self.behaviour.auth_allowed(tls=self.tls):
            await self.reply("tls_required_auth")
            return
        if not self.behaviour.usable_mechanism(mechanism):
            await self.reply("auth_mechanism_unsupported")
            return
        challenge = f"<{self._ids.getrandbits(48)}.{int(time.time())}@{self.hostname}>".encode()
        try:
            credentials = await auth.read_credentials(mechanism, initial, self._ask, challenge)
        except auth.SaslError as error:
            await self.reply(error.key)
            return
        ledger, client = self.services.ledger, self.placeholder("ip") or ""
        if ledger.login_blocked(client) or state.too_many_logins:
            self.services.emit("refused", self.name, f"too many sign-ins from {client}")
            await self.reply("too_many_logins")
            return
        decision = self.behaviour.authenticate(state, credentials)
        if not decision.ok:
            ledger.login_failed(client)
            if mechanism == "XOAUTH2" and self.behaviour.speaks("xoauth2_challenge"):
                await self._exchange(self.behaviour.render("xoauth2_challenge", self.values()))
            elif mechanism == "OAUTHBEARER" and decision.key == "auth_token_invalid":
                # RFC 7628 3.2.2: the error comes as a challenge, the client answers %x01.
                await self._exchange(self.behaviour.render("oauthbearer_challenge", self.values()))
            await self.reply(decision.key, user=credentials.username)
            return
        assert decision.account is not None
        await self._signed_in(decision.account)

    async def _signed_in(self, account: Account) -> None:
        if not self.services.ledger.connect(account.username):
            stage = self.behaviour.stage("too_many_connections")
            if stage not in ("mail", "rcpt", "data", "dot"):
                self.services.emit("refused", self.name, "too_many_connections")
                await self.reply("too_many_connections", user=account.username)
                return
            self.connection_refusal = "too_many_connections"
        else:
            self.counted_user = account.username
        self.account, self.user = account, account.username
        await self.reply("auth_ok")

    async def _ask(self, payload: str) -> bytes:
        return await self._exchange(f"334 {payload}")

    async def _exchange(self, text: str) -> bytes:
        """Send a continuation reply and read the client's answer, which is never logged."""
        await self.push(text)
        try:
            line = await wire.read_sasl_line(self._reader)
        except wire.LineTooLong:
            raise auth.SaslError("auth_line_too_long") from None
        finally:
            self.note_command(MASK)
        return line.strip()

    # The mail transaction

    def _stage_refusal(
        self, stage: str, recipients: int, senders: list[str], to: list[str] | None = None
    ) -> tuple[str, dict[str, object]] | None:
        """The first refusal the provider sends at this stage, with its reply values."""
        behaviour, state = self.behaviour, self.services.state
        refusal = self.connection_refusal
        if refusal and behaviour.refusal_stage(refusal) == stage:
            return refusal, {}
        denied = behaviour.sender_refusal(state, self.account, senders)
        if denied and behaviour.refusal_stage(denied[0]) == stage:
            sender = denied[1]
            return denied[0], {"sender": sender, "domain": sender.rpartition("@")[2]}
        unverified = behaviour.unverified_recipients(state, self.account, to or [])
        if unverified and behaviour.refusal_stage("recipient_unverified") == stage:
            return "recipient_unverified", {"recipient": ", ".join(unverified)}
        if state.send_rate_exceeded and behaviour.refusal_stage("rate_exceeded") == stage:
            return "rate_exceeded", {}
        if stage != "dot":
            key = self.services.ledger.refusal(self.user, max(recipients, 1))
            if key and behaviour.refusal_stage(key) == stage:
                return key, {}
        return None

    async def smtp_MAIL(self, arg: str | None) -> None:
        if not self.greeted:
            await self.reply("bad_sequence")
            return
        if self.behaviour.tls_required and not self.tls:
            await self.reply("tls_required")
            return
        relayed = self.services.state.anonymous_relay
        if self.behaviour.auth_required and self.user is None and not relayed:
            await self.reply("auth_required")
            return
        if self.transaction.sender:
            await self.reply("nested_mail")
            return
        address, params = self._path(arg, "FROM:")
        if not address:
            await self.reply("syntax_error")
            return
        utf8 = any(p.upper() == "SMTPUTF8" for p in params.split())
        problem = strict.address_problem(address, utf8=utf8)
        if problem:
            key = "bad_sender_syntax" if problem == "syntax" else "utf8_needs_smtputf8"
            await self.reply(key, sender=address)
            return
        refused, body = strict.parameter_problem(
            params, self.behaviour, tls=self.tls, command="MAIL"
        )
        if refused:
            await self.reply(refused)
            return
        size = wire.size_param(params)
        limit = self.behaviour.size_limit
        if size is not None and limit is not None and size > limit:
            await self.refuse("message_too_large")
            return
        self.transaction.sender, self.transaction.body_type = address, body
        self.transaction.utf8 = utf8
        refusal = self._stage_refusal("mail", 1, [address])
        if refusal:
            await self.refuse(refusal[0], **refusal[1])
            return
        await self.reply("mail_ok")

    async def smtp_RCPT(self, arg: str | None) -> None:
        sender = self.transaction.sender
        if not self.greeted or not sender:
            await self.reply("need_mail" if self.greeted else "bad_sequence")
            return
        recipient, params = self._path(arg, "TO:")
        if not recipient:
            await self.reply("syntax_error")
            return
        problem = strict.address_problem(recipient, utf8=self.transaction.utf8)
        if problem:
            key = "bad_recipient_syntax" if problem == "syntax" else "utf8_needs_smtputf8"
            await self.reply(key, recipient=recipient)
            return
        refused, _ = strict.parameter_problem(params, self.behaviour, tls=self.tls, command="RCPT")
        if refused:
            await self.reply(refused)
            return
        cap = self.behaviour.limits.recipients_per_message
        if cap is not None and len(self.transaction.recipients) >= cap:
            await self.reply("too_many_recipients", recipient=recipient)
            return
        state = self.services.state
        if self.services.faults.greylisted(sender, recipient, enabled=state.greylisting):
            pair = wire.printable(f"{sender} -> {recipient}")
            self.services.emit("refused", self.name, f"greylisted {pair}")
            await self.reply("greylisted", recipient=recipient)
            return
        count = len(self.transaction.recipients) + 1
        refusal = self._stage_refusal("rcpt", count, [sender], [recipient])
        if refusal:
            await self.refuse(refusal[0], recipient=recipient, **refusal[1])
            return
        self.transaction.recipients.append(recipient)
        await self.reply("rcpt_ok", recipient=recipient)

    async def smtp_DATA(self, arg: str | None) -> None:
        transaction = self.transaction
        if not self.greeted or not transaction.sender or not transaction.recipients:
            await self.reply(self._sequence_key())
            return
        if transaction.body is not None:
            await self.reply("out_of_sequence")  # BDAT already started this message
            return
        if transaction.body_type == "BINARYMIME":  # RFC 3030: such a message goes with BDAT only
            await self.reply("data_after_binarymime")
            return
        if arg:
            await self.reply("syntax_error")
            return
        count, sender = len(transaction.recipients), [transaction.sender]
        refusal = self._stage_refusal("data", count, sender, transaction.recipients)
        if refusal:
            await self.refuse(refusal[0], **refusal[1])
            return
        await self.reply("data_start")
        raw = await wire.read_body(self._reader, self.max_message)
        self.note_command(f"(message, {len(raw)} bytes)" if raw is not None else "(message)")
        if raw is None:
            await self.refuse("message_too_large")
            return
        if await self._fault("DOT"):
            return
        await self._finish(transaction, raw)

    async def smtp_BDAT(self, arg: str | None) -> None:
        parts = (arg or "").split()
        if not self.behaviour.advertises("CHUNKING", tls=self.tls):
            await self.reply("unknown_command", command="BDAT")
            return
        if not parts or not parts[0].isdigit() or parts[1:] not in ([], ["LAST"], ["last"]):
            await self.reply("syntax_error")
            raise Disconnect("bdat")  # the chunk's length is unknown: the stream is lost
        size, last = int(parts[0]), len(parts) == 2
        # Everything is decided before the chunk is read, so a refused chunk is only
        # drained, never held: state and sign-in (MAIL needs both), then the size.
        transaction = self.transaction
        ready = self.greeted and bool(transaction.sender) and bool(transaction.recipients)
        fits = transaction.size + size <= self.max_message
        refusal = None
        if ready and transaction.body is None:
            assert transaction.sender is not None
            senders = [transaction.sender]
            count = len(transaction.recipients)
            refusal = self._stage_refusal("data", count, senders, transaction.recipients)
        keep = ready and fits and refusal is None
        if keep and transaction.body is None:
            transaction.body = bytearray()
        await wire.read_chunk(self._reader, size, transaction.body if keep else None)
        self.note_command(f"(chunk, {size} bytes{', last' if last else ''})")
        if not ready:
            await self.reply(self._sequence_key())
            return
        if refusal:
            await self.refuse(refusal[0], **refusal[1])
            return
        if not fits:
            await self.refuse("message_too_large")
            return
        transaction.size += size
        if not last:
            await self.reply("bdat_ok", size=size)
            return
        if await self._fault("DOT"):
            return
        assert transaction.body is not None
        await self._finish(transaction, bytes(transaction.body))

    def _recorded_user(self) -> str | None:
        # A token used as user name (Postmark) is recorded as such, never itself.
        if self.user and self.behaviour.profile.credentials.username_is_secret:
            return TOKEN_USER
        return self.user

    def _rewritten(self, raw: bytes, sender: str, account: Account) -> tuple[bytes, str]:
        """Gmail's handling of senders the account may not use: replaced, not refused."""
        header = rewrite_sender(raw, account)
        envelope = sender if not sender or account.may_send_as(sender) else account.username
        if header is not None or envelope != sender:
            said = wire.printable(f"{sender} -> {account.username}")
            self.services.emit("note", self.name, f"sender rewritten, not refused: {said}")
        return (header if header is not None else raw), envelope

    def _sequence_key(self) -> str:
        """The provider's reply to a command that comes before the one it needs."""
        if not self.greeted:
            return "bad_sequence"
        return "need_mail" if not self.transaction.sender else "need_rcpt"

    async def _finish(self, transaction: Transaction, raw: bytes) -> None:
        assert transaction.sender is not None
        senders = [transaction.sender, *header_senders(header(raw, "From"))]
        count = len(transaction.recipients)
        refusal = self._stage_refusal("dot", count, senders, transaction.recipients)
        if refusal:
            await self.refuse(refusal[0], **refusal[1])
            return
        if self.behaviour.profile.sender_policy == "rewrite" and self.account is not None:
            raw, transaction.sender = self._rewritten(raw, transaction.sender, self.account)
        admission = self.services.ledger.admit(self.user, len(transaction.recipients))
        if not admission.accepted:
            await self.refuse(admission.reply_key or "rate_exceeded")
            return
        queue_id = f"{self._ids.getrandbits(64):016X}"
        clock = self.services.clock
        stored = StoredMessage(
            envelope_from=transaction.sender,
            recipients=tuple(transaction.recipients),
            raw=raw,
            user=self._recorded_user(),
            session=self.name,
            accepted_virtual=clock.now(),
            accepted_real=time.time(),
            deliver_at_virtual=admission.deliver_at,
            delayed=admission.delayed,
            queue_id=queue_id,
        )
        self.transaction = Transaction()
        try:
            await self.services.mailbox.store(stored)
        except OSError as error:
            log.error("could not store message: %s", error)
            self.services.emit("refused", self.name, f"local error: {error.strerror}")
            await self.reply("local_error")
            return
        envelope = f"from {stored.envelope_from} to {', '.join(stored.recipients)}"
        summary = f"{queue_id} {wire.printable(envelope)}"
        if admission.delayed:
            delay = admission.deliver_at - stored.accepted_virtual
            self.services.emit("delayed", self.name, f"{summary}; delivery in {delay:.0f}s")
        else:
            self.services.emit("accepted", self.name, summary)
        self.idle_commands = 0
        await self.reply("data_ok", queue_id=queue_id)

    # Other commands

    async def smtp_RSET(self, arg: str | None) -> None:
        self.transaction = Transaction()
        await self.reply("rset_ok")

    async def smtp_NOOP(self, arg: str | None) -> None:
        await self.reply("noop_ok")

    async def smtp_VRFY(self, arg: str | None) -> None:
        await self.reply("vrfy" if arg else "syntax_error")

    async def smtp_QUIT(self, arg: str | None) -> None:
        await self.reply("quit")
        raise Disconnect("quit")

    def _path(self, arg: str | None, keyword: str) -> tuple[str | None, str]:
        """The address and parameters of MAIL FROM:/RCPT TO:, or (None, '') if malformed."""
        if not arg or arg[: len(keyword)].upper() != keyword:
            return None, ""
        text = arg[len(keyword) :].strip()
        simple = wire.simple_path(text)
        if simple:
            return simple
        address, rest = self._getaddr(text)  # quoted local parts and other rarities
        return (address or None), (rest or "")


def legacy_tls(transport: asyncio.BaseTransport) -> bool:
    """True when this transport negotiated TLS 1.0 or 1.1."""
    ssl_object = transport.get_extra_info("ssl_object")
    return isinstance(ssl_object, ssl.SSLObject) and ssl_object.version() in LEGACY_TLS_VERSIONS
