"""Near-duplicates: wire copies and re-fetches group together; separate reports of one event do not."""

from __future__ import annotations

import json

from correlate_builders import article

from cyberops.correlate import (
    DuplicateIndex,
    Signature,
    find_near_duplicates,
    index_keys,
    record_signature,
    signature,
    similarity,
)

WIRE = (
    "The foreign ministry on Tuesday rejected accusations that state hackers had broken into the networks of a "
    "Norwegian software company, calling the reports groundless and irresponsible. A spokeswoman told reporters "
    "in the capital that the government firmly opposes and fights all forms of cyber attacks and that it never "
    "encourages, supports or condones such activities. She urged the countries concerned to stop smearing others "
    "and to work together through dialogue to keep cyberspace peaceful and secure. The company said on Monday that "
    "its systems had been breached last year and that customer data may have been taken by the intruders."
)


def test_wire_copy_with_another_lead_and_footer_is_a_near_duplicate():
    copy = "BEIJING (Wire) - " + WIRE.replace("on Tuesday", "on Tuesday,") + " Read more: our cyber coverage."
    other = (
        "Norway's security police said on Wednesday they were investigating a breach at a software firm, declining "
        "to name any country. Officials said the investigation could take months and that customers had been told."
    )
    records = [
        article("late-copy", copy, published="2019-02-07"),
        article("original", WIRE, published="2019-02-06"),
        article("separate-report", other, published="2019-02-06"),
    ]
    [group] = find_near_duplicates(records)
    assert group.canonical == "original"
    assert group.members == ["original", "late-copy"]
    assert group.similarity >= 0.5


def test_different_texts_score_low_and_empty_texts_score_zero():
    assert similarity(signature(WIRE), signature("An unrelated note about football and rain in the city.")) < 0.1
    assert similarity(signature(""), signature(WIRE)) == 0.0
    assert similarity(signature(WIRE), signature(WIRE)) == 1.0


def test_chinese_copies_match_although_words_are_not_separated():
    text = "外交部发言人表示，中方坚决反对并打击一切形式的网络攻击，从不鼓励、支持或纵容黑客攻击行为。有关报道毫无根据。"
    assert similarity(signature(text), signature("新华社北京电 " + text)) >= 0.7
    assert similarity(signature(text), signature("挪威警方周三表示正在调查一家软件公司遭入侵事件，未点名任何国家。")) < 0.2


def test_incremental_check_of_one_new_document_against_stored_signatures():
    index = DuplicateIndex()
    stored = {"original": record_signature(article("original", WIRE))}
    # What a store does: persist the signature as JSON, and its index keys in a lookup table.
    saved = json.dumps(stored["original"].to_dict())
    index.add("original", Signature.from_dict(json.loads(saved)))
    index.add("other", signature("A phishing campaign hit universities in Canada, researchers said on Friday."))
    new = record_signature(article("refetch", WIRE.replace("last year", "in 2018")))
    assert set(index_keys(new)) & set(index_keys(stored["original"]))
    [(doc, score)] = index.query(new)
    assert doc == "original" and score >= 0.8


def test_given_signatures_are_used_instead_of_the_text():
    a, b = article("a", WIRE), article("b", "Completely different words about a cricket final in Sydney today.")
    sig = record_signature(a)
    assert find_near_duplicates([a, b], signatures={"b": sig})[0].members == ["a", "b"]
