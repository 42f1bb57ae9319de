"""Messages the console's widgets post upwards: small dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from console.channel import Channel
from console.guide import Recommendation


@dataclass
class StartChannel(Message):
    """The user chose to start a channel from a recommendation."""

    recommendation: Recommendation


@dataclass
class ShowFaq(Message):
    """Show these FAQ entries beside the current step (the first one opened)."""

    entry_ids: tuple[str, ...]


@dataclass
class ChannelEdited(Message):
    """The form holds a new channel, or None when a field cannot be read at all."""

    channel: Channel | None
    unreadable: dict[str, str]


@dataclass
class TrainerToggled(Message):
    """A trainer switched a simulator behaviour on or off."""

    toggle: str
    on: bool


@dataclass
class ViewMessage(Message):
    """Open the captured message at this index in the viewer."""

    index: int
