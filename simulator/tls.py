"""A throwaway certificate authority for the simulator's STARTTLS and implicit TLS."""

from __future__ import annotations

import errno
import ipaddress
import ssl
import tempfile
import warnings
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Short-lived: a CA file left behind (or trusted by mistake) soon stops vouching for anything.
LIFETIME = timedelta(days=7)
SKEW = timedelta(hours=1)  # a client clock a little behind still accepts it
CA_NAME = "smtp-console simulator CA, for rehearsals only"


def general_name(name: str) -> x509.GeneralName:
    """An IP address or a DNS name, as a certificate names it."""
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def subtree(name: x509.GeneralName) -> x509.GeneralName:
    """The name-constraint subtree that permits exactly this address or name."""
    if isinstance(name, x509.IPAddress):
        return x509.IPAddress(ipaddress.ip_network(name.value))
    return name


class TLSMaterial:
    """A fresh CA, a server certificate for the given names, and contexts for both ends."""

    def __init__(self, names: Iterable[str]) -> None:
        unique = [general_name(n) for n in dict.fromkeys(n for n in names if n)]
        start = datetime.now(UTC) - SKEW
        ca_key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "smtp-console simulator"),
                x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
            ]
        )
        ca = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(x509.NameConstraints([subtree(n) for n in unique], None), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + LIFETIME)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(unique), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .sign(ca_key, hashes.SHA256())
        )
        self._ca_pem = ca.public_bytes(serialization.Encoding.PEM)
        self._chain_pem = leaf.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
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
        with tempfile.TemporaryDirectory(prefix="smtp-simulator-") as folder:
            chain = Path(folder) / "server.pem"  # the ssl module loads keys only from files
            chain.write_bytes(self._chain_pem)
            context.load_cert_chain(chain)
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
