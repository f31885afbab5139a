"""Sender authentication: whether a received message comes from the domain its From names.

A From header proves nothing by itself. What does is SPF, DKIM and DMARC as evaluated by a host
we trust: our own receiving MTA (its milters stamp `Authentication-Results`, RFC 8601) or the
provider whose signed webhook delivered the message. Results stamped by any other host are the
sender's own claims and are ignored, as RFC 8601 requires: only headers whose authserv-id is in
`INBOUND_AUTHSERV_IDS` count.

The verdict:
- fail: DMARC failed, or SPF failed and no DKIM signature passed (nothing vouches for the mail);
- pass: DMARC passed, or SPF or DKIM passed for the From domain (aligned, as DMARC would ask);
- none: nothing trusted said either (no stamping host, a temporary error, a neutral result).
A failing result from a trusted host wins over a passing one, so a forged "pass" added by the
sender under our authserv-id cannot hide the real "fail" below it.
"""

from dataclasses import dataclass

import authres
from django.conf import settings

from tickets.models import AuthVerdict

_SPF_FAILS = {"fail", "softfail"}


@dataclass(frozen=True)
class Result:
    method: str  # spf, dkim, dmarc
    result: str  # pass, fail, softfail, none, neutral, temperror, permerror...
    domain: str = ""  # the domain it speaks for (SPF's mail-from, DKIM's d=, DMARC's header.from)

    def __str__(self):
        return f"{self.method}={self.result}" + (f" ({self.domain})" if self.domain else "")


@dataclass(frozen=True)
class Authentication:
    verdict: str
    summary: str  # what the trusted results said, for the review page

    @property
    def failed(self):
        return self.verdict == AuthVerdict.FAIL


def judge(header_values, sender, provided=()):
    """The verdict on a message from `sender`: its trusted Authentication-Results headers and the
    results a provider's webhook reported (`provided`, Result objects)."""
    trusted = {host.lower() for host in settings.INBOUND_AUTHSERV_IDS}
    results = [*provided]
    hosts = []
    for value in header_values:
        try:
            header = authres.AuthenticationResultsHeader.parse_value(value)
        except (authres.AuthResError, ValueError, IndexError, TypeError):
            continue  # unparsable: from nobody we trust (our milters write well-formed headers)
        if str(header.authserv_id).lower() not in trusted:
            continue
        hosts.append(str(header.authserv_id).lower())
        results += [Result(str(r.method).lower(), str(r.result).lower(), _domain(r)) for r in header.results]
    results = [result for result in results if result.method in ("spf", "dkim", "dmarc")]
    summary = " ".join(str(result) for result in results)
    if hosts:
        summary = f"{', '.join(dict.fromkeys(hosts))}: {summary or 'none'}"
    return Authentication(_verdict(results, sender.rpartition("@")[2]), summary[:255])


def _verdict(results, from_domain):
    by_method = {method: [r for r in results if r.method == method] for method in ("spf", "dkim", "dmarc")}
    if any(r.result == "fail" for r in by_method["dmarc"]):
        return AuthVerdict.FAIL
    dkim_passed = any(r.result == "pass" for r in by_method["dkim"])
    if any(r.result in _SPF_FAILS for r in by_method["spf"]) and not dkim_passed:
        return AuthVerdict.FAIL
    if any(r.result == "pass" for r in by_method["dmarc"]):
        return AuthVerdict.PASS
    if any(r.result == "pass" and _aligned(r.domain, from_domain) for r in by_method["spf"] + by_method["dkim"]):
        return AuthVerdict.PASS
    return AuthVerdict.NONE


def _aligned(domain, from_domain):
    """Relaxed alignment: the same organisational domain, read as one being a subdomain of the other."""
    domain, from_domain = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if not domain or not from_domain:
        return False
    return domain == from_domain or from_domain.endswith("." + domain) or domain.endswith("." + from_domain)


def _domain(result):
    for name in ("header_d", "header_from", "smtp_mailfrom", "smtp_helo"):
        value = getattr(result, name, None)
        if value:
            return str(value).rpartition("@")[2]
    return ""


# What each provider's signed webhook reports, turned into Results. A provider that reports
# nothing (Postmark beyond its Received-SPF header, most others) gives a verdict of none unless
# the installation trusts the authserv-id the provider stamps into the message.


def provider_results(esp_name, event):
    readers = {"mailgun": _mailgun, "sendgrid": _sendgrid, "amazon ses": _amazon_ses, "postmark": _postmark}
    reader = readers.get(esp_name.lower())
    try:
        return reader(event) if reader else []
    except (KeyError, TypeError, ValueError, AttributeError):
        return []


def _mailgun(event):
    post = event.esp_event.POST
    results = []
    if post.get("X-Mailgun-Spf"):
        results.append(Result("spf", post["X-Mailgun-Spf"].strip().lower(), _envelope_domain(event)))
    if post.get("X-Mailgun-Dkim-Check-Result"):
        results.append(Result("dkim", post["X-Mailgun-Dkim-Check-Result"].strip().lower()))
    return results


def _sendgrid(event):
    post = event.esp_event.POST
    results = []
    if post.get("SPF"):
        results.append(Result("spf", post["SPF"].strip().lower(), _envelope_domain(event)))
    # "{@example.com : pass, @mailer.example : fail}": one result per signature.
    for item in post.get("dkim", "").strip("{} ").split(","):
        domain, _colon, result = item.partition(":")
        if result.strip():
            results.append(Result("dkim", result.strip().lower(), domain.strip().lstrip("@")))
    return results


def _amazon_ses(event):
    receipt = event.esp_event["receipt"]
    names = {"spfVerdict": "spf", "dkimVerdict": "dkim", "dmarcVerdict": "dmarc"}
    # SES reports PASS, FAIL, GRAY (no policy) or PROCESSING_FAILED; only the first two are results.
    return [
        Result(method, receipt[key]["status"].lower())
        for key, method in names.items()
        if receipt.get(key, {}).get("status", "").upper() in ("PASS", "FAIL")
    ]


def _postmark(event):
    # Postmark puts its own SPF check first in the Headers list (a sender's copy can only come after).
    for header in event.esp_event.get("Headers") or []:
        if header.get("Name", "").lower() == "received-spf":
            return [Result("spf", header.get("Value", "").split()[0].lower(), _envelope_domain(event))]
    return []


def _envelope_domain(event):
    return (event.message.envelope_sender or "").rpartition("@")[2].strip(">")
