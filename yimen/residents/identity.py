"""Who the resident is, as far as the residents' pages know: kept in the Django session.

A resident has no account. They prove a phone number with a one-time code, or a matter with its
number and query code; the session remembers what was proved for a while
(YIMEN_RESIDENT_SESSION_MINUTES), and `resident_actor` turns it into the `ResidentActor` the
transitions module checks. The session is signed and server-side, so none of it can be forged.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from yimen.accounts.scopes import ResidentActor

from .otp import normalise_phone, phone_code_verify

_PHONE = "yimen_resident_phone"
_PHONE_AT = "yimen_resident_phone_at"
_CASES = "yimen_resident_cases"
# A session keeps at most this many proved matters (the newest), so it stays small.
_MAX_CASES = 20


def session_verify_phone(session, *, phone: str, code: str, purpose: str) -> str:
    """Check the one-time code (raises InvalidInput naming the field) and remember the phone."""
    phone = normalise_phone(phone)
    phone_code_verify(phone=phone, code=code, purpose=purpose)
    session[_PHONE] = phone
    session[_PHONE_AT] = timezone.now().isoformat()
    session.cycle_key()  # a new session id once something was proved: no fixation
    return phone


def session_phone(session) -> str:
    """The phone proved in this session, while the proof is fresh; "" otherwise."""
    phone, at = session.get(_PHONE, ""), session.get(_PHONE_AT)
    if not phone or not at:
        return ""
    proved_at = timezone.datetime.fromisoformat(at)
    if timezone.now() - proved_at > timedelta(minutes=settings.YIMEN_RESIDENT_SESSION_MINUTES):
        return ""
    return phone


def session_grant_case(session, case) -> None:
    """Remember that this session proved `case` (registered it here, or gave its query code)."""
    ids = [pk for pk in session.get(_CASES, []) if pk != case.pk]
    session[_CASES] = (ids + [case.pk])[-_MAX_CASES:]


def session_case_ids(session) -> frozenset[int]:
    return frozenset(session.get(_CASES, []))


def resident_actor(session, *, phone_case_ids=()) -> ResidentActor:
    """The actor for the services: the matters this session proved, plus those of its proved phone."""
    return ResidentActor(case_ids=session_case_ids(session) | frozenset(phone_case_ids), phone=session_phone(session))
