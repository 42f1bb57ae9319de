"""The embedded simulator behind the Rehearse tab, and the trainer's toggles on it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from console.channel import Channel, allows_anonymous, login_name
from console.tui.rehearsal_oauth import ON_CODES, PER_GRANT, Note, OAuthRehearsal
from simulator.state import ACCOUNT_CONTROLS, Account

if TYPE_CHECKING:
    from console.check import Target
    from simulator.events import Event
    from simulator.profile import Profile
    from simulator.scenario import Scenario, TimedEvent
    from simulator.server import Simulator

# A stand-in secret for rehearsals when none is typed: the simulated account is
# made with it, so the real secret is never needed to rehearse.
REHEARSAL_SECRET = "rehearsal-secret"
REHEARSAL_APP_PASSWORD = "rehearsalsecrets"  # where only app passwords sign in (16 letters)
# A channel on a port the provider lacks is sent to a port held silent, as the real host is.
UNSERVED = "a port this provider does not serve"
PER_USER = {*ACCOUNT_CONTROLS, "throttle", "use_up_quota"}  # toggles aimed at the channel's user


O365, GMAIL, SES = ("office365",), ("gmail",), ("amazon-ses",)
OAUTH = ("office365", "gmail")  # the providers with OAuth sign-in
PER_MINUTE = O365  # the providers whose profile limits messages a minute
DAILY = ("office365", "gmail", "amazon-ses", "sendgrid", "sparkpost")  # with a daily quota


@dataclass(frozen=True)
class Toggle:
    """A behaviour a trainer switches on and off."""

    id: str
    label: str  # at most 21 characters: "label: off" then fits the panel at 80x24
    on: tuple[str, ...]
    off: tuple[str, ...]
    providers: tuple[str, ...] = ()  # the providers that have this behaviour (empty: all)


TOGGLES: tuple[Toggle, ...] = (
    Toggle("wrong-password", "Wrong password", (), ()),
    # A password change also revokes app passwords and (public-client) OAuth tokens.
    Toggle(
        "password-rotated",
        "Password rotated",
        ("rotate_password", "revoke_app_password", "revoke_token"),
        (),
    ),
    Toggle(
        "smtp-auth-disabled",
        "SMTP AUTH disabled",
        ("disable_smtp_auth",),
        ("enable_smtp_auth",),
        O365,
    ),
    Toggle("throttle", "Throttle now", ("throttle",), ("reset_limits",), PER_MINUTE),
    Toggle("quota", "Quota used up", ("use_up_quota",), ("reset_limits",), DAILY),
    Toggle("greylisting", "Greylisting", ("greylisting_on",), ("greylisting_off",)),
    Toggle("tls-missing", "TLS missing", ("starttls_off",), ("starttls_on",)),
    Toggle(
        "send-as-denied", "Send-as denied", ("deny_send_as",), ("allow_send_as",), ("office365",)
    ),
    # OAuth sign-in (Office 365 and Gmail): the identity provider's failures.
    Toggle("refresh-revoked", "Refresh token revoked", ("revoke_refresh_token",), (), OAUTH),
    Toggle("refresh-idle", "Refresh idle 90 days", ("refresh_token_idle",), (), O365),
    Toggle(
        "consent-withdrawn", "Consent withdrawn", ("withdraw_consent",), ("give_consent",), OAUTH
    ),
    Toggle(
        "conditional-access",
        "Conditional Access",
        ("conditional_access_on",),
        ("conditional_access_off",),
        O365,
    ),
    Toggle("mfa-required", "MFA required", ("require_mfa",), ("mfa_satisfied",), O365),
    Toggle(
        "mailbox-smtp-auth-off",
        "Mailbox SMTP AUTH off",
        ("disable_smtp_auth_mailbox",),
        ("enable_smtp_auth_mailbox",),
        O365,
    ),
    Toggle("testing-expiry", "Testing app: 7 days", ("testing_mode_expiry",), (), GMAIL),
    Toggle("slow-down", "Device code slow_down", ("slow_down",), (), O365),
    Toggle("device-code-expired", "Device code expired", ("expire_device_codes",), (), O365),
    Toggle(
        "sign-in-manual",
        "Sign-in on approval",
        ("sign_in_manual",),
        ("sign_in_auto",),
        OAUTH,
    ),
    Toggle(
        "security-defaults",
        "Security Defaults",
        ("security_defaults_on",),
        ("security_defaults_off",),
        O365,
    ),
    Toggle("app-password-revoked", "App password revoked", ("revoke_app_password",), (), GMAIL),
    Toggle("two-step", "2-Step on", ("two_step_on",), ("two_step_off",), GMAIL),
    Toggle(
        "too-many-logins",
        "Too many logins",
        ("too_many_logins_on",),
        ("too_many_logins_off",),
        GMAIL,
    ),
    Toggle("sandbox", "Sandbox", ("sandbox_on",), ("sandbox_off",), SES),
    Toggle(
        "sending-rate",
        "Sending rate exceeded",
        ("send_rate_exceeded_on",),
        ("send_rate_exceeded_off",),
        SES,
    ),
)


def toggles_for(provider: str | None) -> tuple[Toggle, ...]:
    """The trainer toggles that exist at this provider, in a fixed order."""
    return tuple(t for t in TOGGLES if not t.providers or provider in t.providers)


def check_recipient(channel: Channel, simulator: Simulator) -> tuple[str, str]:
    """Whom the tab's check mails where a sandbox may refuse it, and why, in words; else ("", "").

    Mailing the verified sender passes in the sandbox too; real mail goes to customers,
    whom the sandbox refuses (554 after the body) until they are verified.
    """
    if not any(t.id == "sandbox" for t in toggles_for(simulator.profile.id)):
        return "", ""
    domain = channel.sender.address.rpartition("@")[2].lower()
    recipient = f"customer@{'example.org' if domain == 'example.net' else 'example.net'}"
    state = (
        "in the sandbox, which takes mail only to verified identities"
        if simulator.state.sandbox
        else "out of the sandbox, where any recipient is taken"
    )
    return recipient, f"mailed {recipient}, a customer outside the verified identities: {state}"


def rehearsal_secret(profile: Profile) -> str:
    """The stand-in secret for this provider, in the shape it issues."""
    return REHEARSAL_APP_PASSWORD if profile.credentials.app_password_pattern else REHEARSAL_SECRET


class Rehearsal:
    """One running simulator for the channel's provider, restarted when the provider changes."""

    def __init__(self, *, clock_start: float | None = None, clock_speed: float = 1.0) -> None:
        self.simulator: Simulator | None = None
        self.active: set[str] = set()
        self._clock_start, self._clock_speed = clock_start, clock_speed
        self._listeners: list[Callable[[Event], None]] = []
        self.lesson: Scenario | None = None  # the lesson the simulator plays, if any
        self.lesson_name = ""
        self._speed = clock_speed  # the lesson clock's speed while not paused
        self._channel: Channel | None = None
        self._typed = ""
        self._unsubscribe: list[Callable[[], None]] = []
        self._lock = asyncio.Lock()
        self.oauth = OAuthRehearsal()  # an OAuth channel's sign-in at the simulator's service

    @property
    def provider(self) -> str | None:
        """The provider the simulator imitates, or None when it is not running."""
        return self.simulator.profile.id if self.simulator else None

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        """Receive the simulator's events, across restarts."""
        self._listeners.append(listener)
        if self.simulator:
            self._unsubscribe.append(self.simulator.subscribe(listener))

    async def start(self, provider: str) -> Simulator:
        """Run a simulator for provider on free loopback ports (restarting if needed)."""
        from simulator.clock import VirtualClock
        from simulator.server import Simulator

        async with self._lock:
            if self.simulator and self.simulator.profile.id == provider:
                return self.simulator
            await self.stop()
            self.lesson, self.lesson_name = None, ""
            clock = VirtualClock(speed=self._clock_speed, start=self._clock_start)
            simulator = Simulator(
                provider, port=0, tls_port=0, clock=clock, silent_port=0, silent_reason=UNSERVED
            )
            self._watch(simulator)
            await simulator.start()
            self.simulator = simulator
            return simulator

    async def start_lesson(
        self, name: str, channel: Channel | None = None, typed_secret: str = ""
    ) -> Simulator:
        """Run a ready lesson from its start; its main account signs in as the channel does."""
        from console.rehearse import for_channel
        from simulator.clock import VirtualClock
        from simulator.profile import load
        from simulator.scenario import load_scenario, resolve_scenario
        from simulator.server import Simulator

        lesson = load_scenario(resolve_scenario(name))
        if channel is not None and channel.provider == lesson.provider:
            profile = load(lesson.provider)
            secret = typed_secret or rehearsal_secret(profile)
            lesson = for_channel(lesson, channel, secret, profile)
        self._channel, self._typed = channel, typed_secret
        async with self._lock:
            await self.stop()
            clock = VirtualClock(speed=lesson.clock_speed, start=self._clock_start)
            simulator = Simulator(
                lesson.provider,
                tls_port=0,
                scenario=lesson,
                clock=clock,
                silent_port=0,
                silent_reason=UNSERVED,
            )
            self._watch(simulator)
            await simulator.start()
            self.simulator, self.lesson, self.lesson_name = simulator, lesson, name
            self._speed = lesson.clock_speed
            return simulator

    def _watch(self, simulator: Simulator) -> None:
        """Start clean and hear the new simulator from its first event (a lesson's at 0s)."""
        self.active.clear()
        self.oauth.forget()
        listeners = [*self._listeners, lambda event: self._latch(simulator, event)]
        self._unsubscribe = [simulator.subscribe(listener) for listener in listeners]

    def _latch(self, simulator: Simulator, event: Event) -> None:
        # A control whose effect cannot be read back (a revoked secret) stays on once applied.
        action = event.text.partition(" ")[0] if event.kind == "control" else ""
        for toggle in TOGGLES:
            if toggle.on[:1] != (action,):
                continue
            self.oauth.toggled(toggle.id, True)  # a lesson's revocation bites the next check
            if simulator.holds(action) is None:
                self.active.add(toggle.id)

    def states(self, user: str | None) -> dict[str, bool]:
        """Each of the provider's toggles as the simulator now has it for `user`: on or off."""
        simulator = self.simulator
        if simulator is None:
            return {}
        shown: dict[str, bool] = {}
        for toggle in toggles_for(simulator.profile.id):
            held = simulator.holds(toggle.on[0], user) if toggle.on else None
            shown[toggle.id] = toggle.id in self.active if held is None else held
        return shown

    @property
    def elapsed(self) -> float:
        """Virtual seconds since the simulator (and its lesson) started."""
        simulator = self.simulator
        return simulator.clock.now() - simulator.started_at if simulator else 0.0

    @property
    def paused(self) -> bool:
        """True while the virtual clock stands still."""
        return self.simulator is not None and self.simulator.clock.speed == 0

    def pause(self) -> bool:
        """Stop or restart the virtual clock; True when it is now paused."""
        if self.simulator is None:
            return False
        clock = self.simulator.clock
        if clock.speed:
            self._speed, clock.speed = clock.speed, 0
        else:
            clock.speed = self._speed or 1.0
        return clock.speed == 0

    def next_event(self) -> TimedEvent | None:
        """The lesson's next event still to come, or None."""
        if self.lesson is None:
            return None
        due = [e for e in self.lesson.events if e.at > self.elapsed + 0.001]
        return min(due, key=lambda e: e.at) if due else None

    async def step(self) -> TimedEvent | None:
        """Move the clock on to the lesson's next event and let it happen; that event."""
        event = self.next_event()
        if event is None or self.simulator is None:
            return None
        # A second past it: the lesson's own start may lag the simulator's by a moment.
        self.simulator.clock.advance(seconds=event.at - self.elapsed + 1)
        for _ in range(8):  # the scenario task wakes and applies the event
            await asyncio.sleep(0)
        return event

    async def reset(self) -> Simulator | None:
        """Start the simulator afresh: the lesson from its beginning, toggles off."""
        if self.lesson_name:
            return await self.start_lesson(self.lesson_name, self._channel, self._typed)
        provider = self.provider
        await self.stop()
        return await self.start(provider) if provider else None

    async def stop(self) -> None:
        """Stop the simulator."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self.simulator is not None:
            simulator, self.simulator = self.simulator, None
            await simulator.stop()

    def target(
        self, channel: Channel, simulator: Simulator, typed_secret: str, recipient: str = ""
    ) -> Target:
        """Ready the running simulator for the channel; the target a rehearsal check aims at it."""
        from console.tui.checking import simulated_target

        secret = typed_secret or rehearsal_secret(simulator.profile)
        self.prepare(channel, secret)
        sent = secret + "-wrong" if "wrong-password" in self.active else secret
        return simulated_target(channel, simulator, sent, recipient)

    def prepare(self, channel: Channel, typed_secret: str) -> None:
        """Make the channel's sign-in a valid account, unless the trainer rotated its password."""
        if self.simulator is None:
            return
        secret = typed_secret or rehearsal_secret(self.simulator.profile)
        # A relay that trusts the network (the company's own server) needs no account.
        relay = channel.auth.method == "none" and allows_anonymous(self.simulator.profile)
        if relay != self.simulator.state.anonymous_relay:
            self.simulator.control("relay_open" if relay else "relay_closed")
        if channel.auth.method == "none":
            return
        username = login_name(channel, secret, self.simulator.profile)
        account = self.simulator.state.account(username)
        if account is not None and self.lesson is not None:
            return  # the lesson decides how this sign-in fares (it made this account)
        # An account the simulator already has keeps its 2-Step as the trainer left it.
        two_step = account.two_step if account is not None else None
        if account is None:
            account = Account(username=username, send_as=[channel.sender.address])
            self.simulator.add_account(account)
        address = channel.sender.address
        if address and not account.may_send_as(address):
            account.send_as.append(address)
        domain = address.rpartition("@")[2].lower()
        if domain and domain not in account.verified_domains:
            account.verified_domains.append(domain)
        if "password-rotated" not in self.active:
            from console.rehearse import grant_secret  # with the simulator: after the first screen

            grant_secret(account, secret, self.simulator.profile)
            # A channel with its own sign-in gets its tokens from the sign-in service instead.
            account.tokens = [] if channel.signs_in_with_oauth else [secret]
            if two_step is not None:
                account.two_step = two_step
            if "app-password-revoked" in self.active:
                account.app_password = None  # revoked until the trainer turns the toggle off

    async def signed_in(
        self, channel: Channel, simulator: Simulator, target: Target, note: Note
    ) -> Target:
        """An OAuth channel's target with an access token from the simulator's sign-in service.

        The first check signs in (the simulated user consents), later ones reuse or refresh
        the tokens kept in memory, as `oauth login` and then `check` would. Raises SignInError.
        """
        if not channel.signs_in_with_oauth or simulator.signin is None:
            return target
        if not self.oauth.held_for(channel, simulator):
            await self.oauth.sign_in(channel, simulator, note, lambda: self._on_code(simulator))
            self._befall_new_sign_in(channel, simulator, note)
        else:
            for toggle in toggles_for(simulator.profile.id):
                if toggle.id in ON_CODES and toggle.id in self.active:
                    note(
                        f"the trainer's {toggle.label} acts on a new sign-in's device code; "
                        "this check uses the tokens held (r resets the simulator: a new sign-in)"
                    )
        signed = await self.oauth.target(target, simulator, note)
        if "wrong-password" in self.active:
            note("the trainer's Wrong password is on: the check presents a wrong access token")
            return replace(signed, secret=signed.secret[::-1], renew=None)
        return signed

    def _on_code(self, simulator: Simulator) -> None:
        # The code just issued meets what the trainer switched on for waiting codes.
        for toggle in toggles_for(simulator.profile.id):
            if toggle.id in ON_CODES and toggle.id in self.active:
                for action in toggle.on:
                    simulator.control(action)

    def _befall_new_sign_in(self, channel: Channel, simulator: Simulator, note: Note) -> None:
        # A toggle on for the channel's sign-in holds for a new one too: its tokens are revoked.
        user = login_name(channel, "", simulator.profile)
        for toggle in toggles_for(simulator.profile.id):
            if toggle.id in PER_GRANT and toggle.id in self.active:
                for action in toggle.on:
                    simulator.control(action, user if action in PER_USER else None)
                note(f"the trainer's {toggle.label} is on: it holds for this sign-in too")
                self.oauth.set_aside = True

    def login(self, channel: Channel, typed_secret: str) -> str:
        """The user name the channel signs in with here (the stand-in token, for Postmark)."""
        if self.simulator is None:
            return channel.auth.username
        secret = typed_secret or rehearsal_secret(self.simulator.profile)
        return login_name(channel, secret, self.simulator.profile)

    def toggle(self, toggle_id: str, on: bool, user: str | None) -> str:
        """Switch a trainer behaviour; return what now happens, for a notification."""
        toggle = next(t for t in TOGGLES if t.id == toggle_id)
        (self.active.add if on else self.active.discard)(toggle_id)
        self.oauth.toggled(toggle_id, on)
        for action in (toggle.on if on else toggle.off) if self.simulator else ():
            assert self.simulator is not None
            per_user = action in PER_USER
            self.simulator.control(action, user if per_user else None)
            if action == "reset_limits":
                self._reapply_limits(user)
        return f"{toggle.label}: {'on' if on else 'off'}"

    def _reapply_limits(self, user: str | None) -> None:
        # reset_limits clears both limit toggles; put back the one still on.
        assert self.simulator is not None
        for toggle_id, action in (("throttle", "throttle"), ("quota", "use_up_quota")):
            if toggle_id in self.active:
                self.simulator.control(action, user)
