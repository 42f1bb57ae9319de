"""The simulator's TLS: contexts for both ends from a throwaway CA (see simulator.ca)."""

from __future__ import annotations

import errno
import os
import ssl
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path

# The child process: put this package's folder first on the path, then print the PEM.
CHILD = "import sys; sys.path.insert(0, sys.argv.pop(1)); from simulator.ca import main; main()"
CA_END = b"-----END CERTIFICATE-----\n"


class TLSMaterial:
    """A fresh CA, a server certificate for the given names, and contexts for both ends.

    With in_child, a short-lived child process makes them: cryptography (some 12 MB) is
    then never loaded into a server that runs for hours.
    """

    def __init__(self, names: Iterable[str], *, in_child: bool = False) -> None:
        chosen = list(names)
        if in_child:
            self._ca_pem, self._chain_pem = _made_in_child(chosen)
        else:
            from simulator.ca import build

            self._ca_pem, self._chain_pem = build(chosen)
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
        _load_chain(context, self._chain_pem)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA and nothing else."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        context.load_verify_locations(cadata=self._ca_pem.decode())
        return context

    @property
    def ca_pem(self) -> bytes:
        """The CA certificate in PEM form."""
        return self._ca_pem

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


def _made_in_child(names: list[str]) -> tuple[bytes, bytes]:
    """The CA and the certificate + key PEM, from a child process over a pipe."""
    package_folder = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run(
        [sys.executable, "-I", "-c", CHILD, package_folder, *names],
        capture_output=True,
        timeout=120,
        check=False,
    )
    end = done.stdout.find(CA_END)
    if done.returncode != 0 or end < 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"the simulator's certificates could not be made: {why[0]}")
    end += len(CA_END)
    return done.stdout[:end], done.stdout[end:]


def _load_chain(context: ssl.SSLContext, chain: bytes) -> None:
    """Load the certificate and key: the ssl module reads keys only from a path."""
    if not hasattr(os, "memfd_create"):
        with tempfile.TemporaryDirectory(prefix="smtp-simulator-") as folder:
            path = Path(folder) / "server.pem"
            path.write_bytes(chain)
            context.load_cert_chain(path)
        return
    descriptor = os.memfd_create("smtp-simulator-key")  # in memory: the key touches no disk
    try:
        os.write(descriptor, chain)
        context.load_cert_chain(f"/proc/self/fd/{descriptor}")
    finally:
        os.close(descriptor)
