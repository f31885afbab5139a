"""Reading a received RFC 822 message, whatever shape it arrives in.

`parse` never raises on bad input: the stdlib parser (`policy.default`) records defects instead
of failing, and the few places where it can still throw (some malformed headers, absurd nesting)
are caught here and turn into an empty value or a `problem` on the result. Headers are read from
their raw form and decoded here, so one broken header cannot spoil the others.
"""

import codecs
import re
from dataclasses import dataclass, field
from email import errors, policy
from email.parser import BytesParser
from email.utils import getaddresses

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_noop  # reasons: stored in English, shown translated

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
    unreadable: list = field(default_factory=list)  # why a part's text could not be read (its place holds UNREADABLE)
    authentication_results: list = field(default_factory=list)  # raw Authentication-Results values, top first
    bounce: bool = False  # a delivery report (what `automatic` says may also be an auto-reply or a list)


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
        authentication_results=[one_line(value) for value in raw_headers(message, "authentication-results")],
    )
    mail.automatic, mail.bounce = _automatic(message)
    mail.sender, mail.sender_problem = _sender(message)
    reply_to = _message_ids(_header(message, "in-reply-to"))
    references = _message_ids(" ".join(raw_headers(message, "references")))
    mail.thread_ids = list(dict.fromkeys(reversed(references[-MAX_REFERENCES:] + reply_to)))
    try:
        mail.part_count = sum(1 for _part in message.walk())
    except RecursionError:
        raise MalformedMail("nested too deeply") from None
    if mail.part_count > max_parts:
        raise MalformedMail(f"{mail.part_count} parts; the limit is {max_parts}")
    texts, htmls = [], []
    _collect(message, texts, htmls, mail.attachments, mail.unreadable, body_allowed=True)
    if texts:
        mail.text = "\n\n".join(texts)
    elif htmls:
        mail.text = html_to_text("\n".join(htmls))
    mail.text = clean_text(mail.text).strip()
    return mail


# Headers


def raw_headers(message, name):
    """The raw values of a header (unparsed: a bad one cannot raise here), 8-bit bytes decoded."""
    return [fix_8bit(str(value)) for key, value in message.raw_items() if key.lower() == name]


def _header(message, name):
    values = raw_headers(message, name)
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
    values = raw_headers(message, "from")
    if not values:
        return "", gettext_noop("no From header")
    if len(values) > 1:
        return "", gettext_noop("several From headers")
    try:
        header = policy.default.header_factory("from", values[0])
        addresses = list(header.addresses)
        defects = header.defects
        groups = header.groups
    except HEADER_ERRORS:
        return "", gettext_noop("unreadable From header")
    if len(addresses) != 1 or any(group.display_name is not None for group in groups):
        return "", gettext_noop("From must name exactly one address")
    if any(isinstance(defect, _AMBIGUOUS) for defect in defects):
        return "", gettext_noop("ambiguous From header")
    address = addresses[0].addr_spec.lower()
    # A second, independent parse must agree, so that no parser difference decides who wrote.
    lenient = [addr.lower() for _name, addr in getaddresses([values[0]]) if addr]
    if lenient != [address] or not _STRICT_ADDRESS.match(address) or len(address) > 254:
        return "", gettext_noop("ambiguous From header")
    try:
        validate_email(address)
    except ValidationError:
        return "", gettext_noop("invalid From address")
    return address, ""


def _recipients(message):
    """Addresses the message was delivered to: the MTA's records first, then To and Cc."""
    found = []
    for name in ("x-original-to", "delivered-to", "to", "cc"):
        for _display, address in getaddresses(raw_headers(message, name)):
            address = address.strip().lower()
            # Only well-formed addresses go on to the database (a NUL byte would make PostgreSQL refuse the query).
            if _STRICT_ADDRESS.match(address) and address not in found:
                found.append(address)
    return found


# Senders that are mail systems, not people: their mail is a report, whatever its shape.
_SYSTEM_SENDERS = re.compile(r"(?:^|[<\s\"])(?:mailer-daemon|postmaster|mail-daemon|mailer)@", re.IGNORECASE)
# Subjects of delivery reports whose MIME structure a provider's webhook may have flattened.
_BOUNCE_SUBJECTS = re.compile(
    r"^(?:undelivered mail returned to sender|undeliverable|delivery status notification|"
    r"mail delivery failed|returned mail|delivery failure|failure notice|"
    r"mensagem não entregue|não entregue|falha na entrega|notificação de status de entrega)",
    re.IGNORECASE,
)
_REPORT_TYPES = {"multipart/report", "message/delivery-status", "message/disposition-notification"}


def _automatic(message):
    """(why this is a machine's message that must never be answered, or ""; whether it is a delivery report)."""
    # The values go into the stored reason: cleaned like any text we keep.
    reasons = []
    auto_submitted = one_line(_header(message, "auto-submitted")).split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        reasons.append(f"Auto-Submitted: {auto_submitted}")
    precedence = one_line(_header(message, "precedence")).lower()
    if precedence in ("bulk", "junk", "list"):
        reasons.append(f"Precedence: {precedence}")
    if raw_headers(message, "list-id"):
        reasons.append(gettext_noop("mailing list (List-Id)"))
    bounce = _bounce(message)
    if bounce:
        reasons.append(bounce)
    if raw_headers(message, "x-autoreply") or raw_headers(message, "x-autorespond"):
        reasons.append(gettext_noop("auto-reply (X-Autoreply)"))
    return (reasons[0] if reasons else ""), bool(bounce)


def _bounce(message):
    """Why this is a delivery report (a bounce), however it arrived, or ""."""
    if any(value.strip().strip("<>").strip() == "" for value in raw_headers(message, "return-path")):
        return gettext_noop("empty return path")
    if _is_report(message):
        return gettext_noop("delivery or read report")
    if _SYSTEM_SENDERS.search(_header(message, "from")):
        return gettext_noop("mail system (MAILER-DAEMON)")
    if raw_headers(message, "x-failed-recipients"):
        return gettext_noop("delivery report (X-Failed-Recipients)")
    if _BOUNCE_SUBJECTS.match(one_line(decode_header(_header(message, "subject")))):
        return gettext_noop("delivery report (subject)")
    return ""


def _is_report(message):
    """A delivery or read report anywhere in the tree (a provider may have wrapped it in another multipart)."""
    try:
        return any(part.get_content_type() in _REPORT_TYPES for part in message.walk())
    except (*HEADER_ERRORS, RecursionError):
        return False


# Body and attachments


UNREADABLE = gettext_noop("[A part of this message could not be decoded; it was kept out of the text.]")
# A text part with any of these is binary data that a text decoder would turn into garbage.
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_BROKEN_QP = re.compile(rb"=(?![0-9A-Fa-f]{2}|\r?\n|\Z)")


def _collect(part, texts, htmls, attachments, unreadable, body_allowed):
    """Walk the MIME tree: the body's text and HTML parts, and every file (inline images included).

    Of a multipart/alternative only one branch gives the body (the one with plain text, if any);
    files are taken from every branch, so an image pasted into the HTML version is not lost.
    An attached message (message/rfc822) is one file, not part of the body. A text part that
    cannot be decoded is never read as text: its reason goes in `unreadable`, UNREADABLE in its place.
    """
    content_type, disposition, name, charset = _part_headers(part)
    if content_type.startswith("multipart/") and not part.is_multipart():
        # A multipart whose boundary never appears: its body is raw MIME, not anyone's text.
        if body_allowed:
            unreadable.append(gettext_noop("broken multipart boundary"))
            texts.append(UNREADABLE)
        return
    if content_type.startswith("multipart/"):
        children = [child for child in part.get_payload() if hasattr(child, "get_content_type")]
        chosen = _body_branch(children) if content_type == "multipart/alternative" else None
        for child in children:
            _collect(child, texts, htmls, attachments, unreadable, body_allowed and (chosen is None or child is chosen))
        return
    if content_type in _SIGNATURE_TYPES:
        return
    if content_type in ("text/plain", "text/html") and not name and disposition != "attachment":
        if body_allowed:
            text, problem = _read_text(part, charset)
            if problem:
                unreadable.append(problem)
                text = UNREADABLE
            (texts if content_type == "text/plain" or problem else htmls).append(text)
        return
    data = _payload(part)
    if data:
        attachments.append((name or _default_name(content_type, len(attachments) + 1), data))


def _read_text(part, charset):
    """(the text of a body part, ""), or ("", why it cannot be read)."""
    data = _payload(part)
    if any(isinstance(defect, errors.InvalidBase64LengthDefect) for defect in part.defects):
        return "", gettext_noop("broken base64")
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if encoding == "quoted-printable" and _BROKEN_QP.search(_raw_payload(part)):
        return "", gettext_noop("broken quoted-printable")
    text = decode_text(data, charset)
    if text is None:
        return "", gettext_noop("unknown charset")
    if _BINARY.search(text):
        return "", gettext_noop("binary data in a text part")
    return text, ""


def _raw_payload(part):
    payload = part.get_payload(decode=False)
    # The parser keeps undecodable bytes as surrogates, but a part can hold other non-ASCII text too.
    return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""


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
    """Bytes of a text part as str: the declared charset if it fits, else UTF-8, else Windows-1252.

    A charset we do not know only gets UTF-8: guessing a single-byte charset for it would store
    garbage as text. None when nothing fits.
    """
    candidates = ("utf-8", "windows-1252")
    if charset:
        try:
            codecs.lookup(charset)
        except (LookupError, ValueError, TypeError):
            candidates = ("utf-8",)
        else:
            candidates = (charset, *candidates)
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeError, ValueError, TypeError):
            continue  # a non-text codec ("base64"), or bytes that do not fit it
    return None


def _default_name(content_type, number):
    return f"{content_type.split('/')[0]}-{number}{_EXTENSIONS.get(content_type, '')}"
