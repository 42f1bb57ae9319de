"""A verified certificate is described from ssl's own reading, exactly as from its DER."""

from __future__ import annotations

import asyncio

from console.check_cert import _escape, describe, describe_verified
from simulator.server import Simulator


async def test_the_verified_reading_matches_the_der_reading() -> None:
    async with Simulator("office365") as sim:
        reader, writer = await asyncio.open_connection(sim.host, sim.tls_port or sim.port, ssl=None)
        await reader.readline()
        writer.write(b"EHLO client.test\r\n")
        while (await reader.readline())[3:4] == b"-":
            pass
        writer.write(b"STARTTLS\r\n")
        await reader.readline()
        await writer.start_tls(sim.client_ssl_context(), server_hostname="127.0.0.1")
        sslobj = writer.get_extra_info("ssl_object")
        fast = describe_verified(sslobj.getpeercert())
        full = describe(sslobj.getpeercert(binary_form=True))
        writer.close()
    assert fast == full and "127.0.0.1" in fast["names"]


def test_names_are_escaped_as_rfc4514_says() -> None:
    assert _escape('a,b+c"d\\e<f>g;h') == 'a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h'
    assert _escape("#lead") == "\\#lead" and _escape(" both ") == "\\ both\\ "
    assert describe_verified({"subject": ((("emailAddress", "x@y"),),)}) is None
