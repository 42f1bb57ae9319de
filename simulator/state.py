"""What the simulated provider knows: accounts, tenant switches, and their controls."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field


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
    "use_up_quota": "the account's daily quota is used up",
    "throttle": "the account's per-minute allowance is used up",
    "reset_limits": "all rate and quota counters start afresh",
}

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
}


def apply(state: State, action: str, user: str | None = None, value: str | None = None) -> None:
    """Apply a state control; limit controls (quota, throttle) are the ledger's."""
    if action in _SWITCHES:
        name, on = _SWITCHES[action]
        setattr(state, name, on)
        return
    if action not in ("rotate_password", "revoke_app_password", "revoke_token"):
        raise KeyError(f"unknown control {action!r}")
    targets = [state.account(user)] if user else list(state.accounts.values())
    for account in targets:
        if account is None:
            raise KeyError(f"unknown account {user!r}")
        if action == "rotate_password":
            account.password = value or secrets.token_urlsafe(12)
        elif action == "revoke_app_password":
            account.app_password = None
        else:
            account.tokens.clear()
