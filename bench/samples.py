"""py-spy's collapsed stacks summed by where each sample's innermost frame is: which library runs."""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from pathlib import Path

from bench import servers

LIBRARIES = {
    "sqlalchemy": "SQLAlchemy",
    "strawberry": "Strawberry",
    "graphql": "graphql-core",
    "asyncpg": "asyncpg",
    "uvicorn": "uvicorn",
    "starlette": "Starlette",
    "httptools": "httptools",
    "uvloop": "uvloop",
    "orjson": "orjson",
    "websockets": "websockets",
}
GC = "CPython's cyclic garbage collector"
OURS = ("graph", "db", "domain", "workcloud", "messaging", "bus", "config", "storage")
_FRAME = re.compile(r"\((?P<path>[^()]*?):\d+\)$")


def py_spy() -> str:
    """py-spy from PATH, else the one installed beside this Python (the venv's `bench` extra)."""
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is needed for profiles: pip install -e '.[bench]'")
    return found


def library(frame: str) -> str:
    """'SQLAlchemy', 'ours: graph/', 'stdlib: asyncio', ... for one frame `function (path:line)`.

    py-spy writes a module's path relative to the folder it was imported from.
    """
    match = _FRAME.search(frame)
    if match is None:
        return "other"
    path = match.group("path")
    root = str(servers.ROOT) + "/"
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    elif path.startswith(root):
        path = path[len(root) :]
    elif "/lib/python3" in path:
        path = path.split("/lib/python3", 1)[1].partition("/")[2]
    if path.startswith("<"):
        return "generated code (<string>)" if path == "<string>" else "stdlib: frozen"
    top = path.split("/", 1)[0].removesuffix(".py")
    if top in LIBRARIES:
        return LIBRARIES[top]
    if top in OURS:
        return f"ours: {top}/"
    if top in sys.stdlib_module_names:
        return f"stdlib: {top}"
    return top or "other"


def _innermost_python(stack: str) -> str:
    """The innermost frame that is Python code (with --native, C frames lie under it)."""
    frames = stack.split(";")
    for frame in reversed(frames):
        match = _FRAME.search(frame)
        if match and (match.group("path").endswith(".py") or match.group("path").startswith("<")):
            return frame
    return frames[-1]


def by_library(raw: Path) -> list[tuple[str, float]]:
    """Share of samples per library of the innermost Python frame (self time), largest first."""
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            # With py-spy --native, the collector shows as C frames under whichever Python
            # line allocated; without, its time goes to that line.
            where = GC if "gc_collect_main" in stack else library(_innermost_python(stack))
            counts[where] += int(count)
    total = sum(counts.values()) or 1
    return [(name, n / total) for name, n in counts.most_common()]


def summary(raw: Path, top: int = 8) -> str:
    shares = by_library(raw)
    parts = [f"{name} {share * 100:.0f} %" for name, share in shares[:top]]
    rest = sum(share for _, share in shares[top:])
    return ", ".join(parts) + (f", the rest {rest * 100:.0f} %" if rest else "")
