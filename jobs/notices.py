"""What a push says, in no platform's terms: text, choices and attachments for one person.

One definition, with the flows' screens (handlers/screens.py): a push and a flow's notice to
someone else are the same thing, and a Delivery finds the person's account on its platform.
"""

from __future__ import annotations

from handlers.choices import Choice
from handlers.screens import Attachment, Notice

__all__ = ["Attachment", "Choice", "Notice"]
