"""A short hand-written record in the RECORD.md shape, the input of every export test.

The text is our own; offsets are computed from it so the example stays consistent when edited.
"""

from __future__ import annotations

from cyberops.record import Claim, Entity, Incident, Record, Span, Speaker

TEXT = (
    "Norway says hackers linked to China broke into the software firm Visma. "
    "Foreign ministry spokesperson Hua Chunying rejected the accusation on Tuesday. "
    "She said certain countries ran PRISM and that the Equation Group built tools later used by WannaCry. "
    "Beijing called for dialogue on cyberspace norms. "
    "Separately, the EU imposed sanctions on APT28 over an attack on the German parliament."
)

# Real MISP galaxy uuids and MITRE ids, as the KB stores them on entities.
APT28_MISP = "5b4ee3ea-eee3-4c8e-8323-85ae32658754"
WANNACRY_MISP = "d62ab8d5-4ba1-4c45-8a63-13fdb099b33c"


def span(text: str, nth: int = 0) -> Span:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(text, start + 1)
    return Span(start, start + len(text))


def sentence(words: str) -> Span:
    """The whole sentence containing ``words``."""
    at = TEXT.index(words)
    start = TEXT.rfind(". ", 0, at)
    start = 0 if start < 0 else start + 2
    end = TEXT.index(".", at) + 1
    return Span(start, end)


def make_record(record_id: str = "ex-001") -> Record:
    return Record(
        id=record_id,
        text=TEXT,
        url="https://news.example/article/cyber-visma-ministère",
        title="China rejects accusations of hacking Visma",
        language="en",
        published="2019-02-19",
        relevant=True,
        outlet="Example News",
        analyzer="cyberops/test",
        entities=[
            Entity("e1", "Visma", "organization", "NO", mentions=[span("Visma")]),
            Entity(
                "e2",
                "Hua Chunying",
                "person",
                "CN",
                role="foreign ministry spokesperson",
                mentions=[span("Hua Chunying")],
            ),
            Entity(
                "e3",
                "Equation Group",
                "threat_actor",
                "US",
                aliases=["EQGRP"],
                kb={"mitre": "G0020"},
                mentions=[span("Equation Group")],
            ),
            Entity(
                "e4",
                "WannaCry",
                "malware",
                None,
                aliases=["WCry"],
                kb={"misp": WANNACRY_MISP, "mitre": "S0366"},
                mentions=[span("WannaCry")],
            ),
            Entity("e5", "PRISM", "operation", "US", mentions=[span("PRISM")]),
            Entity(
                "e6",
                "APT28",
                "threat_actor",
                "RU",
                aliases=["Fancy Bear", "Sofacy"],
                kb={"misp": APT28_MISP, "mitre": "G0007"},
                mentions=[span("APT28")],
            ),
        ],
        incidents=[
            Incident(
                "i1",
                "reported",
                ["espionage"],
                victim_states=["NO"],
                victim_sectors=["technology"],
                attributed_states=["CN"],
                evidence=[sentence("broke into")],
            ),
            Incident("i2", "referenced", ["ransomware"], actors=["WannaCry"], evidence=[sentence("WannaCry")]),
            Incident(
                "i3",
                "reported",
                ["espionage"],
                victim_states=["DE"],
                attributed_states=["RU"],
                actors=["APT28"],
                evidence=[sentence("German parliament")],
            ),
        ],
        claims=[
            Claim(
                "c1",
                "attribution",
                Speaker("Norway"),
                speaker_state="NO",
                subject_state="CN",
                hedged=True,
                incident="i1",
                evidence=[sentence("broke into")],
                cues=["linked to"],
            ),
            Claim(
                "c2",
                "denial",
                Speaker("Hua Chunying", "foreign ministry spokesperson", "e2"),
                speaker_state="CN",
                subject_state="CN",
                incident="i1",
                evidence=[sentence("rejected")],
                cues=["rejected"],
            ),
            Claim(
                "c3",
                "counter_accusation",
                Speaker("Hua Chunying", None, "e2"),
                speaker_state="CN",
                evidence=[sentence("certain countries")],
                cues=["certain countries"],
            ),
            Claim("c4", "cooperation", Speaker("Beijing"), speaker_state="CN", evidence=[sentence("dialogue")]),
            Claim(
                "c5",
                "response",
                Speaker("EU"),
                speaker_state="EU",
                subject_state="RU",
                subject_actor="APT28",
                measure="sanction",
                incident="i3",
                evidence=[sentence("sanctions")],
            ),
        ],
    )
