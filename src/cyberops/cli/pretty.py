"""The human view of a record: claims and incidents with their evidence sentences."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cyberops.record import Record, Span

_KIND_VERBS = {
    "attribution": "attributes to",
    "denial": "denies",
    "counter_accusation": "accuses in return",
    "response": "responds against",
    "admission": "admits",
    "cooperation": "calls for cooperation with",
}


def render_record(record: Record, console: Console) -> None:
    header = Text()
    header.append(record.title or record.id, style="bold")
    header.append(
        f"\n{record.id}  language={record.language}  published={record.published}  relevant={record.relevant}"
    )
    if record.url:
        header.append(f"\n{record.url}", style="dim")
    console.print(Panel(header, expand=True))
    if not record.relevant:
        console.print("[dim]Not about a cyber operation: nothing extracted.[/dim]\n")
        return
    _render_claims(record, console)
    _render_incidents(record, console)
    _render_entities(record, console)


def _sentence(record: Record, span: Span, highlight: list[str] | None = None) -> Text:
    # Article text is untrusted: it is shown as plain text, never as markup.
    text = Text(record.text[span.start : span.end].replace("\n", " "))
    for cue in highlight or []:
        text.highlight_words([cue], style="bold yellow", case_sensitive=False)
    return text


def _render_claims(record: Record, console: Console) -> None:
    if not record.claims:
        console.print("[dim]No claims.[/dim]")
    for claim in record.claims:
        speaker = claim.speaker.name or "(unnamed source)"
        title = Text()
        title.append(f"{claim.kind.upper()}  ", style="bold magenta")
        title.append(f"{speaker} [{claim.speaker_state or '?'}]")
        title.append(f" {_KIND_VERBS.get(claim.kind, claim.kind)} ")
        title.append(f"{claim.subject_state or claim.subject_actor or '—'}", style="bold")
        extras = [f"measure={claim.measure}"] if claim.measure else []
        if claim.hedged:
            extras.append("hedged")
        if claim.speaker.role:
            extras.append(f"role: {claim.speaker.role}")
        if extras:
            title.append("  (" + ", ".join(extras) + ")", style="dim")
        body = Text()
        for span in claim.evidence[:3]:
            body.append("  “")
            body.append_text(_sentence(record, span, claim.cues))
            body.append("”\n")
        console.print(title)
        console.print(body)


def _render_incidents(record: Record, console: Console) -> None:
    table = Table(title="Incidents", show_lines=True, expand=True)
    for column in ("id", "status", "types", "victims", "attributed to", "actors", "evidence"):
        table.add_column(column, overflow="fold")
    for incident in record.incidents:
        evidence = _sentence(record, incident.evidence[0]) if incident.evidence else Text("")
        table.add_row(
            incident.id,
            incident.status,
            ", ".join(incident.types),
            ", ".join(incident.victim_states),
            ", ".join(incident.attributed_states),
            ", ".join(incident.actors),
            evidence,
        )
    console.print(table)


def _render_entities(record: Record, console: Console) -> None:
    table = Table(title="Entities", expand=True)
    for column in ("name", "type", "state", "kb", "mentions"):
        table.add_column(column, overflow="fold")
    for entity in record.entities:
        kb = " ".join(f"{k}:{v}" for k, v in entity.kb.items() if k in ("mitre", "misp"))
        table.add_row(entity.name, entity.type, entity.state or "", kb[:60], str(len(entity.mentions)))
    console.print(table)
