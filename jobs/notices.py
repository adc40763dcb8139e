"""What a push says, in no platform's terms: the flows' own Notice and Attachment, one definition.

A push is a notice to one person (text in the flows' markup, choices, attachments); each
platform's Delivery finds the person's account on it and sends the parts.
"""

from __future__ import annotations

from handlers.choices import Choice
from handlers.screens import Attachment, Notice

__all__ = ["Attachment", "Choice", "Notice"]
