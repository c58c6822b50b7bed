"""GraphiQL as the API serves it: the page that takes the place of Strawberry's IDE page, and
the directory of its browser files, all served by the API itself and nothing from a CDN.

static/vendor/ holds the files of the npm packages locked in package-lock.json beside this
file (GraphiQL, React, graphql-ws), copied there by `npm ci && npm run vendor`;
static/workcloud-graphiql.js is the page's own script: the example tab, and the fetcher.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
# Where workcloud/server.py serves STATIC_DIR. The page links its files relative to its own
# address (/graphql), so it works under a path prefix too.
ASSETS_PATH = "/graphiql"

_SCRIPTS = (
    "vendor/react.production.min.js",
    "vendor/react-dom.production.min.js",
    "vendor/graphiql.min.js",
    "vendor/graphql-ws.min.js",
    "workcloud-graphiql.js",
)


def _asset(name: str) -> str:
    return escape(f"{ASSETS_PATH.lstrip('/')}/{name}")


def ide_html() -> str:
    scripts = "\n".join(f'    <script src="{_asset(name)}"></script>' for name in _SCRIPTS)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>WorkCloud Cases · GraphiQL</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="{_asset("vendor/graphiql.min.css")}" />
    <style>
      body {{ margin: 0; height: 100vh; overflow: hidden; }}
      #graphiql {{ height: 100vh; }}
    </style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
{scripts}
  </body>
</html>
"""
