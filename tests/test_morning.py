"""The morning lists: scheduled in local time, sent to each contractor and inspector."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from jobs.morning import JOB_NAME, morning_lists
from models.people import user_for
from models.repair import PhotoIn, apply_transition
from models.tables import Action
from tests.conftest import CONTRACTOR_A, CONTRACTOR_B, INSPECTOR, SERVICE


async def test_morning_job_is_named_and_local_time(bot):
    jobs = bot.app.job_queue.get_jobs_by_name(JOB_NAME)
    assert len(jobs) == 1
    fields = {f.name: str(f) for f in jobs[0].trigger.fields}  # the daily cron trigger
    assert (fields["hour"], fields["minute"]) == ("7", "30")  # MORNING_PUSH default, local
    assert jobs[0].trigger.timezone == ZoneInfo("Asia/Shanghai")


async def test_morning_lists_reach_contractors_and_inspectors(bot, world, db):
    with db.session() as s:
        apply_transition(
            s,
            item_id=world.items["leak"],
            user=user_for(s, telegram_id=CONTRACTOR_A.id),
            action=Action.report_repaired,
            photos=[PhotoIn(file_id="x")],
        )
    from handlers.common import BotContext

    mark = bot.transport.mark()
    await morning_lists(BotContext(bot.app))
    sent = bot.transport.events_since(mark)
    by_chat = {m.chat_id: m.text for m in sent}
    assert f"#{world.items['wall']}" in by_chat[CONTRACTOR_A.id]
    assert f"#{world.items['socket']}" in by_chat[CONTRACTOR_B.id]
    assert f"#{world.items['leak']}" in by_chat[INSPECTOR.id]
    assert f"#{world.items['leak']}" not in by_chat[CONTRACTOR_A.id]
    assert SERVICE.id not in by_chat
