"""Geometry for the server-rendered SVG pictures: the who-accuses-whom matrix and claims over time.

Only numbers and labels are computed here; the template writes the SVG
elements, escaping every label, so the pictures need no JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cyberops.web.queries import Matrix

CELL = 40
LABEL = 56
KIND_ORDER = ("attribution", "denial", "counter_accusation", "response", "admission", "cooperation")


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    size: int
    count: int
    level: int  # 0..4, the shade class
    diagonal: bool
    title: str


@dataclass
class MatrixChart:
    width: int
    height: int
    states: list[str]
    cells: list[Cell] = field(default_factory=list)
    label_at: int = LABEL
    cell: int = CELL


def matrix_chart(matrix: Matrix) -> MatrixChart:
    states = matrix.states
    size = LABEL + CELL * len(states) + 8
    chart = MatrixChart(max(size, 200), size, states)
    values = [v for row in matrix.cells.values() for v in row.values()] + list(matrix.denials.values())
    top = max(values, default=0)
    for i, accuser in enumerate(states):
        for j, accused in enumerate(states):
            diagonal = i == j
            count = matrix.denials.get(accuser, 0) if diagonal else matrix.cells.get(accuser, {}).get(accused, 0)
            title = f"{accuser} denies: {count}" if diagonal else f"{accuser} accuses {accused}: {count}"
            chart.cells.append(
                Cell(LABEL + j * CELL, LABEL + i * CELL, CELL - 2, count, _level(count, top), diagonal, title)
            )
    return chart


def _level(count: int, top: int) -> int:
    if count <= 0 or top <= 0:
        return 0
    return min(4, 1 + (4 * count - 1) // top)


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    kind: str
    title: str


@dataclass
class TimelineChart:
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    ticks: list[tuple[int, str]] = field(default_factory=list)  # x, month label
    kinds: list[str] = field(default_factory=list)
    top: int = 0
    baseline: int = 0


def timeline_chart(matrix: Matrix, height: int = 180, max_width: int = 900) -> TimelineChart:
    """Claims per month, stacked by kind; months without claims keep their place so time reads evenly."""
    months = _every_month(matrix.months)
    kinds = [k for k in KIND_ORDER if k in matrix.per_month] + sorted(set(matrix.per_month) - set(KIND_ORDER))
    step = max(4, min(40, (max_width - 40) // max(1, len(months))))
    # Room on the right for the last month's label, which starts at its bar and runs about 60 pixels.
    chart = TimelineChart(40 + step * len(months) + 60, height + 30, kinds=kinds, baseline=height)
    totals = [sum(matrix.per_month[k].get(m, 0) for k in kinds) for m in months]
    chart.top = max(totals, default=0)
    if not chart.top:
        return chart
    label_every = max(1, -(-64 // step))  # a label needs about 64 pixels
    for n, month in enumerate(months):
        x = 40 + n * step
        y = height
        for kind in kinds:
            count = matrix.per_month[kind].get(month, 0)
            if not count:
                continue
            h = max(1, round(count * (height - 10) / chart.top))
            y -= h
            chart.bars.append(Bar(x, y, max(2, step - 2), h, kind, f"{month}: {count} {kind}"))
        if n % label_every == 0:
            chart.ticks.append((x, month))
    return chart


def _every_month(months: list[str], limit: int = 600) -> list[str]:
    """All months from the first to the last of ``months`` ("YYYY-MM"), at most ``limit`` (the latest)."""
    if not months:
        return []
    year, month = (int(p) for p in months[0].split("-"))
    last = months[-1]
    found: list[str] = []
    while True:
        current = f"{year:04d}-{month:02d}"
        found.append(current)
        if current >= last:
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found[-limit:]
