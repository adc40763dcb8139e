"""WeCom's callback crypto: the msg_signature, AES-256-CBC with the EncodingAESKey, the XML.

WeCom signs every callback with SHA-1 over the sorted token, timestamp, nonce and ciphertext,
and encrypts its payload with AES-256-CBC: the key is the base64 EncodingAESKey (43 characters
plus "="), the IV its first 16 bytes, PKCS#7 padding to a 32-byte block, and the plaintext is
random(16) + length(4, big-endian) + message + receive id (our corp id). Written over
`cryptography`; XML is read with defusedxml (no DTDs, no entities).

A refusal raises `CryptoError` with a `Reason`; its text never carries the token, the key or the
message. The signature is the only integrity check (CBC is malleable), so a caller checks it
before it decrypts: `open` and `verify_url` do.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct
from dataclasses import dataclass
from enum import StrEnum
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

__all__ = [
    "BLOCK",
    "CallbackCrypto",
    "CryptoError",
    "Reason",
    "Sealed",
    "envelope",
    "parse_fields",
]

BLOCK = 32  # WeCom pads to 32 bytes, not AES's 16
_RANDOM = 16
_LENGTH = struct.Struct(">I")
_KEY = re.compile(r"[A-Za-z0-9+/]{43}")


class Reason(StrEnum):
    """Why a callback was refused; safe to log (it names no secret and no content)."""

    bad_signature = "bad signature"
    bad_base64 = "ciphertext is not base64"
    bad_block = "ciphertext is not whole AES blocks"
    bad_padding = "bad padding"
    bad_length = "message length does not fit"
    foreign_corp = "receive id is not our corp id"
    bad_text = "message is not UTF-8"
    bad_xml = "malformed XML"
    no_encrypt = "no Encrypt element"


class CryptoError(Exception):
    """A callback that fails WeCom's crypto: forged, damaged or not meant for us."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Sealed:
    """A sealed callback as WeCom posts it: the XML body and the query that signs it."""

    body: bytes
    msg_signature: str
    timestamp: str
    nonce: str
    ciphertext: str

    def query(self) -> dict[str, str]:
        """Return the query string's parameters (msg_signature, timestamp, nonce)."""
        return {
            "msg_signature": self.msg_signature,
            "timestamp": self.timestamp,
            "nonce": self.nonce,
        }


class CallbackCrypto:
    """Sign, encrypt and decrypt WeCom callbacks for one app (token, EncodingAESKey, corp id)."""

    __slots__ = ("_cipher", "_corp", "_token", "corp_id")

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str) -> None:
        if not token:
            raise ValueError("the WeCom token is empty")
        if not corp_id:
            raise ValueError("the WeCom corp id is empty")
        if not _KEY.fullmatch(encoding_aes_key):
            # The message names the rule, never the key itself.
            raise ValueError("the EncodingAESKey must be 43 base64 characters (letters and digits)")
        key = base64.b64decode(encoding_aes_key + "=")
        self._token = token
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))
        self._corp = corp_id.encode()
        self.corp_id = corp_id

    def __repr__(self) -> str:
        return f"CallbackCrypto(corp_id={self.corp_id!r})"

    def signature(self, timestamp: str, nonce: str, ciphertext: str) -> str:
        """Return the msg_signature: SHA-1 hex of the sorted token, timestamp, nonce, ciphertext."""
        parts = sorted((self._token, timestamp, nonce, ciphertext))
        return hashlib.sha1("".join(parts).encode()).hexdigest()

    def check(self, msg_signature: str, timestamp: str, nonce: str, ciphertext: str) -> None:
        """Refuse a msg_signature that does not sign this timestamp, nonce and ciphertext."""
        expected = self.signature(timestamp, nonce, ciphertext).encode()
        if not hmac.compare_digest(expected, msg_signature.lower().encode()):
            raise CryptoError(Reason.bad_signature)

    def encrypt(self, message: str, *, random16: bytes | None = None) -> str:
        """Return the base64 ciphertext of `message` for our corp id (random16: for tests)."""
        prefix = os.urandom(_RANDOM) if random16 is None else random16
        if len(prefix) != _RANDOM:
            raise ValueError("random16 must be 16 bytes")
        text = message.encode()
        plain = prefix + _LENGTH.pack(len(text)) + text + self._corp
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes((pad,)) * pad
        encryptor = self._cipher.encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """Return the message in `ciphertext`; refuse bad padding, length or receive id."""
        try:
            raw = base64.b64decode(ciphertext, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError(Reason.bad_base64) from None
        if not raw or len(raw) % 16:
            raise CryptoError(Reason.bad_block)
        decryptor = self._cipher.decryptor()
        plain = decryptor.update(raw) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or pad > len(plain) or plain[-pad:] != bytes((pad,)) * pad:
            raise CryptoError(Reason.bad_padding)
        content = plain[:-pad]
        head = _RANDOM + _LENGTH.size
        if len(content) < head:
            raise CryptoError(Reason.bad_length)
        (length,) = _LENGTH.unpack_from(content, _RANDOM)
        if head + length > len(content):
            raise CryptoError(Reason.bad_length)
        receive_id = content[head + length :]
        if not hmac.compare_digest(receive_id, self._corp):
            raise CryptoError(Reason.foreign_corp)
        try:
            return content[head : head + length].decode()
        except UnicodeDecodeError:
            raise CryptoError(Reason.bad_text) from None

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """Return the plaintext echostr of WeCom's URL verification, once its signature holds."""
        self.check(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def open(
        self, body: bytes | str, *, msg_signature: str, timestamp: str, nonce: str
    ) -> dict[str, str]:
        """Return the fields of a posted callback: read the envelope, check, decrypt, parse."""
        ciphertext = envelope(body)
        self.check(msg_signature, timestamp, nonce, ciphertext)
        return parse_fields(self.decrypt(ciphertext))

    def seal(
        self,
        message: str,
        *,
        timestamp: str,
        nonce: str,
        agent_id: str = "",
        random16: bytes | None = None,
    ) -> Sealed:
        """Encrypt, sign and wrap `message` as WeCom posts a callback (offline stand-in, tests)."""
        ciphertext = self.encrypt(message, random16=random16)
        root = Element("xml")
        SubElement(root, "ToUserName").text = self.corp_id
        SubElement(root, "AgentID").text = agent_id
        SubElement(root, "Encrypt").text = ciphertext
        return Sealed(
            body=tostring(root, encoding="utf-8", xml_declaration=False),
            msg_signature=self.signature(timestamp, nonce, ciphertext),
            timestamp=timestamp,
            nonce=nonce,
            ciphertext=ciphertext,
        )


def _parse(xml: bytes | str) -> Element:
    try:
        return fromstring(xml, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        raise CryptoError(Reason.bad_xml) from None


def envelope(body: bytes | str) -> str:
    """Return the ciphertext in a callback's outer XML (<xml><ToUserName/><AgentID/><Encrypt/>)."""
    ciphertext = _parse(body).findtext("Encrypt")
    if not ciphertext:
        raise CryptoError(Reason.no_encrypt)
    return ciphertext


def parse_fields(xml: bytes | str) -> dict[str, str]:
    """Return a decrypted message's top-level fields (MsgType, Content, MsgId, Event, ...).

    An element that holds other elements (a card's SelectedItems) is left out: the flows use
    the flat fields only.
    """
    root = _parse(xml)
    if root.tag != "xml":
        raise CryptoError(Reason.bad_xml)
    return {child.tag: child.text or "" for child in root if len(child) == 0}
