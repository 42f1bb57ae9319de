"""The sign-in's error, light to import: check and burst catch it without loading authlib."""

from __future__ import annotations

from console.diagnosis import Diagnosis
from console.secrets import SecretError


class SignInError(SecretError):
    """The sign-in failed: what the provider said, and the plain-language diagnosis."""

    def __init__(self, message: str, diagnosis: Diagnosis | None = None) -> None:
        self.diagnosis = diagnosis
        super().__init__(message)
