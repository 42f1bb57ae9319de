"""Messages the console's widgets post upwards: small dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from console.channel import Channel
from console.guide import Question, Recommendation

if TYPE_CHECKING:  # the diagnosis catalogue loads on first use, after the first screen
    from console.diagnosis import Diagnosis


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
class ChannelChanged(Message):
    """The editor's channel, checked: None when a field cannot be read; how many problems."""

    channel: Channel | None
    problem_count: int


@dataclass
class TrainerToggled(Message):
    """A trainer switched a simulator behaviour on or off."""

    toggle: str
    on: bool


class TrainerReady(Message):
    """The trainer panel is up (it mounts after the first screen): show it the simulator."""


@dataclass
class ShowTab(Message):
    """Bring this tab to the front."""

    tab: str


@dataclass
class TabLabel(Message):
    """A tab's title changed (the count of captured messages)."""

    tab: str
    label: str


@dataclass
class DiagnosisChanged(Message):
    """The latest check or burst ended with this diagnosis (None: nothing to read)."""

    diagnosis: Diagnosis | None


@dataclass
class GuideRestarted(Message):
    """The guide starts over: whatever was typed for the last channel is not for the next."""


@dataclass
class GuideStepped(Message):
    """The guide moved to another question or to a recommendation."""

    node: Question | Recommendation
