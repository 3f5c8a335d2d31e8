"""Where a page sign-in's CPU goes, without HTTP: pyinstrument over in-process sign-ins.

    python -m bench.profile_signin [--flows N]

The pages app of bench/apps.py (codes, users and sessions in a private Redis) called through
httpx's ASGI transport, one flow at a time, the five requests of bench/signin.py each. The
driver's own work (httpx building requests, parsing responses) is in the samples too: the
listing shows the app's functions, each with its callees, as a share of all samples.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python bench/profile_signin.py`: the repository root, not bench/
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx

from bench.apps import CODE_SINK_VARIABLE, REDIS_URL_VARIABLE, pages_app
from bench.common import private_redis
from bench.profile_app import TOP, inclusive_times
from bench.signin import CodeInbox, Driver, create_users, page_signin


async def profile(flows: int) -> None:
    from pyinstrument import Profiler

    loop = asyncio.get_running_loop()
    transport, inbox = await loop.create_datagram_endpoint(
        CodeInbox, local_addr=("127.0.0.1", int(os.environ[CODE_SINK_VARIABLE]))
    )
    app = pages_app()
    driver = Driver(inbox, token_grant=False)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:
            for index in range(flows // 10):  # warm-up
                client.cookies.clear()
                await page_signin(driver, client, index)
            with Profiler(interval=0.0002, async_mode="disabled") as profiler:
                for index in range(flows // 10, flows // 10 + flows):
                    client.cookies.clear()
                    await page_signin(driver, client, index)
    finally:
        transport.close()
    root = profiler.last_session.root_frame() if profiler.last_session else None
    if root is None:
        raise RuntimeError("pyinstrument recorded nothing")
    print(f"page sign-in ({flows} flows): share of the samples in each function and its callees")
    for (function, file), seconds in sorted(inclusive_times(root).items(), key=lambda kv: -kv[1])[
        :TOP
    ]:
        print(f"  {100 * seconds / root.time:5.1f}%  {function}  ({file})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flows", type=int, default=300)
    args = parser.parse_args(argv)
    with private_redis() as redis:
        asyncio.run(create_users(redis.url, args.flows + args.flows // 10))
        os.environ[REDIS_URL_VARIABLE] = redis.url
        os.environ.setdefault(CODE_SINK_VARIABLE, "47391")
        asyncio.run(profile(args.flows))


if __name__ == "__main__":
    main()
