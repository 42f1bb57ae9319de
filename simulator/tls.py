"""A throwaway certificate authority for the simulator's STARTTLS and implicit TLS."""

from __future__ import annotations

import errno
import ssl
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path

import trustme


class TLSMaterial:
    """A fresh CA, a server certificate for the given names, and contexts for both ends."""

    def __init__(self, names: Iterable[str]) -> None:
        self._ca = trustme.CA(organization_name="smtp-console simulator")
        unique = dict.fromkeys(n for n in names if n)
        self._cert = self._ca.issue_cert(*unique)
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None

    def server_context(self, *, legacy: bool = False) -> ssl.SSLContext:
        """The server side: TLS 1.2 or newer, or (legacy) TLS 1.0 and 1.1 as well."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        if legacy:
            # Accepted only so the session can refuse them in the provider's own words.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = ssl.TLSVersion.TLSv1
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
        else:
            context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._cert.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA and nothing else."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        self._ca.configure_trust(context)
        return context

    @property
    def ca_pem(self) -> bytes:
        """The CA certificate in PEM form."""
        return bytes(self._ca.cert_pem.bytes())

    def write_ca(self, path: Path | None = None, *, replace: bool = True) -> Path:
        """Write the CA to `path` (or a private temp file); FileExistsError if not `replace`."""
        if path is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="smtp-simulator-")
            path = Path(self._tempdir.name) / "ca.pem"
        path.parent.mkdir(parents=True, exist_ok=True)
        if replace:
            path.write_bytes(self.ca_pem)
            return path
        try:
            with path.open("xb") as out:  # exclusive: no window between the check and the write
                out.write(self.ca_pem)
        except FileExistsError:
            if path.is_file() and path.read_bytes() == self.ca_pem:
                return path
            raise FileExistsError(
                errno.EEXIST, "a different file is already there, not replaced", str(path)
            ) from None
        return path

    def cleanup(self) -> None:
        """Remove the temporary CA file, if one was written."""
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None
