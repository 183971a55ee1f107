"""A counting SMTP server for scripts/bench-notify.sh (BENCH_SERVER=aiosmtpd): Python's aiosmtpd,
the SMTP server the tests deliver to, with a handler that accepts every message, counts it and
discards it. Prints `mesg=N` to stdout every 0.1 s and on exit, as smtp-sink's counter does.

Usage: python scripts/bench/notify_aiosmtpd.py PORT
"""

import asyncio
import signal
import sys

from aiosmtpd.smtp import SMTP


class Counter:
    def __init__(self):
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        return "250 OK"


async def main(port):
    counter = Counter()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(counter, hostname="bench.localhost"), "127.0.0.1", port
    )
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    last = -1
    while not stop.is_set():
        if counter.n != last:
            last = counter.n
            print(f"mesg={last}", flush=True)
        try:
            await asyncio.wait_for(stop.wait(), 0.1)
        except asyncio.TimeoutError:
            pass
    print(f"mesg={counter.n}", flush=True)
    server.close()


asyncio.run(main(int(sys.argv[1])))
