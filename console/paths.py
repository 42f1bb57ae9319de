"""Where smtp-console keeps its files: the one place that asks platformdirs."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "smtp-console"
CONFIG_DIR_VARIABLE = "SMTP_CONSOLE_CONFIG_DIR"
CHANNELS_DIR_VARIABLE = "SMTP_CONSOLE_CHANNELS_DIR"


def config_dir() -> Path:
    """The user's configuration folder for smtp-console ($SMTP_CONSOLE_CONFIG_DIR wins)."""
    override = os.environ.get(CONFIG_DIR_VARIABLE)
    if override:
        return Path(override)
    import platformdirs  # imported here: a channel given as a path never needs it

    return platformdirs.user_config_path(APP_NAME)


_chosen: Path | None = None


def choose_channels_dir(folder: str | os.PathLike[str] | None) -> None:
    """The folder given before the command name (`smtp-console --channels-dir DIR ...`)."""
    global _chosen
    _chosen = Path(folder).expanduser() if folder else None


def channels_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The channels folder: the override, the one chosen for the run, $SMTP_CONSOLE_CHANNELS_DIR,
    else the config dir's."""
    if override:
        return Path(override).expanduser()
    if _chosen is not None:
        return _chosen
    from_environment = os.environ.get(CHANNELS_DIR_VARIABLE)
    if from_environment:
        return Path(from_environment).expanduser()
    return config_dir() / "channels"
