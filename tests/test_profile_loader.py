"""The profile loader: typed data, and errors that name file, line and field."""

from pathlib import Path

import pytest

from simulator.profile import ProfileError, load_all, load_profile, profiles_dir


def test_office365_profile_loads_with_its_limits() -> None:
    profile = load_all()["office365"]
    assert profile.endpoint.port == 587
    assert profile.limits.messages_per_minute == 30
    assert profile.limits.recipients_per_day == 10000
    assert profile.reply("tls_required").text.startswith("451 5.7.3 STARTTLS is required")
    assert profile.reply("quit").is_default


def _copy_with(tmp_path: Path, old: str, new: str) -> Path:
    (tmp_path / "defaults.toml").write_text((profiles_dir() / "defaults.toml").read_text())
    text = (profiles_dir() / "office365.toml").read_text()
    assert old in text
    path = tmp_path / "office365.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_bad_field_names_file_line_and_field(tmp_path: Path) -> None:
    path = _copy_with(tmp_path, 'rate_mode = "delay"', 'rate_mode = "sometimes"')
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    line = path.read_text().splitlines().index('rate_mode = "sometimes"') + 1
    assert (caught.value.line, caught.value.field) == (line, "limits.rate_mode")
    assert str(caught.value).startswith(f"{path}:{line}: limits.rate_mode: must be one of")


def test_missing_field_is_named(tmp_path: Path) -> None:
    path = _copy_with(tmp_path, 'scope = "mailbox"\n', "")
    with pytest.raises(ProfileError, match="scope: is missing"):
        load_profile(path)


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    path = _copy_with(tmp_path, "shareable = false", "shareable = = false")
    with pytest.raises(ProfileError, match="is not valid TOML") as caught:
        load_profile(path)
    assert caught.value.line == path.read_text().splitlines().index("shareable = = false") + 1


def test_a_profile_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = _copy_with(tmp_path, 'name = "Office 365', 'name = "Office 365 \u00e9')
    path.write_bytes(path.read_text().encode("latin-1"))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value) == f"{path}: is not UTF-8 text"
