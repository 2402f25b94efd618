"""One claim per distinct (kind, speaker, subject): how candidates from several sentences merge."""

from __future__ import annotations

from cyberops.nlp.claims import ClaimCandidate, merge_claims
from cyberops.record import Span


def attribution(speaker_state: str | None, subject_state: str | None, start: int) -> ClaimCandidate:
    return ClaimCandidate("attribution", None, speaker_state, subject_state, Span(start, start + 10), cues=[f"cue{start}"])


def test_an_unsourced_attribution_joins_the_sourced_one_of_the_same_state():
    headline, quote = attribution(None, "RU", 0), attribution("US", "RU", 50)
    [claim] = merge_claims([headline, quote])
    assert (claim.speaker_state, claim.subject_state) == ("US", "RU")
    # The restatement's evidence stays: every sentence that makes the claim is cited.
    assert claim.evidence == [Span(50, 60), Span(0, 10)]
    assert claim.cues == ["cue50", "cue0"]
    assert claim.id == "c1"


def test_an_unsourced_attribution_of_another_state_stays():
    claims = merge_claims([attribution(None, "CN", 0), attribution("US", "RU", 50)])
    assert [(c.id, c.speaker_state, c.subject_state) for c in claims] == [("c1", None, "CN"), ("c2", "US", "RU")]


def test_an_unsourced_attribution_stays_when_nobody_named_makes_it():
    [claim] = merge_claims([attribution(None, "RU", 0)])
    assert claim.speaker_state is None
