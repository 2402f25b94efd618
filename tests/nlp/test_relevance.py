"""The cheap relevance pass: traps stay out, short cyber stories get in."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cyberops.nlp.relevance import RelevanceScanner

CORPUS = Path(os.environ.get("CYBEROPS_CORPUS", Path(__file__).parents[2] / "../shared/corpus"))

TRAPS = {
    "corruption_denial": (
        "Minister denies corruption charges\nThe minister rejected the accusations of bribery on Monday, "
        "calling them an attack on his party. He said he would publish his tax returns online next week.",
        "en",
    ),
    "diplomat_expulsion": (
        "Paris expels four diplomats over espionage\nFrance ordered four diplomats to leave, accusing them "
        "of spying for a foreign intelligence service. The spy network was dismantled after a long inquiry.",
        "en",
    ),
    "football": (
        "Strikers hold on for victory\nThe visitors pressed, but attack after attack was thwarted by a "
        "disciplined defence. The home side then scored on the break and held on to win 2-0.",
        "en",
    ),
    "kidnapping": (
        "Student freed after kidnapping\nPolice rescued a student held for ransom. The kidnappers had "
        "demanded a large ransom from his parents by phone before abandoning him.",
        "en",
    ),
    "balloon": (
        "Beijing says balloon accusations are information warfare\nThe spokesperson said the surveillance "
        "balloon was a civilian airship and called the claims information warfare against China.",
        "en",
    ),
    "tech_business": (
        "Retailer's internet sales soar\nThe chain said sales over the internet rose by a third at "
        "Christmas as more shoppers used its website and mobile app.",
        "en",
    ),
    "espionnage_humain": (
        "Paris expulse six espions russes\nLa France a expulsé six agents accusés d'espionnage. Le réseau "
        "d'espions opérait sous couverture diplomatique, selon le ministère.",
        "fr",
    ),
}

CYBER = {
    "en": "Hospital hit by ransomware\nA ransomware attack encrypted the hospital's servers on Tuesday.",
    "fr": "Cyberattaque contre une mairie\nDes pirates informatiques ont paralysé les serveurs de la ville.",
    "de": "Hackerangriff auf den Bundestag\nUnbekannte Hacker sind in das Computernetz eingedrungen.",
    "ru": "Хакеры атаковали сайт министерства\nКибератака вывела из строя серверы ведомства.",
    "zh": "英国政府遭网络攻击\n黑客入侵了政府的计算机系统，窃取了大量数据。",
}


@pytest.fixture(scope="module")
def scanner():
    return RelevanceScanner()


@pytest.mark.parametrize("case", sorted(TRAPS))
def test_traps_are_not_relevant(scanner, case):
    text, lang = TRAPS[case]
    assert not scanner.scan(text, lang).relevant


@pytest.mark.parametrize("lang", sorted(CYBER))
def test_short_cyber_articles_are_relevant(scanner, lang):
    result = scanner.scan(CYBER[lang], lang)
    assert result.relevant
    assert all(CYBER[lang][c.start : c.end] == c.text for c in result.cues)


@pytest.mark.parametrize("lang", sorted(CYBER))
def test_unknown_language_still_finds_cues(scanner, lang):
    assert scanner.scan(CYBER[lang], None).relevant


def test_one_passing_mention_in_a_long_article_is_not_enough(scanner):
    filler = "The council debated the new budget for schools and roads at length. " * 60
    assert not scanner.scan(filler + "Officials mentioned hackers once.", "en").relevant


def test_knowledge_base_hits_add_evidence(scanner):
    text = "Officials blamed the intrusion on a group named in several reports."
    assert not scanner.scan(text, "en").relevant
    assert scanner.scan(text, "en", kb_hits=3).relevant


def _gold(pattern):
    for path in sorted(CORPUS.glob(pattern)):
        for line in path.read_text(encoding="utf-8").splitlines():
            yield json.loads(line)


@pytest.mark.corpus
def test_dev_relevance_gate(scanner):
    if not (CORPUS / "dev").is_dir():
        pytest.skip("corpus absent; set CYBEROPS_CORPUS")
    pairs = [(d["relevant"], scanner.scan(d.get("text") or "", d["language"]).relevant) for d in _gold("dev/*.jsonl")]
    tp = sum(g and p for g, p in pairs)
    precision = tp / max(1, sum(p for _, p in pairs))
    recall = tp / max(1, sum(g for g, _ in pairs))
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.95, f"dev relevance F1 dropped to {f1:.3f}"


@pytest.mark.corpus
def test_casie_recall_gate(scanner):
    path = CORPUS / "casie" / "dev.jsonl"
    if not path.is_file():
        pytest.skip("corpus absent; set CYBEROPS_CORPUS")
    docs = list(_gold("casie/dev.jsonl"))
    recall = sum(scanner.scan(d["text"], "en").relevant for d in docs) / len(docs)
    assert recall >= 0.97, f"CASIE dev recall dropped to {recall:.3f}"


@pytest.mark.parametrize("hits", [0, 1, 3, 7])
@pytest.mark.parametrize(
    "text",
    [
        "Hackers linked to a foreign state broke into the ministry's email servers, officials said.",
        "The council debated the new budget for schools and roads at length. " * 60 + "Hackers were mentioned.",
        "Officials blamed the intrusion on a group named in several reports.",
        "",
    ],
)
def test_cues_then_decide_is_scan(scanner, text, hits):
    direct = scanner.scan(text, "en", kb_hits=hits)
    staged = scanner.decide(scanner.cues(text, "en"), len(text), kb_hits=hits)
    assert (staged.relevant, staged.score) == (direct.relevant, direct.score)


def test_most_the_kb_can_add_bounds_the_decision(scanner):
    # A long article without a cue cannot be made relevant by any number of KB hits,
    # so the analyzer may skip the KB scan for it; a short one can.
    long_text = "The council debated the new budget for schools and roads at length. " * 80
    short_text = "Officials blamed the intrusion on a group named in several reports."
    cap = scanner.rule.kb_cap
    assert not scanner.decide(scanner.cues(long_text, "en"), len(long_text), kb_hits=cap).relevant
    assert not scanner.scan(long_text, "en", kb_hits=cap * 10).relevant
    assert scanner.decide(scanner.cues(short_text, "en"), len(short_text), kb_hits=cap).relevant


def test_kb_hits_needed(scanner):
    strong = "Hackers linked to a foreign state broke into the ministry's email servers, officials said."
    plain = "Officials blamed the intrusion on a group named in several reports."
    long_plain = "The council debated the new budget for schools and roads at length. " * 80
    assert scanner.kb_hits_needed(scanner.cues(strong, "en"), len(strong)) == 0
    needed = scanner.kb_hits_needed(scanner.cues(plain, "en"), len(plain))
    assert needed is not None and needed > 0
    assert not scanner.scan(plain, "en", kb_hits=needed - 1).relevant
    assert scanner.scan(plain, "en", kb_hits=needed).relevant
    assert scanner.kb_hits_needed(scanner.cues(long_plain, "en"), len(long_plain)) is None


def test_a_kernel_flaw_with_a_cve_id_is_relevant(scanner):
    text = (
        "A researcher published a working exploit for a flaw in the Linux kernel, tracked as CVE-2031-40417, "
        "three weeks after the fix was merged upstream. Distributions that have not shipped the patch leave "
        "their users exposed, she wrote."
    )
    assert scanner.scan(text, "en").relevant
    assert not scanner.scan(text.replace("CVE-2031-40417", "issue 17").replace("Linux kernel", "bridge"), "en").relevant


@pytest.mark.parametrize(
    "text",
    [
        "Customers received texts about unusual activity on their bank accounts. It was a smishing scam, police said.",
        "A man-in-the-middle position would let the provider read the messages, the researcher showed.",
        "The firm lost $2 million to a business email compromise after a fake invoice from its supplier.",
        "Engineers shipped a proof-of-concept that crashes the router; the vendor's patch arrives next month.",
        "A threat actor has been selling access to the retailer's network on a forum since March.",
    ],
    ids=["smishing", "mitm", "bec", "poc", "threat-actor"],
)
def test_security_news_vocabulary_is_relevant(scanner, text):
    assert scanner.scan(text, "en").relevant


@pytest.mark.parametrize(
    "text",
    [
        "The prime minister promised to address security issues at a conference in London next month.",
        "The striker beat two attackers and the keeper; the attackers of the other side never recovered.",
    ],
    ids=["security-issues", "football"],
)
def test_near_misses_of_the_new_cues_are_not_relevant(scanner, text):
    assert not scanner.scan(text, "en").relevant
