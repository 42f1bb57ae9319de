"""What happens inside the simulator, as a stream of small immutable events."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Literal, NamedTuple

EventKind = Literal[
    "session-open",
    "command",
    "reply",
    "accepted",
    "delayed",
    "refused",
    "session-close",
    "control",
    "scenario",
    "signin",
    "note",  # something the provider does quietly, such as rewriting a sender
]
MASK = "****"
log = logging.getLogger(__name__)


class Event(NamedTuple):
    """One thing the simulator saw or did; secrets are already masked in `text`."""

    # A named tuple, not a frozen dataclass: a busy server makes about nine a message.
    kind: EventKind
    session: str
    text: str
    virtual_time: float
    real_time: float

    def as_dict(self) -> dict[str, object]:
        """The event as plain data, for JSON logs."""
        return self._asdict()


Listener = Callable[[Event], None]


class EventBus:
    """Fans events out to subscribers and keeps the most recent ones."""

    def __init__(self, keep: int = 2000) -> None:
        self.recent: deque[Event] = deque(maxlen=keep)
        self._listeners: tuple[Listener, ...] = ()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` for every later event; returns the unsubscribe function."""
        self._listeners += (listener,)

        def unsubscribe() -> None:
            if listener in self._listeners:
                listeners = list(self._listeners)
                listeners.remove(listener)
                self._listeners = tuple(listeners)

        return unsubscribe

    def emit(self, event: Event) -> None:
        """Record an event and hand it to every subscriber."""
        self.recent.append(event)
        for listener in self._listeners:  # a tuple: a listener may unsubscribe meanwhile
            try:
                listener(event)
            except Exception:  # a faulty subscriber must not break an SMTP session
                log.exception("event listener failed")
