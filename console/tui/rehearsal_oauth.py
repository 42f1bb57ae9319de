"""The Rehearse tab's OAuth sign-in: tokens from the simulator's sign-in service, in memory only."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from console.channel import Channel

if TYPE_CHECKING:
    from console.oauth.access import SignIn
    from console.target import Target
    from simulator.server import Simulator

Note = Callable[[str], None]

# Toggles acting on tokens already issued or at the token endpoint. A client holding an
# access token meets them only at its next refresh, up to an hour later; the tab's next
# check sets the held access token aside so that refresh happens now.
AT_REFRESH = frozenset(
    {
        "refresh-revoked",
        "refresh-idle",
        "consent-withdrawn",
        "conditional-access",
        "mfa-required",
        "testing-expiry",
    }
)
# Revocations only a new sign-in gets over: turning one off signs the channel in anew.
SIGN_IN_AGAIN = frozenset({"refresh-revoked", "refresh-idle", "testing-expiry", "password-rotated"})
# Toggles acting on a device code while it waits: only a new sign-in has one.
ON_CODES = frozenset({"slow-down", "device-code-expired", "sign-in-manual"})
# What the trainer switched on for the channel's sign-in befalls a new sign-in too.
PER_GRANT = frozenset(
    {"refresh-revoked", "refresh-idle", "testing-expiry", "mfa-required", "password-rotated"}
)


class OAuthRehearsal:
    """One channel's sign-in at the running simulator's service, kept between checks."""

    def __init__(self) -> None:
        self.signin: SignIn | None = None
        self._for: tuple[object, ...] = ()
        self.set_aside = False  # the trainer changed the service since the token was issued

    def forget(self) -> None:
        """Drop the tokens: the next check signs in anew."""
        self.signin, self._for, self.set_aside = None, (), False

    def toggled(self, toggle_id: str, on: bool) -> None:
        """A trainer toggle changed: mark what the next check must meet."""
        if toggle_id in AT_REFRESH:
            self.set_aside = True
        if not on and toggle_id in SIGN_IN_AGAIN:
            self.forget()

    def held_for(self, channel: Channel, simulator: Simulator) -> bool:
        """True when tokens of this very sign-in (channel, app, simulator) are held."""
        return self.signin is not None and self._for == _key(channel, simulator)

    async def sign_in(
        self,
        channel: Channel,
        simulator: Simulator,
        note: Note,
        on_code: Callable[[], None] | None = None,
    ) -> None:
        """Sign in at the simulator's service as the channel's user, who consents."""
        from console.oauth import access
        from console.oauth.rehearsal import RehearsalView, signin_url
        from console.oauth.tokens import MemoryStore

        self.forget()
        signin = access.sign_in_for(
            channel, base=signin_url(simulator), store=MemoryStore(), clock=simulator.clock.now
        )
        note(f"signing in at the simulator's sign-in service ({signin.flow.replace('_', ' ')})")
        view = RehearsalView(simulator, account=channel.auth.username, say=note, on_code=on_code)
        try:
            tokens = await access.login(signin, view)
        finally:
            await view.close()
        self.signin, self._for = signin, _key(channel, simulator)
        note(f"signed in as {tokens.account}; the tokens are kept in memory for this rehearsal")

    async def target(self, target: Target, simulator: Simulator, note: Note) -> Target:
        """The target with a usable access token, refreshed at the service when needed."""
        from console.oauth.access import access_token, renewal

        assert self.signin is not None
        held = self.signin.store.load()
        if self.set_aside and held is not None and held.access_token:
            until = time.strftime("%H:%M", time.gmtime(held.expires_at))
            note(
                "the trainer changed the sign-in service: the access token held is set aside as "
                f"if run out (a real client uses it until {until} by the provider's clock, then "
                "refreshes it) and a new one is asked for with the refresh token"
            )
        token, fetched = await access_token(self.signin, refresh=self.set_aside)
        self.set_aside = False
        if fetched and held is not None and held.access_token:
            note("a new access token came from the sign-in service with the refresh token")
        return replace(target, secret=token, renew=renewal(self.signin))


def _key(channel: Channel, simulator: Simulator) -> tuple[object, ...]:
    settings = channel.oauth
    return (simulator, channel.provider, channel.auth.username.lower(), settings)
