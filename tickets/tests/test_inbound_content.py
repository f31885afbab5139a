"""The text of received mail: quoted history and signatures removed, HTML read safely, charsets decoded."""

import pytest

from tickets.email.mime import decode_text, parse
from tickets.email.text import html_to_text, strip_quoted

# Quoted history, as each client writes it


QUOTED_REPLIES = {
    "gmail-en": ["On Mon, May 6, 2024 at 11:02 AM Suporte <suporte@example.com>", "wrote:", "", "> Hello,", "> PHP."],
    "gmail-pt": ["Em seg., 6 de mai. de 2024 às 11:02, Suporte <suporte@example.com>", "escreveu:", "", "> Olá,"],
    "gmail-old": ["2024-05-06 11:02 GMT-03:00 Suporte <suporte@example.com>:", "", "> Hello,"],
    "apple-en": ["> On 6 May 2024, at 11:02, Suporte <suporte@example.com> wrote:", ">", "> Hello,"],
    "apple-pt": ["Em 6 de mai. de 2024, à(s) 11:02, Suporte <suporte@example.com> escreveu:", "", "> Olá,"],
    "thunderbird-en": ["On 06/05/2024 11:02, Suporte wrote:", "> Hello,", "> We restarted PHP."],
    "thunderbird-pt": ["Em 06/05/2024 11:02, Suporte escreveu:", "> Olá,"],
    "outlook-original-en": [
        "-----Original Message-----",
        "From: Suporte <suporte@example.com>",
        "Sent: Monday, May 6, 2024 11:02 AM",
        "To: Carla",
        "Subject: RE: [#483920] Site down",
        "",
        "Hello,",
    ],
    "outlook-original-pt": [
        "-----Mensagem original-----",
        "De: Suporte <suporte@example.com>",
        "Enviada em: segunda-feira",
        "",
        "Olá,",
    ],
    "outlook-en": [
        "________________________________",
        "From: Suporte <suporte@example.com>",
        "Sent: Monday, May 6, 2024",
        "To: Carla Cliente <cliente@example.com>",
        "Subject: [#483920] Site down",
        "",
        "Hello Carla,",
    ],
    "outlook-pt": [
        "________________________________",
        "De: Suporte <suporte@example.com>",
        "Enviado: segunda-feira, 6 de maio",
        "Para: Carla Cliente",
        "Assunto: [#483920] Site fora do ar",
        "",
        "Olá Carla,",
    ],
    # Newer Outlook for Windows in Portuguese, without the rule line above the block.
    "outlook-pt-enviada-em": [
        "De: Suporte <suporte@example.com>",
        "Enviada em: segunda-feira, 6 de maio de 2024 11:02",
        "Para: Carla Cliente <cliente@example.com>",
        "Assunto: RE: [#483920] Site fora do ar",
        "",
        "Olá Carla,",
    ],
    "outlook-pt-enviada-em-rule": [
        "________________________________",
        "De: Suporte <suporte@example.com>",
        "Enviada em: segunda-feira, 6 de maio de 2024 11:02",
        "Para: Carla Cliente <cliente@example.com>",
        "Cc: Financeiro <financeiro@example.com>",
        "Assunto: RE: [#483920] Site fora do ar",
        "",
        "Olá Carla,",
    ],
    "outlook-en-no-rule": [
        "From: Suporte <suporte@example.com>",
        "Sent: Monday, May 6, 2024 11:02 AM",
        "To: Carla Cliente <cliente@example.com>",
        "Subject: RE: [#483920] Site down",
        "",
        "Hello Carla,",
    ],
    "outlook-mac-pt": [
        "De: Suporte <suporte@example.com>",
        "Data: segunda-feira, 6 de maio de 2024 11:02",
        "Para: Carla Cliente <cliente@example.com>",
        "Assunto: Re: Site fora do ar",
        "",
        "Olá,",
    ],
    # Outlook's HTML turned into text elsewhere: the labels were bold.
    "outlook-bold": ["*From:* Suporte <suporte@example.com>", "*Sent:* Monday, May 6, 2024", "*Subject:* Site down"],
    # Outlook for Mac writes Date instead of Sent.
    "outlook-mac": [
        "From: Suporte <suporte@example.com>",
        "Date: Monday, 6 May 2024 at 11:02",
        "To: Carla",
        "Subject: Re: Site down",
        "",
        "Hello,",
    ],
}


@pytest.mark.parametrize("quote", QUOTED_REPLIES.values(), ids=QUOTED_REPLIES.keys())
def test_the_quoted_history_of_every_client_is_removed(quote):
    assert strip_quoted("\n".join(["Works now.", "", *quote, ""])) == "Works now."


@pytest.mark.parametrize(
    "signature",
    [
        "\n\n-- \nCarla Cliente\nLoja Exemplo Ltda",
        "\n\n--\nCarla Cliente",
        "\n\nSent from my iPhone",
        "\n\nEnviado do meu iPhone",
        "\n\nEnviado do meu Galaxy",
        "\n\nGet Outlook for Android",
        "\n\nObter o Outlook para iOS",
    ],
)
def test_signatures_are_removed(signature):
    assert strip_quoted("Works now." + signature) == "Works now."


def test_a_bottom_posted_reply_keeps_the_text_under_the_quote():
    reply = "On 06/05/2024 11:02, Suporte wrote:\n> Could you check?\n\nChecked: it works.\n\n-- \nCarla\n"
    assert strip_quoted(reply) == "Checked: it works."


def test_an_interleaved_reply_keeps_every_answer():
    reply = "> Is the site up?\nYes.\n\n> And the e-mail?\nStill down.\n"
    assert strip_quoted(reply) == "Yes.\n\nStill down."


def test_words_that_look_like_an_attribution_stay_when_no_quote_follows():
    text = "On Monday my colleague wrote:\nthe site is down again.\nPlease check."
    assert strip_quoted(text) == text


def test_a_forwarded_message_is_content_not_history():
    text = "\n".join(
        [
            "Please see the warning below.",
            "",
            "---------- Forwarded message ---------",
            "From: Host Panel <panel@host.example>",
            "Date: Mon, 6 May 2024 at 10:00",
            "Subject: Disk quota exceeded",
            "To: <cliente@example.com>",
            "",
            "Your disk is full.",
        ]
    )
    assert strip_quoted(text) == text


def test_a_long_text_after_two_dashes_is_not_a_signature():
    text = "First part.\n--\n" + "\n".join(f"Line {n} of my report." for n in range(20))
    assert strip_quoted(text) == text


def test_a_message_that_only_quotes_keeps_its_whole_text():
    text = "On Mon, May 6, 2024, Suporte wrote:\n> Hello,\n> We restarted PHP."
    assert strip_quoted(text) == text


def test_blank_lines_are_squeezed_and_windows_newlines_normalised():
    assert strip_quoted("Line one.\r\n\r\n\r\n\r\nLine two.   \r\n") == "Line one.\n\nLine two."


# HTML


def test_html_becomes_text_without_scripts_styles_or_markup():
    html = (
        "<html><head><title>t</title><style>p{color:red}</style><script>alert('x')</script></head><body>"
        "<p>Hello &amp; welcome,</p><p>The <b>site</b> is <i>down</i>.<img src=x onerror=alert(1)></p>"
        "<svg><script>alert(2)</script></svg><iframe src='https://evil.example'>frame</iframe></body></html>"
    )
    text = html_to_text(html)
    assert text == "Hello & welcome,\n\nThe site is down."


def test_links_keep_their_address_as_text():
    html = (
        '<p>See <a href="https://exemplo.com.br/erro">this page</a>, write to '
        '<a href="mailto:suporte@example.com">suporte@example.com</a> or open '
        '<a href="https://exemplo.com.br/">https://exemplo.com.br</a>. <a href="javascript:alert(1)">click</a></p>'
    )
    assert html_to_text(html) == (
        "See this page (https://exemplo.com.br/erro), write to suporte@example.com "
        "or open https://exemplo.com.br. click"
    )


def test_html_lines_lists_preformatted_text_and_quotes():
    html = (
        "<div>Steps:</div><ul><li>open the panel</li><li>click   e-mail</li></ul>"
        "<pre>Error 500\n  at line 3</pre><div><br></div>"
        "<blockquote><div>old</div><blockquote>older</blockquote></blockquote>"
    )
    assert html_to_text(html) == (
        "Steps:\n- open the panel\n- click e-mail\nError 500\n  at line 3\n\n> old\n> > older"
    )


def test_gmail_html_quote_is_removed_like_the_plain_one():
    html = (
        '<div dir="ltr">Fixed, thanks.</div><br><div class="gmail_quote"><div class="gmail_attr">On Mon, May 6, 2024 '
        'at 11:02 Suporte &lt;<a href="mailto:suporte@example.com">suporte@example.com</a>&gt; wrote:<br></div>'
        '<blockquote class="gmail_quote">Hello,<br>We restarted PHP.</blockquote></div>'
    )
    assert strip_quoted(html_to_text(html)) == "Fixed, thanks."


def test_broken_html_still_gives_its_text():
    assert html_to_text("<div><p>unclosed <b>bold <a href='https://x.example'>link") == (
        "unclosed bold link (https://x.example)"
    )


# Charsets and encoded headers


def _mail(headers, body=b"Hello", content_type=b"text/plain; charset=utf-8", cte=b"8bit"):
    return (
        b"From: Carla <cliente@example.com>\nTo: suporte@example.com\n"
        + headers
        + b"\nMIME-Version: 1.0\nContent-Type: "
        + content_type
        + b"\nContent-Transfer-Encoding: "
        + cte
        + b"\n\n"
        + body
    )


@pytest.mark.parametrize(
    ("header", "subject"),
    [
        (b"Subject: =?UTF-8?Q?Fatura_n=C3=A3o_paga?=", "Fatura não paga"),
        (b"Subject: =?UTF-8?B?RmF0dXJhIG7Do28gcGFnYQ==?=", "Fatura não paga"),
        (b"Subject: =?ISO-8859-1?Q?Fatura_n=E3o_paga?=", "Fatura não paga"),
        (b"Subject: =?windows-1252?Q?=93Erro=94_no_site?=", "“Erro” no site"),
        (b"Subject: =?UTF-8?Q?Fatura_n=C3=A3o?=\n =?UTF-8?Q?_paga?=", "Fatura não paga"),
        ("Subject: Fatura não paga".encode(), "Fatura não paga"),  # raw UTF-8, as some clients send
        ("Subject: Fatura não paga".encode("latin-1"), "Fatura não paga"),  # raw Latin-1
        (b"Subject: =?x-unknown?Q?abc?=", "abc"),
        (b"Subject: Line\x00one\x07", "Lineone"),
    ],
)
def test_subjects_are_decoded_from_every_encoding(header, subject):
    assert parse(_mail(header), 100).subject == subject


@pytest.mark.parametrize(
    ("content_type", "cte", "body", "text"),
    [
        (b"text/plain; charset=iso-8859-1", b"quoted-printable", b"Ol=E1, n=E3o abre", "Olá, não abre"),
        (b"text/plain; charset=utf-8", b"base64", b"T2zDoSwgbsOjbyBhYnJl", "Olá, não abre"),
        (b"text/plain; charset=windows-1252", b"8bit", "“Olá”".encode("cp1252"), "“Olá”"),
        (b"text/plain; charset=utf-8", b"8bit", "Olá".encode("latin-1"), "Olá"),  # wrong declaration
        (b"text/plain; charset=no-such-charset", b"8bit", "Olá".encode(), "Olá"),
        (b"text/plain; charset=base64", b"8bit", b"plain", "plain"),  # a codec that is not a charset
        (b"text/plain", b"base64", b"!!T2zD oSwg*bsOjbyBhYnJl", "Olá, não abre"),  # junk in base64
    ],
)
def test_bodies_are_decoded_whatever_the_charset_claims(content_type, cte, body, text):
    assert parse(_mail(b"Subject: x", body, content_type, cte), 100).text == text


def test_bytes_that_no_charset_fits_are_not_read_as_text():
    assert decode_text(b"\x81\x8d", "") is None


def test_html_only_mail_becomes_text():
    raw = _mail(b"Subject: x", b"<p>Ol&aacute;,</p><p>site <b>fora</b></p>", b"text/html; charset=utf-8")
    assert parse(raw, 100).text == "Olá,\n\nsite fora"


def test_plain_text_is_preferred_to_html_and_inline_images_are_kept():
    raw = (
        b"From: cliente@example.com\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=a\n\n"
        b"--a\nContent-Type: text/plain\n\nPlain version\n"
        b"--a\nContent-Type: multipart/related; boundary=r\n\n"
        b"--r\nContent-Type: text/html\n\n<p>HTML version <img src=cid:img1></p>\n"
        b"--r\nContent-Type: image/png\nContent-ID: <img1>\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
        b"--r--\n--a--\n"
    )
    mail = parse(raw, 100)
    assert mail.text == "Plain version"
    assert mail.attachments == [("image-1.png", b"\x89PNG\r\n\x1a\n")]


def test_signature_parts_are_not_attachments():
    raw = (
        b"From: cliente@example.com\nMIME-Version: 1.0\nContent-Type: multipart/signed; boundary=s\n\n"
        b"--s\nContent-Type: text/plain\n\nSigned text\n"
        b"--s\nContent-Type: application/pgp-signature; name=signature.asc\n\n-----BEGIN PGP SIGNATURE-----\n"
        b"--s--\n"
    )
    mail = parse(raw, 100)
    assert (mail.text, mail.attachments) == ("Signed text", [])


def test_rfc_2231_file_names_are_decoded():
    raw = (
        b"From: cliente@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=m\n\n"
        b"--m\nContent-Type: text/plain\n\nSee file\n"
        b"--m\nContent-Type: application/pdf\n"
        b"Content-Disposition: attachment; filename*=UTF-8''fatura%20mar%C3%A7o.pdf\n\n%PDF-1.4\n--m--\n"
    )
    assert parse(raw, 100).attachments == [("fatura março.pdf", b"%PDF-1.4")]
