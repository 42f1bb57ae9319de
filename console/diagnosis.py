"""SMTP reply or connection failure -> what happened, why, the fix, and the guide entry."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from typing import Any

from console.printable import printable

CATALOGUE = "diagnoses.toml"
SIGNIN_CATALOGUE = "diagnoses_signin.toml"  # identity-provider (OAuth) errors
_REPLY_START = re.compile(r"(?<![\d.])([2-5]\d\d)(?:[ -]|$)", re.MULTILINE)
_ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")


@dataclass(frozen=True)
class Entry:
    """One catalogue entry: the conditions it matches on and what it says."""

    id: str
    title: str
    happened: str
    cause: str
    fix: tuple[str, ...]
    guide: str
    provider: str | None = None
    code: int | None = None
    enhanced: str | None = None
    pattern: re.Pattern[str] | None = None
    stage: str | None = None
    failure: str | None = None
    keys: tuple[str, ...] = ()
    provider_only: bool = False

    def score(self, reply: Reply, provider: str | None, stage: str | None) -> int | None:
        """How specifically this entry fits the reply; None when it does not fit."""
        if self.failure is not None:
            return None
        points = 0
        if self.provider is not None:
            if provider is None and (self.pattern is None or self.provider_only):
                return None
            if provider is not None and provider != self.provider:
                return None
            points += 16
        if self.pattern is not None:
            if not self.pattern.search(reply.text):
                return None
            points += 8
        if self.enhanced is not None:
            if reply.enhanced != self.enhanced:
                return None
            points += 4
        if self.code is not None:
            if reply.code != self.code:
                return None
            points += 2
        if self.stage is not None and stage is not None:
            if stage != self.stage:
                return None
            points += 1
        if self.pattern is None and self.enhanced is None and self.code is None:
            return None
        return points


@dataclass(frozen=True)
class Reply:
    """A reply as parsed from a transcript or a pasted text."""

    text: str
    code: int | None
    enhanced: str | None

    @classmethod
    def parse(cls, raw: str) -> Reply:
        """Find the basic and enhanced codes in a reply, pasted with or without line breaks."""
        lines = [line.strip() for line in raw.replace("\r\n", "\n").split("\n") if line.strip()]
        start = _REPLY_START.search(raw)
        code = int(start.group(1)) if start else None
        enhanced_match = _ENHANCED.search(raw)
        enhanced = ".".join(enhanced_match.groups()) if enhanced_match else None
        if not lines:
            return cls(raw.strip(), code, enhanced)
        rest = [_strip_prefix(line, code) for line in lines[1:]]
        first = lines[0]
        if code is not None:
            first = re.sub(rf"^(.*?){code}-", rf"\g<1>{code} ", first, count=1)
        return cls(" ".join([first, *rest]), code, enhanced)


def flatten(code: int, message: str) -> str:
    """A multi-line reply (as clients hand it over: code apart, lines joined) on one line."""
    lines = message.split("\n") or [""]
    last = len(lines) - 1
    raw = "\r\n".join(f"{code}{' ' if i == last else '-'}{line}" for i, line in enumerate(lines))
    return Reply.parse(raw).text


def _strip_prefix(line: str, code: int | None) -> str:
    """A continuation line without its repeated `code-` / `code enhanced` prefix."""
    if code is None:
        return line
    prefix = re.match(rf"{code}[ -](?:[245]\.\d{{1,3}}\.\d{{1,3}}\s+)?", line)
    return line[prefix.end() :] if prefix else line


@dataclass(frozen=True)
class Diagnosis:
    """The explanation of one reply or failure, ready to print or serialise."""

    id: str
    title: str
    happened: str
    cause: str
    fix: tuple[str, ...]
    guide: str
    source: str  # "catalogue" or "rfc"
    reply: str = ""
    code: int | None = None
    enhanced: str | None = None
    provider: str | None = None
    stage: str | None = None
    keys: tuple[str, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        data = asdict(self)
        data["fix"] = list(self.fix)
        del data["keys"]
        return data

    def render(self) -> str:
        """Plain text for a terminal: title, what happened, cause, numbered fix, guide."""
        lines = [self.title]
        if self.reply:
            lines.append(f"  reply:    {printable(self.reply)}")
        lines += [f"  happened: {self.happened}", f"  cause:    {self.cause}", "  fix:"]
        lines += [f"    {n}. {step}" for n, step in enumerate(self.fix, 1)]
        lines.append(f"  read:     guide entry {self.guide!r}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Catalogue:
    """Every entry of the catalogue plus the RFC 3463 tables for unknown replies."""

    entries: tuple[Entry, ...]
    subjects: Mapping[str, str]
    details: Mapping[str, str]
    basic: Mapping[str, str]

    @property
    def guide_ids(self) -> set[str]:
        """Every guide entry id the catalogue points to."""
        return {entry.guide for entry in self.entries}

    def match(self, reply: Reply, provider: str | None, stage: str | None) -> Entry | None:
        """The most specific entry fitting the reply (the earliest one on a tie)."""
        best: tuple[int, Entry] | None = None
        for entry in self.entries:
            points = entry.score(reply, provider, stage)
            if points is not None and (best is None or points > best[0]):
                best = (points, entry)
        return best[1] if best else None


def _entry(raw: Mapping[str, Any]) -> Entry:
    pattern = raw.get("pattern")
    return Entry(
        id=raw["id"],
        title=raw["title"],
        happened=raw["happened"],
        cause=raw["cause"],
        fix=tuple(raw["fix"]),
        guide=raw["guide"],
        provider=raw.get("provider"),
        code=raw.get("code"),
        enhanced=raw.get("enhanced"),
        pattern=re.compile(pattern, re.IGNORECASE) if pattern else None,
        stage=raw.get("stage"),
        failure=raw.get("failure"),
        keys=tuple(raw.get("keys", ())),
        provider_only=raw.get("provider_only", False),
    )


@cache
def catalogue() -> Catalogue:
    """The catalogue shipped in console/data."""
    from importlib import resources  # only a failure or an explanation reads the catalogue

    text = resources.files("console.data").joinpath(CATALOGUE).read_text(encoding="utf-8")
    data = tomllib.loads(text)
    signin = tomllib.loads(
        resources.files("console.data").joinpath(SIGNIN_CATALOGUE).read_text(encoding="utf-8")
    )
    rfc = data["rfc3463"]
    raws = signin.get("reply", []) + data.get("reply", []) + data.get("failure", [])
    return Catalogue(
        entries=tuple(_entry(raw) for raw in raws),
        subjects=rfc["subjects"],
        details=rfc["details"],
        basic=rfc["basic"],
    )


def diagnose(
    raw: str,
    provider: str | None = None,
    stage: str | None = None,
) -> Diagnosis:
    """Explain a server reply: from the catalogue, else from its RFC 3463 and basic codes."""
    reply = Reply.parse(raw)
    book = catalogue()
    entry = book.match(reply, provider, stage)
    if entry is not None:
        cause = entry.cause
        if reply.enhanced and entry.enhanced is None and entry.pattern is None:
            cause = f"{cause} ({_enhanced_meaning(book, reply.enhanced)})"
        return Diagnosis(
            id=entry.id,
            title=entry.title,
            happened=entry.happened,
            cause=cause,
            fix=entry.fix,
            guide=entry.guide,
            source="catalogue",
            reply=reply.text,
            code=reply.code,
            enhanced=reply.enhanced,
            provider=entry.provider or provider,
            stage=stage,
            keys=entry.keys,
        )
    return _from_rfc(book, reply, provider, stage)


def diagnose_failure(
    failure: str,
    detail: str = "",
    provider: str | None = None,
    stage: str | None = None,
) -> Diagnosis:
    """Explain a connection-level failure ("dns", "refused", "cert-expired", ...)."""
    book = catalogue()
    candidates = [e for e in book.entries if e.failure == failure]
    if not candidates:
        raise KeyError(f"unknown failure kind {failure!r}")
    generic = next((e for e in candidates if e.provider is None), candidates[0])
    entry = next((e for e in candidates if e.provider == provider), generic)
    return Diagnosis(
        id=entry.id,
        title=entry.title,
        happened=entry.happened,
        cause=entry.cause,
        fix=entry.fix,
        guide=entry.guide,
        source="catalogue",
        reply=detail,
        provider=provider,
        stage=stage,
    )


def no_such_endpoint(reason: str, detail: str, provider: str | None, stage: str) -> Diagnosis:
    """A failure to connect explained by a port or security the provider does not offer."""
    return replace(
        diagnose_failure("no-such-endpoint", detail, provider, stage),
        title=reason[0].upper() + reason[1:],
    )


def failure_kinds() -> list[str]:
    """Every connection-level failure the catalogue explains."""
    return [e.failure for e in catalogue().entries if e.failure]


def _enhanced_meaning(book: Catalogue, enhanced: str) -> str:
    """RFC 3463 reading of an enhanced code: its class, subject and (if known) detail."""
    klass, subject, detail = enhanced.split(".")
    kinds = {"2": "success", "4": "temporary failure", "5": "permanent failure"}
    words = [kinds.get(klass, "unknown class"), book.subjects.get(subject, "unknown subject")]
    meaning = book.details.get(f"{subject}.{detail}")
    if meaning:
        words.append(meaning)
    return f"{enhanced}: " + ", ".join(words)


def _from_rfc(book: Catalogue, reply: Reply, provider: str | None, stage: str | None) -> Diagnosis:
    """A diagnosis built from the enhanced code's class, subject, detail and the basic code."""
    code = reply.code
    klass = str(code)[0] if code else (reply.enhanced or "0")[0]
    basic = book.basic.get(str(code), "") if code else ""
    parts = [_enhanced_meaning(book, reply.enhanced)] if reply.enhanced else []
    if basic:
        parts.append(f"{code}: {basic}")
    if klass == "4":
        title, fix = "Temporary failure", ("Retry later; the condition should clear.",)
    elif klass == "5":
        title = "Permanent failure"
        fix = ("Do not retry unchanged: read the reply text and correct what it names.",)
    elif klass in "23":
        title, fix = "Success", ("Nothing to fix.",)
    else:
        title, fix = "Unrecognised reply", ("Check that the text is an SMTP reply.",)
    return Diagnosis(
        id=f"rfc-{klass}xx",
        title=title,
        happened=f"The server answered {reply.text!r}.",
        cause="; ".join(parts) if parts else "The reply carries no code this tool can interpret.",
        fix=fix,
        guide="what-is-smtp",
        source="rfc",
        reply=reply.text,
        code=code,
        enhanced=reply.enhanced,
        provider=provider,
        stage=stage,
    )
