"""Codes issued ahead of a verify run, straight through the engine."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from bench.common import CLIENT, bench_engine
from otp_flow.engine import OTPEngine
from otp_flow.stores.redis import RedisStore


async def run_concurrently(count: int, tasks: int, job: Callable[[int], Awaitable[None]]) -> None:
    """Run ``job(i)`` for every i in range(count) on ``tasks`` concurrent workers."""
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < count:
            index, next_index = next_index, next_index + 1
            await job(index)

    await asyncio.gather(*(worker() for _ in range(tasks)))


async def issue_with(
    engine: OTPEngine, phones: Sequence[str], tasks: int = 64
) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = [("", "")] * len(phones)

    async def issue(index: int) -> None:
        result = await engine.send(phones[index], client_id=CLIENT.id)
        pairs[index] = (result.otp_token, result.code)

    await run_concurrently(len(phones), tasks, issue)
    return pairs


async def issue_codes(redis_url: str, phones: Sequence[str]) -> list[tuple[str, str]]:
    """(otp_token, code) for each phone, issued on the Redis the benchmarked server uses."""
    engine = bench_engine(RedisStore.from_url(redis_url), render=False)
    try:
        return await issue_with(engine, phones)
    finally:
        await engine.aclose()
