"""Likely client identifiers are flagged; ordinary clinical shorthand is not."""

from __future__ import annotations

import itertools

import pytest

from bot.checkins.answers import AnswerInput, NoteMayIdentifyClientError, check_note
from bot.confidentiality import flag_identifiers


@pytest.mark.parametrize(
    ("text", "flagged", "reason"),
    [
        ("email me at jane.doe+x@example.co.uk later", "jane.doe+x@example.co.uk", "email"),
        ("her number is +44 20 7946 0958", "+44 20 7946 0958", "phone"),
        ("call +1 (555) 123-4567 tomorrow", "+1 (555) 123-4567", "phone"),
        ("left a message at (555) 123-4567.", "(555) 123-4567", "phone"),
        ("his cell 555-123-4567", "555-123-4567", "phone"),
        ("office 555.123.4567", "555.123.4567", "phone"),
        ("landline 123-4567", "123-4567", "phone"),
        ("mobile 07700900123 after hours", "07700900123", "phone"),
        ("DOB 3/4/1980, presenting with", "DOB 3/4/1980", "date of birth"),
        ("D.O.B.: 03-04-80", "D.O.B.: 03-04-80", "date of birth"),
        ("date of birth is 12 May 1990", "date of birth is 12 May 1990", "date of birth"),
        ("she was born 12 May 1990 in", "born 12 May 1990", "date of birth"),
        ("born on March 3rd, 1975", "born on March 3rd, 1975", "date of birth"),
        ("born in 1988 and", "born in 1988", "date of birth"),
        ("SSN 123-45-6789", "123-45-6789", "identity number"),
        ("MRN 00482913 flagged", "MRN 00482913", "record number"),
        ("client Maria said she felt stuck", "Maria", "client"),
        ("My patient, John Smith, cancelled", "John Smith", "client"),
        ("my client's name is... client named Ahmed", "Ahmed", "client"),
        ("Client O'Brien again", "O'Brien", "client"),
        ("saw Mrs. Patel at intake", "Patel", "name"),
    ],
)
def test_identifiers_are_flagged(text: str, flagged: str, reason: str) -> None:
    flags = flag_identifiers(text)
    assert [f.text for f in flags] == [flagged]
    assert reason in flags[0].reason
    assert text[flags[0].start : flags[0].end] == flagged


@pytest.mark.parametrize(
    "text",
    [
        "Heavy week: 28 sessions, 3 intakes, two no-shows.",
        "PHQ-9 went from 18 to 11; GAD-7 steady at 9.",
        "Client A and client B both cancelled Monday.",
        "client said she felt better after session 6 of 12",
        "Client I saw on Tuesday is doing better",
        "My client was late again, then the client She mentioned... no",
        "Sessions at 10:30-11:20 and 14:00-14:50, supervision 3-4pm",
        "Next consult 2026-03-12, notes due 3/14.",
        "Caseload 25-30, admin took 6-8 hours",
        "Used CBT and EMDR with a new client today.",
        "client Today was hard",
        "Slept 5-6 hours; 1-2 cancellations; DSM-5 F41.1 dx",
        "Dr. Chen's supervision group helped a lot",
        "born out of frustration, this new plan",
    ],
)
def test_ordinary_clinical_shorthand_is_not_flagged(text: str) -> None:
    assert flag_identifiers(text) == []


def test_flags_are_ordered_and_do_not_overlap() -> None:
    text = "client Maria, DOB 3/4/1980, maria@example.org, +1 555 123 4567"
    flags = flag_identifiers(text)
    assert [f.text for f in flags] == [
        "Maria",
        "DOB 3/4/1980",
        "maria@example.org",
        "+1 555 123 4567",
    ]
    assert all(a.end <= b.start for a, b in itertools.pairwise(flags))


def test_a_flagged_note_needs_confirmation_before_saving() -> None:
    flagged = AnswerInput(3, "heavy", "yes", wants_consult=False, note="client Maria said hi")
    with pytest.raises(NoteMayIdentifyClientError, match="Maria") as raised:
        check_note(flagged, identifiers_confirmed=False)
    assert raised.value.flags[0].text == "Maria"
    check_note(flagged, identifiers_confirmed=True)
    check_note(
        AnswerInput(3, "heavy", "yes", wants_consult=False, note="fine"),
        identifiers_confirmed=False,
    )
