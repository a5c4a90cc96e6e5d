"""What the anonymous pulse stores and who sees it, and the crisis lines, for /privacy."""

from __future__ import annotations

from bot.privacy import PrivacySection
from bot.pulse.crisis import last_verified, load_crisis_resources
from bot.pulse.pooling import MIN_K

PULSE_PRIVACY = PrivacySection(
    "The anonymous pulse",
    "- Your answers are stored with no member id, no time and nothing that links them to "
    "you, not even for the person who runs the database.\n"
    "- While a pulse is open, only a keyed code of your id marks that you answered, so a "
    "second answer is refused; the code and its key are deleted when the pulse closes.\n"
    "- Nobody sees how many answered while a pulse is open, moderators included.\n"
    "- Results are group aggregates, after close, only when at least k answered (the "
    f"group's setting, never below {MIN_K}). Fewer answers are pooled with the next pulse "
    "and never shown alone. Moderators and members see the same result.\n"
    "- Your own index after answering is shown to you once and never stored.\n"
    "- Pulse answers cannot be exported or erased with /me, because nothing links them to "
    "you.\n"
    "- A group pulse, not a validated instrument and not a diagnosis.",
)


def crisis_section() -> PrivacySection:
    """The default crisis lines with the date they were last verified."""
    resources = load_crisis_resources()
    lines = "\n".join(f"- {resource.line()}" for resource in resources)
    return PrivacySection(
        f"Crisis lines (last verified {last_verified(resources).isoformat()})",
        f"{lines}\nShown after each pulse too; a group may add its own support text.",
    )
