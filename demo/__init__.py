"""The demo: one realistic project with flats, contractors, people and a month of items.

Data seeding only (it imports models, nothing of a chat platform): cast.py sets up the project
and its people, words.py holds what they write, history.py plans and replays the month, build.py
puts it together. `python -m bot demo` (and `make demo`) builds it and opens a console on it.
"""

from demo.build import DemoSummary, build_demo
from demo.cast import (
    ADMIN_ID,
    CLERK_ID,
    FIRST_CONTRACTOR_ID,
    INSPECTOR_IDS,
    MANAGER_ID,
    PROJECT_NAME,
    SERVICE_ID,
    TIMEZONE,
    Persona,
)

__all__ = [
    "ADMIN_ID",
    "CLERK_ID",
    "FIRST_CONTRACTOR_ID",
    "INSPECTOR_IDS",
    "MANAGER_ID",
    "PROJECT_NAME",
    "SERVICE_ID",
    "TIMEZONE",
    "DemoSummary",
    "Persona",
    "build_demo",
]
