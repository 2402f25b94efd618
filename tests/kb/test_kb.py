from __future__ import annotations

import pytest

from cyberops.errors import KnowledgeBaseError
from cyberops.kb import KnowledgeBase, StateTerm, build_kb, load_kb
from cyberops.kb.build import artifact_path
from cyberops.settings import Settings


def entities(kb: KnowledgeBase, text: str) -> list[tuple[str, str]]:
    return [(m.text, m.entry_id) for m in kb.scan(text) if m.kind == "entity"]


def states(kb: KnowledgeBase, text: str) -> list[tuple[str, StateTerm]]:
    return [(m.text, kb.state_term(m.entry_id)) for m in kb.scan(text) if m.kind == "state"]


def test_artifact_is_built_once_and_reloaded(kb: KnowledgeBase, kb_settings: Settings) -> None:
    path = artifact_path(kb_settings)
    assert path.is_file()
    stamp = path.stat().st_mtime_ns
    again = load_kb(kb_settings)
    assert path.stat().st_mtime_ns == stamp
    assert again.entry(kb.scan("APT28")[0].entry_id).name == "APT28"
    assert not list(path.parent.glob(".kb-*.tmp"))


def test_build_kb_writes_into_the_cache_dir(tmp_path) -> None:
    path = build_kb(Settings(cache_dir=tmp_path))
    assert path.parent == tmp_path and path.name.startswith("kb-") and path.suffix == ".pickle"


def test_aliases_of_one_actor_resolve_to_one_entry(kb: KnowledgeBase) -> None:
    found = entities(kb, "APT28, known as Fancy Bear or Sofacy, struck again.")
    assert [text for text, _ in found] == ["APT28", "Fancy Bear", "Sofacy"]
    assert len({entry_id for _, entry_id in found}) == 1
    entry = kb.entry(found[0][1])
    assert entry.type == "threat_actor" and entry.state == "RU"
    assert entry.kb["mitre"] == "G0007" and "misp" in entry.kb


@pytest.mark.parametrize("text", ["the Equation Group", "le groupe Equation a frappé", "die Equation-Gruppe"])
def test_equation_group_needs_the_group_word(kb: KnowledgeBase, text: str) -> None:
    (found,) = entities(kb, text)
    entry = kb.entry(found[1])
    assert (entry.type, entry.state, entry.kb["mitre"]) == ("threat_actor", "US", "G0020")


def test_equation_alone_is_nothing(kb: KnowledgeBase) -> None:
    assert entities(kb, "The Equation behind the hack was simple; Equation.") == []


def test_prism_is_the_nsa_program_by_default(kb: KnowledgeBase) -> None:
    found = entities(kb, "le programme PRISM de la NSA")
    entry = kb.entry(found[0][1])
    assert (entry.name, entry.type, entry.state) == ("PRISM", "operation", "US")
    assert kb.entry(entities(kb, "Snowden revealed PRISM.")[0][1]).type == "operation"


def test_prism_is_malware_in_a_malware_context(kb: KnowledgeBase) -> None:
    (found,) = entities(kb, "The PRISM backdoor infected the servers.")
    assert kb.entry(found[1]).type == "malware"


def test_wannacry_is_ransomware(kb: KnowledgeBase) -> None:
    (found,) = entities(kb, "WannaCry spread worldwide.")
    entry = kb.entry(found[1])
    assert entry.type == "malware" and entry.malware_kind == "ransomware"
    assert "WannaCrypt" in entry.aliases


@pytest.mark.parametrize(
    ("text", "surface", "code", "form"),
    [
        ("Le Kremlin a démenti.", "Kremlin", "RU", "metonym"),
        ("des pirates chinois", "chinois", "CN", "demonym"),
        ("Отношения с Россией", "Россией", "RU", "name"),
        ("российские хакеры", "российские", "RU", "demonym"),
        ("北京表示反对", "北京", "CN", "metonym"),
        ("US officials said", "US", "US", "name"),
        ("the U.K. and North Korea", "North Korea", "KP", "name"),
        ("中国外交部", "中国外交部", None, None),
        ("والصين", "الصين", "CN", "name"),
    ],
)
def test_state_terms(kb: KnowledgeBase, text: str, surface: str, code: str | None, form: str | None) -> None:
    matches = {m.text: m for m in kb.scan(text)}
    assert surface in matches
    if code is None:  # the ministry, an organization with its state
        assert kb.entry(matches[surface].entry_id).state == "CN"
        return
    term = kb.state_term(matches[surface].entry_id)
    assert (term.code, term.form) == (code, form)


def test_lowercase_us_is_not_a_state(kb: KnowledgeBase) -> None:
    assert states(kb, "Tell us what you think") == []


def test_ambiguous_state_name_needs_context(kb: KnowledgeBase) -> None:
    assert states(kb, "Georgia voters went to the polls in Atlanta.") == []
    assert [t.code for _, t in states(kb, "Georgia accused Moscow; Tbilisi said.") if _ == "Georgia"] == ["GE"]


def test_a_state_name_is_never_a_threat_actor(kb: KnowledgeBase) -> None:
    for text in ("China", "Russia", "Iran", "North Korea", "Chinese"):
        assert entities(kb, f"{text} hackers attacked, said the malware report.") == []


@pytest.mark.parametrize("text", ["Cobalt prices rose.", "Gold rallied on Friday.", "A patchwork of rules."])
def test_ordinary_words_are_not_actors(kb: KnowledgeBase, text: str) -> None:
    assert entities(kb, text) == []


def test_ordinary_word_alias_counts_with_a_cyber_cue(kb: KnowledgeBase) -> None:
    (found,) = entities(kb, "The Cobalt hackers stole millions from banks.")
    assert kb.entry(found[1]).type == "threat_actor"


def test_lazarus_alone_is_the_lazarus_group(kb: KnowledgeBase) -> None:
    (found,) = entities(kb, "Lazarus stole $81 million.")
    assert kb.entry(found[1]).state == "KP"


def test_offsets_point_into_the_original_text(kb: KnowledgeBase) -> None:
    text = "Ａ Téhéran, l’Élysée et Sergueï Lavrov ont réagi à l'attaque de Sandworm."
    for match in kb.scan(text):
        assert text[match.start : match.end] == match.text
    assert "Sergueï Lavrov" in [m.text for m in kb.scan(text)]


def test_person_has_state_and_role(kb: KnowledgeBase) -> None:
    (found,) = entities(kb, "华春莹表示")
    person = kb.entry(found[1])
    assert (person.name, person.type, person.state) == ("Hua Chunying", "person", "CN")
    assert "spokesperson" in (person.role or "")


def test_longest_match_wins(kb: KnowledgeBase) -> None:
    matches = kb.scan("the Chinese Foreign Ministry said")
    assert [(m.text, m.kind) for m in matches] == [("Chinese Foreign Ministry", "entity")]


def test_sector_cues(kb: KnowledgeBase) -> None:
    sectors = {s for _, _, s in kb.sector_cues("Hackers hit hospitals and a bank in Norway.")}
    assert sectors == {"healthcare", "finance"}
    assert "government" in kb.sectors


def test_unknown_ids_raise_helpful_errors(kb: KnowledgeBase) -> None:
    with pytest.raises(KnowledgeBaseError, match="scan"):
        kb.entry("nope")
    with pytest.raises(KnowledgeBaseError, match="state"):
        kb.state_term("nope")
