"""Turning a received e-mail's body into the text of a ticket message.

`html_to_text` reads HTML-only mail as plain text (no markup survives, so nothing can run in a
page that shows it). `strip_quoted` removes what a reply repeats (the quoted history, the
attribution line above it, the signature) in the shapes Gmail, Outlook, Apple Mail and
Thunderbird write them, in Portuguese and English.
"""

import re
from html.parser import HTMLParser

# Elements whose content is never text for a reader.
_SKIPPED = {"script", "style", "head", "title", "template", "svg", "object", "iframe"}
# Elements that start a new line.
_BLOCKS = {
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul",
}  # fmt: skip


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML document line by line; blockquotes become `> ` quoted lines."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines = []  # (quote depth, text)
        self.current = []
        self.skipping = 0
        self.quote_depth = 0
        self.pre = 0
        self.links = []  # href of each open <a>, with the length of the line's text when it opened

    def _flush(self, force=False):
        """End the current line; an empty one only for an explicit <br> (or a paragraph's gap)."""
        text = "".join(self.current)
        if not self.pre:
            text = " ".join(text.split())
        self.current = []
        if text or force:
            self.lines.append((self.quote_depth, text))

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED:
            self.skipping += 1
        elif self.skipping:
            return
        elif tag == "br":
            self._flush(force=True)
        elif tag in _BLOCKS:
            self._flush()
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "li":
                self.current.append("- ")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len("".join(self.current))))

    def handle_endtag(self, tag):
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif self.skipping:
            return
        elif tag in _BLOCKS:
            self._flush()
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
            elif tag == "p":
                self._flush(force=True)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.current)[start:].strip()
            # A link keeps its address as text unless the label already shows it.
            shown = href.removeprefix("mailto:").rstrip("/")
            if href.startswith(("http://", "https://", "mailto:")) and shown not in label:
                self.current.append(f" ({href})")

    def handle_data(self, data):
        if not self.skipping:
            self.current.append(data)

    def text(self):
        while self.links:  # links left open by broken HTML still show their address
            self.handle_endtag("a")
        self._flush()
        return "\n".join(("> " * depth + line).rstrip() for depth, line in self.lines)


def html_to_text(html):
    """Readable plain text of an HTML body; links keep their address, scripts and styles vanish."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return _squeeze_blank_lines(parser.text())


# Quoted history.

_ATTRIBUTION = re.compile(
    r"^(?:(?:On|Em|Le|Am)\s.*|.*\S)\s(?:wrote|escreveu|a écrit|schrieb)\s*:$|"
    r"^\d{4}-\d{2}-\d{2} .*<[^>]+@[^>]+>:$",  # Gmail's older "2024-05-06 10:00 GMT-03:00 Name <addr>:"
    re.IGNORECASE,
)
_WRAPPED_ATTRIBUTION_START = re.compile(r"^\s*(?:On|Em|Le|Am)\s", re.IGNORECASE)
# The header block Outlook (Windows, Mac, web) writes above the message it quotes, one table per
# language: the field names of each role. Windows writes Sent (Enviado, or Enviada em in newer
# builds); Mac and Apple Mail write Date (Data).
HEADER_BLOCK_FIELDS = {
    "en": {"from": ["From"], "sent": ["Sent"], "date": ["Date"], "to": ["To", "Cc"], "subject": ["Subject"]},
    "pt-br": {
        "from": ["De"],
        "sent": ["Enviada em", "Enviado em", "Enviado", "Enviada"],
        "date": ["Data"],
        "to": ["Para", "Cc"],
        "subject": ["Assunto"],
    },
}
# The separator line some clients put above that block, per language.
ORIGINAL_MESSAGE = {"en": ["Original Message"], "pt-br": ["Mensagem original"]}

_FIELD_ROLES = {
    name.lower(): role for table in HEADER_BLOCK_FIELDS.values() for role, names in table.items() for name in names
}
_FIELD = re.compile(
    r"^\s*\**\s*(" + "|".join(sorted(map(re.escape, _FIELD_ROLES), key=len, reverse=True)) + r")\s*:\**\s*\S",
    re.IGNORECASE,
)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:"
    + "|".join(re.escape(text) for texts in ORIGINAL_MESSAGE.values() for text in texts)
    + r")\s*-{2,}\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*(?:_{8,}|-{8,})\s*$")
_FORWARD_MARKER = re.compile(
    r"forwarded message|mensagem encaminhada|begin forwarded message|início da mensagem encaminhada", re.IGNORECASE
)
_SIGNATURE_DELIMITER = re.compile(r"^--\s?$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:Sent from my |Enviado do meu |Enviado de meu |Sent from Outlook|Enviado do Outlook|"
    r"Get Outlook for |Obter o Outlook para |Baixe o Outlook para |Sent from Mail for |Enviado do Email )"
    r".{0,60}$",
    re.IGNORECASE,
)
# A signature longer than this is more likely the writer's own text after a "--" line.
_MAX_SIGNATURE_LINES = 15


def strip_quoted(text):
    """The new text of a reply: without the quoted history, its attribution line, or a signature.

    Falls back to the whole text when nothing would be left (a message that only quotes).
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[: _history_start(lines)]
    lines = _without_quote_blocks(lines)
    lines = _without_signature(lines)
    stripped = _squeeze_blank_lines("\n".join(lines))
    return stripped or text.strip()


def _history_start(lines):
    """Index of the first line of an Outlook-style history block (separator or header block), or len."""
    for index, line in enumerate(lines):
        if _ORIGINAL_MESSAGE.match(line) or _is_header_block(lines, index):
            # A rule line just above the block (Outlook's underscores) goes with it.
            start = index
            while start > 0 and (not lines[start - 1].strip() or _RULE.match(lines[start - 1])):
                start -= 1
            return start
    return len(lines)


def _is_header_block(lines, index):
    """Outlook's "From: … Sent: … To: … Subject:" (or "De: … Enviada em: …") above the previous message.

    Forwarded messages have the same fields but are the content, not history: they are kept.
    """
    first = _FIELD.match(lines[index])
    if not first or _FIELD_ROLES[first.group(1).lower()] != "from":
        return False
    roles = set()
    for line in lines[index + 1 : index + 6]:
        match = _FIELD.match(line)
        if match:
            roles.add(_FIELD_ROLES[match.group(1).lower()])
    if not ("sent" in roles or {"date", "subject"} <= roles):
        return False
    before = "\n".join(lines[max(0, index - 3) : index])
    return not _FORWARD_MARKER.search(before)


def _is_quoted(line):
    return line.lstrip().startswith(">")


def _without_quote_blocks(lines):
    """Drop `>` quoted lines and the attribution line ("On … wrote:") that introduces them."""
    kept = []
    index = 0
    while index < len(lines):
        span = _attribution_span(lines, index)
        if span:
            index += span
            continue
        if not _is_quoted(lines[index]):
            kept.append(lines[index])
        index += 1
    return kept


def _attribution_span(lines, index):
    """How many lines an attribution starting at `index` takes (Gmail wraps it over up to three), or 0.

    Only an attribution followed by a quote counts: "On Monday Ana wrote:" in one's own words stays.
    """
    spans = (1, 2, 3) if _WRAPPED_ATTRIBUTION_START.match(lines[index]) else (1,)
    for span in spans:
        part = lines[index : index + span]
        if len(part) < span or any(_is_quoted(line) or not line.strip() for line in part):
            return 0
        joined = " ".join(line.strip() for line in part)
        if _ATTRIBUTION.match(joined):
            following = next((line for line in lines[index + span :] if line.strip()), "")
            return span if _is_quoted(following) else 0
    return 0


def _without_signature(lines):
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    if lines and _MOBILE_SIGNATURE.match(lines[-1]):
        lines = lines[:-1]
    for index in range(len(lines) - 1, max(-1, len(lines) - _MAX_SIGNATURE_LINES - 2), -1):
        if _SIGNATURE_DELIMITER.match(lines[index]):
            return lines[:index]
    return lines


def _squeeze_blank_lines(text):
    """At most one blank line in a row, no trailing spaces, no blank lines around."""
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")
