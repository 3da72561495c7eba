"""Imported text to the site's plain text: paragraphs separated by blank lines.

The site stores contributions as plain text and renders them with the `body`
filter (a blank line starts a paragraph, a single line break stays one, links
become clickable). `html_to_text` turns the HTML of another platform into that
format with the standard library's parser; `plain_text` tidies text that is
already plain.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# A line break inside a paragraph, kept apart from the whitespace HTML folds.
_BREAK = "\x00"
# HTML whitespace folds to one space; the no-break space is French typography.
_FOLDED = re.compile(r"[ \t\r\n\f\v]+")
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
    }
)
_SKIPPED = frozenset({"script", "style", "template", "head", "title"})
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_HTML_BREAK = re.compile(r"[ \t]*<br\s*/?>[ \t]*(?:\r?\n)?", re.IGNORECASE)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        # convert_charrefs decodes every entity (&eacute;, &#39;, &gt without ;).
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.current: list[str] = []
        self.skipping = 0
        # Open links: (href or "", index in `current` where their text starts).
        self.links: list[tuple[str, int]] = []
        # Open lists: None for <ul>, the next item number for <ol>.
        self.lists: list[int | None] = []

    def close_paragraph(self) -> None:
        text = _FOLDED.sub(" ", "".join(self.current))
        lines = [line.strip() for line in text.split(_BREAK)]
        paragraph = "\n".join(line for line in lines if line)
        if paragraph.strip():
            self.paragraphs.append(paragraph)
        self.current = []
        self.links = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "br":
            self.current.append(_BREAK)
        elif tag == "li":
            self.close_paragraph()
            marker = "–"
            if self.lists and self.lists[-1] is not None:
                number = self.lists[-1]
                self.lists[-1] = number + 1
                marker = f"{number}."
            self.current.append(f"{marker} ")
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            self.links.append((href if href.startswith(_LINK_SCHEMES) else "", len(self.current)))
        elif tag in _BLOCKS:
            self.close_paragraph()
            if tag == "ol":
                self.lists.append(1)
            elif tag == "ul":
                self.lists.append(None)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "a":
            if not self.links:
                return
            href, start = self.links.pop()
            if not href:
                return
            text = _FOLDED.sub(" ", "".join(self.current[start:])).strip()
            # A link keeps its address as text: the site makes it clickable.
            if _same_address(text, href):
                self.current[start:] = [href.removeprefix("mailto:")]
            elif text:
                self.current.append(f" ({href.removeprefix('mailto:')})")
            else:
                self.current.append(href.removeprefix("mailto:"))
        elif tag in _BLOCKS or tag == "li":
            self.close_paragraph()
            if tag in ("ol", "ul") and self.lists:
                self.lists.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.current.append(data)


def _same_address(text: str, href: str) -> bool:
    """Return whether a link's text only repeats its address (maybe without its scheme)."""
    bare = re.sub(r"^(?:https?://|mailto:)", "", href).rstrip("/")
    shown = re.sub(r"^(?:https?://|mailto:)", "", text).rstrip("/").rstrip("…").rstrip(".")
    return not text or shown == bare or (len(shown) > 10 and bare.startswith(shown))


def html_to_text(markup: str) -> str:
    """Return HTML as plain text: entities decoded, tags stripped, links kept as addresses."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    parser.close_paragraph()
    return "\n\n".join(parser.paragraphs)


def plain_text(text: str) -> str:
    """Return user text tidied: Unix line ends, `<br>` typed as text made a line break,
    no trailing spaces, at most one blank line between paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _HTML_BREAK.sub("\n", text)
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def shorten(text: str, limit: int) -> str:
    """Return `text` on one line, cut at a word boundary with « … » when longer than `limit`."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"
