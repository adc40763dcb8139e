"""WeCom's callback crypto against Tencent's published samples, and round trips at the edges."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.wecom.crypto import BLOCK, CallbackCrypto, CryptoError, Reason, parse_fields
from bot.wecom.sender_side import (
    file_message,
    image_message,
    inner_xml,
    template_card_event,
    text_message,
)

# Tencent's WXBizMsgCrypt samples (企业微信 回调加解密 sample code), as published in
# sbzhu/weworkapi_php callback/Sample.php and workweixin/weworkapi_golang json_callback/sample.go
# (the same token, EncodingAESKey, receive id and URL verification in both).
PHP = {
    "token": "QDG6eK",
    "key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    "corp": "wx5823bf96d3bd56c7",
}
PHP_VERIFY = {
    "msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
    "timestamp": "1409659589",
    "nonce": "263014780",
    "echostr": (
        "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
    ),
}
# sbzhu/weworkapi_php callback/Sample.php, 示例二 (the decrypted text is in its comment).
PHP_POST = {
    "msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6",
    "timestamp": "1409659813",
    "nonce": "1372623149",
    "body": (
        "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA["
        "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3"
        "QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48"
        "kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izo"
        "un1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUa"
        "x5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl"
        "/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt>"
        "<AgentID><![CDATA[218]]></AgentID></xml>"
    ),
}
# sbzhu/weworkapi_python callback/Sample.py: the WeCom-era sample (a ww... corp id).
PY = {
    "token": "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo",
    "key": "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
    "corp": "ww1436e0e65a779aee",
}
PY_VERIFY = {
    "msg_signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
    "timestamp": "1476416373",
    "nonce": "47744683",
    "echostr": (
        "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
    ),
}
PY_POST = {
    "msg_signature": "0c3914025cb4b4d68103f6bfc8db550f79dcf48e",
    "timestamp": "1476422779",
    "nonce": "1597212914",
    "body": (
        "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n<Encrypt><![CDATA["
        "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3N"
        "yeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0s"
        "qfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZU"
        "C2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49H"
        "KYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+]]></Encrypt>\n"
        "<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
    ),
}


def _crypto(sample: dict[str, str], corp: str | None = None) -> CallbackCrypto:
    return CallbackCrypto(sample["token"], sample["key"], corp or sample["corp"])


@pytest.mark.parametrize(
    ("sample", "verify", "echo"),
    [(PHP, PHP_VERIFY, "1616140317555161061"), (PY, PY_VERIFY, "1288432023552776189")],
    ids=["php-sample", "python-sample"],
)
def test_official_url_verification(sample, verify, echo):
    crypto = _crypto(sample)
    assert (
        crypto.signature(verify["timestamp"], verify["nonce"], verify["echostr"])
        == (verify["msg_signature"])
    )
    assert crypto.verify_url(**verify) == echo


def test_official_message_php_sample():
    fields = _crypto(PHP).open(
        PHP_POST["body"],
        msg_signature=PHP_POST["msg_signature"],
        timestamp=PHP_POST["timestamp"],
        nonce=PHP_POST["nonce"],
    )
    assert fields == {
        "ToUserName": "wx5823bf96d3bd56c7",
        "FromUserName": "mycreate",
        "CreateTime": "1409659813",
        "MsgType": "text",
        "Content": "hello",
        "MsgId": "4561255354251345929",
        "AgentID": "218",
    }


def test_official_message_python_sample():
    fields = _crypto(PY).open(
        PY_POST["body"].encode(),
        msg_signature=PY_POST["msg_signature"],
        timestamp=PY_POST["timestamp"],
        nonce=PY_POST["nonce"],
    )
    assert fields["FromUserName"] == "ChenJiaShun"
    assert fields["Content"] == "你好"
    assert fields["MsgId"] == "1456453720"
    assert fields["AgentID"] == "1000002"


def test_signature_is_sha1_of_the_sorted_parts():
    crypto = _crypto(PY)
    parts = sorted([PY["token"], "1", "b", "a"])
    assert crypto.signature("1", "b", "a") == hashlib.sha1("".join(parts).encode()).hexdigest()


def test_a_fixed_random_gives_the_samples_ciphertext():
    # Decrypting the sample shows its random prefix; encrypting with it reproduces the bytes.
    crypto = _crypto(PY)
    ciphertext = PY_VERIFY["echostr"]
    key = base64.b64decode(PY["key"] + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(ciphertext)) + decryptor.finalize()
    assert crypto.encrypt(crypto.decrypt(ciphertext), random16=plain[:16]) == ciphertext


def _plain_length(message: str, corp: str) -> int:
    return 16 + 4 + len(message.encode()) + len(corp.encode())


@pytest.mark.parametrize("plain", [64, 95, 96, 97, 128])
def test_round_trip_at_each_padding_edge(plain):
    # Plaintexts of 0, 31, 32 (0), 33 (1) and 0 bytes mod 32: a full block gets a whole block
    # of padding, one byte short gets one byte.
    crypto = _crypto(PY)
    message = "x" * (plain - _plain_length("", PY["corp"]))
    assert _plain_length(message, PY["corp"]) == plain
    ciphertext = crypto.encrypt(message)
    raw = base64.b64decode(ciphertext)
    assert len(raw) == plain + (BLOCK - plain % BLOCK)
    assert crypto.decrypt(ciphertext) == message


@pytest.mark.parametrize("size", range(0, 70))
def test_round_trip_every_length(size):
    crypto = _crypto(PHP)
    message = "é" * size
    assert crypto.decrypt(crypto.encrypt(message)) == message


def test_round_trip_chinese_and_xml():
    crypto = _crypto(PY)
    message = text_message(
        corp_id=PY["corp"], user="zhangsan", content="3-1-1202 卫生间渗漏 <&>", msg_id="1"
    )
    assert crypto.decrypt(crypto.encrypt(message)) == message
    assert parse_fields(message)["Content"] == "3-1-1202 卫生间渗漏 <&>"


def test_seal_then_open():
    crypto = _crypto(PY)
    message = text_message(corp_id=PY["corp"], user="lisi", content="/mylist", msg_id="42")
    sealed = crypto.seal(message, timestamp="1700000000", nonce="n1", agent_id="1000002")
    fields = crypto.open(sealed.body, **sealed.query())
    assert fields["Content"] == "/mylist"
    assert fields["MsgId"] == "42"
    assert b"<AgentID>1000002</AgentID>" in sealed.body


def test_wrong_key_is_refused():
    ciphertext = _crypto(PY).encrypt("hello")
    other = CallbackCrypto(PY["token"], PHP["key"], PY["corp"])
    with pytest.raises(CryptoError) as refused:
        other.decrypt(ciphertext)
    assert refused.value.reason in {Reason.bad_padding, Reason.bad_length, Reason.foreign_corp}


def test_wrong_corp_id_is_refused():
    ciphertext = _crypto(PY, corp="ww_someone_else").encrypt("hello")
    with pytest.raises(CryptoError) as refused:
        _crypto(PY).decrypt(ciphertext)
    assert refused.value.reason is Reason.foreign_corp


def test_a_corp_id_that_only_starts_like_ours_is_refused():
    ciphertext = _crypto(PY, corp=PY["corp"] + "x").encrypt("hello")
    with pytest.raises(CryptoError) as refused:
        _crypto(PY).decrypt(ciphertext)
    assert refused.value.reason is Reason.foreign_corp


def _flip(ciphertext: str, index: int) -> str:
    raw = bytearray(base64.b64decode(ciphertext))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_a_flipped_byte_breaks_the_signature():
    crypto = _crypto(PY)
    sealed = crypto.seal("<xml><MsgId>1</MsgId></xml>", timestamp="1", nonce="2")
    for index in (0, 20, len(base64.b64decode(sealed.ciphertext)) - 1):
        flipped = _flip(sealed.ciphertext, index)
        with pytest.raises(CryptoError) as refused:
            crypto.verify_url(sealed.msg_signature, sealed.timestamp, sealed.nonce, flipped)
        assert refused.value.reason is Reason.bad_signature


def test_a_flipped_byte_in_the_last_block_breaks_the_padding():
    crypto = _crypto(PY)
    ciphertext = crypto.encrypt("hello")
    last = len(base64.b64decode(ciphertext)) - 1
    with pytest.raises(CryptoError) as refused:
        crypto.decrypt(_flip(ciphertext, last))
    assert refused.value.reason in {Reason.bad_padding, Reason.foreign_corp}


def test_a_length_that_does_not_fit_is_refused():
    crypto = _crypto(PY)
    # The second block's first 4 plaintext bytes are the length: flip the length's top byte
    # through the first block (CBC), so it claims far more than there is.
    ciphertext = crypto.encrypt("hello")
    raw = bytearray(base64.b64decode(ciphertext))
    raw[0] ^= 0x80  # first block byte 0 -> plaintext byte 16, the length's top byte
    with pytest.raises(CryptoError) as refused:
        crypto.decrypt(base64.b64encode(bytes(raw)).decode())
    assert refused.value.reason is Reason.bad_length


def test_bad_signature_is_refused():
    crypto = _crypto(PHP)
    forged = dict(PHP_VERIFY, msg_signature="0" * 40)
    with pytest.raises(CryptoError) as refused:
        crypto.verify_url(**forged)
    assert refused.value.reason is Reason.bad_signature
    with pytest.raises(CryptoError):
        crypto.verify_url(**dict(PHP_VERIFY, nonce="263014781"))
    with pytest.raises(CryptoError):
        _crypto(dict(PHP, token="QDG6eL")).verify_url(**PHP_VERIFY)


def test_a_signature_in_capitals_still_matches():
    _crypto(PHP).check(
        PHP_VERIFY["msg_signature"].upper(),
        PHP_VERIFY["timestamp"],
        PHP_VERIFY["nonce"],
        PHP_VERIFY["echostr"],
    )


@pytest.mark.parametrize(
    ("ciphertext", "reason"),
    [
        ("not base64!", Reason.bad_base64),
        ("", Reason.bad_block),
        (base64.b64encode(b"x" * 20).decode(), Reason.bad_block),
    ],
)
def test_malformed_ciphertext_is_refused(ciphertext, reason):
    with pytest.raises(CryptoError) as refused:
        _crypto(PY).decrypt(ciphertext)
    assert refused.value.reason is reason


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b"<xml><ToUserName>x</ToUserName></xml>",
        b'<!DOCTYPE xml [<!ENTITY e "boom">]><xml><Encrypt>&e;</Encrypt></xml>',
    ],
    ids=["not-xml", "no-encrypt", "entity"],
)
def test_malformed_envelopes_are_refused(body):
    with pytest.raises(CryptoError) as refused:
        _crypto(PY).open(body, msg_signature="x", timestamp="1", nonce="2")
    assert refused.value.reason in {Reason.bad_xml, Reason.no_encrypt}


def test_bad_settings_are_refused_without_echoing_the_key():
    with pytest.raises(ValueError) as bad:
        CallbackCrypto("token", "short-secret-key", "ww1")
    assert "short-secret-key" not in str(bad.value)
    with pytest.raises(ValueError):
        CallbackCrypto("", PY["key"], "ww1")
    with pytest.raises(ValueError):
        CallbackCrypto("token", PY["key"], "")
    assert PY["token"] not in repr(_crypto(PY))


def test_refusals_name_no_secret():
    crypto = _crypto(PY)
    with pytest.raises(CryptoError) as refused:
        crypto.verify_url("0" * 40, "1", "2", crypto.encrypt("secret content"))
    assert "secret content" not in str(refused.value)
    assert PY["token"] not in str(refused.value)


def test_member_messages_parse_back():
    corp = PY["corp"]
    image = parse_fields(
        image_message(
            corp_id=corp, user="u1", media_id="M1", pic_url="http://p", msg_id="7", created=0
        )
    )
    assert image == {
        "ToUserName": corp,
        "FromUserName": "u1",
        "CreateTime": "0",
        "MsgType": "image",
        "PicUrl": "http://p",
        "MediaId": "M1",
        "MsgId": "7",
        "AgentID": "1000002",
    }
    doc = parse_fields(
        file_message(corp_id=corp, user="u1", media_id="F1", file_name="清单.xlsx", file_size=9)
    )
    assert (doc["MsgType"], doc["MediaId"], doc["FileName"], doc["FileSize"]) == (
        "file",
        "F1",
        "清单.xlsx",
        "9",
    )
    assert doc["MsgId"].isdigit()
    click = parse_fields(
        template_card_event(
            corp_id=corp,
            user="u1",
            event_key="rp:12:3",
            task_id="t-1",
            response_code="rc",
            created=1700000000,
        )
    )
    assert click == {
        "ToUserName": corp,
        "FromUserName": "u1",
        "CreateTime": "1700000000",
        "MsgType": "event",
        "Event": "template_card_event",
        "EventKey": "rp:12:3",
        "TaskId": "t-1",
        "CardType": "button_interaction",
        "ResponseCode": "rc",
        "AgentID": "1000002",
    }


def test_nested_elements_are_left_out():
    xml = inner_xml({"MsgType": "event"}).replace(
        "</xml>", "<SelectedItems><SelectedItem>a</SelectedItem></SelectedItems></xml>"
    )
    assert parse_fields(xml) == {"MsgType": "event"}
