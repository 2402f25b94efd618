"""A small error tree whose messages say what went wrong and how to fix it.

Every error that concerns one document carries that document's name, so a
batch can report it on one line and go on with the next document.
"""

from __future__ import annotations


class CyberopsError(Exception):
    """Base of every error cyberops raises on purpose."""


class InputError(CyberopsError):
    """A document could not be read or made into an article.

    ``source`` names the document (a path, a URL, ``<stdin>`` or a JSONL line)
    so the one-line report says which one failed.
    """

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class EmptyDocumentError(InputError):
    """The document holds no article text once page furniture is removed."""


class DecodeError(InputError):
    """The bytes are not text in any encoding we can recognise (binary data?)."""


class TooLargeError(InputError):
    """The document is larger than the configured limit (``--max-bytes``)."""


class FetchError(InputError):
    """A URL could not be fetched: unreachable, an HTTP error, too many redirects."""


class PrivateAddressError(FetchError):
    """A URL resolves to a private, loopback or link-local address.

    Refused by default so that a crafted link cannot make cyberops probe the
    network it runs in; pass ``--allow-private`` to fetch such addresses.
    """


class KnowledgeBaseError(CyberopsError):
    """The knowledge base could not be built or loaded."""


class GoldFormatError(CyberopsError):
    """A gold file does not follow the format of RECORD.md."""
