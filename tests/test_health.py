"""What an operator watches, through the real apps on the offline platforms: /healthz (database,
the daily beat, what waits to be sent), /metrics read back with prometheus_client's own parser,
and the log as JSON lines, each with its update's id, never a token nor an owner's phone."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import signal
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot import health
from bot.cli.common import log_handler
from bot.wecom.crypto import CallbackCrypto
from bot.wecom.offline import OfflineWeCom
from bot.wecom.sender_side import callback, text_message
from bot.wecom.serve import build_wecom
from jobs.sender import ChatPacer
from models import clock, pushes
from models.db import Database
from models.health import OPEN_STATES
from models.repair import PhotoIn
from models.settings import Settings
from models.tables import Action, Item, Platform, PushKind, PushLog, Unit
from tests import test_wecom_run as run
from tests.conftest import ADMIN, CONTRACTOR_A, CONTRACTOR_B, SERVICE, World, move, tg
from tests.test_notices import FAST, QIAN, SUN, WANG, WU, WU_WECOM, add_people
from tests.test_real_run import stop
from tests.test_rhythm import local, report_leak, tick_at
from tests.test_wecom_chat import AES_KEY, TOKEN, WECOM_IDS
from tests.wecom_member import wecom_desk

OWNER_PHONE = "13812345678"


def figures(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Parse a /metrics page with prometheus_client's parser: sample (name, labels) -> value."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    """Return the sum of the samples of `name` whose labels include these."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in found.items() if n == name and wanted <= have)


async def scrape(client: TestClient) -> dict:
    """GET /metrics and parse it."""
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return figures(await response.text())


@contextlib.asynccontextmanager
async def served(bot) -> AsyncIterator[TestClient]:  # noqa: ANN001
    """Serve the Telegram application's health routes on an aiohttp app, as a webhook run will."""
    app = web.Application()
    data = bot.app.bot_data
    health.add_routes(app, db=data["db"], metrics=data["metrics"], pulses=(data["pulse"],))
    async with TestClient(TestServer(app)) as client:
        yield client


def on_wecom(settings: Settings, offline: OfflineWeCom) -> Settings:
    """Return the settings with the offline WeCom's app."""
    return settings.model_copy(
        update={
            "wecom_corp_id": offline.corp_id,
            "wecom_agent_id": str(offline.agent_id),
            "wecom_secret": SecretStr(offline.secret),
            "wecom_token": SecretStr(TOKEN),
            "wecom_encoding_aes_key": SecretStr(AES_KEY),
        }
    )


@pytest.fixture
async def wecom_app(settings: Settings, db: Database, world: World) -> AsyncIterator[TestClient]:
    """Serve the WeCom front end with its daily beat running, over the offline WeCom."""
    offline = OfflineWeCom()
    server = build_wecom(on_wecom(settings, offline), db, client=offline.client())
    async with TestClient(TestServer(server.app)) as client:
        yield client


@contextlib.contextmanager
def clock_ahead(by: timedelta) -> Iterator[None]:
    """Move the product's clock on by `by` for the block."""
    before = clock.set_source(lambda: before() + by)
    try:
        yield
    finally:
        clock.set_source(before)


@contextlib.contextmanager
def database_gone(db: Database) -> Iterator[None]:
    """Take the database away for the block (a SQLite file replaced by a folder; a PostgreSQL
    database renamed), and bring it back after."""
    db.dispose()
    url = make_url(db.url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        aside = path.with_suffix(".aside")
        path.rename(aside)
        path.mkdir()
        try:
            yield
        finally:
            db.dispose()
            path.rmdir()
            aside.rename(path)
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = url.database
    with admin.connect() as conn:
        conn.exec_driver_sql(f"ALTER DATABASE {name} RENAME TO {name}_gone")
    try:
        yield
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"ALTER DATABASE {name}_gone RENAME TO {name}")
        admin.dispose()


# -- /healthz ---------------------------------------------------------------------------------


async def test_healthz_on_wecom_says_healthy_and_what_waits_to_be_sent(
    wecom_app: TestClient, db: Database, world: World
) -> None:
    # One notice being sent and one push claimed: both wait to be sent.
    with db.session() as s:
        wang = tg(s, CONTRACTOR_A.id)
        pushes.notice_begins(s, user_id=wang, platform=Platform.wecom, summary="x")
        pushes.claim(
            s,
            kind=PushKind.morning,
            project_id=world.project_id,
            day=clock.today("Asia/Shanghai"),
            user_id=tg(s, CONTRACTOR_B.id),
            by="test",
            platform=Platform.telegram,
        )
        s.exec(select(Unit)).first().owner_phone = OWNER_PHONE

    response = await wecom_app.get("/healthz")

    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["beat"]["ok"] is True and body["beat"]["running"] is True
    assert body["queue"] == {"pushes": 1, "notices": 1}
    raw = await response.text()
    assert OWNER_PHONE not in raw and TOKEN not in raw and AES_KEY not in raw


async def test_healthz_is_503_while_the_database_is_gone(
    wecom_app: TestClient, db: Database
) -> None:
    assert (await wecom_app.get("/healthz")).status == 200
    with database_gone(db):
        response = await wecom_app.get("/healthz")
        body = await response.json()
    assert response.status == 503
    assert body["status"] == "unhealthy" and body["database"]["ok"] is False
    assert body["queue"] is None
    assert (await wecom_app.get("/healthz")).status == 200  # and healthy once it is back


async def test_healthz_is_503_when_the_beat_stops_ticking_on_telegram(bot) -> None:  # noqa: ANN001
    async with served(bot) as client:
        fresh = await client.get("/healthz")
        assert fresh.status == 200 and (await fresh.json())["beat"]["running"] is True
        # Six minutes on without a tick: the beat is stuck (a tick comes every minute).
        with clock_ahead(timedelta(minutes=6)):
            stale = await client.get("/healthz")
            body = await stale.json()
            assert stale.status == 503 and body["beat"]["ok"] is False
            assert body["beat"]["seconds_since_tick"] > 300 and body["database"]["ok"] is True
            bot.app.bot_data["pulse"].tick()  # a tick: alive again
            assert (await client.get("/healthz")).status == 200


# -- /metrics ---------------------------------------------------------------------------------


def open_items(db: Database, project_id: int) -> int:
    with db.session() as s:
        rows = s.exec(
            select(Item).where(Item.project_id == project_id, Item.state.in_(OPEN_STATES))
        ).all()
        return len(rows)


@pytest.mark.telegram_errors
async def test_metrics_on_telegram_count_updates_refusals_sends_and_pushes(
    bot,  # noqa: ANN001
    world: World,
    db: Database,
) -> None:
    add_people(
        world,
        db,
        world.mingda,
        ("Qian", Platform.telegram, str(QIAN.id)),
        ("Feng", Platform.wecom, "FengYi"),
        ("Wu", Platform.telegram, str(WU.id)),
    )
    bot.transport.block(QIAN.id)
    bot.transport.throttle(WU.id, retry_after=0.05)
    bot.transport.fail(CONTRACTOR_B.id, status=502)
    delivery = bot.app.bot_data["delivery"]
    delivery.backoff, delivery.pacer = FAST, ChatPacer(0.1)
    admin = bot.chat(ADMIN)
    await admin.send(f"/reassign {world.items['leak']} 明达水电")
    await bot.chat(CONTRACTOR_A).send(f"/reassign {world.items['wall']} 明达水电")  # not theirs
    await admin.press("zz:forged", bot.transport.last_message(ADMIN.id).message_id)
    # A refusal the flow words itself (with the contractors to choose from) counts too.
    await admin.send(f"/reassign {world.items['wall']} 没有这家")
    await admin.send("/mylist")  # an admin is no contractor: refused
    move(db, world.items["socket"], CONTRACTOR_B.id, Action.report_repaired, photos=(PhotoIn("x"),))

    async with served(bot) as client:
        await tick_at(bot.app, local(7, 30))
        found = await scrape(client)

    tg_ = {"platform": "telegram"}
    assert value(found, "handover_updates_total", flow="/reassign", outcome="ok", **tg_) == 1
    assert value(found, "handover_updates_total", flow="/reassign", outcome="refused") == 2
    assert value(found, "handover_updates_total", flow="press:unknown", outcome="refused") == 1
    updates = value(found, "handover_updates_total", **tg_)
    assert updates == 5 and value(found, "handover_update_seconds_count", **tg_) == updates
    assert value(found, "handover_refusals_total", reason="stale_button", **tg_) == 1
    assert value(found, "handover_refusals_total", reason="not_allowed", **tg_) >= 1
    for outcome in ("ok", "429", "5xx", "blocked", "no_account"):
        assert value(found, "handover_sends_total", outcome=outcome, **tg_) >= 1, outcome
    assert value(found, "handover_push_runs_total", kind="morning", outcome="ok") == 1
    project = str(world.project_id)
    assert value(found, "handover_open_items", project_id=project) == open_items(
        db, world.project_id
    )
    assert value(found, "handover_open_items", project_id=project, state="repaired") == 1


async def test_metrics_on_wecom_count_updates_refusals_and_refused_sends(
    settings: Settings, world: World, db: Database
) -> None:
    add_people(
        world,
        db,
        world.huajian,
        ("Sun", Platform.wecom, SUN),
        ("Wu", Platform.wecom, WU_WECOM),
    )
    report_leak(db, world)
    leak = world.items["leak"]
    accounts = {CONTRACTOR_A.id: WANG, **{k: v for k, v in WECOM_IDS.items() if k != 2001}}
    async with wecom_desk(settings, db, accounts) as desk:
        offline = desk.driver.wecom
        offline.add_member(WU_WECOM)
        desk.driver.server.delivery.backoff = FAST
        offline.fail("message/send", 45009, user=WU_WECOM)  # the member limit: wait
        offline.fail_http("message/send", 502, user=WANG)
        inspector = desk.member(WECOM_IDS[1101])
        await inspector.send("/tocheck")
        await inspector.press(f"ck:{leak}")
        await inspector.press(f"fl:{leak}")
        await inspector.send("还在滴水")
        await inspector.press(f"done:{leak}")  # Sun is out of the app's reach: blocked
        await desk.member(WANG).send("/tocheck")  # a contractor may not: refused
        await desk.member("Stranger").send("/mylist")  # nobody: refused
        found = await scrape(desk.driver.client)

    wc = {"platform": "wecom"}
    assert value(found, "handover_updates_total", flow="/tocheck", outcome="ok", **wc) == 1
    assert value(found, "handover_updates_total", flow="/tocheck", outcome="refused", **wc) == 1
    assert value(found, "handover_updates_total", flow="stranger", outcome="refused", **wc) == 1
    assert value(found, "handover_refusals_total", reason="not_registered", **wc) == 1
    assert value(found, "handover_refusals_total", reason="not_allowed", **wc) == 1
    for outcome in ("ok", "429", "5xx", "blocked"):
        assert value(found, "handover_sends_total", outcome=outcome, **wc) >= 1, outcome
    # Nothing typed is a label: not the note, not the stranger's name.
    assert not [k for k in found if any("滴水" in v or "Stranger" in v for _, v in k[1])]


def test_each_app_has_its_own_registry(settings: Settings, db: Database) -> None:
    offline = OfflineWeCom()
    first = build_wecom(
        on_wecom(settings, offline), db, client=offline.client(), rhythm_timer=False
    )
    second = build_wecom(
        on_wecom(settings, offline), db, client=offline.client(), rhythm_timer=False
    )
    first.metrics.sent(platform="wecom", outcome="ok")
    assert first.metrics.registry is not second.metrics.registry
    assert value(figures(second.metrics.exposition().decode()), "handover_sends_total") == 0


# -- the log ------------------------------------------------------------------------------------


@contextlib.contextmanager
def json_log(*secrets: str, level: int = logging.INFO) -> Iterator[io.StringIO]:
    """Log every line (from `level`) through the run's own handler, as JSON, into a buffer."""
    out = io.StringIO()
    handler = log_handler(*secrets, form="json", stream=out)
    root = logging.getLogger()
    before = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(before)


def lines(out: io.StringIO) -> list[dict]:
    """Return the log's lines, each parsed back from JSON."""
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.telegram_errors
async def test_json_log_lines_carry_the_update_id_on_telegram(bot, world: World, db) -> None:  # noqa: ANN001
    add_people(world, db, world.mingda, ("Qian", Platform.telegram, str(QIAN.id)))
    add_people(world, db, world.mingda, ("Wu", Platform.telegram, str(WU.id)))
    bot.transport.block(QIAN.id)
    bot.transport.throttle(WU.id, retry_after=0.05)
    bot.app.bot_data["delivery"].pacer = ChatPacer(0.1)
    with json_log() as out:
        await bot.chat(ADMIN).send(f"/reassign {world.items['leak']} 明达水电")
    told = [line for line in lines(out) if line["logger"] == "jobs.sender"]
    # The wait for Wu and the miss of Qian: caused by the admin's update, and say so.
    assert len(told) >= 2, told
    ids = {line.get("update") for line in told}
    assert len(ids) == 1 and next(iter(ids)).isdigit()


async def test_json_log_lines_carry_the_msgid_on_wecom(
    settings: Settings, world: World, db
) -> None:  # noqa: ANN001
    add_people(world, db, world.huajian, ("Sun", Platform.wecom, SUN))
    report_leak(db, world)
    leak = world.items["leak"]
    async with wecom_desk(settings, db, {1101: WECOM_IDS[1101], 2001: WANG}) as desk:
        inspector = desk.member(WECOM_IDS[1101])
        await inspector.send("/tocheck")
        await inspector.press(f"ck:{leak}")
        await inspector.press(f"fl:{leak}")
        with json_log() as out:
            await inspector.send("还在滴水")
            await inspector.press(f"done:{leak}")  # Sun is out of the app's reach
    found = [
        line for line in lines(out) if line["logger"].startswith(("jobs.", "bot.", "handlers."))
    ]
    assert found and all(line.get("update") for line in found), found
    assert any("could not tell" in line["message"] for line in found)


@pytest.mark.parametrize("typed", [OWNER_PHONE, "138 1234 5678", "+86-138-1234-5678"])
async def test_an_owners_phone_and_the_token_reach_no_line_of_the_log(
    bot,  # noqa: ANN001
    world: World,
    db: Database,
    typed: str,
) -> None:
    with db.session() as s:
        unit = s.exec(select(Unit).where(Unit.code == "3-1-1202")).one()
        unit.owner_phone = typed
    token = bot.app.bot.token
    service = bot.chat(SERVICE)
    with json_log(token, level=logging.DEBUG) as out:
        shown = await service.send(f"/find {typed}")
        shown += await service.send("/unit 3-1-1202")
        await bot.chat(ADMIN).send(f"/find {typed}")
    assert any(typed in (m.text or "") for m in shown)  # the service desk sees it
    logged = out.getvalue()
    digits = "".join(c for c in typed if c.isdigit())[-11:]
    assert typed not in logged and digits not in logged
    assert token not in logged
    # Every line is one JSON object; the flow was logged (PTB at DEBUG writes what it sends).
    assert len(lines(out)) > 5 and "[phone]" in logged


@pytest.mark.telegram_errors
async def test_json_log_lines_of_a_push_carry_its_run_and_row(bot, world: World, db) -> None:  # noqa: ANN001
    report_leak(db, world)
    bot.transport.throttle(CONTRACTOR_A.id, retry_after=0.05)  # Wang's list waits a moment
    bot.app.bot_data["delivery"].pacer = ChatPacer(0.1)  # the waits shrunk
    with json_log() as out:
        await tick_at(bot.app, local(7, 30))
    found = [line for line in lines(out) if line["logger"].startswith("jobs.")]
    run = f"morning:{world.project_id}:2026-12-16:telegram"
    waited = [line for line in found if "rate limit" in line["message"]]
    with db.session() as s:
        row = s.exec(select(PushLog.id).where(PushLog.user_id == tg(s, CONTRACTOR_A.id))).one()
    assert [line["push"] for line in waited] == [f"{run}#{row}"]
    done = [line for line in found if "push for project" in line["message"]]
    assert [line["push"] for line in done if "morning" in line["message"]] == [run]
    assert all("update" not in line for line in found)


# -- a real run ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("real_clock")
async def test_a_real_wecom_run_serves_health_and_metrics_and_logs_json(tmp_path: Path) -> None:
    url, _item = run.prepared_database(tmp_path)
    wecom = OfflineWeCom()
    wecom.add_member(run.MEMBER)
    crypto = CallbackCrypto(run.TOKEN, run.AES_KEY, wecom.corp_id)
    port = run.free_port()
    async with wecom.served() as api_base:
        env = run.environment(
            tmp_path,
            DATABASE_URL=url,
            WECOM_CORP_ID=wecom.corp_id,
            WECOM_AGENT_ID=str(wecom.agent_id),
            WECOM_SECRET=wecom.secret,
            WECOM_TOKEN=run.TOKEN,
            WECOM_ENCODING_AES_KEY=run.AES_KEY,
            WECOM_API_BASE_URL=api_base,
            WECOM_LISTEN=f"127.0.0.1:{port}",
            LOG_FORMAT="json",
        )
        proc = run.start(tmp_path, env)
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(timeout=5) as http:

                async def healthy() -> dict | None:
                    try:
                        answer = await http.get(f"{base}/healthz")
                    except httpx.TransportError:
                        return None  # not listening yet
                    return answer.json() if answer.status_code == 200 else None

                body = await run.wait_for(healthy, "/healthz", proc)
                assert body["database"]["ok"] and body["beat"]["running"]
                message = text_message(corp_id=wecom.corp_id, user=run.MEMBER, content="/mylist")
                sealed = callback(crypto, message)
                await http.post(
                    f"{base}/wecom/callback", params=sealed.query(), content=sealed.body
                )

                async def counted() -> dict | None:
                    found = figures((await http.get(f"{base}/metrics")).text)
                    mylist = value(found, "handover_updates_total", flow="/mylist", outcome="ok")
                    return found if mylist == 1 else None

                found = await run.wait_for(counted, "/mylist counted", proc)
                assert value(found, "handover_sends_total", platform="wecom", outcome="ok") == 0
                assert value(found, "handover_open_items", state="open") == 1
        finally:
            code = await stop(proc, signal.SIGTERM)
        _out, err = proc.communicate(timeout=5)
    assert code == 0, err
    logged = [json.loads(line) for line in err.splitlines()]  # every line one JSON object
    assert any("serving the WeCom callback" in line["message"] for line in logged)
    for secret in (wecom.secret, run.TOKEN, run.AES_KEY):
        assert secret not in err


@pytest.mark.telegram_errors
async def test_text_log_lines_carry_the_update_id_too(bot, world: World, db) -> None:  # noqa: ANN001
    add_people(world, db, world.mingda, ("Qian", Platform.telegram, str(QIAN.id)))
    bot.transport.block(QIAN.id)
    out = io.StringIO()
    handler = log_handler(form="text", stream=out)
    logging.getLogger().addHandler(handler)
    try:
        await bot.chat(ADMIN).send(f"/reassign {world.items['leak']} 明达水电")
    finally:
        logging.getLogger().removeHandler(handler)
    missed = [line for line in out.getvalue().splitlines() if "could not tell" in line]
    assert len(missed) == 1 and re.search(r" WARNING jobs\.sender \[update \d+\]: ", missed[0])
