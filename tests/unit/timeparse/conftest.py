"""Shared fixtures for the timeparse tests: a pinned Wednesday afternoon in Shanghai and in New York."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def now() -> datetime:
    """Wednesday 2024-08-07 15:00 in Shanghai (this week runs Mon Aug 5 - Mon Aug 12)."""
    return datetime(2024, 8, 7, 15, tzinfo=SHANGHAI)
