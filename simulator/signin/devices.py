"""Device authorization requests (RFC 8628): codes, the simulated user's answer, polling rules."""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass, field

DEVICE_LIFETIME = 900  # seconds: Microsoft's expires_in
POLL_INTERVAL = 5  # seconds between polls the server asks for
SLOW_DOWN_STEP = 5  # RFC 8628 3.5: each slow_down adds five seconds to the interval
_USER_CODE_ALPHABET = string.ascii_uppercase + string.digits


@dataclass
class DeviceRequest:
    """One device authorization request, waiting for the user's answer."""

    provider: str
    device_code: str = field(repr=False)
    user_code: str
    client_id: str
    tenant: str
    scopes: tuple[str, ...]
    public: bool
    created: float  # virtual time
    created_real: float  # monotonic time
    expires: float  # virtual time
    interval: int = POLL_INTERVAL
    status: str = "pending"  # pending | approved | declined | redeemed
    account: str | None = None
    last_poll: float | None = None
    last_poll_real: float | None = None
    owes_slow_down: bool = False


class DeviceCodes:
    """The open device authorization requests of one sign-in service."""

    def __init__(self) -> None:
        self._by_device: dict[str, DeviceRequest] = {}

    def create(
        self,
        provider: str,
        client_id: str,
        tenant: str,
        scopes: tuple[str, ...],
        *,
        public: bool,
        now: float,
        lifetime: int = DEVICE_LIFETIME,
    ) -> DeviceRequest:
        """A new request with a fresh device code and user code."""
        self._forget_old(now)
        if provider == "google":
            user_code = "-".join(_code(4) for _ in range(3))
            device_code = "AH-1Ng" + secrets.token_urlsafe(60)
        else:
            user_code = _code(9)
            device_code = "DAQABIQEAAADW6jl31mB3T7ugrWTT8pFe" + secrets.token_urlsafe(180)
        request = DeviceRequest(
            provider,
            device_code,
            user_code,
            client_id,
            tenant,
            scopes,
            public,
            now,
            time.monotonic(),
            now + lifetime,
        )
        self._by_device[device_code] = request
        return request

    def get(self, device_code: str) -> DeviceRequest | None:
        """The request for a device code."""
        return self._by_device.get(device_code)

    def by_user_code(self, user_code: str) -> DeviceRequest | None:
        """The pending request a user code names (spaces, dashes and case ignored)."""
        wanted = _plain(user_code)
        return next(
            (r for r in self._by_device.values() if _plain(r.user_code) == wanted),
            None,
        )

    def pending(self, now: float) -> list[DeviceRequest]:
        """Requests still waiting for the user, oldest first."""
        return [r for r in self._by_device.values() if r.status == "pending" and now < r.expires]

    def poll(
        self, request: DeviceRequest, now: float, *, consent: str, default_account: str | None
    ) -> str:
        """Answer one poll: pending, slow_down, expired, declined, approved or redeemed."""
        if request.status == "redeemed":
            return "redeemed"
        if now >= request.expires:
            return "expired"
        real = time.monotonic()
        # Too fast only when the gap is short in both virtual and real time, so a client
        # that waits the interval passes whether the clock is frozen or racing.
        too_fast = (
            request.last_poll is not None
            and request.last_poll_real is not None
            and now - request.last_poll < request.interval
            and real - request.last_poll_real < request.interval
        )
        request.last_poll, request.last_poll_real = now, real
        if too_fast or request.owes_slow_down:
            request.owes_slow_down = False
            request.interval += SLOW_DOWN_STEP
            return "slow_down"
        if request.status == "pending" and consent != "manual":
            waited = max(now - request.created, real - request.created_real)
            if waited >= POLL_INTERVAL:
                if consent == "deny":
                    request.status = "declined"
                elif default_account:
                    request.status, request.account = "approved", default_account
        if request.status == "approved":
            request.status = "redeemed"
            return "approved"
        return request.status  # pending or declined

    def slow_down(self, now: float) -> None:
        """Every pending request answers its next poll with slow_down."""
        for request in self.pending(now):
            request.owes_slow_down = True

    def expire(self, now: float) -> None:
        """Every pending request expires now."""
        for request in self.pending(now):
            request.expires = now

    def _forget_old(self, now: float) -> None:
        old = [code for code, r in self._by_device.items() if now > r.expires + DEVICE_LIFETIME]
        for code in old:
            del self._by_device[code]


def _code(length: int) -> str:
    return "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(length))


def _plain(user_code: str) -> str:
    return user_code.replace("-", "").replace(" ", "").upper()
