"""Incident-type cues and the document rule, with the CASIE dev gate."""

from __future__ import annotations

import json

import pytest

from cyberops.nlp.incident_types import (
    EventPairs,
    IncidentTypeScanner,
    ThreatLists,
    TypeCue,
    document_types,
    type_scores,
)
from cyberops.nlp.incidents import build_incidents
from cyberops.nlp.lexicon import LexiconCache, LexiconError, available_languages, load_patterns
from cyberops.nlp.mentions import SentenceView
from cyberops.record import Entity, Span

EXAMPLES = [
    ("en", "ransomware", "Ransomware encrypted the council's files and the gang demanded a ransom in bitcoin."),
    ("en", "phishing", "A phishing campaign sent fake emails with malicious links to steal login credentials."),
    ("en", "data_breach", "The retailer disclosed a data breach exposing personal information of customers."),
    ("en", "vulnerability", "Researchers disclosed a critical vulnerability, CVE-2024-1234; a patch is available."),
    ("en", "ddos", "A DDoS attack knocked the bank's website offline with a flood of traffic."),
    ("en", "defacement", "Hackers defaced the ministry website, defacing the homepage with a message."),
    ("en", "sabotage", "Wiper malware destroyed data and caused a power outage at the grid operator: sabotage."),
    ("en", "espionage", "State-sponsored hackers ran a cyber-espionage campaign to steal trade secrets."),
    ("en", "espionage", "Russian military intelligence hackers penetrated government networks to gather intelligence."),
    ("en", "hack_and_leak", "The hack-and-leak operation published stolen emails to sway the election."),
    ("en", "financial_theft", "North Korean hackers stole cryptocurrency in a crypto heist on an exchange."),
    ("en", "surveillance", "The spyware Pegasus was used for surveillance of journalists and dissidents."),
    ("fr", "ransomware", "Un rançongiciel a chiffré les serveurs ; les pirates exigent une rançon."),
    ("fr", "phishing", "Une campagne d'hameçonnage par faux courriels vise les clients de la banque."),
    ("fr", "data_breach", "Une fuite de données a exposé les données personnelles de millions de clients."),
    ("fr", "vulnerability", "Une faille critique a été découverte ; la vulnérabilité est corrigée par un correctif."),
    ("fr", "ddos", "Une attaque par déni de service a rendu inaccessible le site du ministère."),
    ("fr", "defacement", "Le site de la mairie a été défiguré : la page d'accueil affichait un message."),
    ("fr", "sabotage", "Le sabotage du réseau électrique a provoqué des coupures de courant."),
    ("fr", "espionage", "Une campagne de cyberespionnage visait la propriété intellectuelle des industriels."),
    ("fr", "hack_and_leak", "Des courriels piratés de l'équipe de campagne ont été publiés : une ingérence."),
    (
        "fr",
        "financial_theft",
        "Les pirates ont dérobé des cryptomonnaies lors d'un braquage d'une plateforme d'échange.",
    ),
    ("fr", "surveillance", "Le logiciel espion Pegasus a servi à la surveillance de journalistes et d'opposants."),
]


@pytest.fixture(scope="module")
def scanner():
    return IncidentTypeScanner()


@pytest.mark.parametrize(("lang", "expected", "text"), EXAMPLES, ids=[f"{e[0]}-{e[1]}" for e in EXAMPLES])
def test_each_type_is_recognised(scanner, lang, expected, text):
    cues = scanner.scan(text, lang)
    assert all(text[c.start : c.end] == c.text for c in cues)
    assert document_types(cues, len(text))[0] == expected


def test_passing_mention_does_not_make_a_type():
    cues = [TypeCue("ransomware", 0, 10, "ransomware", 3.0)] * 5 + [TypeCue("phishing", 900, 905, "lured", 1.0)]
    assert document_types(cues, 2000) == ["ransomware"]


def test_repeats_of_one_word_saturate():
    # Thirty "data" are weaker evidence than thirty different breach words.
    same = [TypeCue("data_breach", i * 10, i * 10 + 4, "data", 0.5, "data") for i in range(30)]
    varied = [TypeCue("data_breach", i * 10, i * 10 + 4, f"w{i}", 0.5, f"w{i}") for i in range(30)]
    assert type_scores(same, 2500)["data_breach"] < type_scores(varied, 2500)["data_breach"] / 4


def _literal_examples():
    for lang in available_languages("incident_types"):
        for pattern in load_patterns("incident_types", lang).patterns:
            if not pattern.source.startswith("*"):
                yield lang, pattern.group, pattern.source


@pytest.mark.parametrize(("lang", "group", "source"), list(_literal_examples()))
def test_every_pattern_can_match(lang, group, source):
    # Each entry, written out, must be found as itself: no longer entry of
    # another group swallows it, and its wildcards compile as meant.
    text = source.replace("*", "").replace("~", " ")
    found = load_patterns("incident_types", lang).scan(text)
    assert [(m.group, m.pattern) for m in found] == [(group, source)]


def test_no_cues_no_types():
    assert document_types([], 100) == []


def test_groups_outside_the_closed_set_are_refused(tmp_path):
    cache = LexiconCache()
    from cyberops.nlp.lexicon import parse_lexicon

    bad = parse_lexicon({"groups": {"cyberwar": {"patterns": ["cyberwar"]}}}, "incident_types", ("xx",), "x")
    cache._cache[("incident_types", "xx")] = bad
    with pytest.raises(LexiconError, match="unknown incident type"):
        IncidentTypeScanner(lexicons=cache).scan("cyberwar", "xx")


def _event_cues(scanner, text):
    return [c.text for c in scanner.scan(text, "en") if c.pattern == "event:data_breach"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The intruders stole the customer data of the chain.", ["stole the customer data"]),
        ("Millions of records were exposed online.", ["records were exposed"]),
        ("Passwords leaked; accounts compromised.", ["Passwords leaked", "accounts compromised"]),
    ],
    ids=["action-first", "object-first", "two-pairs"],
)
def test_an_action_near_its_object_is_an_event_cue(scanner, text, expected):
    assert _event_cues(scanner, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "They stole a car from the parking lot next to the old data centre.",
        "We have no information about the incident; nothing was hacked.",
    ],
    ids=["too-far-apart", "no-action-object-pair"],
)
def test_words_apart_are_no_event_cue(scanner, text):
    assert _event_cues(scanner, text) == []


def test_an_event_pair_makes_a_side_breach_count(scanner):
    # The breach sentence lies past the lead, so its words alone are too weak for a second type.
    lure = (
        "A phishing campaign sent fake emails to the bank's clients, luring them to a fake login page. "
        "The phishing emails looked genuine, with the bank's logo and a subject line about a refund. "
        "Clients who clicked the link typed their login on the page. "
    )
    assert scanner.types(lure + "Security staff reviewed the account details.", "en") == ["phishing"]
    assert scanner.types(lure + "The crooks then stole account details.", "en") == ["phishing", "data_breach"]


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ({"cyberwar": {"actions": ["hit"], "objects": ["grid"]}}, "unknown incident type"),
        ({"data_breach": {"actions": ["stole data"], "objects": ["data"]}}, "not a single word"),
        ({"data_breach": {"actions": [], "objects": ["data"]}}, "non-empty list"),
        ({"data_breach": {"actions": ["stole"], "objects": ["data"], "max_gap": -1}}, "max_gap"),
    ],
    ids=["unknown-type", "phrase", "empty", "negative-gap"],
)
def test_malformed_event_pairs_are_refused(events, message):
    with pytest.raises(LexiconError, match=message):
        EventPairs.parse({"groups": {}, "events": events}, "patterns/xx/incident_types.json")


@pytest.mark.parametrize(
    "text",
    [
        "The report counts more phishing kits than last year, and more malware, ransomware and botnets.",
        "Attackers can install spyware or ransomware on the handset through the flaw, the researchers wrote.",
        "A flaw in the app store lets rogue apps launch ransomware, adware and banking trojans on the phone.",
    ],
    ids=["list-middle", "list-end", "list-start"],
)
def test_ransomware_in_a_list_of_threats_is_no_ransomware_cue(scanner, text):
    assert "ransomware" not in scanner.types(text, "en")


def test_ransomware_outside_a_list_still_counts(scanner):
    text = "Ransomware encrypted the clinic's servers on Monday and the gang demanded a ransom in bitcoin."
    assert "ransomware" in scanner.types(text, "en")
    cues = [c for c in scanner.scan(text, "en") if c.type == "ransomware"]
    assert cues and all(c.weight > 0 for c in cues)


@pytest.mark.parametrize(
    ("lists", "message"),
    [
        ({"cyberwar": {"items": ["malware"], "joiners": ["and"]}}, "unknown incident type"),
        ({"ransomware": {"items": [], "joiners": ["and"]}}, "non-empty list"),
        ({"ransomware": {"items": ["malware"], "joiners": ["and"], "factor": 2}}, "factor"),
        ({"ransomware": {"items": ["mal-ware!"], "joiners": ["and"]}}, "not a word or phrase"),
    ],
    ids=["unknown-type", "empty", "factor", "bad-word"],
)
def test_malformed_threat_lists_are_refused(lists, message):
    with pytest.raises(LexiconError, match=message):
        ThreatLists.parse({"groups": {}, "lists": lists}, "patterns/xx/incident_types.json")


def _incident_types(text, scanner, hints):
    """Reported types of a one-sentence article naming the malware "Orchid" (a made-up KB family)."""
    start = text.index("Orchid")
    sentence = SentenceView(0, Span(0, len(text)), text, [], {})
    orchid = Entity("e1", "Orchid", "malware", mentions=[Span(start, start + 6)])
    cues = scanner.scan(text, "en")
    incidents = build_incidents([sentence], [orchid], [], cues, lambda found: document_types(found, len(text)), hints)
    return [t for i in incidents if i.status == "reported" for t in i.types]


def test_kb_malware_type_needs_the_texts_agreement(scanner):
    hints = {"Orchid": "ransomware"}
    corroborated = "Orchid encrypted the hospital's servers and demanded a ransom."
    alone = "Researchers disclosed a critical vulnerability in the Orchid plugin; a patch is available."
    assert "ransomware" in _incident_types(corroborated, scanner, hints)
    assert _incident_types(alone, scanner, hints) == ["vulnerability"]


@pytest.mark.corpus
def test_casie_dev_f1_gate(scanner, corpus):
    path = corpus / "casie" / "dev.jsonl"
    if not path.is_file():
        pytest.skip("the CASIE corpus is not available")
    scope = {"data_breach", "phishing", "ransomware", "vulnerability"}
    tp = fp = fn = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        gold = {t for i in doc["incidents"] for t in i["types"]} & scope
        pred = set(scanner.types(doc["text"], "en")) & scope
        tp, fp, fn = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred)
    f1 = 2 * tp / (2 * tp + fp + fn)
    # Measured 0.912 with refitted thresholds (0.905 with event pairs, first version 0.872, keyword baseline 0.82).
    assert f1 >= 0.905, f"CASIE dev type F1 dropped to {f1:.3f}"
