"""The staged connection check: each SMTP step timed, a masked transcript, a diagnosis."""

from __future__ import annotations

import asyncio
import errno
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiosmtplib.errors import SMTPResponseException, SMTPServerDisconnected, SMTPTimeoutError
from aiosmtplib.response import SMTPResponse

from console.check_cert import fetch
from console.check_report import Line, Report, Stage
from console.check_tls import certificate_summary, tls_context, tls_failure_kind
from console.check_wire import WireProtocol, valid
from console.foreign import first_line, recognise
from console.redact import Redactor, TranscriptMasker
from console.sasl import MECHANISMS, sign_in
from console.target import Target, compose_message, target_for

# The diagnosis module is imported by a failure, never by a check that passes.
if TYPE_CHECKING:
    from console.diagnosis import Diagnosis

IMPLICIT_TLS_PORTS = frozenset({465, 2465})
_SMTP_START = re.compile(rb"[2-5]\d\d[ -]")
__all__ = [
    "Line",
    "Report",
    "Stage",
    "Target",
    "compose_message",
    "plan",
    "run_check",
    "target_for",
]


class NotSmtp(Exception):
    """The server sent something that is not an SMTP reply."""

    def __init__(self, data: bytes, why: str = "") -> None:
        super().__init__(why)
        self.data, self.why = data, why


class StageFailed(Exception):
    """Raised inside the check to stop at a stage, carrying its diagnosis."""

    def __init__(
        self, diagnosis: Diagnosis, detail: str, reply: str = "", stage: str | None = None
    ) -> None:
        super().__init__(detail)
        self.diagnosis, self.detail, self.reply = diagnosis, detail, reply
        self.stage = stage  # a later stage to blame, e.g. "certificate" during a handshake


def plan(target: Target) -> list[str]:
    """The stage names a check of this target goes through, in order."""
    names = ["resolve", "connect"]
    if target.security == "tls":
        names += ["tls", "certificate", "greeting", "ehlo"]
    elif target.security == "starttls":
        names += ["greeting", "ehlo", "starttls", "certificate"]
    else:
        names += ["greeting", "ehlo"]
    names += ["auth", "mail", "rcpt"]
    if target.send:
        names.append("data")
    return [*names, "quit"]


class _Session:
    """One run of the check: owns the socket, the protocol and the transcript."""

    def __init__(
        self,
        target: Target,
        report: Report,
        emit: Callable[[Stage], None],
        on_line: Callable[[Line], None] | None = None,
    ) -> None:
        self.target, self.report, self.emit = target, report, emit
        self.on_line = on_line
        self.redactor = Redactor([target.secret] if target.secret else [])
        self.masker = TranscriptMasker(self.redactor)
        self.loop = asyncio.get_running_loop()
        self.protocol: WireProtocol | None = None
        self.transport: asyncio.BaseTransport | None = None
        self.extensions: dict[str, str] = {}
        self.broken = False
        self.started = time.perf_counter()

    # transcript

    def note(self, text: str) -> None:
        self._log("*", self.redactor.mask(text))

    def _now(self) -> float:
        return round(time.perf_counter() - self.started, 4)

    def _log(self, direction: str, masked: str) -> None:
        line = Line(direction, masked, self._now())
        self.report.transcript.append(line)
        if self.on_line is not None:
            self.on_line(line)

    def _client(self, text: str) -> None:
        self._log("C", self.masker.client(text))

    def _server(self, response: SMTPResponse) -> None:
        lines = response.message.split("\n") if response.message else [""]
        for index, text in enumerate(lines):
            sep = " " if index == len(lines) - 1 else "-"
            line = f"{response.code}{sep}{text}".rstrip()
            self._log("S", self.masker.server(line))

    def reply_text(self, response: SMTPResponse) -> str:
        """The reply as one masked line, for details and diagnosis."""
        from console.diagnosis import flatten

        return self.redactor.mask(flatten(response.code, response.message))

    async def command(self, line: str) -> SMTPResponse:
        """Send one command line and read its reply, logging both (or that none came)."""
        assert self.protocol is not None
        self._client(line)
        self.protocol.forget()
        return await self._reply(
            self.protocol.execute_command(line.encode("utf-8"), timeout=self.target.timeout)
        )

    async def _reply(self, reading: Awaitable[SMTPResponse]) -> SMTPResponse:
        """Await a reply; log it, or log that none came; raise NotSmtp for anything else."""
        assert self.protocol is not None
        try:
            response = await reading
        except SMTPTimeoutError:
            self._then(f"timed out after {self.target.timeout:g} s")
            raise
        except (SMTPServerDisconnected, ConnectionError):
            self._then("connection closed")
            raise
        except SMTPResponseException as error:
            if error.code != -1:
                raise
            raise self._not_smtp(error.message) from None
        if not valid(response):
            raise self._not_smtp("no SMTP reply code")
        self._server(response)
        return response

    def _then(self, what: str) -> None:
        """Note that no reply came, or what went wrong after the one that did."""
        assert self.protocol is not None
        if self.protocol.last_reply is None:
            self.note(f"no reply: {what}")
        else:
            self._server(self.protocol.last_reply)
            self.note(f"then: {what}")

    def _not_smtp(self, why: str) -> NotSmtp:
        assert self.protocol is not None
        data = bytes(self.protocol.received)
        if data:
            self._log("S", self.redactor.mask(first_line(data)))
        too_long = why == "Response too long"
        return NotSmtp(data, "a reply longer than 32 KiB" if too_long else "")

    # stages

    async def run_stage(self, name: str, step: Callable[[], Any]) -> None:
        stage = self.report.stage(name)
        stage.status = "running"
        self.emit(stage)
        began = time.perf_counter()
        try:
            try:
                detail = await step()
            except NotSmtp as odd:
                raise self.foreign(odd, name) from None
            except StageFailed:
                raise
            except Exception as error:  # noqa: BLE001 - whatever it was, no traceback
                kind = f"{type(error).__name__}: {error}"
                raise self.fail("client-error", kind, name) from None
        except StageFailed as failure:
            stage.seconds = time.perf_counter() - began
            names = [s.name for s in self.report.stages]
            if failure.stage and failure.stage != name and failure.stage in names:
                stage.status, stage.detail = (
                    "ok",
                    "the server answered; its certificate was refused",
                )
                self.emit(stage)
                stage = self.report.stage(failure.stage)
            stage.status, stage.detail, stage.reply = "failed", failure.detail, failure.reply
            self.report.diagnosis = failure.diagnosis
            self.emit(stage)
            raise
        stage.seconds = time.perf_counter() - began
        stage.status, stage.detail = "ok", detail or ""
        self.emit(stage)

    def skip(self, name: str, detail: str) -> None:
        stage = self.report.stage(name)
        stage.status, stage.detail = "skipped", detail
        self.emit(stage)

    def fail(self, kind: str, detail: str, stage: str) -> StageFailed:
        from console.diagnosis import diagnose_failure

        detail = self.redactor.mask(detail)
        self.note(detail)
        diagnosis = diagnose_failure(kind, detail, self.target.provider, stage)
        return StageFailed(diagnosis, detail, stage=stage)

    def foreign(self, odd: NotSmtp, stage: str) -> StageFailed:
        """The diagnosis of a reply in another protocol (or none at all)."""
        name = recognise(odd.data) if odd.data else "other"
        if name == "tls":
            kind, what = "plain-on-tls-port", "a TLS record: this port expects TLS first"
        elif name == "other":
            kind, what = "not-smtp", odd.why or "an answer that is not an SMTP reply"
        else:
            kind, what = f"speaks-{name}", f"this port speaks {name.upper()}"
        self.broken = True  # nothing more is worth sending to it
        shown = first_line(odd.data) if odd.data else "nothing"
        return self.fail(kind, f"{what} (the server sent: {shown})", stage)

    def refused(self, response: SMTPResponse, stage: str) -> StageFailed:
        from console.diagnosis import diagnose

        text = self.reply_text(response)
        return StageFailed(diagnose(text, self.target.provider, stage), text, text)

    def lost(self, error: BaseException, stage: str) -> StageFailed:
        if isinstance(error, SMTPTimeoutError | TimeoutError):
            kind = "timeout"
            text = f"no reply within {self.target.timeout:g} s"
        else:
            kind, text = "disconnected", f"the server closed the connection ({error})"
        return self.fail(kind, text, stage)

    async def resolve(self) -> str:
        t = self.target
        try:
            infos = await asyncio.wait_for(
                self.loop.getaddrinfo(t.host, t.port, type=socket.SOCK_STREAM), t.timeout
            )
        except socket.gaierror as error:
            raise self.fail("dns", f"{t.host}: {error.strerror}", "resolve") from None
        except TimeoutError:
            raise self.fail("dns", f"{t.host}: no answer from DNS", "resolve") from None
        self.addresses: list[tuple[int, tuple[Any, ...]]] = [(i[0], i[4]) for i in infos]
        shown = sorted({str(address[0]) for _, address in self.addresses})
        return ", ".join(shown)

    async def connect(self) -> str:
        t = self.target
        error: OSError | None = None
        for family, address in self.addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                await asyncio.wait_for(self.loop.sock_connect(sock, address), t.timeout)
            except TimeoutError:
                sock.close()
                raise self.fail(
                    "timeout",
                    f"{address[0]} port {t.port}: no answer within {t.timeout:g} s",
                    "connect",
                ) from None
            except OSError as failure:
                sock.close()
                error = failure
                continue
            self.sock, self.peer = sock, address
            return f"{address[0]} port {address[1]}"
        assert error is not None
        detail = f"{t.host} port {t.port}: {error.strerror or error}"
        if isinstance(error, ConnectionRefusedError):
            raise self.fail("refused", detail, "connect")
        if error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            raise self.fail("unreachable", detail, "connect")
        raise self.fail("disconnected", detail, "connect")

    async def open_stream(self, context: ssl.SSLContext | None) -> None:
        t = self.target
        transport, protocol = await asyncio.wait_for(
            self.loop.create_connection(
                lambda: WireProtocol(loop=self.loop),
                sock=self.sock,
                ssl=context,
                server_hostname=(t.tls_name or t.host) if context else None,
                ssl_handshake_timeout=t.timeout if context else None,
            ),
            t.timeout,
        )
        self.transport, self.protocol = transport, protocol

    async def implicit_tls(self) -> str:
        self.note(f"TLS handshake with {self.target.tls_name or self.target.host}")
        try:
            await self.open_stream(tls_context(self.target))
        except ssl.SSLError as error:
            raise await self.tls_failed(error, "tls") from None
        except (TimeoutError, ConnectionError) as error:
            raise self.fail("tls-handshake", f"TLS handshake failed: {error!r}", "tls") from None
        return self._tls_detail()

    async def tls_failed(self, error: ssl.SSLError, stage: str) -> StageFailed:
        """A failed handshake; for a refused certificate, what that certificate says."""
        kind = tls_failure_kind(error)
        detail = getattr(error, "verify_message", None) or str(error)
        if not kind.startswith("cert-"):
            return self.fail(kind, detail, stage)
        t = self.target
        self.note("reading the refused certificate on a second connection, without verifying it")
        cert = await fetch(
            self.peer[0],
            self.peer[1],
            t.tls_name or t.host,
            starttls=t.security == "starttls",
            timeout=min(t.timeout, 5.0),
        )
        self.report.certificate = {"verified": f"no: {detail}", **cert}
        if cert:
            detail += (
                f"; the certificate is for {cert.get('names') or cert.get('subject', '?')}"
                f" (subject {cert.get('subject', '?')}; issuer {cert.get('issuer', '?')};"
                f" valid {cert.get('valid_from', '?')} to {cert.get('expires', '?')})"
            )
        return self.fail(kind, detail, "certificate")

    def _tls_detail(self) -> str:
        assert self.transport is not None
        self.report.certificate = certificate_summary(self.transport, not self.target.insecure)
        cert = self.report.certificate
        self.note(f"TLS {cert.get('protocol', '')} {cert.get('cipher', '')}".strip())
        return str(cert.get("protocol", ""))

    async def certificate(self) -> str:
        cert = self.report.certificate
        if self.target.insecure:
            return "not verified (--insecure)"
        parts = [cert.get("subject", ""), f"issuer {cert.get('issuer', '')}"]
        parts.append(f"expires {cert.get('expires', '')}")
        return "; ".join(p for p in parts if p)

    async def greeting(self) -> str:
        t = self.target
        if self.protocol is None:
            await self.open_stream(None)
        assert self.protocol is not None
        try:
            response = await self._reply(self.protocol.read_response(timeout=t.timeout))
        except (SMTPServerDisconnected, SMTPTimeoutError, ConnectionError) as error:
            received = bytes(self.protocol.received)
            if received and _SMTP_START.match(received):
                self._log("S", self.redactor.mask(first_line(received)))
                detail = f"the greeting did not end within {t.timeout:g} s"
                raise self.fail("no-greeting", detail, "greeting") from None
            if received:
                raise self._not_smtp("") from None
            timed_out = isinstance(error, SMTPTimeoutError)
            if timed_out and self.protocol.is_connected:
                await self._nudge()
            if t.security != "tls" and (t.port in IMPLICIT_TLS_PORTS or await self._speaks_tls()):
                detail = f"no greeting on port {t.port}: the port expects TLS from the first byte"
                raise self.fail("plain-on-tls-port", detail, "greeting") from None
            if timed_out:
                detail = f"no greeting within {t.timeout:g} s"
                raise self.fail("no-greeting", detail, "greeting") from None
            detail = "the server closed the connection before its greeting"
            raise self.fail("disconnected", detail, "greeting") from None
        if response.code != 220:
            raise self.refused(response, "connect")
        return response.message.split("\n")[0]

    async def _nudge(self) -> None:
        """After silence, one EHLO: a web server or a TLS port answers with what it is."""
        assert self.protocol is not None
        line = f"EHLO {self._ehlo_name()}"
        self._client(line)
        self.protocol.forget()
        self.protocol.write(f"{line}\r\n".encode())
        wait = min(self.target.timeout, 2.0)
        data = await self.protocol.bytes_within(wait)
        if not data:
            self.note(f"no reply: timed out after {wait:g} s")
            return
        if _SMTP_START.match(data):
            self._log("S", self.redactor.mask(first_line(data)))
            detail = f"the greeting came only after {self.target.timeout:g} s"
            raise self.fail("no-greeting", detail, "greeting")
        raise self._not_smtp("")

    async def _speaks_tls(self) -> bool:
        """Whether a TLS handshake on a second connection gets an answer: TLS comes first here."""
        t = self.target
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        host, port = self.peer[:2]
        self.note("no greeting: trying a TLS handshake on a second connection")
        opening = asyncio.open_connection(
            host, port, ssl=context, server_hostname=t.tls_name or t.host
        )
        try:
            _, writer = await asyncio.wait_for(opening, min(t.timeout, 3.0))
        except ssl.SSLError as error:
            answered = not isinstance(error, ssl.SSLEOFError)
            return answered and tls_failure_kind(error) != "tls-on-starttls-port"
        except (OSError, TimeoutError):
            return False
        writer.close()
        self.note("the TLS handshake succeeded")
        return True

    async def ehlo(self) -> str:
        name = self._ehlo_name()
        response = await self._guarded(f"EHLO {name}", "ehlo")
        if response.code != 250:
            raise self.refused(response, "ehlo")
        self._read_extensions(response)
        return " ".join(sorted(self.extensions))

    def _read_extensions(self, response: SMTPResponse) -> None:
        self.extensions = {}
        for line in response.message.split("\n")[1:]:
            keyword, _, params = line.strip().partition(" ")
            self.extensions[keyword.upper()] = params

    def _ehlo_name(self) -> str:
        sock = self.sock
        host = sock.getsockname()[0] if sock.family in (socket.AF_INET, socket.AF_INET6) else ""
        if sock.family == socket.AF_INET6:
            return f"[IPv6:{host}]"
        return f"[{host}]" if host else "localhost"

    async def _guarded(self, line: str, stage: str) -> SMTPResponse:
        try:
            return await self.command(line)
        except (SMTPServerDisconnected, SMTPTimeoutError, ConnectionError) as error:
            raise self.lost(error, stage) from None

    async def starttls(self) -> str:
        t = self.target
        if "STARTTLS" not in self.extensions:
            raise self.fail(
                "starttls-not-offered", "the server did not list STARTTLS after EHLO", "starttls"
            )
        assert self.protocol is not None
        self._client("STARTTLS")
        self.protocol.forget()
        upgrade = self.protocol.start_tls(
            tls_context(t), server_hostname=t.tls_name or t.host, timeout=t.timeout
        )
        try:
            response = await self._reply(upgrade)
        except SMTPResponseException as refusal:
            reply = SMTPResponse(refusal.code, refusal.message)
            self._server(reply)
            raise self.refused(reply, "starttls") from None
        except ssl.SSLError as error:
            self.broken = True  # half a handshake: no QUIT could be understood
            self._ready_to_start()
            raise await self.tls_failed(error, "starttls") from None
        except (SMTPServerDisconnected, SMTPTimeoutError, ConnectionError) as error:
            self.broken = True
            raise self.lost(error, "starttls") from None
        self.transport = self.protocol.transport
        detail = self._tls_detail()
        response = await self._guarded(f"EHLO {self._ehlo_name()}", "starttls")
        if response.code != 250:
            raise self.refused(response, "ehlo")
        self._read_extensions(response)
        return detail

    def _ready_to_start(self) -> None:
        """Log the server's 220 to STARTTLS, which came before the handshake failed."""
        assert self.protocol is not None
        if self.protocol.last_reply is not None:
            self._server(self.protocol.last_reply)

    async def auth(self) -> str:
        t = self.target
        mechanism = MECHANISMS[t.method].name
        offered = self.extensions.get("AUTH", "").upper().split()
        if offered and mechanism not in offered:
            raise self.fail(
                "mechanism-not-offered",
                f"{mechanism} is not offered (the server offers {', '.join(offered)})",
                "auth",
            )
        if not offered:
            # Ask without a payload: the provider's own refusal explains more than ours,
            # and no secret leaves before the server agrees.
            response = await self._guarded(f"AUTH {mechanism}", "auth")
            if response.code == 334:
                await self._guarded("*", "auth")
                raise self.fail("auth-not-offered", "the server did not list AUTH", "auth")
            raise self.refused(response, "auth")
        response = await sign_in(t.method, self._auth_line, t.username, t.secret)
        renewed = False
        if response.code != 235 and t.renew is not None:
            response, renewed = await self._renewed(response)
        if response.code != 235:
            raise self.refused(response, "auth")
        done = f"{mechanism} as {t.username}" if t.username != t.secret else mechanism
        return f"{done}, with a refreshed access token" if renewed else done

    async def _renewed(self, refusal: SMTPResponse) -> tuple[SMTPResponse, bool]:
        """The server refused the access token as invalid: refresh it and sign in once more.

        Only the server knows when a token ran out by its clock; a live server and a
        simulator whose clock was moved on both say so with the provider's token refusal.
        """
        from console.diagnosis import diagnose
        from console.secrets import SecretError

        t = self.target
        assert t.renew is not None
        keys = diagnose(self.reply_text(refusal), t.provider, "auth").keys
        if "auth_token_invalid" not in keys:
            return refusal, False
        self.note(
            "the server refused the access token (it may have run out by the server's clock): "
            "refreshing it and signing in once more"
        )
        try:
            token = await t.renew()
        except SecretError as error:
            self.note(f"no new access token: {str(error).splitlines()[0]}")
            return refusal, False
        self.redactor.add(token)
        response = await sign_in(t.method, self._auth_line, t.username, token)
        return response, response.code == 235

    async def _auth_line(self, line: str) -> SMTPResponse:
        return await self._guarded(line, "auth")

    async def mail(self) -> str:
        response = await self._guarded(f"MAIL FROM:<{self.target.sender}>", "mail")
        if response.code != 250:
            raise self.refused(response, "mail")
        return self.target.sender

    async def rcpt(self) -> str:
        recipient = self.target.recipient or self.target.sender
        response = await self._guarded(f"RCPT TO:<{recipient}>", "rcpt")
        if response.code not in (250, 251):
            raise self.refused(response, "rcpt")
        return recipient

    async def data(self) -> str:
        assert self.protocol is not None
        response = await self._guarded("DATA", "data")
        if response.code != 354:
            raise self.refused(response, "data")
        body = self._message()
        for line in body.decode("utf-8").split("\r\n")[:-1]:
            self._client(line)
        self._client(".")
        try:
            self.protocol.forget()
            self.protocol.write(body.replace(b"\r\n.", b"\r\n..") + b".\r\n")
            response = await self._reply(self.protocol.read_response(timeout=self.target.timeout))
        except (SMTPServerDisconnected, SMTPTimeoutError, ConnectionError) as error:
            raise self.lost(error, "dot") from None
        if response.code != 250:
            raise self.refused(response, "dot")
        return response.message.split("\n")[0]

    def _message(self) -> bytes:
        t = self.target
        message = compose_message(
            t,
            f"smtp-console test of channel {t.channel_name or t.host}",
            f"This test message was sent by smtp-console check through {t.host} port {t.port}.\n",
        )
        raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        return raw if raw.endswith(b"\r\n") else raw + b"\r\n"

    async def quit(self) -> str:
        try:
            response = await self.command("QUIT")
        except SMTPTimeoutError:
            return f"no reply within {self.target.timeout:g} s"
        except (SMTPServerDisconnected, ConnectionError):
            return "the server closed the connection without a reply"
        return f"{response.code} {response.message.splitlines()[0] if response.message else ''}"

    async def say_goodbye(self) -> None:
        """After a failure: QUIT politely when the session still stands, then close."""
        if self.protocol is not None and self.protocol.is_connected and not self.broken:
            wait = min(self.target.timeout, 2.0)
            try:
                await asyncio.wait_for(self.command("QUIT"), wait)
            except TimeoutError:
                self.note(f"no reply: timed out after {wait:g} s")
            except (SMTPServerDisconnected, SMTPTimeoutError, ConnectionError, NotSmtp):
                pass

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()
        elif self.transport is None and getattr(self, "sock", None) is not None:
            self.sock.close()


async def run_check(
    target: Target,
    on_stage: Callable[[Stage], None] | None = None,
    *,
    on_line: Callable[[Line], None] | None = None,
) -> Report:
    """Run every stage in order, stopping at the first failure; never raises for SMTP trouble."""
    report = Report(target, [Stage(name) for name in plan(target)])
    emit = on_stage or (lambda stage: None)
    session = _Session(target, report, emit, on_line)
    steps: dict[str, Callable[[], Any]] = {
        "resolve": session.resolve,
        "connect": session.connect,
        "tls": session.implicit_tls,
        "certificate": session.certificate,
        "greeting": session.greeting,
        "ehlo": session.ehlo,
        "starttls": session.starttls,
        "auth": session.auth,
        "mail": session.mail,
        "rcpt": session.rcpt,
        "data": session.data,
        "quit": session.quit,
    }
    try:
        for stage in report.stages:
            if stage.name == "auth" and target.method == "none":
                session.skip("auth", "the channel signs in with no credentials")
                continue
            await session.run_stage(stage.name, steps[stage.name])
    except StageFailed:
        for stage in report.stages:
            if stage.status == "pending":
                session.skip(stage.name, "not reached")
        await session.say_goodbye()
    finally:
        session.close()
        report.seconds = time.perf_counter() - session.started
    return report
