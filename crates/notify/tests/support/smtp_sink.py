"""A loopback SMTP server for the notification tests (aiosmtpd).

Listens on 127.0.0.1 on an ephemeral port, prints `PORT <n>` on stdout once listening, and
writes every message it accepts to OUT_DIR as `<n>.eml` (written to a temporary name, then
renamed, so a reader never sees half a message). Recipients whose local part starts with
`bounce` are refused with 550 (a hard bounce); `tempfail` with 451 (a soft failure).

usage: python smtp_sink.py OUT_DIR
"""
import asyncio
import itertools
import os
import sys

from aiosmtpd.smtp import SMTP

OUT = sys.argv[1]
COUNTER = itertools.count()
PID = os.getpid()


class Sink:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 no such user"
        if local.startswith("tempfail"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(COUNTER)
        tmp = os.path.join(OUT, f".{PID}-{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(b"X-Rcpt-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(OUT, f"{PID}-{n}.eml"))
        return "250 Message accepted"


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Sink(), enable_SMTPUTF8=True, data_size_limit=10_000_000),
        "127.0.0.1",
        0,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
