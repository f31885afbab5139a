"""Reading a received RFC 822 message, whatever shape it arrives in.

`parse` never raises on bad input: the stdlib parser (`policy.default`) records defects instead
of failing, and the few places where it can still throw (some malformed headers, absurd nesting)
are caught here and turn into an empty value or a `problem` on the result. Headers are read from
their raw form and decoded here, so one broken header cannot spoil the others.
"""

import re
from dataclasses import dataclass, field
from email import errors, policy
from email.parser import BytesParser
from email.utils import getaddresses

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_noop as N_  # reasons: stored in English, shown translated

from tickets.email.text import html_to_text

# What the stdlib can raise on pathological header values (known CPython parser bugs included).
HEADER_ERRORS = (errors.HeaderParseError, IndexError, ValueError, TypeError, AttributeError, LookupError, UnicodeError)
# Defects that make an address header ambiguous: "cliente@example.com <x@evil.example>" parses
# as the display name's address, with an InvalidHeaderDefect as the only warning.
_AMBIGUOUS = (errors.InvalidHeaderDefect, errors.HeaderMissingRequiredValue, errors.NonASCIILocalPartDefect)
# A plain dot-atom address: no quoted local part, no address literal, a dotted domain.
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_STRICT_ADDRESS = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@[a-z0-9-]+(?:\.[a-z0-9-]+)+$")
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,250})>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_REFERENCES = 50
# Parts that only carry a signature of the rest: not attachments a person sent.
_SIGNATURE_TYPES = {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}


class MalformedMail(Exception):
    """The message cannot be read at all (or breaks a limit while being read)."""


@dataclass
class ParsedMail:
    message_id: str = ""
    subject: str = ""
    sender: str = ""
    sender_problem: str = ""  # why there is no usable sender; empty when `sender` is set
    recipients: list = field(default_factory=list)  # addresses from the headers, most specific first
    thread_ids: list = field(default_factory=list)  # In-Reply-To then References, most recent first
    automatic: str = ""  # why the message is machine-generated; empty for a person's mail
    text: str = ""
    attachments: list = field(default_factory=list)  # (file name, bytes)
    part_count: int = 0


def parse_bytes(raw, headers_only=False):
    return BytesParser(policy=policy.default).parsebytes(raw, headersonly=headers_only)


def read_message_id(raw):
    """The Message-ID of a raw message, read from its headers alone (before it is stored)."""
    return message_id_of(parse_bytes(raw, headers_only=True))


def message_id_of(message):
    ids = _message_ids(_header(message, "message-id"))
    return ids[0] if ids else ""


def parse(raw, max_parts):
    """Read a raw message; raises MalformedMail only when nothing sensible can be read."""
    try:
        message = parse_bytes(raw)
    except RecursionError:
        raise MalformedMail("nested too deeply") from None
    mail = ParsedMail(
        message_id=message_id_of(message),
        subject=one_line(decode_header(_header(message, "subject")))[:255],
        recipients=_recipients(message),
        automatic=_automatic(message),
    )
    mail.sender, mail.sender_problem = _sender(message)
    reply_to = _message_ids(_header(message, "in-reply-to"))
    references = _message_ids(" ".join(_headers(message, "references")))
    mail.thread_ids = list(dict.fromkeys(reversed(references[-MAX_REFERENCES:] + reply_to)))
    try:
        mail.part_count = sum(1 for _part in message.walk())
    except RecursionError:
        raise MalformedMail("nested too deeply") from None
    if mail.part_count > max_parts:
        raise MalformedMail(f"{mail.part_count} parts; the limit is {max_parts}")
    texts, htmls = [], []
    _collect(message, texts, htmls, mail.attachments, body_allowed=True)
    if texts:
        mail.text = "\n\n".join(texts)
    elif htmls:
        mail.text = html_to_text("\n".join(htmls))
    mail.text = clean_text(mail.text).strip()
    return mail


# Headers


def _headers(message, name):
    """The raw values of a header (unparsed: a bad one cannot raise here), 8-bit bytes decoded."""
    return [fix_8bit(str(value)) for key, value in message.raw_items() if key.lower() == name]


def _header(message, name):
    values = _headers(message, name)
    return values[0] if values else ""


def fix_8bit(text):
    """Undo the parser's surrogate escapes of raw 8-bit header bytes: UTF-8 if it is, else Windows-1252."""
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    data = text.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("windows-1252", "replace")


def decode_header(value):
    """A header's text with RFC 2047 encoded words decoded; the raw text if they cannot be."""
    try:
        return str(policy.default.header_factory("subject", value))
    except HEADER_ERRORS:
        return value


def one_line(text):
    return " ".join(clean_text(text).split())


def clean_text(text):
    """Text safe to store: no NUL or other control characters, no lone surrogates, Unix newlines."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _message_ids(value):
    ids = _MESSAGE_ID.findall(value)
    if not ids and value.strip() and len(value.split()) == 1 and "@" in value:
        ids = [value.strip().strip("<>")]  # some clients omit the angle brackets
    return [f"<{one_line(mid)}>" for mid in ids if one_line(mid)]


def _sender(message):
    """The one address of From, strictly: never a display name, never one of several."""
    values = _headers(message, "from")
    if not values:
        return "", N_("no From header")
    if len(values) > 1:
        return "", N_("several From headers")
    try:
        header = policy.default.header_factory("from", values[0])
        addresses = list(header.addresses)
        defects = header.defects
        groups = header.groups
    except HEADER_ERRORS:
        return "", N_("unreadable From header")
    if len(addresses) != 1 or any(group.display_name is not None for group in groups):
        return "", N_("From must name exactly one address")
    if any(isinstance(defect, _AMBIGUOUS) for defect in defects):
        return "", N_("ambiguous From header")
    address = addresses[0].addr_spec.lower()
    # A second, independent parse must agree, so that no parser difference decides who wrote.
    lenient = [addr.lower() for _name, addr in getaddresses([values[0]]) if addr]
    if lenient != [address] or not _STRICT_ADDRESS.match(address) or len(address) > 254:
        return "", N_("ambiguous From header")
    try:
        validate_email(address)
    except ValidationError:
        return "", N_("invalid From address")
    return address, ""


def _recipients(message):
    """Addresses the message was delivered to: the MTA's records first, then To and Cc."""
    found = []
    for name in ("x-original-to", "delivered-to", "to", "cc"):
        for _display, address in getaddresses(_headers(message, name)):
            address = address.strip().lower()
            # Only well-formed addresses go on to the database (a NUL byte would make PostgreSQL refuse the query).
            if _STRICT_ADDRESS.match(address) and address not in found:
                found.append(address)
    return found


def _automatic(message):
    """Why this is a machine's message that must never be answered, or ""."""
    # The values go into the stored reason: cleaned like any text we keep.
    auto_submitted = one_line(_header(message, "auto-submitted")).split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = one_line(_header(message, "precedence")).lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    if _headers(message, "list-id"):
        return N_("mailing list (List-Id)")
    if any(value.strip().strip("<>").strip() == "" for value in _headers(message, "return-path")):
        return N_("empty return path")
    if _headers(message, "x-autoreply") or _headers(message, "x-autorespond"):
        return N_("auto-reply (X-Autoreply)")
    try:
        content_type = message.get_content_type()
    except HEADER_ERRORS:
        content_type = ""
    if content_type == "multipart/report" or content_type == "message/delivery-status":
        return N_("delivery or read report")
    sender = _header(message, "from").lower()
    if "mailer-daemon@" in sender:
        return N_("mail system (MAILER-DAEMON)")
    return ""


# Body and attachments


def _collect(part, texts, htmls, attachments, body_allowed):
    """Walk the MIME tree: the body's text and HTML parts, and every file (inline images included).

    Of a multipart/alternative only one branch gives the body (the one with plain text, if any);
    files are taken from every branch, so an image pasted into the HTML version is not lost.
    An attached message (message/rfc822) is one file, not part of the body.
    """
    content_type, disposition, name, charset = _part_headers(part)
    if content_type.startswith("multipart/") and not part.is_multipart():
        # A multipart whose boundary never appears: its body is all there is, read it as text.
        content_type = "text/plain"
    if content_type.startswith("multipart/"):
        children = [child for child in part.get_payload() if hasattr(child, "get_content_type")]
        chosen = _body_branch(children) if content_type == "multipart/alternative" else None
        for child in children:
            _collect(child, texts, htmls, attachments, body_allowed and (chosen is None or child is chosen))
        return
    if content_type in _SIGNATURE_TYPES:
        return
    if content_type in ("text/plain", "text/html") and not name and disposition != "attachment":
        if body_allowed:
            text = decode_text(_payload(part), charset)
            (texts if content_type == "text/plain" else htmls).append(text)
        return
    data = _payload(part)
    if data:
        attachments.append((name or _default_name(content_type, len(attachments) + 1), data))


def _body_branch(children):
    for child in children:
        if _has_type(child, "text/plain"):
            return child
    return children[-1] if children else None


def _has_type(part, wanted):
    try:
        return any(sub.get_content_type() == wanted for sub in part.walk())
    except HEADER_ERRORS:
        return False


def _part_headers(part):
    """(content type, disposition, file name, charset) of a part, each header parsed once.

    The stdlib parses a header anew on every access, and it is the slowest step of reading a message.
    """
    try:
        content_type = part.get("content-type")
        disposition = part.get("content-disposition")
        type_params = dict(getattr(content_type, "params", {}))
        disposition_params = dict(getattr(disposition, "params", {}))
        kind = content_type.content_type if content_type is not None else part.get_default_type()
        disposition = getattr(disposition, "content_disposition", None) or ""
    except HEADER_ERRORS:
        return "application/octet-stream", "", "", ""
    name = disposition_params.get("filename") or type_params.get("name") or ""
    name = one_line(decode_header(fix_8bit(str(name))))
    return kind, disposition, name, str(type_params.get("charset") or "")


def _payload(part):
    """The decoded bytes of a leaf part (base64 and quoted-printable errors tolerated)."""
    try:
        if part.is_multipart():  # an attached message: the message itself is the file
            inner = part.get_payload()
            return inner[0].as_bytes() if len(inner) == 1 else part.as_bytes()
        data = part.get_payload(decode=True)
    except (*HEADER_ERRORS, RecursionError, errors.MessageError):
        return b""
    return data if isinstance(data, bytes) else b""


def decode_text(data, charset):
    """Bytes of a text part as str: the declared charset if it fits, else UTF-8, else Windows-1252."""
    for candidate in (charset, "utf-8", "windows-1252"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeError, ValueError, TypeError):
            continue  # unknown or non-text codec ("base64"), or bytes that do not fit it
    return data.decode("latin-1")


def _default_name(content_type, number):
    return f"{content_type.split('/')[0]}-{number}{_EXTENSIONS.get(content_type, '')}"
