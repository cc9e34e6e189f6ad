"""The rich text of a sheet's answer: a few harmless tags, nothing else (nh3).

Allowed: p, br, strong, em, ul, ol, li, h3, h4, blockquote, and a with href (http, https, mailto, tel only;
rel="noopener noreferrer" added). Everything else is stripped: scripts and styles with their content, other
tags keeping their text, every other attribute (on*, style, class…), `javascript:` or `data:` links.
Sanitised on save (`services.save_sheet`) AND when rendering (`knowledge_tags.rich`), so that a row written by
other means (fixture, SQL, an older rule) is never shown raw.

An answer typed without any tag (plain text) becomes paragraphs (blank lines), line breaks and bulleted lists
(lines starting with « - » or « • »): agents without the toolbar can still write a readable answer.
"""

import html
import re

import nh3
from django.utils.safestring import mark_safe

TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote"}
ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
TAG = re.compile(r"<[^>]*>")
LOOKS_LIKE_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
BULLET = re.compile(r"^\s*[-•*]\s+")
BLOCK = re.compile(r"<(p|ul|ol|h3|h4|blockquote)[\s>]", re.IGNORECASE)


def sanitise(value):
    """The HTML `value` with only the allowed tags and attributes (a str, not marked safe)."""
    cleaned = nh3.clean(
        str(value or ""), tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer", strip_comments=True,
    )
    return cleaned.strip()


def render(value):
    """Sanitised HTML ready for a template."""
    return mark_safe(sanitise(value))  # noqa: S308 — only nh3's allowed tags remain


def from_plain_text(text, escape=True):
    """HTML of a text typed without tags: paragraphs, line breaks, bulleted lists (escaped). With
    `escape=False`, the text's own inline tags (strong, a…) are kept for the sanitiser."""
    quote = html.escape if escape else str
    blocks = []
    for block in re.split(r"\n\s*\n", str(text or "").replace("\r\n", "\n").strip()):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if all(BULLET.match(line) for line in lines):
            items = "".join(f"<li>{quote(BULLET.sub('', line).strip())}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append("<p>" + "<br>".join(quote(line.strip()) for line in lines) + "</p>")
    return "".join(blocks)


def clean_answer(value):
    """What is stored for an answer typed in the form: HTML sanitised, or plain text turned into HTML (text with
    only inline tags, such as « Un <strong>acte</strong> », keeps its paragraphs and lines too)."""
    value = str(value or "").strip()
    if not LOOKS_LIKE_HTML.search(value):
        value = from_plain_text(value)
    elif not BLOCK.search(value):
        value = from_plain_text(value, escape=False)
    return sanitise(value)


def plain_text(value):
    """The words of a (sanitised) answer without its tags, block ends as spaces (search index, excerpts)."""
    text = TAG.sub(" ", sanitise(value))
    return re.sub(r"\s+", " ", html.unescape(text)).strip()
