"""``sqlfix report [--out F.html]``: one static HTML file (images embedded) of the lake and the registry
(its sections: ``sqlfix.report.build``)."""

from __future__ import annotations

from pathlib import Path

from sqlfix.commands import Subcommand
from sqlfix.report.build import build


def _add(parser) -> None:
    parser.add_argument("--out", default="sqlfix-report.html", help="the HTML file to write")


def _run(ctx, args) -> int:
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    page = build(ctx)
    out.write_text(page, encoding="utf-8")
    figures = page.count('<img class="plot"')
    print(f"report: {out} ({figures} figures, {len(page) // 1024} KiB)")
    return 0


SUBCOMMANDS = {"report": Subcommand("Write a static HTML report of the lake and the registry.", _add, _run)}
