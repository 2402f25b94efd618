"""Records built in code for web tests: our own short articles, spans found in the text so they always agree."""

from __future__ import annotations

from cyberops.correlate import build_dossiers
from cyberops.record import Claim, Entity, Incident, Record, Span, Speaker
from cyberops.store import RecordStore

HOSTILE_MARKUP = (
    "<script>window.__pwned = 'script'; document.title = 'pwned';</script>",
    "<img src=x onerror=\"window.__pwned = 'onerror'\">",
    "<a href=\"javascript:window.__pwned='link'\">read the report</a>",
)


def span(text: str, part: str) -> Span:
    start = text.index(part)
    return Span(start, start + len(part))


def sentence(text: str, first_words: str, last_words: str) -> Span:
    start = text.index(first_words)
    return Span(start, text.index(last_words, start) + len(last_words))


def beijing_denial() -> Record:
    """China denies hacking a Norwegian firm and answers by naming the Equation Group (US)."""
    title = "China rejects cyber espionage accusations"
    text = (
        f"{title}\n\n"
        "Security researchers said hackers working for China's Ministry of State Security broke into "
        "the Norwegian software firm Nordsoft to steal client data. "
        "Foreign ministry spokeswoman Hua Chunying rejected the accusations as groundless. "
        "She said the United States, home of the Equation Group, was the biggest threat to cyberspace."
    )
    report = sentence(text, "Security researchers said", "client data.")
    denial = sentence(text, "Foreign ministry spokeswoman", "as groundless.")
    counter = sentence(text, "She said the United States", "threat to cyberspace.")
    return Record(
        id="web-beijing",
        text=text,
        url="https://news.example.org/2019/02/china-rejects",
        title=title,
        language="en",
        published="2019-02-07",
        relevant=True,
        entities=[
            Entity("e1", "Hua Chunying", "person", "CN", [], {}, [span(text, "Hua Chunying")], role="spokeswoman"),
            Entity(
                "e2",
                "Equation Group",
                "threat_actor",
                "US",
                ["EQGRP", "Tilded Team"],
                {"mitre": "G0020", "misp": "0ad1a6a2-0000-4000-8000-000000000020"},
                [span(text, "Equation Group")],
            ),
        ],  # fmt: skip
        incidents=[Incident("i1", "reported", ["espionage"], ["NO"], ["technology"], ["CN"], [], [report])],
        claims=[
            Claim(
                "c1", "attribution", Speaker(), None, "CN", None, None, True, "i1", [report], ["said", "working for"]
            ),
            Claim(
                "c2",
                "denial",
                Speaker("Hua Chunying", "foreign ministry spokeswoman", "e1"),
                "CN",
                "CN",
                None,
                None,
                False,
                "i1",
                [denial],
                ["rejected the accusations"],
            ),
            Claim(
                "c3",
                "counter_accusation",
                Speaker("Hua Chunying", None, "e1"),
                "CN",
                "US",
                None,
                None,
                False,
                None,
                [counter],
                ["biggest threat"],
            ),
        ],  # fmt: skip
        outlet="Nordic Wire",
        analyzer="cyberops/test",
    )


def washington_blames_moscow() -> Record:
    """The US attributes a hack to Russia and sanctions it; the Kremlin denies."""
    title = "Washington blames Moscow for pipeline hack and imposes sanctions"
    text = (
        f"{title}\n\n"
        "The White House said Russian military intelligence hackers known as APT28 broke into a gas pipeline "
        "operator in Texas. "
        "The Treasury Department imposed sanctions on six Russian officers. "
        "Kremlin spokesman Dmitry Peskov denied any Russian involvement."
    )
    report = sentence(text, "The White House said", "in Texas.")
    sanctions = sentence(text, "The Treasury Department", "Russian officers.")
    denial = sentence(text, "Kremlin spokesman", "Russian involvement.")
    return Record(
        id="web-washington",
        text=text,
        url="https://wire.example.com/us-russia-pipeline",
        title=title,
        language="en",
        published="2021-06-10",
        relevant=True,
        entities=[
            Entity(
                "e1", "APT28", "threat_actor", "RU", ["Fancy Bear", "Sofacy"], {"mitre": "G0007"}, [span(text, "APT28")]
            ),
            Entity("e2", "Dmitry Peskov", "person", "RU", [], {}, [span(text, "Dmitry Peskov")], role="spokesman"),
        ],
        incidents=[Incident("i1", "reported", ["sabotage"], ["US"], ["energy"], ["RU"], ["APT28"], [report])],
        claims=[
            Claim(
                "c1", "attribution", Speaker("White House"), "US", "RU", "APT28", None, False, "i1", [report], ["said"]
            ),
            Claim(
                "c2",
                "response",
                Speaker("Treasury Department"),
                "US",
                "RU",
                None,
                "sanction",
                False,
                "i1",
                [sanctions],
                ["imposed sanctions"],
            ),
            Claim(
                "c3",
                "denial",
                Speaker("Dmitry Peskov", "Kremlin spokesman", "e2"),
                "RU",
                "RU",
                None,
                None,
                False,
                "i1",
                [denial],
                ["denied"],
            ),
        ],  # fmt: skip
        outlet="Capitol Report",
        analyzer="cyberops/test",
    )


def paris_follow_up() -> Record:
    """A French follow-up on the pipeline hack: same operation, another language."""
    title = "Piratage d'un oléoduc : Moscou dément"
    text = (
        f"{title}\n\n"
        "Les États-Unis accusent le groupe APT28, lié au renseignement militaire russe, d'avoir piraté un oléoduc au Texas. "
        "Le Kremlin a démenti toute implication."
    )
    report = sentence(text, "Les États-Unis accusent", "au Texas.")
    denial = sentence(text, "Le Kremlin a démenti", "implication.")
    return Record(
        id="web-paris",
        text=text,
        url="https://presse.example.fr/oleoduc",
        title=title,
        language="fr",
        published="2021-06-12",
        relevant=True,
        entities=[
            Entity(
                "e1", "APT28", "threat_actor", "RU", ["Fancy Bear", "Sofacy"], {"mitre": "G0007"}, [span(text, "APT28")]
            )
        ],
        incidents=[Incident("i1", "reported", ["sabotage"], ["US"], [], ["RU"], ["APT28"], [report])],
        claims=[
            Claim("c1", "attribution", Speaker(), "US", "RU", "APT28", None, True, "i1", [report], ["accusent"]),
            Claim("c2", "denial", Speaker("Kremlin"), "RU", "RU", None, None, False, "i1", [denial], ["a démenti"]),
        ],
        outlet="Le Quotidien",
        analyzer="cyberops/test",
    )


def hostile_record() -> Record:
    """An article whose text, title, outlet and URL carry markup and script: all of it must stay inert text."""
    title = "<script>document.title='pwned'</script>Ransomware hits <b>city hall</b>"
    text = (
        f"{title}\n\n"
        f"Attackers claimed the attack in a note reading {HOSTILE_MARKUP[0]} and {HOSTILE_MARKUP[1]}. "
        f"Officials said the LockBit gang was behind it; {HOSTILE_MARKUP[2]}."
    )
    claim = sentence(text, "Officials said the LockBit", "read the report</a>.")
    return Record(
        id="web-hostile",
        text=text,
        url="javascript:window.__pwned='source'",
        title=title,
        language="en",
        published="2022-03-01",
        relevant=True,
        entities=[
            Entity(
                "e1",
                "LockBit<img src=x onerror=\"window.__pwned='entity'\">",
                "malware",
                None,
                [],
                {"misp": "<script>window.__pwned='kb'</script>"},
                [span(text, "LockBit")],
            )
        ],  # fmt: skip
        incidents=[Incident("i1", "reported", ["ransomware"], ["FR"], [], [], [], [span(text, HOSTILE_MARKUP[1])])],
        claims=[
            Claim(
                "c1",
                "attribution",
                Speaker("<img src=x onerror=\"window.__pwned='speaker'\">"),
                None,
                None,
                "LockBit",
                None,
                False,
                "i1",
                [claim],
                ["<script>window.__pwned='cue'</script>"],
            )
        ],  # fmt: skip
        outlet="<i onmouseover=\"window.__pwned='outlet'\">Evil Times</i>",
        analyzer="cyberops/test",
    )


def web_records() -> list[Record]:
    return [beijing_denial(), washington_blames_moscow(), paris_follow_up(), hostile_record()]


def fill(store: RecordStore, records: list[Record] | None = None) -> list[str]:
    """Save the records and their dossiers; return the dossier ids, oldest first."""
    records = records or web_records()
    for record in records:
        store.save(record, raw=f"<html><body>{record.text}</body></html>", source="test")
    dossiers = build_dossiers(records)
    store.save_dossiers(
        {"id": d.id, "key": d.key, "title": d.title, "document_ids": d.documents, "payload": d.to_dict()}
        for d in dossiers
    )
    return [d.id for d in dossiers]
