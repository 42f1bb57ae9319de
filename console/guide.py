"""The guide as data: a decision tree to a recommended channel, and a searchable FAQ."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.tomlsource import SourceError, find_line, read_toml

DATA_DIR = Path(__file__).resolve().parent / "data"


class GuideError(SourceError):
    """Guide or FAQ data that cannot be used, naming file, line and field."""


@dataclass(frozen=True)
class Option:
    """One answer to a question, and the node it leads to."""

    label: str
    next: str


@dataclass(frozen=True)
class Question:
    """A step of the tree that asks the user to choose."""

    id: str
    text: str
    help: str
    options: tuple[Option, ...]
    faq: tuple[str, ...]


@dataclass(frozen=True)
class Recommendation:
    """A leaf of the tree: the channel to set up, and why."""

    id: str
    title: str
    provider: str
    summary: str
    auth: str | None = None
    host: str | None = None
    port: int | None = None
    security: str | None = None
    reasons: tuple[str, ...] = ()
    pros: tuple[str, ...] = ()
    cons: tuple[str, ...] = ()
    limits: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    faq: tuple[str, ...] = ()

    def overrides(self) -> dict[str, Any]:
        """The channel settings this recommendation fixes beyond the provider's defaults."""
        pairs = {
            "method": self.auth,
            "host": self.host,
            "port": self.port,
            "security": self.security,
        }
        if self.auth in ("xoauth2", "oauthbearer"):
            pairs["secret"] = "oauth"  # the tokens come from the channel's own sign-in
        return {key: value for key, value in pairs.items() if value is not None}


Node = Question | Recommendation


@dataclass(frozen=True)
class FaqEntry:
    """One question and its answer."""

    id: str
    question: str
    answer: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Guide:
    """The whole decision tree."""

    root: str
    questions: Mapping[str, Question]
    recommendations: Mapping[str, Recommendation]

    def node(self, node_id: str) -> Node:
        """The question or recommendation with this id."""
        if node_id in self.questions:
            return self.questions[node_id]
        return self.recommendations[node_id]


@dataclass
class Walk:
    """A path through the guide: the answers given so far."""

    guide: Guide
    path: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.path:
            self.path = [self.guide.root]

    @property
    def current(self) -> Node:
        """The node the user is at."""
        return self.guide.node(self.path[-1])

    @property
    def finished(self) -> bool:
        """True once a recommendation is reached."""
        return isinstance(self.current, Recommendation)

    def choose(self, index: int) -> Node:
        """Answer the current question with option number index; return the next node."""
        node = self.current
        if not isinstance(node, Question):
            raise ValueError("the guide has already reached a recommendation")
        if not 0 <= index < len(node.options):
            raise IndexError(f"{node.id} has {len(node.options)} options, not {index + 1}")
        self.path.append(node.options[index].next)
        return self.current

    def choose_label(self, label: str) -> Node:
        """Answer with the option whose label starts with label (case-insensitive)."""
        node = self.current
        if isinstance(node, Question):
            for index, option in enumerate(node.options):
                if option.label.lower().startswith(label.lower()):
                    return self.choose(index)
        raise KeyError(f"no option starting with {label!r} at {self.path[-1]}")

    def back(self) -> Node:
        """Undo the last answer."""
        if len(self.path) > 1:
            self.path.pop()
        return self.current

    def restart(self) -> Node:
        """Go back to the first question."""
        del self.path[1:]
        return self.current

    def answers(self) -> list[tuple[str, str]]:
        """Each question asked so far with the label of the answer chosen."""
        pairs = []
        for here, there in zip(self.path, self.path[1:], strict=False):
            question = self.guide.questions[here]
            label = next(o.label for o in question.options if o.next == there)
            pairs.append((question.text, label))
        return pairs


@dataclass(frozen=True)
class Faq:
    """The FAQ entries, searchable."""

    entries: tuple[FaqEntry, ...]

    def get(self, entry_id: str) -> FaqEntry:
        """The entry with this id."""
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise KeyError(f"no FAQ entry {entry_id!r}")

    def ids(self) -> set[str]:
        """Every entry id."""
        return {entry.id for entry in self.entries}

    def search(self, query: str) -> list[FaqEntry]:
        """Entries matching every word of the query, best first; all entries for no query."""
        words = re.findall(r"[\w.\-]+", query.lower())
        if not words:
            return list(self.entries)
        scored = []
        for entry in self.entries:
            score = _score(entry, words)
            if score:
                scored.append((score, entry))
        scored.sort(key=lambda pair: -pair[0])
        return [entry for _, entry in scored]


def _score(entry: FaqEntry, words: Sequence[str]) -> int:
    question, answer = entry.question.lower(), entry.answer.lower()
    tags = " ".join(entry.tags).lower()
    total = 0
    for word in words:
        found = 3 * (word in entry.id) + 3 * (word in tags) + 2 * (word in question)
        found += word in answer
        if not found:
            return 0
        total += found
    return total


class _Table:
    """Typed reads from a parsed TOML table, failing with the file and line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def fail(self, dotted: str, reason: str) -> GuideError:
        return GuideError(self.path, find_line(self.text, dotted), dotted, reason)

    def string(self, table: Mapping[str, Any], key: str, where: str, default: Any = ...) -> Any:
        value = table.get(key, default)
        if value is ...:
            raise self.fail(f"{where}.{key}", "is missing")
        if value is not default and not isinstance(value, str):
            raise self.fail(f"{where}.{key}", f"must be a string, not {value!r}")
        return value

    def strings(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{where}.{key}", "must be a list of strings")
        return tuple(value)


def load_faq(path: Path | None = None) -> Faq:
    """Read the FAQ; ids must be unique."""
    path = path or DATA_DIR / "faq.toml"
    text, data = read_toml(path, GuideError)
    table = _Table(path, text)
    entries: list[FaqEntry] = []
    for raw in data.get("entries", []):
        entry = FaqEntry(
            id=table.string(raw, "id", "entries"),
            question=table.string(raw, "question", "entries"),
            answer=table.string(raw, "answer", "entries").strip(),
            tags=table.strings(raw, "tags", "entries"),
        )
        if any(e.id == entry.id for e in entries):
            raise table.fail("entries.id", f"{entry.id!r} appears twice")
        entries.append(entry)
    return Faq(tuple(entries))


def load_guide(path: Path | None = None, faq: Faq | None = None) -> Guide:
    """Read the decision tree and check every link in it."""
    path = path or DATA_DIR / "guide.toml"
    faq = faq or load_faq()
    text, data = read_toml(path, GuideError)
    table = _Table(path, text)
    questions: dict[str, Question] = {}
    for qid, raw in data.get("questions", {}).items():
        where = f"questions.{qid}"
        options = tuple(
            Option(table.string(o, "label", where), table.string(o, "next", where))
            for o in raw.get("options", [])
        )
        if not options:
            raise table.fail(where, "needs at least one option")
        questions[qid] = Question(
            qid,
            table.string(raw, "text", where),
            table.string(raw, "help", where, ""),
            options,
            table.strings(raw, "faq", where),
        )
    recommendations: dict[str, Recommendation] = {}
    for rid, raw in data.get("recommendations", {}).items():
        where = f"recommendations.{rid}"
        if rid in questions:
            raise table.fail(where, "has the same id as a question")
        port = raw.get("port")
        if port is not None and (not isinstance(port, int) or not 0 < port < 65536):
            raise table.fail(f"{where}.port", f"must be a port number, not {port!r}")
        lists = {k: table.strings(raw, k, where) for k in ("reasons", "pros", "cons", "limits")}
        recommendations[rid] = Recommendation(
            id=rid,
            title=table.string(raw, "title", where),
            provider=table.string(raw, "provider", where),
            summary=table.string(raw, "summary", where),
            auth=table.string(raw, "auth", where, None),
            host=table.string(raw, "host", where, None),
            port=port,
            security=table.string(raw, "security", where, None),
            warnings=table.strings(raw, "warnings", where),
            faq=table.strings(raw, "faq", where),
            **lists,
        )
    guide = Guide(table.string(data, "root", "guide"), questions, recommendations)
    _check_links(guide, faq, table)
    return guide


def _check_links(guide: Guide, faq: Faq, table: _Table) -> None:
    known = set(guide.questions) | set(guide.recommendations)
    if guide.root not in guide.questions:
        raise table.fail("root", f"{guide.root!r} is not a question")
    nodes: list[Node] = [*guide.questions.values(), *guide.recommendations.values()]
    for node in nodes:
        kind = "questions" if isinstance(node, Question) else "recommendations"
        for entry in node.faq:
            if entry not in faq.ids():
                raise table.fail(f"{kind}.{node.id}.faq", f"{entry!r} is not an FAQ entry")
    for question in guide.questions.values():
        for option in question.options:
            if option.next not in known:
                where = f"questions.{question.id}.options"
                raise table.fail(where, f"next {option.next!r} is not a question or recommendation")
    reached = _reachable(guide)
    for node_id in sorted(known - reached):
        kind = "questions" if node_id in guide.questions else "recommendations"
        raise table.fail(f"{kind}.{node_id}", "cannot be reached from the root")


def _reachable(guide: Guide) -> set[str]:
    seen: set[str] = set()
    todo = [guide.root]
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        if node_id in guide.questions:
            todo.extend(o.next for o in guide.questions[node_id].options)
    return seen
