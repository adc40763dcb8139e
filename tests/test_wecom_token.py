"""Two processes' WeCom clients live on WeCom's one access token: neither spoils the other's,
neither fetches a token per call near its end, concurrent callers of a process share one
fetch, and a token WeCom says expired is dropped once.

Each client has its own httpx client (as a process has) on one offline WeCom, which answers
gettoken as WeCom does: the same token, with what is left of its life, until it runs out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest

from bot.wecom.api import WeComAPI
from bot.wecom.offline import OfflineWeCom
from models import clock

SECRET = "token-test-secret"
MEMBER = "wangwei"
STEP = 30.0  # seconds between two calls of each process


class SharedTime:
    """One time for WeCom (the product clock) and both clients (their duration clock)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.start = clock.now()

    def monotonic(self) -> float:
        return self.seconds

    def product(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)


@pytest.fixture
def moment() -> Iterator[SharedTime]:
    """Run WeCom and the clients on a time the test moves."""
    shared = SharedTime()
    before = clock.set_source(shared.product)
    yield shared
    clock.set_source(before)


@pytest.fixture
def wecom() -> OfflineWeCom:
    return OfflineWeCom(secret=SECRET, members={MEMBER})


def _api(wecom: OfflineWeCom, client: httpx.AsyncClient, moment: SharedTime) -> WeComAPI:
    return WeComAPI(
        "https://qyapi.example",
        wecom.corp_id,
        SECRET,
        wecom.agent_id,
        client=client,
        clock=moment.monotonic,
    )


async def test_gettoken_within_its_life_answers_the_same_token(
    wecom: OfflineWeCom, moment: SharedTime
) -> None:
    async with wecom.client() as client:
        ask = {"corpid": wecom.corp_id, "corpsecret": SECRET}
        first = (await client.get("https://x/cgi-bin/gettoken", params=ask)).json()
        moment.seconds += 7000
        again = (await client.get("https://x/cgi-bin/gettoken", params=ask)).json()
        moment.seconds += 200
        after = (await client.get("https://x/cgi-bin/gettoken", params=ask)).json()
    assert again["access_token"] == first["access_token"]
    assert (first["expires_in"], again["expires_in"]) == (7200, 200)
    assert after["access_token"] != first["access_token"] and after["expires_in"] == 7200


async def test_two_processes_keep_one_token_for_hours(
    wecom: OfflineWeCom, moment: SharedTime
) -> None:
    hours = 5
    async with wecom.client() as one, wecom.client() as two:
        a, b = _api(wecom, one, moment), _api(wecom, two, moment)
        for _ in range(int(hours * 3600 / STEP)):
            await a.member_name(MEMBER)
            await b.member_name(MEMBER)
            assert await a.token() == await b.token()  # one token, neither spoiling the other's
            moment.seconds += STEP
    assert wecom.errors == []  # never a token refused
    lifetimes = -(-hours * 3600 // 7200)  # tokens WeCom issued in those hours: 3
    # Each process: one fetch when a token is new, one more 5 minutes before its end.
    assert wecom.gettoken_calls <= 2 * 2 * lifetimes


async def test_concurrent_callers_of_two_processes_share_a_fetch_each(
    wecom: OfflineWeCom, moment: SharedTime
) -> None:
    async with wecom.client() as one, wecom.client() as two:
        a, b = _api(wecom, one, moment), _api(wecom, two, moment)
        await asyncio.gather(*(api.member_name(MEMBER) for api in (a, b) for _ in range(10)))
        assert wecom.gettoken_calls == 2  # one fetch in each process
        wecom.expire_tokens()  # WeCom says 42001 to the calls in flight with it
        await asyncio.gather(*(api.member_name(MEMBER) for api in (a, b) for _ in range(10)))
        assert wecom.gettoken_calls == 4  # the expired token dropped once: one fetch each
        assert await a.token() == await b.token()
    assert {code for _call, code, _msg in wecom.errors} == {42001}
