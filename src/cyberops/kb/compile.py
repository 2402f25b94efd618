"""Turn galaxies and curated data into the tables the matcher needs.

The result is a plain dict (entries, alias targets, cue tables) that
:mod:`cyberops.kb.build` pickles and :class:`KnowledgeBase` wraps.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import ahocorasick
from wordfreq import zipf_frequency

from cyberops.kb.common_words import CommonWords
from cyberops.kb.curated import (
    STATE_FORMS,
    load_alias_policy,
    load_curated_clusters,
    load_sectors,
    load_states,
)
from cyberops.kb.galaxies import Cluster, load_galaxy_clusters
from cyberops.kb.merge import merge_clusters
from cyberops.kb.model import AliasTarget, KBEntry, StateTerm
from cyberops.kb.textnorm import build_fold_table, unify_variants

#: entry id of the targets that only hide what they contain (see ``_Compiler.compile_blocks``)
BLOCK = "block"
_MITRE_ID = re.compile(r"^[GSCT]\d{4}(\.\d{3})?$")
_TYPE_PREFIX = {
    "threat_actor": "actor",
    "malware": "malware",
    "operation": "op",
    "organization": "org",
    "person": "person",
}


def _slug(name: str) -> str:
    return re.sub(r"[^\w]+", "-", name.casefold()).strip("-") or "x"


def _split_stem(form: str) -> tuple[str, bool]:
    return (form[:-1], True) if form.endswith("*") else (form, False)


def _short_or_acronym(form: str) -> bool:
    """Short forms and acronyms are words in other uses ("US" / "us", "IT" / "it")."""
    letters = [c for c in form if c.isalpha()]
    return len(form) <= 3 or (len(letters) <= 5 and all(c.isupper() for c in letters))


def _exact(*forms: str) -> frozenset[str]:
    """Surfaces to match with exact case; quote and dash variants are unified on both sides."""
    return frozenset(unify_variants(f) for f in forms)


def _name_families(clusters: Sequence[Cluster], galaxy: str) -> frozenset[str]:
    """Last words shared by several two-word names of one galaxy: Microsoft's weather families
    ("Midnight Blizzard", "Volt Typhoon", "Mint Sandstorm"). Alone, such a word names no actor."""
    last = Counter(c.name.split()[-1].casefold() for c in clusters if c.source == galaxy and len(c.name.split()) == 2)
    return frozenset(word for word, n in last.items() if n >= 2)


def _title_case_acronym(form: str, min_letters: int) -> str | None:
    """The title-case form of an all-letter acronym ("NATO" -> "Nato"), or None when too short."""
    if len(form) >= min_letters and form.isalpha() and form.isupper():
        return form[0] + form[1:].lower()
    return None


class _Compiler:
    def __init__(self) -> None:
        self.table = build_fold_table()
        self.policy = load_alias_policy()
        self.targets: dict[str, list[AliasTarget]] = defaultdict(list)
        self.cues: dict[str, list[tuple[str, frozenset[str] | None, bool]]] = defaultdict(list)
        self.entries: dict[str, KBEntry] = {}
        self.state_terms: dict[str, StateTerm] = {}
        self.state_keys: set[str] = set()

    def fold(self, text: str) -> str:
        return text.translate(self.table)

    def add_target(self, form: str, target: AliasTarget) -> None:
        key = self.fold(form)
        if key.strip() and all(t.entry_id != target.entry_id for t in self.targets[key]):
            self.targets[key].append(target)

    def add_cue(self, group: str, form: str, stem: bool) -> None:
        exact = _exact(form) if _short_or_acronym(form) else None
        self.cues[self.fold(form)].append((group, exact, stem))

    # -- states --------------------------------------------------------------------------
    def compile_states(self) -> None:
        data = load_states()
        exact_forms = set(data.get("exact_case", []))
        # Ambiguity belongs to the folded form: "Geórgia" (pt) is as ambiguous as "Georgia".
        ambiguous: dict[str, list[str]] = {self.fold(f): w for f, w in data.get("ambiguous", {}).items()}
        for key, words in ambiguous.items():
            for word in words:
                self.add_cue(f"ctx:state:{key}", word, stem=False)
        for code, state in data["states"].items():
            for field, form_kind in STATE_FORMS.items():
                for lang, forms in state.get(field, {}).items():
                    entry_id = f"state:{code}:{form_kind}:{lang}"
                    self.state_terms[entry_id] = StateTerm(code, form_kind, lang)
                    for raw in forms:
                        form, stem = _split_stem(raw)
                        key = self.fold(form)
                        exact = form in exact_forms or key in ambiguous or _short_or_acronym(form)
                        context = f"ctx:state:{key}" if ambiguous.get(key) else None
                        self.state_keys.add(key)
                        self.add_target(
                            form,
                            AliasTarget(
                                entry_id,
                                "state",
                                exact=_exact(form) if exact else None,
                                stem=stem,
                                context=context,
                                required=context is not None,
                                priority=1_000_000,
                            ),
                        )

    # -- entities ------------------------------------------------------------------------
    def _entry_from_group(self, group: list[Cluster], ids: set[str]) -> tuple[KBEntry, list[str]]:
        head = group[0]
        drop = {self.fold(a) for a in self.policy.get("drop", {}).get(head.name, [])}
        never = {self.fold(a) for a in self.policy.get("never", [])}
        aliases: dict[str, str] = {}
        for cluster in group:
            is_curated = cluster.source.startswith("curated:")
            for alias in [cluster.name, *cluster.synonyms]:
                key = self.fold(alias.strip())
                if not key or key in drop or (not is_curated and key in never) or _MITRE_ID.match(alias):
                    continue
                aliases.setdefault(key, alias.strip())
        for alias in self.policy.get("add", {}).get(head.name, []):
            aliases.setdefault(self.fold(alias), alias)
        misp = next((c.uuid for c in group if c.uuid), None)
        mitre_ids = next((sorted(c.mitre) for c in group if c.mitre), [])
        kb = {k: v for k, v in (("misp", misp), ("mitre", mitre_ids[0] if mitre_ids else None)) if v}
        kind = self.policy.get("malware_kind", {}).get(head.name) or next(
            (c.malware_kind for c in group if c.malware_kind), None
        )
        base = f"{_TYPE_PREFIX[head.type]}:{_slug(head.name)}"
        entry_id, n = base, 1
        while entry_id in ids:
            n += 1
            entry_id = f"{base}-{n}"
        ids.add(entry_id)
        entry = KBEntry(
            id=entry_id,
            name=head.name,
            type=head.type,
            state=next((c.state for c in group if c.state), None),
            aliases=tuple(a for k, a in aliases.items() if a != head.name),
            kb=kb,
            malware_kind=kind if head.type in ("malware", "operation") else None,
            role=head.role,
        )
        return entry, list(aliases.values())

    def compile_entities(self, extra: Sequence[Cluster] = ()) -> None:
        clusters = load_curated_clusters() + load_galaxy_clusters() + list(extra)
        groups = merge_clusters(clusters, self.fold)
        common = CommonWords(float(self.policy["common_word_zipf"]), float(self.policy["very_common_zipf"]))
        english_zipf = float(self.policy["english_word_zipf"])
        english_keep = {self.fold(a) for a in self.policy.get("english_word_keep", [])}
        families = {self.fold(w) for w in _name_families(clusters, str(self.policy["name_family_galaxy"]))}
        always = {self.fold(a) for a in self.policy.get("always", [])}
        # aliases added by hand are vetted like curated names: exact case at most, no cue
        vetted = {self.fold(a) for aliases in self.policy.get("add", {}).values() for a in aliases}
        for word in self.policy.get("cyber_cues", []):
            self.add_cue("cyber", word, stem=True)
        for word in self.policy.get("group_keywords", []):
            self.add_cue("group", word, stem=True)
        title_min = int(self.policy.get("title_case_acronym_min", 0)) or 99
        keep_case = set(self.policy.get("acronyms_keep_case", []))
        ids: set[str] = set()
        claimed: dict[tuple[str, str], str] = {}  # (type, alias key) -> entry id, first wins
        for priority, group in enumerate(groups):
            entry, forms = self._entry_from_group(group, ids)
            self.entries[entry.id] = entry
            head = group[0]
            curated = head.source.startswith("curated:")
            context = None
            if head.context:
                context = f"ctx:{entry.id}"
                for word in head.context:
                    self.add_cue(context, word, stem=True)
            needs = {self.fold(a) for a in head.needs_context}
            # a system utility or legitimate program (MITRE "tool" galaxy) is no malware by itself
            legit_tool = any(c.legit_tool for c in group)
            for form in forms:
                key = self.fold(form)
                if key in self.state_keys or len(key.strip()) < 2 or key.isdigit():
                    continue  # a state name never becomes an entity ("China" in MISP synonyms)
                if claimed.setdefault((entry.type, key), entry.id) != entry.id:
                    continue
                if not any(c.isalpha() for c in form):
                    continue  # "$$$" is no name
                trusted = curated or key in vetted
                commonness = 0 if key in always else common.commonness(form)
                if not trusted and len(key) <= 3:
                    commonness = max(commonness, 1)  # "BB", "DN": only in a cyber context
                if not trusted and key not in always:
                    single = form.strip().isalpha()
                    if single and key in families:
                        continue  # "Blizzard", "Typhoon": only the two-word name is an actor
                    english = single and key not in english_keep and zipf_frequency(form, "en") >= english_zipf
                    if legit_tool or english:
                        # an English word, language or product ("PHP", "Frog", "Explorer") or a
                        # system utility ("BITSAdmin"): only right before a cue ("Frog ransomware")
                        commonness = max(commonness, 2)
                if not trusted and (commonness == 3 or (commonness and form == form.lower())):
                    continue  # a galaxy alias that is a stop word ("One") or written like a word ("rock")
                exact = _short_or_acronym(form) or commonness > 0
                surfaces = [form]
                title = _title_case_acronym(form, title_min) if trusted else None
                if title and form not in keep_case:
                    # Vetted acronyms also match as the press often writes them ("Anssi", "Nato");
                    # exact case still keeps them from matching the lower-case word.
                    surfaces.append(title)
                self.add_target(
                    form,
                    AliasTarget(
                        entry.id,
                        "entity",
                        exact=_exact(*surfaces) if exact else None,
                        # an ordinary word from a galaxy needs a cyber cue nearby; curated
                        # names only need their exact case
                        common=0 if trusted else min(commonness, 2),
                        context=context,
                        required=key in needs,
                        priority=priority,
                    ),
                )

    def compile_blocks(self) -> None:
        """Names that contain a state form or an alias but name something else ("Washington Post",
        "Bill Clinton"): matched like any alias, they hide what they contain and are not reported."""
        for phrase in self.policy.get("not_mentions", []):
            self.add_target(phrase, AliasTarget(BLOCK, "block", exact=_exact(phrase)))

    def compile_sectors(self) -> dict[str, list[str]]:
        sectors = load_sectors()
        for sector, langs in sectors.items():
            for forms in langs.values():
                for raw in forms:
                    form, stem = _split_stem(raw)
                    self.add_cue(f"sector:{sector}", form, stem)
        return {s: sorted({f for forms in langs.values() for f in forms}) for s, langs in sectors.items()}

    def automaton(self, table: dict[str, Any]) -> ahocorasick.Automaton:
        auto = ahocorasick.Automaton()
        for key, values in table.items():
            auto.add_word(key, (len(key), tuple(values)))
        auto.make_automaton()
        return auto


def compile_kb(extra: Sequence[Cluster] = ()) -> dict[str, Any]:
    """Everything :class:`KnowledgeBase` needs, as one picklable dict; ``extra`` clusters (the overlay) come last."""
    compiler = _Compiler()
    compiler.compile_states()
    compiler.compile_entities(extra)
    compiler.compile_blocks()
    sectors = compiler.compile_sectors()
    policy = compiler.policy
    return {
        "fold_table": compiler.table,
        "aliases": compiler.automaton(compiler.targets),
        "cues": compiler.automaton(compiler.cues),
        "entries": compiler.entries,
        "state_terms": compiler.state_terms,
        "sectors": sectors,
        "cue_window": int(policy["cue_window"]),
        "group_window": int(policy["group_window"]),
        "attached_prefixes": frozenset(policy.get("attached_prefixes", [])),
    }
