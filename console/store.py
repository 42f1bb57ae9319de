"""Channel files: read with tomllib, saved with tomlkit keeping the comments, atomically."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from console import paths
from console.channel import (
    DEFAULT_TIMEOUT,
    AuthSettings,
    Channel,
    Problem,
    SenderSettings,
    ServerSettings,
    secret_source_problem,
    validate,
)
from simulator.tomlsource import find_line, key_lines

# tomlkit is imported where a document is edited: reading a channel only needs tomllib.
# So are what only saving or a typo needs (difflib, tempfile, glob, textwrap, secret shapes).
if TYPE_CHECKING:
    import tomlkit
    from tomlkit.container import Container
    from tomlkit.items import Table

    from console import secret_shapes
    from console.oauth.settings import OAuthSettings
    from simulator.profile import Profile

NEW_FILE_MODE = 0o600
SUFFIX = ".toml"
MAX_FILE_BYTES = 1 << 20  # a channel is a few hundred bytes; this bounds reading and checking
BOM = b"\xef\xbb\xbf"
HINTED_KEYS = 100  # unknown settings that get a "did you mean"; past that it is no typo
LEFTOVER_AGE = 60.0  # seconds after which a temporary file is a crashed save's, not a live one

# Every setting a channel file may hold, as (table, key); "" is the top level.
SETTINGS: tuple[tuple[str, str], ...] = (
    ("", "name"),
    ("", "provider"),
    ("", "scope"),
    ("server", "host"),
    ("server", "port"),
    ("server", "security"),
    ("server", "timeout"),
    ("auth", "method"),
    ("auth", "username"),
    ("auth", "secret"),
    ("sender", "from"),
    ("sender", "display_name"),
    ("sender", "send_as"),
    ("pacing", "messages_per_minute"),
)
TABLES = ("server", "auth", "sender", "pacing", "oauth")
# What reading assumes for a setting the file leaves out (name: the file name).
_DEFAULTS: dict[str, object] = {
    "scope": "personal",
    "server.security": "starttls",
    "server.timeout": DEFAULT_TIMEOUT,
    "auth.method": "none",
    "auth.username": "",
    "auth.secret": "keyring",
    "sender.display_name": "",
    "sender.send_as": False,
}


class ChannelFileError(Exception):
    """A channel file that cannot be read, parsed or written: "path:line:col: field: reason"."""

    def __init__(self, path: Path, line: int, col: int, field: str, reason: str) -> None:
        self.path, self.line, self.col, self.field, self.reason = path, line, col, field, reason
        where = str(path) + (f":{line}" if line else "") + (f":{col}" if line and col else "")
        super().__init__(f"{where}: {field}: {reason}" if field else f"{where}: {reason}")


class SecretInFieldError(ChannelFileError):
    """A non-secret field holds a secret-shaped value; nothing was written."""

    def __init__(self, path: Path, shape: secret_shapes.SecretShape) -> None:
        self.shape = shape
        super().__init__(path, 0, 0, shape.field, shape.reason)


class ConflictError(ChannelFileError):
    """The file changed (or appeared) on disk since it was read; nothing was written."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(path, 0, 0, "", reason)


@dataclass(frozen=True)
class ChannelFile:
    """A channel as read from disk: the model, the tomlkit document behind it, and its text."""

    path: Path
    channel: Channel
    text: str
    digest: str
    unknown: tuple[str, ...] = ()

    @cached_property
    def document(self) -> tomlkit.TOMLDocument:
        """The tomlkit document, parsed when first edited (it keeps comments and layout)."""
        import tomlkit

        return tomlkit.parse(self.text)

    def problems(self, profile: Profile) -> list[Problem]:
        """Every problem in this file: misspelt settings, then validation, each with its line."""
        lines = key_lines(self.text) if self.unknown else {}  # one pass, however many keys
        found = [
            _unknown_problem(key, self.text, lines, hint=number < HINTED_KEYS)
            for number, key in enumerate(self.unknown)
        ]
        found += validate(self.channel, profile, self.text)
        return sorted(found, key=lambda problem: problem.line or len(self.text))


@dataclass(frozen=True)
class ListedChannel:
    """One file in the channels folder: read, or the reason it could not be."""

    path: Path
    file: ChannelFile | None = None
    error: ChannelFileError | None = None

    @property
    def name(self) -> str:
        """The channel's name, or the file name when it cannot be read."""
        return self.file.channel.name if self.file else self.path.stem


def channels_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Where saved channels live (see console.paths.channels_dir)."""
    return paths.channels_dir(override)


def resolve(name_or_path: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """A saved channel's file by name, or the given path when it looks like one."""
    looks_like_path = "/" in name_or_path or os.sep in name_or_path
    if looks_like_path or name_or_path.endswith(SUFFIX):
        return Path(name_or_path).expanduser()
    saved = channels_dir(directory) / f"{name_or_path}{SUFFIX}"
    here = Path(name_or_path)
    return here if not saved.exists() and here.is_file() else saved


def read(path: Path) -> ChannelFile:
    """Read and parse a channel file; ChannelFileError names path, line, column and field."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ChannelFileError(path, 0, 0, "", _missing_reason(path)) from None
    except OSError as error:
        raise ChannelFileError(path, 0, 0, "", f"cannot be read: {error.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        reason = f"is larger than {MAX_FILE_BYTES // 1024} KiB; a channel file is far smaller"
        raise ChannelFileError(path, 0, 0, "", reason)
    body = raw[len(BOM) :] if raw.startswith(BOM) else raw  # as Windows editors save it
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        line = body[: error.start].count(b"\n") + 1
        col = error.start - (body.rfind(b"\n", 0, error.start) + 1) + 1
        reason = f"is not UTF-8 text (byte 0x{body[error.start]:02X}); save it as UTF-8"
        raise ChannelFileError(path, line, col, "", reason) from None
    return parse(text, path, _digest(raw))


def parse(text: str, path: Path, digest: str = "") -> ChannelFile:
    """A channel file from its text (path is for messages)."""
    try:
        data = tomllib.loads(text)  # strict: tomlkit, used for editing, accepts a few invalid files
    except RecursionError:
        reason = "is nested too deeply (tables or lists inside one another) to be a channel"
        raise ChannelFileError(path, 0, 0, "", reason) from None
    except tomllib.TOMLDecodeError as error:
        line, col, reason = _decode_error(error, text)
        raise ChannelFileError(path, line, col, "", f"is not valid TOML: {reason}") from None
    channel = _channel(_Fields(path, text, data))
    return ChannelFile(path, channel, text, digest or _digest(text.encode()), _unknown(data))


def list_channels(directory: str | os.PathLike[str] | None = None) -> list[ListedChannel]:
    """Every channel file in the channels folder; unreadable ones carry their error."""
    folder = channels_dir(directory)
    if not folder.is_dir():
        return []
    listed = []
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        if path.name.startswith("."):
            continue
        try:
            listed.append(ListedChannel(path, file=read(path)))
        except ChannelFileError as error:
            listed.append(ListedChannel(path, error=error))
    return listed


def render(
    channel: Channel,
    document: tomlkit.TOMLDocument | None = None,
    profile: Profile | None = None,
) -> str:
    """The TOML that saving would write: the document updated key by key, or a commented draft."""
    import tomlkit

    if document is None:
        return tomlkit.dumps(_draft_document(channel, profile))
    updated = tomlkit.parse(document.as_string())  # the caller's document stays as it was
    for (table, key), value in zip(SETTINGS, _values(channel), strict=True):
        _put(updated, table, key, value)
    _put_oauth(updated, channel)
    return updated.as_string()


def save(
    channel: Channel,
    path: Path,
    *,
    original: ChannelFile | None = None,
    overwrite: bool = False,
    profile: Profile | None = None,
) -> ChannelFile:
    """Write the channel atomically; refuse (ConflictError) if the file changed since `original`."""
    if secret_source_problem(channel.auth.secret):
        raise ChannelFileError(
            path,
            0,
            0,
            "auth.secret",
            "is not keyring, env:NAME, command:CMD or prompt; not saved, "
            "so that a secret never lands in the file",
        )
    from console import secret_shapes

    shapes = secret_shapes.scan(
        channel, token_as_username=bool(profile and profile.secret_as_username)
    )
    if shapes:
        raise SecretInFieldError(path, shapes[0])
    text = render(channel, original.document if original else None, profile)
    same_file = original is not None and _same(original.path, path)

    def check_unchanged() -> None:
        current = _current_digest(path)
        if same_file and original is not None and current != original.digest:
            raise ConflictError(path, _conflict_reason(current))
        if not same_file and current is not None and not overwrite:
            raise ConflictError(path, "already exists; not overwritten (choose another name)")

    data = text.encode("utf-8")
    try:
        check_unchanged()
        target = _target(path)
        try:
            mode = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = NEW_FILE_MODE
        if not mode & stat.S_IWUSR:  # the mode bits, not access(): root may write anything
            reason = "is read-only, and stays so; not saved (make it writable to save it)"
            raise ChannelFileError(path, 0, 0, "", reason)
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, data, mode, check_unchanged)
    except OSError as error:
        raise ChannelFileError(path, 0, 0, "", f"cannot be written: {error.strerror}") from None
    return parse(text, path, _digest(data))


def _target(path: Path) -> Path:
    """The file a save replaces: a symbolic link is followed only within its own folder."""
    target = Path(os.path.realpath(path))
    folder = Path(os.path.realpath(path.parent))
    if target.parent != folder:
        reason = f"is a symbolic link to {target}, outside its folder; not saved"
        raise ChannelFileError(path, 0, 0, "", reason)
    return target


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the folder, so compare-and-rename is one step for savers."""
    try:
        import fcntl
    except ImportError:  # Windows: the rename is still atomic, the comparison less so
        yield
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _remove_leftovers(target: Path) -> None:
    """Remove temporary files that saves of this file left behind when interrupted."""
    import glob

    now = time.time()
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - leftover.lstat().st_mtime > LEFTOVER_AGE:
                leftover.unlink()


def _write_atomically(target: Path, data: bytes, mode: int, check: Callable[[], None]) -> None:
    import tempfile

    _remove_leftovers(target)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), mode)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        with _folder_lock(target.parent):  # another save's check-and-rename waits here
            check()
            os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still atomic
    finally:
        os.close(descriptor)


def _same(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _current_digest(path: Path) -> str | None:
    try:
        return _digest(path.read_bytes())
    except FileNotFoundError:
        return None


def _conflict_reason(current: str | None) -> str:
    if current is None:
        return "was deleted since it was read; not saved (save again under a name to recreate it)"
    return "changed on disk since it was read; not saved (reload it, then apply your changes)"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _missing_reason(path: Path) -> str:
    known = [p.stem for p in sorted(path.parent.glob(f"*{SUFFIX}"))] if path.parent.is_dir() else []
    hint = f" (saved channels: {', '.join(known)})" if known else ""
    return f"no such channel file{hint}"


def _decode_error(error: tomllib.TOMLDecodeError, text: str) -> tuple[int, int, str]:
    message = str(error)
    found = re.search(r"\(at line (\d+), column (\d+)\)", message)
    reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
    if found:
        return int(found.group(1)), int(found.group(2)), reason
    if "end of document" in message:
        lines = text.split("\n")
        return len(lines), len(lines[-1]) + 1, f"{reason} (the file ends too early)"
    return 0, 0, reason


class _Fields:
    """Typed reads of a channel file's settings, failing with path, line, column and field."""

    def __init__(self, path: Path, text: str, data: Mapping[str, Any]) -> None:
        self.path, self.text, self.data = path, text, data

    def fail(self, dotted: str, reason: str) -> ChannelFileError:
        line = find_line(self.text, dotted)
        return ChannelFileError(self.path, line, _column(self.text, line, dotted), dotted, reason)

    def get(self, dotted: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        node: Any = self.data
        parts = dotted.split(".")
        for depth, part in enumerate(parts):
            if not isinstance(node, Mapping):
                raise self.fail(".".join(parts[:depth]), "must be a table")
            if part not in node:
                if default is ...:
                    raise self.fail(dotted, "is missing")
                return default
            node = node[part]
        if (
            isinstance(node, bool)
            and kind in (int, float, (int, float))
            or not isinstance(node, kind)
        ):
            names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise self.fail(dotted, f"must be {_kind_name(names)}, not {_toml_type(node)}")
        return node


def _kind_name(names: str) -> str:
    return {
        "str": "a string",
        "int": "a whole number",
        "int or float": "a number",
        "bool": "true or false",
    }.get(names, names)


def _toml_type(value: object) -> str:
    kinds = {bool: "true/false", int: "a number", float: "a number", str: "a string"}
    kinds_list: dict[type, str] = {list: "a list", dict: "a table"}
    return kinds.get(type(value)) or kinds_list.get(type(value)) or type(value).__name__


def _column(text: str, line: int, dotted: str) -> int:
    if not line:
        return 0
    content = text.splitlines()[line - 1]
    index = content.find(dotted.rsplit(".", 1)[-1])
    return index + 1 if index >= 0 else 1


def _channel(fields: _Fields) -> Channel:
    def optional(dotted: str, kind: type | tuple[type, ...]) -> Any:
        return fields.get(dotted, kind, _DEFAULTS[dotted])

    return Channel(
        name=fields.get("name", str, fields.path.stem),
        provider=fields.get("provider", str),
        scope=optional("scope", str),
        server=ServerSettings(
            host=fields.get("server.host", str),
            port=fields.get("server.port", int),
            security=optional("server.security", str),
            timeout=float(optional("server.timeout", (int, float))),
        ),
        auth=AuthSettings(
            method=optional("auth.method", str),
            username=optional("auth.username", str),
            secret=optional("auth.secret", str),
        ),
        sender=SenderSettings(
            address=fields.get("sender.from", str),
            display_name=optional("sender.display_name", str),
            send_as=optional("sender.send_as", bool),
        ),
        messages_per_minute=fields.get("pacing.messages_per_minute", int, None),
        oauth=_oauth(fields),
    )


def _oauth(fields: _Fields) -> OAuthSettings | None:
    if "oauth" not in fields.data:
        return None
    from console.oauth.settings import KEYS as OAUTH_KEYS
    from console.oauth.settings import OAuthSettings

    fields.get("oauth", dict)
    text = {k: fields.get(f"oauth.{k}", str, "") for k in OAUTH_KEYS if k not in _OAUTH_TYPED}
    scopes = fields.get("oauth.scopes", list, [])
    for scope in scopes:
        if not isinstance(scope, str):
            raise fields.fail("oauth.scopes", "must be a list of strings")
    return OAuthSettings(
        **{k: v for k, v in text.items() if v != ""},
        scopes=tuple(scopes),
        single_tenant=fields.get("oauth.single_tenant", bool, False),
    )


_OAUTH_TYPED = ("scopes", "single_tenant")


def _unknown(data: Mapping[str, Any]) -> tuple[str, ...]:
    known = {f"{t}.{k}" if t else k for t, k in SETTINGS} | set(TABLES)
    if "oauth" in data:
        from console.oauth.settings import KEYS as OAUTH_KEYS

        known |= {f"oauth.{k}" for k in OAUTH_KEYS}
    found = []
    for key, value in data.items():
        if key in TABLES and isinstance(value, Mapping):
            found += [f"{key}.{inner}" for inner in value if f"{key}.{inner}" not in known]
        elif key not in known:
            found.append(key)
    return tuple(found)


def _unknown_problem(
    dotted: str, text: str, lines: Mapping[str, int], *, hint: bool = True
) -> Problem:
    from console.oauth.settings import TOKEN_KEYS

    if dotted.partition(".")[2] in TOKEN_KEYS:
        return Problem(
            dotted,
            "a token never goes in the channel file (anyone who reads it could send as you): "
            "delete this line, then sign in with `smtp-console oauth login CHANNEL`; "
            "the token goes to the secret store",
            lines.get(dotted) or find_line(text, dotted),
        )
    known = [f"{t}.{k}" if t else k for t, k in SETTINGS]
    import difflib

    close = difflib.get_close_matches(dotted, known, n=1) if hint else []
    guess = f"; did you mean {close[0]}?" if close else ""
    line = lines.get(dotted) or find_line(text, dotted)
    return Problem(dotted, f"is not a channel setting{guess}", line)


def _values(channel: Channel) -> tuple[object, ...]:
    server, auth, sender = channel.server, channel.auth, channel.sender
    # A value that is not a source may be a pasted password: never render it.
    secret = "" if secret_source_problem(auth.secret) else auth.secret
    return (
        channel.name,
        channel.provider,
        channel.scope,
        server.host,
        server.port,
        server.security,
        server.timeout,
        auth.method,
        auth.username,
        secret,
        sender.address,
        sender.display_name,
        sender.send_as,
        channel.messages_per_minute,
    )


def _put(document: tomlkit.TOMLDocument, table: str, key: str, value: object) -> None:
    """Set one value, touching the document only where it differs, so comments stay put."""
    import tomlkit

    container: Container | Table
    if table:
        if table not in document:
            if value is None or value == "":
                return
            document.add(table, tomlkit.table())
        container = cast("Table", document[table])
    else:
        container = document
    if value is None:
        if key in container:
            del container[key]
        return
    if key not in container and _DEFAULTS.get(f"{table}.{key}" if table else key, ...) == value:
        return  # reading would give the same value: leave the file as the user wrote it
    current = container.get(key)
    if current is not None and type(current) is not bool and current == value:
        return
    container[key] = value


_DRAFT_COMMENTS = {
    "name": "the channel's name: `smtp-console check NAME` finds it",
    "provider": "a provider profile id (`smtp-console providers`)",
    "scope": "personal: one person's credentials; shared: a team's (relays only)",
    "host": "the provider's submission server",
    "port": "587 or 25 with starttls, 465 with tls",
    "security": "starttls, tls (implicit, from the first byte) or none",
    "timeout": "seconds to wait for the server",
    "method": "login, plain, xoauth2 or none",
    "username": "the sign-in name",
    "secret": "where the secret lives: keyring, env:NAME, command:CMD or prompt",
    "from": "the From address",
    "display_name": "the name shown beside the From address",
    "send_as": "true: the signed-in mailbox may send as this From (Send As rights granted)",
    "messages_per_minute": "the most this channel sends in a minute",
}


def _draft_document(channel: Channel, profile: Profile | None) -> tomlkit.TOMLDocument:
    import textwrap

    import tomlkit

    document = tomlkit.document()
    document.add(tomlkit.comment(f"smtp-console delivery channel {channel.name!r}."))
    document.add(tomlkit.comment("The password or token is never written here: see auth.secret."))
    comments = dict(_DRAFT_COMMENTS)
    if profile is not None:
        document.add(tomlkit.comment(f"Provider: {profile.name}."))
        for line in textwrap.wrap(profile.summary, 76):
            document.add(tomlkit.comment(line))
        comments["username"] = profile.username_hint
        comments["port"] = "this provider accepts " + ", ".join(
            f"{e.port} ({e.security})" for e in profile.endpoints
        )
        methods = [m.lower() for m in profile.mechanisms]
        comments["method"] = f"{', '.join(methods) or 'none'}: what {profile.name} offers"
    for (table, key), value in zip(SETTINGS, _values(channel), strict=True):
        if value is None or (value == "" and key == "display_name") or value is False:
            continue
        if table and table not in document:
            document.add(tomlkit.nl())
            document.add(table, tomlkit.table())
        container = cast("Table", document[table]) if table else document
        container.add(tomlkit.comment(comments[key]))
        container.add(key, value)
    if channel.signs_in_with_oauth:
        document.add(tomlkit.nl())
        document.add("oauth", _oauth_draft(channel.provider, channel.oauth))
    return document


def _oauth_draft(provider: str, settings: OAuthSettings | None) -> Table:
    """The [oauth] table of a new file: the provider's usual flow, the registration as given."""
    import tomlkit

    from console.oauth.settings import KEYS, OAuthSettings, is_reference

    given, defaults = settings or OAuthSettings(), OAuthSettings()
    table = tomlkit.table()
    table.add(tomlkit.comment("the OAuth sign-in: `smtp-console oauth login NAME` gets the tokens"))
    if provider == "office365":
        table.add(tomlkit.comment("device_code (a person), client_credentials (an unattended app)"))
        table.add("flow", given.flow or "device_code")
        table.add(tomlkit.comment("your Directory (tenant) ID or domain"))
        table.add("tenant", given.tenant)
        table.add(tomlkit.comment("the Application (client) ID of your Entra app registration"))
    else:
        table.add("flow", given.flow or "auth_code")
        table.add(tomlkit.comment("the client ID of your Google Cloud desktop-app client"))
    table.add("client_id", given.client_id)
    secret = given.client_secret if is_reference(given.client_secret) else ""
    if provider == "gmail":
        table.add(tomlkit.comment("the desktop app's client secret, by reference (env:NAME)"))
        table.add("client_secret", secret or "env:GOOGLE_CLIENT_SECRET")
    elif secret:
        table.add("client_secret", secret)
    for key in KEYS:  # anything else the channel's settings hold beyond the defaults
        value = getattr(given, key)
        if key not in table and key != "client_secret" and value != getattr(defaults, key):
            table.add(key, list(value) if isinstance(value, tuple) else value)
    return table


def _put_oauth(document: tomlkit.TOMLDocument, channel: Channel) -> None:
    """Set the [oauth] keys the editor shows; the rest of the table stays as the file has it."""
    settings = channel.oauth
    if settings is None:
        return
    from console.oauth.settings import is_reference

    secret = settings.client_secret
    edited: dict[str, str | None] = {
        "client_id": settings.client_id,
        "client_secret": secret if not secret or is_reference(secret) else None,  # never a value
    }
    if channel.provider == "office365":
        edited["tenant"] = settings.tenant
    table = document.get("oauth")
    for key, value in edited.items():
        if value is None or (value == "" and (table is None or key not in table)):
            continue
        _put(document, "oauth", key, value)
