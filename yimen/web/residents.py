"""What the residents' pages share: the client's address, the resident actor of this session, and
sending a one-time code (with the demo echo). Views stay thin; rules live in yimen.residents."""

from django.conf import settings
from django.utils.translation import gettext as _

from yimen.cases.models import mask_phone
from yimen.residents.identity import resident_actor, session_phone
from yimen.residents.otp import phone_code_send
from yimen.residents.services import resident_case_ids_for_phone

_DRAFT = "yimen_resident_draft"


def client_address(request) -> str:
    """The resident's address for rate limits: REMOTE_ADDR, or the header a trusted proxy sets."""
    header = settings.YIMEN_CLIENT_ADDRESS_HEADER
    value = request.META.get(header, "") if header else ""
    return (value.split(",")[0].strip() if value else "") or request.META.get("REMOTE_ADDR", "") or "unknown"


def actor_for(request):
    """The ResidentActor of this session: matters proved here, plus those of a proved phone."""
    phone = session_phone(request.session)
    return resident_actor(request.session, phone_case_ids=resident_case_ids_for_phone(phone=phone) if phone else ())


def send_code(request, *, phone: str, purpose: str) -> str:
    """Send a one-time code (raises the service's InvalidInput / RateLimited) and say so in plain words.

    In embedded/demo mode (YIMEN_SMS_ECHO_CODE) no phone receives it, so the sentence carries it.
    """
    sent = phone_code_send(phone=phone, address=client_address(request), purpose=purpose)
    text = _("验证码已发送到 %(phone)s，%(minutes)d 分钟内有效。") % {
        "phone": mask_phone(sent.phone),
        "minutes": max(1, settings.YIMEN_SMS_CODE_TTL_SECONDS // 60),
    }
    if settings.YIMEN_SMS_ECHO_CODE:
        text += _("（演示环境，没有真的发短信：验证码是 %(code)s）") % {"code": sent.code}
    return text


# A refused upload is read whole up to this many times the limit, so its message can name its
# real size; past that only just over the limit is read, so memory stays bounded whatever is sent.
_READ_CAP_FACTOR = 4


def read_upload(upload) -> bytes:
    """The bytes of an uploaded file for `uploads.check_upload`."""
    limit = settings.YIMEN_RESIDENT_MAX_UPLOAD_BYTES
    upload.seek(0)
    return upload.read() if upload.size <= limit * _READ_CAP_FACTOR else upload.read(limit + 1)


def session_draft_token(request) -> str | None:
    return request.session.get(_DRAFT)


def remember_draft(request, draft) -> None:
    request.session[_DRAFT] = draft.token


def forget_draft(request) -> None:
    request.session.pop(_DRAFT, None)
