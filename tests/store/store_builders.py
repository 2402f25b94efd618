"""Small records built in code for store tests: own short articles, every field of RECORD.md used."""

from __future__ import annotations

from pathlib import Path

from cyberops.record import Claim, Entity, Incident, Record, Span, Speaker


def span_of(text: str, part: str) -> Span:
    start = text.index(part)
    return Span(start, start + len(part))


def denial_record(
    record_id: str = "doc-visma",
    url: str | None = "https://news.example.org/2019/visma?utm_source=feed",
    published: str | None = "2019-02-07",
    outlet: str | None = "Nordic Wire",
) -> Record:
    """China denies that APT10 broke into a Norwegian software company."""
    title = "China rejects Visma hacking accusations"
    text = (
        f"{title}\n\n"
        "Reports said hackers from APT10, a group linked to China's Ministry of State Security, "
        "broke into the Norwegian software company Visma to steal trade secrets. "
        "Foreign ministry spokeswoman Hua Chunying rejected the accusations as groundless."
    )
    apt10 = Entity(
        "e1", "APT10", "threat_actor", "CN", ["Stone Panda", "menuPass"], {"mitre": "G0045"},
        [span_of(text, "APT10")],
    )  # fmt: skip
    hua = Entity("e2", "Hua Chunying", "person", "CN", [], {}, [span_of(text, "Hua Chunying")], role="spokeswoman")
    report = span_of(text, "Reports said hackers from APT10")
    report = Span(report.start, text.index("trade secrets.") + len("trade secrets."))
    denial = span_of(text, "Foreign ministry spokeswoman Hua Chunying rejected the accusations as groundless.")
    return Record(
        id=record_id,
        text=text,
        url=url,
        title=title,
        language="en",
        published=published,
        relevant=True,
        entities=[apt10, hua],
        incidents=[
            Incident("i1", "reported", ["espionage"], ["NO"], ["technology"], ["CN"], ["APT10"], [report])
        ],
        claims=[
            Claim("c1", "attribution", Speaker(), None, "CN", "APT10", None, True, "i1", [report], ["linked to"]),
            Claim(
                "c2", "denial", Speaker("Hua Chunying", "spokeswoman", "e2"), "CN", "CN", None, None, False, "i1",
                [denial], ["rejected"],
            ),
        ],  # fmt: skip
        outlet=outlet,
        analyzer="cyberops/test",
    )


def sanction_record(record_id: str = "doc-sanctions") -> Record:
    """The EU sanctions Russian GRU officers over the Bundestag hack (French)."""
    title = "L'UE sanctionne des officiers du GRU pour le piratage du Bundestag"
    text = (
        f"{title}\n\n"
        "L'Union européenne a imposé jeudi des sanctions à deux officiers du renseignement militaire russe, "
        "accusés d'avoir piraté le Bundestag en 2015 avec le groupe APT28, aussi appelé Fancy Bear. "
        "Moscou a démenti toute implication."
    )
    apt28 = Entity(
        "e1", "APT28", "threat_actor", "RU", ["Fancy Bear", "Sofacy"], {"mitre": "G0007"},
        [span_of(text, "APT28"), span_of(text, "Fancy Bear")],
    )  # fmt: skip
    sentence = span_of(text, "L'Union européenne a imposé jeudi des sanctions")
    sentence = Span(sentence.start, text.index("Fancy Bear.") + len("Fancy Bear."))
    denial = span_of(text, "Moscou a démenti toute implication.")
    return Record(
        id=record_id,
        text=text,
        url="https://presse.example.fr/ue-sanctions-gru#commentaires",
        title=title,
        language="fr",
        published="2020-10-22",
        relevant=True,
        entities=[apt28],
        incidents=[Incident("i1", "referenced", ["hack_and_leak", "espionage"], ["DE"], [], ["RU"], ["APT28"], [sentence])],
        claims=[
            Claim("c1", "response", Speaker("Union européenne"), "EU", "RU", "APT28", "sanction", False, "i1", [sentence]),
            Claim("c2", "denial", Speaker("Moscou"), "RU", "RU", None, None, False, "i1", [denial]),
        ],
        outlet="Le Quotidien",
        analyzer="cyberops/test",
    )


def ransomware_record(record_id: str = "doc-ransom", published: str | None = "2021-05-09") -> Record:
    """A US pipeline hit by ransomware; the FBI attributes it to a criminal group, no state."""
    title = "Colonial Pipeline shuts down after ransomware attack"
    text = (
        f"{title}\n\n"
        "The largest fuel pipeline in the United States halted operations after a ransomware attack. "
        "The FBI said the DarkSide group was responsible."
    )
    darkside = Entity("e1", "DarkSide", "threat_actor", None, [], {}, [span_of(text, "DarkSide")])
    attack = span_of(text, "The largest fuel pipeline in the United States halted operations after a ransomware attack.")
    fbi = span_of(text, "The FBI said the DarkSide group was responsible.")
    return Record(
        id=record_id,
        text=text,
        url="https://wire.example.com/colonial",
        title=title,
        language="en",
        published=published,
        relevant=True,
        entities=[darkside],
        incidents=[Incident("i1", "reported", ["ransomware"], ["US"], ["energy"], [], ["DarkSide"], [attack])],
        claims=[Claim("c1", "attribution", Speaker("FBI"), "US", None, "DarkSide", None, False, "i1", [fbi])],
        outlet="Nordic Wire",
        analyzer="cyberops/test",
    )


def weather_record(record_id: str = "doc-weather") -> Record:
    """Not about cyber operations: no entities, no claims, no date."""
    text = "Storm expected in the valley\n\nHeavy rain and strong winds are expected over the weekend."
    return Record(id=record_id, text=text, title="Storm expected in the valley", language="en", relevant=False)


def all_records() -> list[Record]:
    return [denial_record(), sanction_record(), ransomware_record(), weather_record()]


# A short article for the real analyzer: an attribution and a denial.
ARTICLE = """Hackers broke into the network of {company}

Norwegian police said on Monday that hackers linked to China's Ministry of State Security broke into the network of {company}, a software maker in Oslo, and stole trade secrets.

China's foreign ministry rejected the accusation as groundless.
"""


def write_articles(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = folder / f"article-{number:03d}.txt"
        path.write_text(ARTICLE.format(company=f"Nordsoft {number}"), encoding="utf-8")
        paths.append(path)
    return paths
