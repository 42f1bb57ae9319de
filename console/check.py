"""The staged connection check: each SMTP step timed, a masked transcript, a diagnosis."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any

from aiosmtplib.errors import SMTPResponseException, SMTPServerDisconnected, SMTPTimeoutError
from aiosmtplib.protocol import SMTPProtocol
from aiosmtplib.response import SMTPResponse

from console.check_report import Line, Report, Stage
from console.check_tls import certificate_summary, tls_context, tls_failure_kind
from console.diagnosis import Diagnosis, diagnose, diagnose_failure, flatten
from console.redact import Redactor, TranscriptMasker
from console.sasl import MECHANISMS, sign_in
from console.target import Target, compose_message, target_for

IMPLICIT_TLS_PORTS = frozenset({465, 2465})
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
        self.protocol: SMTPProtocol | None = None
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
        return self.redactor.mask(flatten(response.code, response.message))

    async def command(self, line: str) -> SMTPResponse:
        """Send one command line and read its reply, logging both."""
        assert self.protocol is not None
        self._client(line)
        response = await self.protocol.execute_command(
            line.encode("utf-8"), timeout=self.target.timeout
        )
        self._server(response)
        return response

    # stages

    async def run_stage(self, name: str, step: Callable[[], Any]) -> None:
        stage = self.report.stage(name)
        stage.status = "running"
        self.emit(stage)
        began = time.perf_counter()
        try:
            detail = await step()
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
        detail = self.redactor.mask(detail)
        self.note(detail)
        diagnosis = diagnose_failure(kind, detail, self.target.provider, stage)
        return StageFailed(diagnosis, detail, stage=stage)

    def refused(self, response: SMTPResponse, stage: str) -> StageFailed:
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
            self.sock = sock
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
                lambda: SMTPProtocol(loop=self.loop),
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
            kind = tls_failure_kind(error)
            raise self.fail(kind, str(error), _tls_stage(kind, "tls")) from None
        except (TimeoutError, ConnectionError) as error:
            raise self.fail("tls-handshake", f"TLS handshake failed: {error!r}", "tls") from None
        return self._tls_detail()

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
            response = await self.protocol.read_response(timeout=t.timeout)
        except (SMTPServerDisconnected, SMTPTimeoutError) as error:
            if t.security != "tls" and t.port in IMPLICIT_TLS_PORTS:
                detail = f"no greeting on port {t.port}: {error}"
                raise self.fail("plain-on-tls-port", detail, "greeting") from None
            if isinstance(error, SMTPTimeoutError):
                detail = f"no greeting within {t.timeout:g} s"
                raise self.fail("no-greeting", detail, "greeting") from None
            detail = f"the server closed the connection before its greeting ({error})"
            raise self.fail("disconnected", detail, "greeting") from None
        self._server(response)
        if response.code != 220:
            raise self.refused(response, "connect")
        return response.message.split("\n")[0]

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
        try:
            response = await self.protocol.start_tls(
                tls_context(t), server_hostname=t.tls_name or t.host, timeout=t.timeout
            )
        except SMTPResponseException as refusal:
            reply = SMTPResponse(refusal.code, refusal.message)
            self._server(reply)
            raise self.refused(reply, "starttls") from None
        except ssl.SSLError as error:
            self.broken = True  # half a handshake: no QUIT could be understood
            kind = tls_failure_kind(error)
            raise self.fail(kind, str(error), _tls_stage(kind, "starttls")) from None
        except (SMTPServerDisconnected, SMTPTimeoutError, ConnectionError) as error:
            self.broken = True
            raise self.lost(error, "starttls") from None
        self._server(response)
        self.transport = self.protocol.transport
        detail = self._tls_detail()
        response = await self._guarded(f"EHLO {self._ehlo_name()}", "starttls")
        if response.code != 250:
            raise self.refused(response, "ehlo")
        self._read_extensions(response)
        return detail

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
        if response.code != 235:
            raise self.refused(response, "auth")
        return f"{mechanism} as {t.username}" if t.username != t.secret else mechanism

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
            self.protocol.write(body.replace(b"\r\n.", b"\r\n..") + b".\r\n")
            response = await self.protocol.read_response(timeout=self.target.timeout)
        except (SMTPServerDisconnected, SMTPTimeoutError, ConnectionError) as error:
            raise self.lost(error, "dot") from None
        self._server(response)
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
        except (SMTPServerDisconnected, SMTPTimeoutError, ConnectionError):
            return "the server closed the connection without a reply"
        return f"{response.code} {response.message.splitlines()[0] if response.message else ''}"

    async def say_goodbye(self) -> None:
        """After a failure: QUIT politely when the session still stands, then close."""
        if self.protocol is not None and self.protocol.is_connected and not self.broken:
            with contextlib.suppress(
                SMTPServerDisconnected, SMTPTimeoutError, ConnectionError, TimeoutError
            ):
                await asyncio.wait_for(self.command("QUIT"), min(self.target.timeout, 2.0))

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()
        elif self.transport is None and getattr(self, "sock", None) is not None:
            self.sock.close()


def _tls_stage(kind: str, default: str) -> str:
    return "certificate" if kind.startswith("cert-") else default


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
