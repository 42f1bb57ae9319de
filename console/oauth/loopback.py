"""The loopback redirect of a desktop sign-in: a one-shot HTTP listener on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable
from types import TracebackType

from aiohttp import web

DONE_PAGE = "Signed in. You can close this tab and go back to the terminal."
REFUSED_PAGE = "The sign-in was refused ({error}). Go back to the terminal for what to do."


class Loopback:
    """Listens on 127.0.0.1 at a free port until the browser is redirected to it."""

    def __init__(self) -> None:
        self._answer: asyncio.Future[str] | None = None
        self._runner: web.AppRunner | None = None
        self.redirect_uri = ""

    async def __aenter__(self) -> Loopback:
        self._answer = asyncio.get_running_loop().create_future()
        app = web.Application()
        app.router.add_get("/", self._redirected)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.redirect_uri = f"http://127.0.0.1:{port}/"
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _redirected(self, request: web.Request) -> web.Response:
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(str(request.url))
        error = request.query.get("error")
        text = REFUSED_PAGE.format(error=error) if error else DONE_PAGE
        return web.Response(text=text, headers={"Cache-Control": "no-store"})

    async def wait(self) -> str:
        """The address the browser was sent back to."""
        assert self._answer is not None, "use Loopback as an async context manager"
        return await self._answer


async def first_answer(*sources: Awaitable[str]) -> str:
    """Whichever source answers first (the loopback or a pasted address); the rest are dropped."""
    tasks = [asyncio.ensure_future(source) for source in sources]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        return next(iter(done)).result()
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def pasted_line() -> str:
    """One line from standard input, read without blocking the event loop; waits forever at EOF."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()
    stream = sys.stdin

    def readable() -> None:
        line = stream.readline()
        if not answer.done() and line.strip():
            answer.set_result(line.strip())
        elif not line:
            loop.remove_reader(stream.fileno())

    try:
        loop.add_reader(stream.fileno(), readable)
    except (OSError, ValueError, NotImplementedError):
        never: asyncio.Future[str] = loop.create_future()
        return await never  # no usable stdin: only the loopback can answer
    try:
        return await answer
    finally:
        loop.remove_reader(stream.fileno())
