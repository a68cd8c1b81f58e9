"""Markdown to safe HTML, for the answers and agent replies the widget and the console show.

Answers are Markdown (numbered steps, tables, emphasis, links) and agents type Markdown, so a
message is rendered once, here, into an `html` field beside its `text`, and the clients insert
only that. The renderer is built so its output can only be inert, whatever the text says:
raw HTML is escaped (`html` off), a link keeps its target only when it is http(s) or mailto
(otherwise its text alone is shown), an image becomes its alt text, and headings and reference
definitions stay plain text ("[1]" is a citation marker, never a link the text defines). The
clients check the HTML against the same allow-list again before inserting it (defence in depth).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

LINK_SCHEMES = ("http://", "https://", "mailto:")
_KEPT = "kept"  # a link_open token's meta key: whether its <a> was written


def safe_href(url: str) -> str | None:
    """The link target if a customer may be sent there: an absolute http(s) or mailto URL."""
    url = url.strip()
    if url.lower().startswith(LINK_SCHEMES) and not any(c in url for c in "\"'<>` \t\n"):
        return url
    return None


def _link_open(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    href = safe_href(str(token.attrGet("href") or ""))
    token.meta[_KEPT] = href is not None
    if href is None:
        return ""  # the link's text stays, without the link
    return f'<a href="{escape(href)}" target="_blank" rel="noopener noreferrer nofollow">'


def _link_close(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    level = tokens[idx].level
    opened = next(t for t in reversed(tokens[:idx]) if t.type == "link_open" and t.level == level)
    return "</a>" if opened.meta.get(_KEPT) else ""


def _image(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    return escape(alt)


class _Markdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # the library's name
        return True  # judged when rendered: an unsafe link loses its <a>, keeps its text


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    md = _Markdown("commonmark", {"html": False, "breaks": True, "linkify": False})
    md.enable("table").disable(["heading", "lheading", "reference"])
    rules: dict[str, Any] = {"link_open": _link_open, "link_close": _link_close, "image": _image}
    for name, rule in rules.items():
        md.add_render_rule(name, rule)
    return md


@lru_cache(maxsize=1024)  # replies repeat (a FAQ's answer, the hand-off texts): parse once
def render(text: str) -> str:
    """Safe HTML for a message's Markdown text."""
    return str(_renderer().render(text)).strip()
