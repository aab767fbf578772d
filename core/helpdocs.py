"""Operating guides from docs/ rendered inside the application (帮助): each page links to its section's guide.

The guides are the repository's own Markdown files, so a small renderer for the subset they use is
enough: headings, paragraphs, bullet and numbered lists, tables, fenced code, **bold**, `code` and
links. Everything is HTML-escaped first; links keep only relative paths and http(s) addresses.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

DOCS_DIR = Path(settings.BASE_DIR) / "docs"


@dataclass(frozen=True)
class Guide:
    slug: str
    file: str
    title: str
    #: Path prefixes of the pages whose 帮助 link opens this guide.
    prefixes: tuple[str, ...]


GUIDES = (
    Guide("station", "station-guide.md", "救助站日常工作指南（接待、在站、离站）",
          ("/intake/", "/stay/", "/outsidecare/", "/leaving/", "/people/", "/regional/", "/")),
    Guide("tracing", "tracing-guide.md", "寻亲工作使用指南", ("/tracing/", "/announcements/", "/matching/")),
    Guide("deadlines", "deadlines.md", "时限督办（待办）说明", ("/deadlines/",)),
    Guide("department", "department-guide.md", "民政部门工作指南：专项行动与情况汇总表", ("/campaign/",)),
    Guide("statistics", "statistics-guide.md", "统计与季度统计报表使用指南", ("/figures/",)),
    Guide("state-machine", "state-machine.md", "救助过程状态说明", ()),
)
BY_SLUG = {g.slug: g for g in GUIDES}


def guide_for_path(path: str) -> Guide:
    """The guide for a page: the longest matching prefix (the station guide by default)."""
    best, length = BY_SLUG["station"], 0
    for guide in GUIDES:
        for prefix in guide.prefixes:
            if path.startswith(prefix) and len(prefix) > length:
                best, length = guide, len(prefix)
    return best


_INLINE_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def _inline(text: str) -> str:
    out = html.escape(text, quote=True)
    out = _INLINE_CODE.sub(lambda m: f"<code>{m.group(1)}</code>", out)
    out = _BOLD.sub(lambda m: f"<strong>{m.group(1)}</strong>", out)

    def link(m):
        label, href = m.group(1), html.unescape(m.group(2))
        if not (href.startswith(("/", "#", "http://", "https://")) or re.fullmatch(r"[\w./-]+", href)):
            return label
        return f'<a href="{html.escape(href, quote=True)}">{label}</a>'

    return _LINK.sub(link, out)


def render_markdown(text: str) -> str:
    """The Markdown subset of our guides as HTML (escaped; no raw HTML passes)."""
    lines = text.splitlines()
    out: list[str] = []
    para: list[str] = []
    list_kind: str | None = None
    i = 0

    def flush_para():
        if para:
            out.append("<p>" + _inline(" ".join(para)) + "</p>")
            para.clear()

    def close_list():
        nonlocal list_kind
        if list_kind:
            out.append(f"</{list_kind}>")
            list_kind = None

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush_para()
            close_list()
            block = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                block.append(lines[i])
                i += 1
            out.append("<pre><code>" + html.escape("\n".join(block)) + "</code></pre>")
            i += 1
            continue
        heading = re.match(r"^(#{1,4})\s+(.*)$", stripped)
        if heading:
            flush_para()
            close_list()
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif stripped.startswith("|") and stripped.endswith("|"):
            flush_para()
            close_list()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append([c.strip() for c in lines[i].strip().strip("|").split("|")])
                i += 1
            body = [r for r in rows if not all(re.fullmatch(r":?-{2,}:?", c) for c in r if c)]
            table = ["<div class=\"table-wrap\"><table>"]
            for n, row in enumerate(body):
                tag = "th" if n == 0 else "td"
                table.append("<tr>" + "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in row) + "</tr>")
            out.append("".join(table) + "</table></div>")
            continue
        elif re.match(r"^[-*]\s+", stripped) or re.match(r"^\d+[.)]\s+", stripped):
            flush_para()
            kind = "ul" if re.match(r"^[-*]\s+", stripped) else "ol"
            if list_kind != kind:
                close_list()
                out.append(f"<{kind}>")
                list_kind = kind
            item = re.sub(r"^([-*]|\d+[.)])\s+", "", stripped)
            while i + 1 < len(lines) and lines[i + 1].startswith("  ") and lines[i + 1].strip() and not re.match(
                    r"^\s*([-*]|\d+[.)])\s+", lines[i + 1]):
                i += 1
                item += " " + lines[i].strip()
            out.append(f"<li>{_inline(item)}</li>")
        elif not stripped:
            flush_para()
            close_list()
        else:
            close_list()
            para.append(stripped)
        i += 1
    flush_para()
    close_list()
    return "\n".join(out)


def guide_html(guide: Guide) -> str:
    return render_markdown((DOCS_DIR / guide.file).read_text(encoding="utf-8"))
