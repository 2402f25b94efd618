"""Fixtures of the export tests: the example record of export_builders and fixed export options."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from export_builders import make_record

from cyberops.export import ExportOptions
from cyberops.record import Record


@pytest.fixture
def record() -> Record:
    return make_record()


@pytest.fixture
def options() -> ExportOptions:
    return ExportOptions(timestamp=datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
