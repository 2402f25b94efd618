"""Galaxy aliases that are English words, products, system utilities or name-family words."""

from __future__ import annotations

import pytest

from cyberops.kb import KnowledgeBase
from cyberops.kb.compile import _name_families
from cyberops.kb.galaxies import Cluster, _cluster


def _actors(kb: KnowledgeBase, text: str) -> set[str]:
    return {
        m.text for m in kb.scan(text) if m.kind == "entity" and kb.entry(m.entry_id).type in ("threat_actor", "malware")
    }


@pytest.mark.parametrize(
    "text, word",
    [
        ("After the breach, the PHP script on the server was patched by the developers of the shop.", "PHP"),
        ("The phishing email asked gamers for their Blizzard account password.", "Blizzard"),
        ("Hackers then ran the BITSAdmin utility to fetch the malware.", "BITSAdmin"),
        ("The anti-spam service Blue Frog closed after a DDoS attack by hackers.", "Frog"),
        ("Microsoft fixed a zero-day vulnerability in Internet Explorer exploited by hackers.", "Explorer"),
        ("Symantec's Kevin Haley told CyberScoop that ransomware victims often pay.", "Kevin"),
    ],
)
def test_words_products_and_utilities_are_no_actor_or_malware(kb: KnowledgeBase, text: str, word: str) -> None:
    assert word not in _actors(kb, text)


@pytest.mark.parametrize(
    "text, name",
    [
        ("Files were encrypted by the Satan ransomware last week.", "Satan"),
        ("Researchers found the Pegasus spyware on the phone of a journalist.", "Pegasus"),
        ("The Silence hackers went after banks in Russia.", "Silence"),
        ("Microsoft said Midnight Blizzard breached the mailboxes of its executives.", "Midnight Blizzard"),
    ],
)
def test_names_before_a_cue_still_match(kb: KnowledgeBase, text: str, name: str) -> None:
    assert name in _actors(kb, text)


def test_name_families_are_shared_last_words() -> None:
    clusters = [
        Cluster("microsoft-activity-group", "threat_actor", name, [])
        for name in ("Midnight Blizzard", "Seashell Blizzard", "Volt Typhoon", "Strontium")
    ]
    assert _name_families(clusters, "microsoft-activity-group") == frozenset({"blizzard"})


def test_system_utilities_of_the_tool_galaxy_are_flagged() -> None:
    def tool(description: str, source: str = "mitre-tool") -> Cluster:
        return _cluster(source, "malware", None, {"value": "X", "description": description})

    assert tool(
        "[Reg](https://attack.mitre.org/software/S0075) is a Windows utility used to edit the registry."
    ).legit_tool
    assert tool("Tool is a legitimate reverse proxy tool. It was abused.").legit_tool
    assert not tool("[Mimikatz](https://attack.mitre.org/software/S0002) is a credential dumper.").legit_tool
    assert not tool("A Windows utility.", source="malpedia").legit_tool
