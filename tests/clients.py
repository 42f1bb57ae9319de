"""The real mail clients some tests drive: skipped when missing, except under CI=true."""

from __future__ import annotations

import os
import shutil

import pytest


def need(tool: str) -> str:
    """The path of an installed client; skip the test (fail it under CI=true) when missing."""
    path = shutil.which(tool, path=f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin:/sbin")
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"{tool} is not installed; .ci/run installs it")
    pytest.skip(f"{tool} is not installed")
