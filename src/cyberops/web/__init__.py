"""The analyst's workbench: server-rendered pages (Jinja2 + htmx) and a REST API over the store.

Build the app where the program starts::

    app = create_app(Settings())
"""

from cyberops.web.app import create_app
from cyberops.web.config import WebSettings

__all__ = ["WebSettings", "create_app"]
