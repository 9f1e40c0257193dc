"""HTML for the ops console: one page shell (a string.Template), tables and small parts.

Everything shown is escaped unless it is `Markup` made here from escaped parts: the data
comes from applicants and legacy systems.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime
from string import Template

from fastapi.responses import HTMLResponse

NONE = "—"
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_PAGE = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title · OneWindow ops</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1rem 2rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } .overdue { background: #fdd; } .warning { background: #ffd; }
.muted { color: #777; } code { font-size: 12px; } ul.tasks { margin: 0; padding-left: 1rem; }
</style>
</head>
<body>
<nav><a href="/ops">OneWindow ops console</a> · times in UTC · now $now</nav>
<h1>$title</h1>
$body
</body>
</html>
""")


class Markup(str):
    """HTML made by this module's functions from escaped parts: shown as it is."""


def text(value: object) -> Markup:
    """`value` escaped; None as a dash."""
    if isinstance(value, Markup):
        return value
    if value is None or value == "":
        return Markup(NONE)
    if isinstance(value, datetime):
        return Markup(when(value))
    return Markup(html.escape(str(value), quote=True))


def when(moment: datetime | None) -> str:
    return NONE if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def link(href: str, label: object) -> Markup:
    return Markup(f'<a href="{html.escape(href, quote=True)}">{text(label)}</a>')


def tag(name: str, content: object, css: str | None = None) -> Markup:
    attribute = f' class="{html.escape(css, quote=True)}"' if css else ""
    return Markup(f"<{name}{attribute}>{text(content)}</{name}>")


def items(values: Iterable[object], css: str = "tasks") -> Markup:
    listed = "".join(f"<li>{text(v)}</li>" for v in values)
    return Markup(f'<ul class="{css}">{listed}</ul>') if listed else Markup(NONE)


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    row_css: Iterable[str | None] = (),
    empty: str = "Nothing here.",
) -> Markup:
    head = "".join(f"<th>{text(h)}</th>" for h in headers)
    css = iter(row_css)
    body = []
    for row in rows:
        kind = next(css, None)
        attribute = f' class="{html.escape(kind, quote=True)}"' if kind else ""
        body.append(f"<tr{attribute}>" + "".join(f"<td>{text(c)}</td>" for c in row) + "</tr>")
    if not body:
        return tag("p", empty, "muted")
    return Markup(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def section(anchor: str, title: str, *parts: Markup) -> Markup:
    inner = "\n".join(parts)
    return Markup(
        f'<section id="{html.escape(anchor, quote=True)}"><h2>{text(title)}</h2>\n{inner}</section>'
    )


def page(title: str, body: Iterable[Markup], now: datetime, status: int = 200) -> HTMLResponse:
    document = _PAGE.substitute(title=text(title), now=text(now), body="\n".join(body))
    return HTMLResponse(document, status_code=status, headers=HEADERS)
