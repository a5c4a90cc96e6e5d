"""Flag likely client identifiers in free text before it is saved.

A heuristic, tuned to miss little of what clearly identifies someone (contact details,
dates of birth, a name after "client") while leaving ordinary clinical shorthand alone
(session counts, PHQ-9/GAD-7 scores, times, dates of sessions, "client A"). The glue
shows the flags to the author, who edits the text or confirms it is fine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class IdentifierFlag:
    """One span of text that may identify a client, and why it was flagged."""

    start: int
    end: int
    text: str
    reason: str


_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_NUMERIC_DATE = r"\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})"
_DAY_MONTH_YEAR = rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+\d{{4}}"
_MONTH_DAY_YEAR = rf"(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_ANY_DATE = rf"(?:{_ISO_DATE}|{_NUMERIC_DATE}|{_DAY_MONTH_YEAR}|{_MONTH_DAY_YEAR})"

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
_PHONE_PATTERNS = (
    # International: +44 20 7946 0958, +1-555-123-4567, +49 (0)30 1234567
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.\-]?\(?\d{1,4}\)?){2,5}(?!\w)"),
    # North American: (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567
    re.compile(r"(?<![\w(])(?:\(\d{3}\)\s?|\d{3}[\s.\-])\d{3}[\s.\-]\d{4}(?![\w-])"),
    # Local seven digits with a separator: 123-4567
    re.compile(r"(?<![\w.\-/])\d{3}-\d{4}(?![\w.\-/])"),
    # Ten or more digits in a row
    re.compile(r"(?<!\w)\d{10,14}(?!\w)"),
)
_DATE_OF_BIRTH = re.compile(
    rf"\b(?:d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth\s?date|birthday)\s*(?:is|was|:|-)?\s*"
    rf"{_ANY_DATE}",
    re.IGNORECASE,
)
_BORN = re.compile(
    rf"\bborn\s+(?:on\s+|in\s+)?(?:{_ANY_DATE}|(?:{_MONTHS})\.?\s+(?:19|20)\d{{2}}|(?:19|20)\d{{2}})\b",
    re.IGNORECASE,
)
_SSN = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
_RECORD_NUMBER = re.compile(
    r"\b(?:MRN|NHS|medical\s+record)\s*(?:no\.?|number|#)?\s*:?\s*\d{5,}\b", re.IGNORECASE
)
_NAME_WORD = r"[A-Z](?:[a-z]+|'[A-Z][a-z]+)(?:-[A-Z][a-z]+)?"  # Maria, O'Brien, Smith-Jones
# A capitalised word (or two) right after "client"/"patient", e.g. "client Maria said",
# "my patient, John Smith,". Single letters ("client A") are pseudonyms and pass.
_NAME_AFTER_ROLE = re.compile(
    r"\b(?:client|patient|pt|customer)"
    "(?:['\N{RIGHT SINGLE QUOTATION MARK}]s)?"
    r"(?:\s+(?:named|called))?[,:]?\s+"
    rf"(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD})?)",
    re.IGNORECASE,
)
_TITLED_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+(?P<name>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)")
# Capitalised words that follow "client" in ordinary sentences and are not names.
_NOT_NAME_WORDS = """
    i i'm i've i'd he she they we you it this that these those there here his her their our my
    who whom which what when where while whose and but or so if as at in on of for with to
    from by about after before during since until today yesterday tomorrow tonight this
    monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    session sessions work works worked said says told reported reports disclosed presented
    presents came come was were is are has had have did does do doesn't didn't isn't wasn't
    cancelled canceled missed no-showed noshowed left seems seemed feels felt will would can
    could should might must again also just still really very one two three four five new
    group groups work load case cases caseload intake intakes assessment assessments
"""
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())


def flag_identifiers(text: str) -> list[IdentifierFlag]:
    """Spans of `text` that look like client identifiers, in order, without overlaps."""
    flags: list[IdentifierFlag] = []
    flags += _matches(_EMAIL, text, "an email address")
    for pattern in _PHONE_PATTERNS:
        flags += _matches(pattern, text, "a phone number")
    flags += _matches(_DATE_OF_BIRTH, text, "a date of birth")
    flags += _matches(_BORN, text, "a date of birth")
    flags += _matches(_SSN, text, "an identity number")
    flags += _matches(_RECORD_NUMBER, text, "a record number")
    flags += _names(_NAME_AFTER_ROLE, text, "a name after “client”")
    flags += _names(_TITLED_NAME, text, "a person's name")
    return _without_overlaps(flags)


def _matches(pattern: re.Pattern[str], text: str, reason: str) -> list[IdentifierFlag]:
    return [IdentifierFlag(m.start(), m.end(), m.group(), reason) for m in pattern.finditer(text)]


def _names(pattern: re.Pattern[str], text: str, reason: str) -> list[IdentifierFlag]:
    flags = []
    for match in pattern.finditer(text):
        words = match["name"].split()
        # The role word matches in any case; the name itself must be capitalised as written.
        if not words[0][0].isupper() or words[0].lower() in _NOT_NAMES:
            continue
        if len(words) > 1 and (not words[1][0].isupper() or words[1].lower() in _NOT_NAMES):
            words = words[:1]
        start = match.start("name")
        end = start + len(" ".join(words))
        flags.append(IdentifierFlag(start, end, text[start:end], reason))
    return flags


def _without_overlaps(flags: list[IdentifierFlag]) -> list[IdentifierFlag]:
    kept: list[IdentifierFlag] = []
    for flag in sorted(flags, key=lambda f: (f.start, -(f.end - f.start))):
        if kept and flag.start < kept[-1].end:
            continue
        kept.append(flag)
    return kept
