"""Help articles: Markdown with YAML front matter, and HTML pages from a help-center export."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import yaml
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from assistant.types import Document, Metadata
from ingest.loaders.errors import SourceFileError
from ingest.loaders.safe_yaml import safe_load

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    raise SourceFileError(f"expected a list or a comma-separated string, got {value!r}")


def _as_date(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value or "")


def article_metadata(fields: dict[str, Any]) -> Metadata:
    return {
        "product_area": str(fields.get("product_area") or ""),
        "audience": _as_list(fields.get("audience")) or ["all"],
        "tags": _as_list(fields.get("tags")),
        "locale": str(fields.get("locale") or "en"),
    }


def load_markdown_article(text: str, relative: str, path: str) -> Document:
    fields: dict[str, Any] = {}
    body = text
    if text.startswith("---"):
        match = _FRONT_MATTER.match(text)
        if not match:
            raise SourceFileError("front matter opened with '---' is never closed", line=1)
        try:
            loaded = safe_load(match.group(1))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 2 if mark is not None else 1
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise SourceFileError(f"bad YAML front matter: {problem}", line=line) from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise SourceFileError("front matter must be a YAML mapping (key: value)", line=2)
        fields = loaded or {}
        body = text[match.end() :]
    title = str(fields.get("title") or "").strip()
    if not title:
        h1 = _H1.search(body)
        if not h1:
            raise SourceFileError("article has no title (front matter `title:` or a '# ' heading)")
        title = h1.group(1).strip()
    if not body.strip():
        raise SourceFileError("article has front matter but no text")
    return Document(
        id=str(fields.get("id") or f"article:{relative}"),
        kind="article",
        title=title,
        text=body.strip() + "\n",
        url=str(fields.get("url") or ""),
        updated_at=_as_date(fields.get("updated") or fields.get("updated_at")),
        source_path=path,
        metadata=article_metadata(fields),
    )


# --- HTML --------------------------------------------------------------------------------

_DROP = (
    "script, style, noscript, template, nav, header, footer, aside, form, button, svg, iframe, "
    "[role=navigation], [role=banner], [role=contentinfo], [aria-hidden=true], "
    "[class*=cookie], [id*=cookie], [class*=breadcrumb], [class*=feedback], [class*=helpful], "
    "[class*=share], [class*=sidebar], [class*=related-nav]"
)
_MAIN = ("main article", "article", "main", "[role=main]", "#content", ".content", "body")
_BLOCKS = {"p", "div", "section", "blockquote", "dd", "dt", "figcaption"}
# Chromium's own HTML parser stops nesting at 512 levels; no help article comes near that. The
# limit is checked on the raw text first: the parser itself is quadratic in the nesting depth
# (100,000 nested <div>s take ~25 s), and the walk below recurses once per level.
MAX_HTML_DEPTH = 512
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*?(/?)>")
# Elements that never nest (void) or whose end tag may be left out: they do not count.
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}
_OPTIONAL_END = {"p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option"}
_NOT_NESTING = frozenset(_VOID | _OPTIONAL_END | {"param", "source", "track", "colgroup"})


def nesting_depth(html: str) -> int:
    """The deepest nesting of elements that need an end tag, from the raw text (an estimate
    that never parses: it only has to tell a page from a nesting bomb)."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(html):
        if self_closing or name.lower() in _NOT_NESTING:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _inline(node: Node) -> str:
    return re.sub(r"\s+", " ", node.text(deep=True, separator="")).strip()


def _too_deep() -> SourceFileError:
    return SourceFileError(f"HTML nests elements more than {MAX_HTML_DEPTH} levels deep")


def _list_lines(node: Node, ordered: bool, depth: int = 0) -> list[str]:
    if depth > MAX_HTML_DEPTH:
        raise _too_deep()
    lines: list[str] = []
    number = 0
    for item in node.iter():
        if item.tag != "li":
            continue
        number += 1
        nested = [c for c in item.iter() if c.tag in {"ul", "ol"}]
        for child in nested:
            child.decompose()
        marker = f"{number}." if ordered else "-"
        lines.append(f"{'  ' * depth}{marker} {_inline(item)}")
        for child in nested:
            lines.extend(_list_lines(child, child.tag == "ol", depth + 1))
    return lines


def _to_markdown(node: Node, out: list[str], depth: int = 0) -> None:
    if depth > MAX_HTML_DEPTH:
        raise _too_deep()
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            text = (child.text_content or "").strip()
            if text:
                out.append(text)
        elif tag and re.fullmatch(r"h[1-6]", tag):
            out.append("#" * int(tag[1]) + " " + _inline(child))
        elif tag in {"ul", "ol"}:
            out.append("\n".join(_list_lines(child, tag == "ol")))
        elif tag == "pre":
            out.append("```\n" + (child.text(deep=True) or "").strip("\n") + "\n```")
        elif tag == "table":
            rows = [
                "| " + " | ".join(_inline(c) for c in row.iter() if c.tag in {"th", "td"}) + " |"
                for row in child.css("tr")
            ]
            if rows:
                width = rows[0].count("|") - 1
                rows.insert(1, "|" + " --- |" * width)
            out.append("\n".join(rows))
        elif tag in _BLOCKS or tag in {"section", "article", "main"}:
            if any(
                c.tag in _BLOCKS | {"ul", "ol", "pre", "table"} or (c.tag or "").startswith("h")
                for c in child.iter()
            ):
                _to_markdown(child, out, depth + 1)
            else:
                text = _inline(child)
                if text:
                    out.append(text)
        elif tag not in {"br", "hr", "img"}:
            text = _inline(child)
            if text:
                out.append(text)


def html_to_markdown(html: str) -> tuple[str, dict[str, str]]:
    """Main text of an HTML page as Markdown-like blocks, plus its <meta>/<title> fields."""
    if nesting_depth(html) > MAX_HTML_DEPTH:
        raise _too_deep()
    tree = HTMLParser(html)
    fields: dict[str, str] = {}
    for meta in tree.css("meta[name]"):
        name, content = meta.attributes.get("name"), meta.attributes.get("content")
        if name and content:
            fields[name.lower()] = content
    canonical = tree.css_first("link[rel=canonical]")
    if canonical and canonical.attributes.get("href"):
        fields["url"] = canonical.attributes["href"] or ""
    html_node = tree.css_first("html")
    if html_node and html_node.attributes.get("lang"):
        fields["locale"] = html_node.attributes["lang"] or "en"
    title = tree.css_first("title")
    if title:
        fields["page_title"] = _inline(title)
    h1 = tree.css_first("main h1") or tree.css_first("article h1") or tree.css_first("h1")
    if h1:
        fields["h1"] = _inline(h1)
    for node in tree.css(_DROP):
        node.decompose()
    main = next((n for sel in _MAIN if (n := tree.css_first(sel)) is not None), None)
    out: list[str] = []
    if main is not None:
        _to_markdown(main, out)
    return "\n\n".join(b for b in out if b.strip()), fields


def load_html_article(html: str, relative: str, path: str) -> Document:
    body, fields = html_to_markdown(html)
    # <title> usually carries a site suffix ("… – Help Center"); the page's <h1> does not.
    title = (fields.get("h1") or fields.get("page_title", "")).strip()
    if not title:
        raise SourceFileError("HTML page has neither an <h1> nor a <title>")
    if len(body) < 40:
        raise SourceFileError("HTML page has no main text (looked in <main>, <article>, <body>)")
    return Document(
        id=fields.get("id") or f"article:{relative}",
        kind="article",
        title=title,
        text=body + "\n",
        url=fields.get("url", ""),
        updated_at=fields.get("updated", ""),
        source_path=path,
        metadata=article_metadata(fields),
    )
