"""The personal-data guard: before a member posts publicly, look for text that seems
to be a phone number, an IBAN, a payment card number or an account number.

Nothing is ever changed or removed: a match only brings the form back with a
warning, a confirmation checkbox ("I understand, post it publicly") and a button to
send the text privately to Customer Care instead.

Settings (see README):

* ``PERSONAL_DATA_CHECKS``: the built-in checks to run, by name (default: all of
  :data:`BUILTIN_CHECKS`; ``[]`` switches the guard off).
* ``PERSONAL_DATA_EXTRA_PATTERNS``: ``{"label": "regex", ...}`` for more patterns,
  e.g. the operator's own customer-number format.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, request

#: Name of the checkbox that confirms posting anyway.
CONFIRM_FIELD = "confirm_public"

_SEP = r"[ \-.]?"


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum that every payment card number satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    """The ISO 13616 mod-97 check of an IBAN."""
    iban = re.sub(r"\s", "", text).upper()
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@dataclass(frozen=True)
class Check:
    name: str
    label: str
    pattern: re.Pattern
    #: Extra test on the matched text (a checksum); ``None`` accepts every match.
    validate: Callable[[str], bool] | None = None

    def matches(self, text: str) -> bool:
        return any(self.validate is None or self.validate(m.group(0)) for m in self.pattern.finditer(text))


_NOT_DIGIT_BEFORE = r"(?<![\d+])"
_NOT_DIGIT_AFTER = r"(?!\d)"

#: The built-in checks, UK and Irish formats.
BUILTIN_CHECKS: dict[str, Check] = {
    c.name: c
    for c in (
        # UK: 01/02/03 landlines and 07 mobiles, national (0…) or international
        # (+44 / 0044, with an optional "(0)"). 08 numbers are left alone: they are
        # companies' freephone and service lines (our own 0800 number included).
        Check(
            "uk_phone",
            "a UK phone number",
            re.compile(
                _NOT_DIGIT_BEFORE
                + r"(?:(?:\+|00)44" + _SEP + r"(?:\(0\)" + _SEP + r")?|0)[1237](?:" + _SEP + r"\d){8,9}"
                + _NOT_DIGIT_AFTER
            ),
        ),
        # Ireland: 083/085/086/087/089 mobiles nationally, and any +353 / 00353 number.
        Check(
            "ie_phone",
            "an Irish phone number",
            re.compile(
                _NOT_DIGIT_BEFORE
                + r"(?:0" + r"8[35-9](?:" + _SEP + r"\d){7}"
                + r"|(?:\+|00)353" + _SEP + r"(?:\(0\)" + _SEP + r")?[1-9](?:" + _SEP + r"\d){6,8})"
                + _NOT_DIGIT_AFTER
            ),
        ),
        # IBAN: two letters, two check digits, 11 to 30 letters/digits (spaces allowed
        # in groups of four), and the mod-97 check must pass.
        Check(
            "iban",
            "a bank account number (IBAN)",
            re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", re.IGNORECASE),
            iban_ok,
        ),
        # Payment cards: 13 to 19 digits starting 2-6, spaces or dashes allowed, and
        # the Luhn checksum must pass (so most random long numbers do not match).
        Check(
            "card",
            "a payment card number",
            re.compile(r"(?<![\d\-])[2-6](?:[ \-]?\d){12,18}(?![\d\-])"),
            lambda text: luhn_ok(_digits(text)),
        ),
        # Account numbers and sort codes, when the text says that is what they are.
        Check(
            "account_number",
            "an account number or sort code",
            re.compile(
                r"\b(?:(?:account|acct|a/c)(?:\s*(?:no\.?|number|num|#))?\s*(?:is|:|#)?\s*\d[\d \-]{5,15}\d"
                r"|sort\s*code\s*(?:is|:)?\s*\d{2}[ \-]?\d{2}[ \-]?\d{2})\b",
                re.IGNORECASE,
            ),
        ),
    )
}


@dataclass
class Review:
    """The guard's verdict on one submission."""

    #: What looked like personal data, in words ("a UK phone number", ...).
    findings: list[str] = field(default_factory=list)
    #: The member ticked "I understand, post it publicly".
    confirmed: bool = False

    @property
    def held(self) -> bool:
        """Posting must wait: something was found and not yet confirmed."""
        return bool(self.findings) and not self.confirmed

    @property
    def confirm_field(self) -> str:
        return CONFIRM_FIELD


def active_checks() -> list[Check]:
    names = current_app.config.get("PERSONAL_DATA_CHECKS")
    checks = list(BUILTIN_CHECKS.values()) if names is None else [BUILTIN_CHECKS[n] for n in names if n in BUILTIN_CHECKS]
    extra = current_app.config.get("PERSONAL_DATA_EXTRA_PATTERNS") or {}
    checks += [Check(f"extra:{label}", label, re.compile(rx)) for label, rx in extra.items()]
    return checks


def find_personal_data(*texts: str | None) -> list[str]:
    """Labels of the checks that match any of ``texts``, in check order."""
    joined = "\n".join(t for t in texts if t)
    return [c.label for c in active_checks() if c.matches(joined)]


def review_submission(*texts: str | None, already: tuple[str | None, ...] = ()) -> Review:
    """Review the texts of a public form. Only a POST is reviewed; a GET gets an
    empty review. The confirmation counts only when the texts were checked.

    ``already`` is the text an edit starts from: what it already showed publicly
    (and was confirmed when it was posted) is not raised again, so only what an
    edit adds brings the warning."""
    if request.method != "POST":
        return Review()
    findings = find_personal_data(*texts)
    if already:
        before = set(find_personal_data(*already))
        findings = [label for label in findings if label not in before]
    return Review(findings, confirmed=request.form.get(CONFIRM_FIELD) == "y")
