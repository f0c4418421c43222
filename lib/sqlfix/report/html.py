"""One self-contained HTML page: sections of text, tables and PNG figures embedded as data URIs.

The page marks itself when its figures have loaded (``body[data-plots-loaded]``: how many decoded to a
non-empty image), which a headless browser can read back.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2rem; } .sub { color: #666; margin-top: 0; }
section { border-top: 1px solid #ddd; padding: 0.6rem 0 1rem; }
table { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; }
th { background: #f4f4f4; } td.num { text-align: right; }
img.plot { max-width: 100%; display: block; margin: 0.6rem 0; border: 1px solid #eee; }
.empty { color: #a60; }
"""

SCRIPT = """
window.addEventListener("load", function () {
  var plots = document.querySelectorAll("img.plot"), ok = 0;
  plots.forEach(function (img) { if (img.complete && img.naturalWidth > 0) { ok += 1; } });
  document.body.setAttribute("data-plots-loaded", String(ok));
});
"""


@dataclass
class Section:
    """A titled part of the report; ``empty`` says why there is nothing to show yet."""

    title: str
    text: str = ""
    table: list[dict] | None = None
    figures: dict[str, str] = field(default_factory=dict)  # caption -> data URI
    empty: str | None = None


def figure_uri(fig) -> str:
    """A matplotlib figure as a PNG data URI (the figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _cell(value) -> str:
    if isinstance(value, float):
        return f'<td class="num">{value:.3f}</td>'
    if isinstance(value, int):
        return f'<td class="num">{value:,}</td>'
    return f"<td>{html.escape('' if value is None else str(value))}</td>"


def render(title: str, subtitle: str, sections: list[Section]) -> str:
    """The page.

    Example:
        >>> page = render("T", "now", [Section("A", "x < y", table=[{"k": 1}]), Section("B", empty="no data")])
        >>> "x &lt; y" in page, "<td class=\\"num\\">1</td>" in page, 'class="empty">no data' in page
        (True, True, True)
    """
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{STYLE}</style><script>{SCRIPT}</script></head><body>",
             f"<h1>{html.escape(title)}</h1><p class='sub'>{html.escape(subtitle)}</p>"]  # fmt: skip
    for s in sections:
        parts.append(f"<section><h2>{html.escape(s.title)}</h2>")
        if s.text:
            parts.append(f"<p>{html.escape(s.text)}</p>")
        if s.empty:
            parts.append(f'<p class="empty">{html.escape(s.empty)}</p>')
        if s.table:
            columns = list(s.table[0])
            parts.append("<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in columns) + "</tr>")
            parts.extend("<tr>" + "".join(_cell(row.get(c)) for c in columns) + "</tr>" for row in s.table)
            parts.append("</table>")
        for caption, uri in s.figures.items():
            parts.append(f'<img class="plot" alt="{html.escape(caption)}" title="{html.escape(caption)}" src="{uri}">')
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
