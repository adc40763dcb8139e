"""The one-time upload page over real HTTP: WeCom's sign-in (OAuth snsapi_base) binds the link to
its member, files up to the chat's limits go through, the link is claimed before a body is read,
and a hostile body is a clear 400 page in the member's language, never a 500."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import ClientSession, CookieJar, FormData
from sqlmodel import func, select

from bot.wecom.sender_side import text_message
from bot.wecom.upload import MAX_MB
from handlers.i18n import t
from models import people
from models.db import Database
from models.tables import Item
from tests import test_wecom_chat
from tests.conftest import ADMIN, World
from tests.test_wecom_chat import WeComDriver

# The WeCom front end over the offline WeCom, with the world's cast (tests/test_wecom_chat.py).
wecom_settings = test_wecom_chat.wecom_settings
wecom = test_wecom_chat.wecom

CHEN = "ChenJie"  # the world's admin as a WeCom member: may import workbooks


@pytest.fixture
def admin_on_wecom(wecom: WeComDriver, db: Database) -> str:
    """Link the world's admin to a WeCom account; return it."""
    with db.session() as s:
        person = people.find_person(s, platform="telegram", account=str(ADMIN.id))
        people.link_identity(s, user_id=person.id, platform="wecom", account=CHEN)
    wecom.wecom.add_member(CHEN)
    return CHEN


async def _link(wecom: WeComDriver, account: str) -> str:
    """Send /upload as the member; return the path of the link the app answered with."""
    await wecom.post(text_message(corp_id=wecom.wecom.corp_id, user=account, content="/upload"))
    said = wecom.wecom.texts_to(account)[-1]
    return _path(said.rsplit("\n", 1)[-1])


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
async def browser(wecom: WeComDriver) -> AsyncIterator[ClientSession]:
    """A second browser (its own cookies) on the same server, e.g. of someone forwarded to."""
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as session:
        yield session


async def _sign_in(wecom: WeComDriver, path: str, member: str, session=None) -> tuple[int, str]:
    """Open the link in WeCom's browser as `member`: through WeCom's sign-in and back."""
    session = session or wecom.client.session
    url = wecom.client.make_url(path)
    first = await session.get(url, allow_redirects=False)
    assert first.status == 302, await first.text()
    back = wecom.wecom.authorize(first.headers["Location"], member)
    page = await session.get(wecom.client.make_url(_path(back)))
    return page.status, await page.text()


def _csv(rows: int, description: str, remark: str) -> bytes:
    """Return an items CSV; a column the import does not read makes it as large as wanted."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["房号", "部位", "类别", "问题描述", "登记日期", "备注（不导入）"])
    for n in range(rows):
        writer.writerow(["3-1-1202", "卫生间", "渗漏", f"{n} {description}", "2026/12/01", remark])
    return out.getvalue().encode()


def _form(data: bytes, name: str = "items.csv") -> FormData:
    form = FormData()
    form.add_field("file", data, filename=name, content_type="text/csv")
    return form


async def test_the_link_opens_for_its_member_through_wecoms_sign_in(wecom, admin_on_wecom):
    path = await _link(wecom, CHEN)
    said = wecom.wecom.texts_to(CHEN)[-1]
    assert "30" in said and "企业微信" in said  # what is true: 30 minutes, opened in WeCom
    # The address WeCom signs in through: this corp and app, silently (snsapi_base).
    first = await wecom.client.get(path, allow_redirects=False)
    where = urlsplit(first.headers["Location"])
    query = parse_qs(where.query)
    assert query["appid"] == [wecom.wecom.corp_id] and query["scope"] == ["snsapi_base"]
    assert query["agentid"] == [str(wecom.wecom.agent_id)] and where.fragment == "wechat_redirect"
    assert query["redirect_uri"][0].endswith(path)
    status, page = await _sign_in(wecom, path, CHEN)
    assert status == 200 and 'type="file"' in page
    # Signed in, the browser keeps the form (a reload, another look) until the link is used.
    again = await wecom.client.get(path, allow_redirects=False)
    assert again.status == 200 and 'type="file"' in await again.text()


async def test_a_forwarded_link_does_not_open_for_another_member(wecom, admin_on_wecom, browser):
    path = await _link(wecom, CHEN)
    status, page = await _sign_in(wecom, path, "LiNa", browser)
    assert status == 403 and t("zh", "wecom.upload_not_yours") in page
    assert 'type="file"' not in page
    # Nor can a file be posted by whoever holds the address without signing in.
    sent = await browser.post(wecom.client.make_url(path), data=_form(b"a,b\n"))
    assert sent.status == 403 and t("zh", "wecom.upload_open_in_wecom") in await sent.text()
    # The member it was sent to still can.
    status, page = await _sign_in(wecom, path, CHEN)
    assert status == 200 and 'type="file"' in page


async def test_a_sign_in_that_fails_is_a_clear_page(wecom, admin_on_wecom, browser):
    path = await _link(wecom, CHEN)
    url = wecom.client.make_url(path)
    # A code WeCom never gave (or used already), or a state that is not this browser's.
    first = await browser.get(url, allow_redirects=False)
    state = parse_qs(urlsplit(first.headers["Location"]).query)["state"][0]
    forged = await browser.get(url.with_query(code="forged", state=state))
    assert forged.status == 403 and t("zh", "wecom.upload_open_in_wecom") in await forged.text()
    odd = await browser.get(url.with_query(code="forged", state="状态"))
    assert odd.status == 403
    browser.cookie_jar.update_cookies({"upload_visit": "访客"}, url)
    assert (await browser.post(url, data=_form(b"a,b\n"))).status == 403
    back = wecom.wecom.authorize(first.headers["Location"], CHEN)
    stolen = await wecom.client.get(_path(back))  # another browser, without the state
    assert stolen.status == 403
    # WeCom cannot be reached: try again later (the link stays).
    wecom.wecom.fail_http("auth/getuserinfo", 502)
    status, page = await _sign_in(wecom, path, CHEN)
    assert status == 503 and t("zh", "wecom.upload_wecom_down") in page
    status, page = await _sign_in(wecom, path, CHEN)
    assert status == 200


async def test_an_app_without_its_trusted_domain_says_so(wecom, admin_on_wecom, caplog):
    path = await _link(wecom, CHEN)
    wecom.wecom.trusted_domain = "bot.example.cn"  # not the host the link is on
    status, page = await _sign_in(wecom, path, CHEN)
    assert status == 403 and t("zh", "wecom.upload_no_sign_in") in page
    assert any("50001" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


async def test_a_legal_two_megabyte_csv_goes_through(wecom, admin_on_wecom, db, world: World):
    path = await _link(wecom, CHEN)
    await _sign_in(wecom, path, CHEN)
    data = _csv(200, "卫生间吊顶渗水" * 70, "现场记录" * 640)
    assert 1.7 * 1024 * 1024 < len(data) < 2 * 1024 * 1024
    before = wecom.server.chat.handled
    sent = await wecom.client.post(path, data=_form(data))
    assert sent.status == 200, await sent.text()
    assert t("zh", "wecom.upload_done") in await sent.text()
    await wecom.settled(before, timeout=120)
    assert "导入 200 条问题" in "\n".join(wecom.wecom.texts_to(CHEN))
    with db.session() as s:
        items = s.exec(select(func.count()).where(Item.project_id == world.project_id)).one()
        assert items == 3 + 200
    assert (await wecom.client.get(path)).status == 404  # used up


async def test_a_file_over_the_chat_limit_is_refused_and_the_link_stays(wecom, admin_on_wecom):
    path = await _link(wecom, CHEN)
    await _sign_in(wecom, path, CHEN)
    sent = await wecom.client.post(path, data=_form(b"x" * (MAX_MB * 1024 * 1024 + 1)))
    assert sent.status == 413
    assert t("zh", "wecom.upload_too_big", limit=MAX_MB) in await sent.text()
    before = wecom.server.chat.handled
    sent = await wecom.client.post(path, data=_form(b"not,a,workbook\n"))
    assert sent.status == 200
    await wecom.settled(before)


async def test_two_uploads_sent_together_one_is_refused(wecom, admin_on_wecom):
    path = await _link(wecom, CHEN)
    await _sign_in(wecom, path, CHEN)
    boundary = "----slowupload"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="items.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = b"not,a,workbook\n"
    halfway, go_on = asyncio.Event(), asyncio.Event()

    async def slowly() -> AsyncIterator[bytes]:
        yield head + body
        halfway.set()
        await go_on.wait()
        yield tail

    before = wecom.server.chat.handled
    first = asyncio.create_task(
        wecom.client.post(
            path,
            data=slowly(),
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head + body + tail)),
            },
        )
    )
    await asyncio.wait_for(halfway.wait(), 5)
    token = path.rsplit("/", 1)[-1]
    while not (await wecom.server.chat.uploads.ticket(token)).busy:  # the body is being read
        await asyncio.sleep(0.01)
    second = await wecom.client.post(path, data=_form(b"other,file\n"))
    assert second.status == 409 and t("zh", "wecom.upload_busy") in await second.text()
    go_on.set()
    assert (await first).status == 200
    await wecom.settled(before)
    assert (await wecom.client.get(path)).status == 404  # the one file used it up


async def test_an_upload_cut_off_midway_leaves_the_link_for_a_retry(wecom, admin_on_wecom, caplog):
    path = await _link(wecom, CHEN)
    await _sign_in(wecom, path, CHEN)
    url = wecom.client.make_url(path)
    cookies = wecom.client.session.cookie_jar.filter_cookies(url)
    cookie = "; ".join(f"{k}={v.value}" for k, v in cookies.items())
    boundary = "cut"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="items.csv"\r\n\r\n'
        "not,a,"
    ).encode()
    reader, writer = await asyncio.open_connection(url.host, url.port)
    writer.write(
        (
            f"POST {path} HTTP/1.1\r\nHost: {url.host}\r\nCookie: {cookie}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: 100000\r\n\r\n"
        ).encode()
        + head
    )
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.close()  # the phone lost its connection
    await writer.wait_closed()
    await asyncio.sleep(0.2)
    before = wecom.server.chat.handled
    sent = await wecom.client.post(path, data=_form(b"not,a,workbook\n"))
    assert sent.status == 200
    await wecom.settled(before)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def _raw(part_headers: str, data: bytes = b"a,b\n1,2\n", boundary: str = "xyz") -> bytes:
    return (
        f"--{boundary}\r\n{part_headers}\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )


FILE = 'Content-Disposition: form-data; name="file"; filename="items.csv"'
MULTIPART = "multipart/form-data; boundary=xyz"
# (what, Content-Type, body, the page's text key)
HOSTILE = {
    "nul in the file name": (  # a header no HTTP allows, before it is a name
        MULTIPART,
        _raw('Content-Disposition: form-data; name="file"; filename="it\x00ems.csv"'),
        "wecom.upload_bad",
    ),
    "nul in an encoded file name": (
        MULTIPART,
        _raw("Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''it%00ems.csv"),
        "wecom.upload_bad_name",
    ),
    "no boundary": ("multipart/form-data", _raw(FILE), "wecom.upload_bad"),
    "cut short": (MULTIPART, _raw(FILE)[:-12], "wecom.upload_bad"),
    "a 20 kB part header": (
        MULTIPART,
        _raw(f'Content-Disposition: form-data; name="file"; filename="{"a" * 20_000}.csv"'),
        "wecom.upload_bad",
    ),
    "a 20 kB header of its own": (
        MULTIPART,
        _raw(f"{FILE}\r\nX-Padding: {'a' * 20_000}"),
        "wecom.upload_bad",
    ),
    "a thousand header lines": (
        MULTIPART,
        _raw(FILE + "".join(f"\r\nX-{n}: a" for n in range(1000))),
        "wecom.upload_bad",
    ),
    "a boundary never seen": (MULTIPART, b"no boundary here at all\r\n", "wecom.upload_bad"),
    "an empty body": (MULTIPART, b"", "wecom.upload_bad"),
    "not multipart": ("application/x-www-form-urlencoded", b"file=a%2Cb", "wecom.upload_bad"),
    "no content type": ("", b"a,b\n", "wecom.upload_bad"),
    "a nested multipart": (
        MULTIPART,
        _raw(
            'Content-Disposition: form-data; name="file"\r\n'
            "Content-Type: multipart/mixed; boundary=inner",
            b"--inner\r\n\r\nx\r\n--inner--",
        ),
        "wecom.upload_bad",
    ),
    "a thousand parts": (
        MULTIPART,
        b"".join(
            b'--xyz\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % n
            for n in range(1000)
        )
        + b"--xyz--\r\n",
        "wecom.upload_bad",
    ),
    "a file with no name": (
        MULTIPART,
        _raw('Content-Disposition: form-data; name="file"; filename=""'),
        "wecom.upload_empty",
    ),
    "no file part": (
        MULTIPART,
        _raw('Content-Disposition: form-data; name="other"'),
        "wecom.upload_empty",
    ),
    "a boundary of 200 characters": (
        "multipart/form-data; boundary=" + "b" * 200,
        _raw(FILE, boundary="b" * 200),
        "wecom.upload_bad",
    ),
    "a control character in the file name": (
        MULTIPART,
        _raw("Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''a%1b%5b2J.csv"),
        "wecom.upload_bad_name",
    ),
    "a file name of 300 characters": (
        MULTIPART,
        _raw(f'Content-Disposition: form-data; name="file"; filename="{"a" * 300}.csv"'),
        "wecom.upload_bad_name",
    ),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("what", HOSTILE)
async def test_a_hostile_body_is_a_clear_400_and_no_traceback(
    wecom, admin_on_wecom, db, caplog, what, lang
):
    if lang == "en":
        with db.session() as s:
            person = people.find_person(s, platform="wecom", account=CHEN)
            people.set_language(s, user_id=person.id, language="en")
    path = await _link(wecom, CHEN)
    await _sign_in(wecom, path, CHEN)
    content_type, body, key = HOSTILE[what]
    headers = {"Content-Type": content_type} if content_type else {"Content-Type": ""}
    sent = await wecom.client.post(path, data=body, headers=headers)
    page = await sent.text()
    assert sent.status == 400, page
    assert sent.content_type == "text/html" and t(lang, key) in page
    assert 'type="file"' in page  # the form again: choose the file and send it once more
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    # Nothing was taken: the link still takes the file.
    before = wecom.server.chat.handled
    assert (await wecom.client.post(path, data=_form(b"not,a,workbook\n"))).status == 200
    await wecom.settled(before)
