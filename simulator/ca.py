"""The simulator's throwaway CA and server certificate, made with cryptography.

Run as a child process (`TLSMaterial(names, in_child=True)`), it prints the PEM on its standard
output, so a long-running server never loads cryptography itself.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

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


def build(names: Iterable[str]) -> tuple[bytes, bytes]:
    """A fresh CA and a server certificate for the names: (CA PEM, certificate + key PEM)."""
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
    chain = leaf.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return ca.public_bytes(serialization.Encoding.PEM), chain


def main() -> None:
    """Print the CA, then the certificate and key, for the names given as arguments."""
    ca, chain = build(sys.argv[1:])
    sys.stdout.buffer.write(ca + chain)
