"""The OAuth sign-in step: the device code or address to open, a countdown, and the result."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from console.channel import Channel
from console.oauth import access
from console.oauth.flows import DeviceCode
from console.oauth.loopback import Loopback, first_answer
from console.oauth.tokens import FileStore, TokenStore
from console.secrets import SecretError
from console.tui.oauth_status import token_status

__all__ = ["SignInScreen", "token_status"]


class SignInScreen(ModalScreen[bool]):
    """Runs the channel's sign-in and shows each step; dismisses with True when signed in."""

    DEFAULT_CSS = """
    SignInScreen { align: center middle; }
    SignInScreen > Vertical {
        width: 78; height: auto; max-height: 22; border: thick $accent; background: $surface;
        padding: 0 1;
    }
    SignInScreen #signin-code { text-style: bold; color: $accent; padding: 1 0; }
    SignInScreen #signin-paste { display: none; }
    SignInScreen #signin-paste.shown { display: block; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close", id="signin.close", tooltip="Stop and go back"),
        Binding("ctrl+y", "copy", "Copy", id="signin.copy", tooltip="Copy the code or address"),
    ]

    def __init__(
        self, channel: Channel, base: str | None = None, store: TokenStore | None = None
    ) -> None:
        super().__init__()
        self.signin = access.sign_in_for(channel, base=base, store=store)
        self.copyable = ""
        self.deadline = 0.0
        self.signed_in = False
        self._pasted: asyncio.Future[str] | None = None

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Sign in: {self.signin.channel.name}"
            yield Static("Starting the sign-in...", id="signin-how", markup=False)
            yield Static("", id="signin-code", markup=False)
            yield Input(placeholder="paste the http://127.0.0.1... address here", id="signin-paste")
            yield Static("", id="signin-countdown", markup=False)
            yield Static("", id="signin-result", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if (
            isinstance(self.signin.store, FileStore)
            and self.signin.store.passphrase_source == "prompt"
        ):
            self._say(
                "This channel's tokens are in a file whose passphrase is typed at a prompt: "
                f"sign in from a shell with `smtp-console oauth login {self.signin.channel.name}`."
            )
            return
        self.set_interval(1, self._tick)
        self._run()

    @work(exclusive=True)
    async def _run(self) -> None:
        try:
            tokens = await access.login(self.signin, self)
        except SecretError as error:
            self._say(str(error))
            return
        minutes = round((tokens.expires_at - self.signin.clock()) / 60)
        self.deadline, self.signed_in = 0.0, True
        self.query_one("#signin-countdown", Static).update("")
        self._say(
            f"Signed in as {tokens.account}. The access token is good for {minutes} minutes"
            + ("; the refresh token renews it." if tokens.refresh_token else ".")
            + f" Kept in {self.signin.store.where}. Escape to go back."
        )
        self.copyable = ""

    def _say(self, text: str) -> None:
        self.query_one("#signin-result", Static).update(text)

    def _tick(self) -> None:
        if self.deadline:
            left = max(0, int(self.deadline - time.monotonic()))
            self.query_one("#signin-countdown", Static).update(
                f"Waiting for you to sign in: {left // 60}:{left % 60:02d} left"
            )

    # -- the LoginView the sign-in drives

    def device_code(self, code: DeviceCode) -> None:
        """Show the code and where to enter it."""
        self.query_one("#signin-how", Static).update(
            f"Open {code.verification_uri} in any browser (a phone will do) and enter:"
        )
        self.query_one("#signin-code", Static).update(f"    {code.user_code}")
        self.copyable = code.user_code
        self.deadline = time.monotonic() + code.expires_in

    def authorize(self, url: str) -> None:
        """Show the address to open, and the paste box for a browser on another machine."""
        self.query_one("#signin-how", Static).update(
            "Open this address in a browser (ctrl+y copies it). If the browser is on another "
            "machine, paste the address its last page could not load below:"
        )
        self.query_one("#signin-code", Static).update(url)
        self.copyable = url
        self.query_one("#signin-paste", Input).add_class("shown")
        self._pasted = asyncio.get_running_loop().create_future()

    def redirect(self, loopback: Loopback) -> Awaitable[str]:
        """The loopback redirect or the pasted address, whichever comes first."""
        assert self._pasted is not None
        return first_answer(loopback.wait(), self._pasted)

    async def sleep(self, seconds: float) -> None:
        """Wait one polling interval."""
        await asyncio.sleep(seconds)

    # -- keys

    @on(Input.Submitted, "#signin-paste")
    def pasted(self, event: Input.Submitted) -> None:
        if self._pasted is not None and not self._pasted.done() and event.value.strip():
            self._pasted.set_result(event.value.strip())

    def action_copy(self) -> None:
        """Copy the code or address to the terminal's clipboard (OSC 52)."""
        if self.copyable:
            self.app.copy_to_clipboard(self.copyable)
            self.notify("Copied (where the terminal allows it).")

    def action_close(self) -> None:
        """Stop waiting and go back."""
        self.dismiss(self.signed_in)
