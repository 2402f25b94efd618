"""Bytes in, Article out.

- :mod:`~cyberops.ingest.sources` — ``iter_articles`` over files, directories, JSONL, URLs, stdin;
  ``article_from_dict`` / ``article_from_text`` / ``article_from_html``
- :mod:`~cyberops.ingest.fetch` — ``fetch``: safe HTTP (no private addresses, capped size and redirects),
  ``Pacer`` (per-host politeness), retries with backoff, conditional GET
- :mod:`~cyberops.ingest.feeds` — ``iter_feed_articles``, ``FeedPoller``, ``watch``: RSS, Atom, OPML
- :mod:`~cyberops.ingest.warc` — ``iter_warc_articles``: .warc / .warc.gz archives
- :mod:`~cyberops.ingest.decode` — ``decode_bytes``: BOM, UTF-8, declared charset, detector
- :mod:`~cyberops.ingest.html` — ``extract_html``: trafilatura text and title, htmldate date
- :mod:`~cyberops.ingest.furniture` — ``clean_text``: page furniture out of flattened text
- :mod:`~cyberops.ingest.identity` — ``content_id``, ``canonical_url``, ``url_id``

Submodules are imported where used, so importing this package loads no parser.
"""
