"""Channel files on disk: round trips, kept comments, atomic writes, conflicts, bad TOML."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import platformdirs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console import paths, store
from console.channel import Channel, SenderSettings, draft
from simulator.profile import load

OFFICE365 = load("office365")

HAND_WRITTEN = """\
# Alice's mail from the build server.   (my notes, keep them)
provider = "office365"
name = "alice"
scope = "personal"

[sender]
from = "alice@contoso.com"   # her own mailbox

[server]
port = 587        # the only one that works here
host = "smtp.office365.com"
security = "starttls"

# sign-in: ask Bob before changing
[auth]
method = "login"
username = "alice@contoso.com"
secret = "keyring"
"""


def alice() -> Channel:
    return draft(OFFICE365, "alice", username="alice@contoso.com")


def write(folder: Path, text: str, name: str = "alice.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_save_then_read_gives_the_same_channel(channels_dir: Path) -> None:
    path = channels_dir / "alice.toml"
    saved = store.save(alice(), path, profile=OFFICE365)
    assert store.read(path).channel == alice() == saved.channel
    assert store.read(path).problems(OFFICE365) == []


def test_a_draft_explains_each_field(channels_dir: Path) -> None:
    text = store.render(alice(), profile=OFFICE365)
    lines = text.splitlines()
    settings_lines = [n for n, line in enumerate(lines) if " = " in line]
    assert len(settings_lines) == 12
    for number in settings_lines:
        assert lines[number - 1].startswith("# "), lines[number]
    assert "password" not in store.render(alice()).split("secret = ")[1].split("\n")[0]


def test_saving_keeps_comments_and_key_order(channels_dir: Path) -> None:
    path = write(channels_dir, HAND_WRITTEN)
    original = store.read(path)
    changed = replace(
        original.channel,
        server=replace(original.channel.server, port=25),
        sender=SenderSettings("alice@contoso.com", "Alice Liddell"),
        messages_per_minute=20,
    )
    store.save(changed, path, original=original)
    expected = (
        HAND_WRITTEN.replace("port = 587", "port = 25").replace(
            "# her own mailbox\n", '# her own mailbox\ndisplay_name = "Alice Liddell"\n'
        )
        + "\n[pacing]\nmessages_per_minute = 20\n"
    )
    assert path.read_text() == expected
    assert store.read(path).channel == changed


def test_saving_an_unchanged_channel_leaves_the_bytes_alone(channels_dir: Path) -> None:
    path = write(channels_dir, HAND_WRITTEN)
    original = store.read(path)
    store.save(original.channel, path, original=original)
    assert path.read_text() == HAND_WRITTEN


def test_render_does_not_touch_the_document_it_is_given(channels_dir: Path) -> None:
    original = store.read(write(channels_dir, HAND_WRITTEN))
    preview = store.render(replace(original.channel, name="renamed"), original.document)
    assert 'name = "renamed"' in preview
    assert original.document.as_string() == HAND_WRITTEN


def test_permissions_are_kept_and_new_files_are_private(channels_dir: Path) -> None:
    path = write(channels_dir, HAND_WRITTEN)
    path.chmod(0o640)
    original = store.read(path)
    store.save(replace(original.channel, messages_per_minute=5), path, original=original)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    fresh = store.save(alice(), channels_dir / "new.toml")
    assert stat.S_IMODE(fresh.path.stat().st_mode) == 0o600


def test_no_temporary_file_is_left_behind(channels_dir: Path) -> None:
    store.save(alice(), channels_dir / "alice.toml")
    assert [p.name for p in channels_dir.iterdir()] == ["alice.toml"]


def test_a_failed_write_leaves_the_old_file_whole(
    channels_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(channels_dir, HAND_WRITTEN)
    original = store.read(path)

    def refuse(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(store.ChannelFileError, match="cannot be written: No space left"):
        store.save(replace(original.channel, messages_per_minute=5), path, original=original)
    assert path.read_text() == HAND_WRITTEN
    assert [p.name for p in channels_dir.iterdir()] == ["alice.toml"]


def test_a_file_changed_on_disk_is_not_overwritten(channels_dir: Path) -> None:
    path = write(channels_dir, HAND_WRITTEN)
    original = store.read(path)
    someone_else = HAND_WRITTEN.replace("port = 587", "port = 25")
    path.write_text(someone_else)
    with pytest.raises(store.ConflictError, match="changed on disk since it was read"):
        store.save(replace(original.channel, name="mine"), path, original=original)
    assert path.read_text() == someone_else


def test_a_file_deleted_since_reading_is_a_conflict(channels_dir: Path) -> None:
    path = write(channels_dir, HAND_WRITTEN)
    original = store.read(path)
    path.unlink()
    with pytest.raises(store.ConflictError, match="deleted"):
        store.save(original.channel, path, original=original)
    assert not path.exists()


def test_a_new_channel_never_replaces_an_existing_file(channels_dir: Path) -> None:
    path = write(channels_dir, HAND_WRITTEN)
    with pytest.raises(store.ConflictError, match="already exists"):
        store.save(alice(), path)
    assert path.read_text() == HAND_WRITTEN
    store.save(alice(), path, overwrite=True)
    assert store.read(path).channel == alice()


def test_saving_through_a_symlink_keeps_the_link(channels_dir: Path) -> None:
    real = write(channels_dir, HAND_WRITTEN, "real.toml")
    link = channels_dir / "alice.toml"
    link.symlink_to(real.name)
    original = store.read(link)
    store.save(replace(original.channel, messages_per_minute=9), link, original=original)
    assert link.is_symlink()
    assert store.read(real).channel.messages_per_minute == 9


def test_a_pasted_password_is_never_rendered_or_saved(channels_dir: Path) -> None:
    leaky = replace(alice(), auth=replace(alice().auth, secret="S3cr3t-pasted"))
    assert "S3cr3t-pasted" not in store.render(leaky)
    with pytest.raises(store.ChannelFileError, match="auth.secret"):
        store.save(leaky, channels_dir / "leaky.toml")
    assert not (channels_dir / "leaky.toml").exists()


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        ('name = "a"\nprovider = "office365\n', ":2:", "is not valid TOML"),
        ('provider = "office365"\n[server]\nport = 587\nport = 25\n', ":4:", "is not valid TOML"),
        ("provider = [\n", ":2:1:", "ends too early"),
    ],
)
def test_malformed_toml_names_path_line_and_column(
    channels_dir: Path, text: str, where: str, reason: str
) -> None:
    path = write(channels_dir, text)
    with pytest.raises(store.ChannelFileError) as caught:
        store.read(path)
    message = str(caught.value)
    assert message.startswith(f"{path}{where}")
    assert reason in message
    assert path.read_text() == text


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("port = 587 ", 'port = "587" ', ":10:1: server.port: "),
        ('host = "smtp.office365.com"', "", "server.host: is missing"),
        ('from = "alice@contoso.com"   # her own mailbox', "from = 1", ":7:1: sender.from: "),
    ],
)
def test_wrong_or_missing_settings_name_their_field(
    channels_dir: Path, old: str, new: str, message: str
) -> None:
    path = write(channels_dir, HAND_WRITTEN.replace(old, new))
    with pytest.raises(store.ChannelFileError, match=message.replace("(", r"\(")):
        store.read(path)


def test_a_table_that_is_not_a_table(channels_dir: Path) -> None:
    text = HAND_WRITTEN.split("# sign-in")[0].replace("\n[sender]", "auth = 3\n[sender]")
    with pytest.raises(store.ChannelFileError, match=":5:1: auth: must be a table"):
        store.read(write(channels_dir, text))


def test_a_misspelt_setting_is_a_problem_with_a_suggestion(channels_dir: Path) -> None:
    path = write(channels_dir, HAND_WRITTEN.replace("security =", "securty ="))
    problems = store.read(path).problems(OFFICE365)
    assert [(p.field, p.line) for p in problems] == [("server.securty", 12)]
    assert "did you mean server.security?" in problems[0].reason


def test_not_utf8_is_reported(channels_dir: Path) -> None:
    path = channels_dir / "alice.toml"
    path.write_bytes(HAND_WRITTEN.encode() + b"# caf\xe9\n")
    with pytest.raises(store.ChannelFileError, match="not UTF-8"):
        store.read(path)


def test_a_missing_file_lists_the_saved_channels(channels_dir: Path) -> None:
    write(channels_dir, HAND_WRITTEN)
    with pytest.raises(store.ChannelFileError, match=r"no such channel file \(saved channels: a"):
        store.read(channels_dir / "bob.toml")


def test_resolve_takes_a_name_or_a_path(
    channels_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert store.resolve("alice") == channels_dir / "alice.toml"
    assert store.resolve("alice", tmp_path / "other") == tmp_path / "other" / "alice.toml"
    assert store.resolve("./x/alice.toml") == Path("x/alice.toml")
    assert store.resolve("alice.toml") == Path("alice.toml")
    monkeypatch.chdir(tmp_path)
    write(tmp_path, HAND_WRITTEN, "bob")
    assert store.resolve("bob") == Path("bob")


def test_list_channels_includes_unreadable_files(channels_dir: Path) -> None:
    write(channels_dir, HAND_WRITTEN)
    write(channels_dir, "provider = [", "broken.toml")
    write(channels_dir, "ignored", ".hidden.toml")
    listed = store.list_channels()
    assert [item.name for item in listed] == ["alice", "broken"]
    assert listed[0].file is not None and listed[0].error is None
    assert listed[1].error is not None and "broken.toml:1:" in str(listed[1].error)


def test_channels_dir_comes_from_the_environment(channels_dir: Path, tmp_path: Path) -> None:
    assert store.channels_dir() == channels_dir
    assert store.channels_dir(tmp_path / "x") == tmp_path / "x"


names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)
display_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30
).filter(lambda text: text == text.strip())


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=names,
    port=st.integers(1, 65535),
    display_name=display_names,
    rate=st.none() | st.integers(1, 1000),
    timeout=st.floats(0.5, 600, allow_nan=False),
)
def test_any_channel_survives_a_round_trip(
    channels_dir: Path, name: str, port: int, display_name: str, rate: int | None, timeout: float
) -> None:
    channel = replace(
        alice(),
        name=name,
        server=replace(alice().server, port=port, timeout=timeout),
        sender=SenderSettings("alice@contoso.com", display_name),
        messages_per_minute=rate,
    )
    path = channels_dir / "round-trip.toml"
    store.save(channel, path, overwrite=True)
    assert store.read(path).channel == channel


def test_unknown_choices_are_problems_at_their_line(channels_dir: Path) -> None:
    text = HAND_WRITTEN.replace('"starttls"', '"ssl"').replace('"login"', '"cram-md5"')
    problems = store.read(write(channels_dir, text.replace('"personal"', '"team"'))).problems(
        OFFICE365
    )
    assert [(p.field, p.line) for p in problems] == [
        ("scope", 4),
        ("server.security", 12),
        ("auth.method", 16),
    ]
    assert "must be one of starttls, tls, none" in problems[1].reason


def test_tests_never_touch_the_real_config(tmp_path: Path) -> None:
    for folder in (
        paths.config_dir(),
        paths.channels_dir(),
        platformdirs.user_config_path("smtp-console"),
        platformdirs.user_data_path("smtp-console"),
    ):
        assert folder.is_relative_to(tmp_path), folder


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cuts=st.lists(st.integers(0, len(HAND_WRITTEN)), min_size=1, max_size=4),
    junk=st.text(alphabet='"[]=.#\n 0123abc\\{}', max_size=4),
)
def test_any_damaged_file_gives_a_clear_error_or_a_channel(
    channels_dir: Path, cuts: list[int], junk: str
) -> None:
    text = HAND_WRITTEN
    for cut in cuts:
        text = text[:cut] + junk + text[cut + 1 :]
    path = write(channels_dir, text, "damaged.toml")
    try:
        file = store.read(path)
    except store.ChannelFileError as error:
        assert str(error).startswith(str(path))
    else:
        file.problems(OFFICE365)
        store.render(file.channel, file.document)
    assert path.read_text() == text
