"""What the simulated provider knows: accounts, tenant switches, and their controls."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # hashing and json load with the first tenant, not with the console's screen
    from simulator.signin.tokens import OAuthState


def _oauth_state() -> OAuthState:
    from simulator.signin.tokens import OAuthState

    return OAuthState()


@dataclass
class Account:
    """One sign-in the simulated provider accepts."""

    username: str
    password: str | None = None
    app_password: str | None = None
    tokens: list[str] = field(default_factory=list)
    send_as: list[str] = field(default_factory=list)
    verified_domains: list[str] = field(default_factory=list)
    two_step: bool = False  # Gmail: a plain password then needs an app password
    legacy: bool = False  # Gmail: an old account whose plain password still signs in

    def may_send_as(self, address: str) -> bool:
        """True when this account may put `address` in From / MAIL FROM."""
        address = address.lower()
        return address == self.username.lower() or address in (a.lower() for a in self.send_as)


@dataclass
class State:
    """Accounts plus the switches a trainer or scenario flips while the server runs."""

    accounts: dict[str, Account] = field(default_factory=dict)
    smtp_auth_enabled: bool = True
    basic_auth_enabled: bool = True
    basic_auth_retired: bool = False
    security_defaults: bool = False
    starttls_offered: bool = True
    greylisting: bool = False
    send_as_denied: bool = False
    anonymous_relay: bool = False  # an IP-allowlisted relay: mail without signing in
    too_many_logins: bool = False  # every sign-in gets the provider's "too many logins"
    sandbox: bool = False  # Amazon SES: every recipient must be a verified identity too
    send_rate_exceeded: bool = False  # the account's maximum sending rate is in use
    smtp_auth_off_for: set[str] = field(default_factory=set)  # mailboxes (lowercase)
    oauth: OAuthState = field(default_factory=_oauth_state)  # the sign-in service's tokens

    def smtp_auth_allowed(self, username: str) -> bool:
        """True when SMTP AUTH is not turned off for this mailbox."""
        return username.lower() not in self.smtp_auth_off_for

    def account(self, username: str) -> Account | None:
        """The account for a login name, case-insensitively."""
        return self.accounts.get(username.lower())

    def add(self, account: Account) -> None:
        """Add or replace an account."""
        self.accounts[account.username.lower()] = account


# Every control a trainer toggle or a scenario event may apply, with what it does.
CONTROLS: dict[str, str] = {
    "rotate_password": "the account's password changes; the old one stops working",
    "revoke_app_password": "the account's app password is revoked",
    "revoke_token": "the account's OAuth tokens are revoked",
    "disable_smtp_auth": "SMTP AUTH is turned off for the tenant",
    "enable_smtp_auth": "SMTP AUTH is turned on for the tenant",
    "disable_basic_auth": "basic (password) authentication is blocked",
    "enable_basic_auth": "basic (password) authentication is allowed again",
    "retire_basic_auth": "basic authentication for client submission is retired",
    "security_defaults_on": "Security Defaults are switched on",
    "security_defaults_off": "Security Defaults are switched off",
    "starttls_off": "the server stops offering STARTTLS",
    "starttls_on": "the server offers STARTTLS again",
    "greylisting_on": "first attempts per sender and recipient are deferred",
    "greylisting_off": "greylisting stops",
    "deny_send_as": "every message is refused as send-as denied",
    "allow_send_as": "send-as is judged by the account's rights again",
    "relay_open": "mail is taken without signing in, as by a relay that trusts the network",
    "relay_closed": "mail needs a signed-in client again",
    "two_step_on": "2-Step Verification is turned on: the account password, even of a "
    "legacy account, is refused for an app password",
    "two_step_off": "2-Step Verification is turned off again",
    "too_many_logins_on": "every sign-in is refused for too many login attempts",
    "too_many_logins_off": "sign-ins are judged again",
    "sandbox_on": "the account is in the sandbox: mail to an unverified recipient is refused",
    "sandbox_off": "the account is out of the sandbox: any recipient may be sent to",
    "send_rate_exceeded_on": "the account's maximum sending rate is in use: each message is "
    "refused for the rate",
    "send_rate_exceeded_off": "the sending rate has room again",
    "use_up_quota": "the account's daily quota is used up",
    "throttle": "the account's per-minute allowance is used up",
    "reset_limits": "all rate and quota counters start afresh",
    "revoke_refresh_token": "the account's refresh tokens are revoked (access tokens run out)",
    "refresh_token_idle": "the account's refresh tokens have been unused for 91 days",
    "withdraw_consent": "the user withdraws consent to the app: refreshing is refused",
    "give_consent": "consent to the app is given again",
    "conditional_access_on": "a Conditional Access policy blocks token issuance",
    "conditional_access_off": "Conditional Access lets sign-ins through again",
    "require_mfa": "sign-ins made before now need multi-factor authentication",
    "mfa_satisfied": "multi-factor authentication is no longer demanded",
    "disable_smtp_auth_mailbox": "SMTP AUTH is turned off for the mailbox",
    "enable_smtp_auth_mailbox": "SMTP AUTH is turned on for the mailbox again",
    "testing_mode_expiry": "Google: the app is in Testing and its refresh tokens are 7 days old",
    "slow_down": "pending device codes are answered slow_down at their next poll",
    "expire_device_codes": "pending device codes expire",
    "approve_sign_in": "the user approves the pending device codes (as the account named)",
    "decline_sign_in": "the user declines the pending device codes",
    "sign_in_manual": "sign-ins wait for approval (the trainer or a test approves)",
    "sign_in_auto": "sign-ins are approved automatically as the first account",
}

# The controls that name an account (all accounts when none is named).
ACCOUNT_CONTROLS = (
    "rotate_password",
    "revoke_app_password",
    "revoke_token",
    "two_step_on",
    "two_step_off",
    "revoke_refresh_token",
    "refresh_token_idle",
    "withdraw_consent",
    "give_consent",
    "disable_smtp_auth_mailbox",
    "enable_smtp_auth_mailbox",
    "testing_mode_expiry",
    "approve_sign_in",
)

_SWITCHES: dict[str, tuple[str, bool]] = {
    "disable_smtp_auth": ("smtp_auth_enabled", False),
    "enable_smtp_auth": ("smtp_auth_enabled", True),
    "disable_basic_auth": ("basic_auth_enabled", False),
    "enable_basic_auth": ("basic_auth_enabled", True),
    "retire_basic_auth": ("basic_auth_retired", True),
    "security_defaults_on": ("security_defaults", True),
    "security_defaults_off": ("security_defaults", False),
    "starttls_off": ("starttls_offered", False),
    "starttls_on": ("starttls_offered", True),
    "greylisting_on": ("greylisting", True),
    "greylisting_off": ("greylisting", False),
    "deny_send_as": ("send_as_denied", True),
    "allow_send_as": ("send_as_denied", False),
    "relay_open": ("anonymous_relay", True),
    "relay_closed": ("anonymous_relay", False),
    "too_many_logins_on": ("too_many_logins", True),
    "too_many_logins_off": ("too_many_logins", False),
    "sandbox_on": ("sandbox", True),
    "sandbox_off": ("sandbox", False),
    "send_rate_exceeded_on": ("send_rate_exceeded", True),
    "send_rate_exceeded_off": ("send_rate_exceeded", False),
}


def apply(state: State, action: str, user: str | None = None, value: str | None = None) -> None:
    """Apply a state control; limit controls (quota, throttle) are the ledger's."""
    if action in _SWITCHES:
        name, on = _SWITCHES[action]
        setattr(state, name, on)
        return
    if action in _OAUTH_CONTROLS:
        _oauth(state, action, user)
        return
    if action not in _ACCOUNT_SWITCHES:
        raise KeyError(f"unknown control {action!r}")
    for account in _targets(state, user):
        if action in ("two_step_on", "two_step_off"):
            account.two_step = action == "two_step_on"
        elif action == "rotate_password":
            account.password = value or secrets.token_urlsafe(12)
            state.oauth.password_changed(account.username)
        elif action == "revoke_app_password":
            account.app_password = None
        else:
            account.tokens.clear()
            state.oauth.revoke_all(account.username)


def holds(state: State, action: str, user: str | None = None) -> bool | None:
    """Whether the state now shows what `action` does (to `user`, if named, or to anyone).

    None for a control whose effect cannot be read back (a revoked secret, a new password).
    """
    if action in _SWITCHES:
        name, on = _SWITCHES[action]
        return bool(getattr(state, name) == on)
    account = state.account(user) if user else None
    names = [a.username.lower() for a in ([account] if account else state.accounts.values())]
    oauth = state.oauth
    if action in ("two_step_on", "two_step_off"):
        two_step = any(state.accounts[n].two_step for n in names)
        return two_step == (action == "two_step_on")
    if action in ("disable_smtp_auth_mailbox", "enable_smtp_auth_mailbox"):
        off = any(n in state.smtp_auth_off_for for n in names)
        return off == (action == "disable_smtp_auth_mailbox")
    if action in ("withdraw_consent", "give_consent"):
        withdrawn = any(n in oauth.consent_withdrawn for n in names)
        return withdrawn == (action == "withdraw_consent")
    if action in ("conditional_access_on", "conditional_access_off"):
        return oauth.conditional_access == (action == "conditional_access_on")
    if action in ("sign_in_manual", "sign_in_auto"):
        return (oauth.consent == "manual") == (action == "sign_in_manual")
    return None


_ACCOUNT_SWITCHES = (
    "rotate_password",
    "revoke_app_password",
    "revoke_token",
    "two_step_on",
    "two_step_off",
)


def _targets(state: State, user: str | None) -> list[Account]:
    if not user:
        return list(state.accounts.values())
    account = state.account(user)
    if account is None:
        raise KeyError(f"unknown account {user!r}")
    return [account]


_OAUTH_CONTROLS = frozenset(
    {
        "revoke_refresh_token",
        "refresh_token_idle",
        "withdraw_consent",
        "give_consent",
        "conditional_access_on",
        "conditional_access_off",
        "require_mfa",
        "mfa_satisfied",
        "disable_smtp_auth_mailbox",
        "enable_smtp_auth_mailbox",
        "testing_mode_expiry",
        "slow_down",
        "expire_device_codes",
        "approve_sign_in",
        "decline_sign_in",
        "sign_in_manual",
        "sign_in_auto",
    }
)


def _oauth(state: State, action: str, user: str | None) -> None:
    """The identity provider's controls: tokens, consent, policies, device codes."""
    oauth = state.oauth
    names = [a.username for a in _targets(state, user)]
    now = oauth.clock.now()
    if action == "revoke_refresh_token":
        for name in names:
            oauth.revoke_refresh(name)
    elif action == "refresh_token_idle":
        for name in names:
            oauth.make_idle(name)
    elif action == "testing_mode_expiry":
        for name in names:
            oauth.testing_expired(name)
    elif action == "withdraw_consent":
        oauth.withdraw_consent(None, names)
    elif action == "give_consent":
        oauth.give_consent(user)
    elif action in ("conditional_access_on", "conditional_access_off"):
        oauth.conditional_access = action == "conditional_access_on"
    elif action in ("require_mfa", "mfa_satisfied"):
        oauth.require_mfa(action == "require_mfa")
    elif action == "disable_smtp_auth_mailbox":
        state.smtp_auth_off_for.update(n.lower() for n in names)
    elif action == "enable_smtp_auth_mailbox":
        state.smtp_auth_off_for.difference_update(n.lower() for n in names)
    elif action == "slow_down":
        oauth.devices.slow_down(now)
    elif action == "expire_device_codes":
        oauth.devices.expire(now)
    elif action in ("approve_sign_in", "decline_sign_in"):
        account = (user or next(iter(names), None)) if action == "approve_sign_in" else None
        for request in oauth.devices.pending(now):
            request.status, request.account = (
                ("approved", account) if account else ("declined", None)
            )
    else:
        oauth.consent = "manual" if action == "sign_in_manual" else "auto"
