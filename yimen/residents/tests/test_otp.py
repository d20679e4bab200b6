import datetime as dt
import logging

import pytest
import time_machine

from yimen.common.errors import InvalidInput, RateLimited
from yimen.residents.models import PhoneCode
from yimen.residents.otp import normalise_phone, phone_code_send, phone_code_verify
from yimen.residents.sms import LogSmsSender, MemorySmsSender, SmsSender

pytestmark = pytest.mark.django_db

PHONE = "13800138000"
HOME = "203.0.113.7"
# 10:48 UTC: the hour's window ends 12 minutes later.
T0 = dt.datetime(2025, 3, 3, 10, 48, tzinfo=dt.UTC)


class BrokenGateway(SmsSender):
    def send(self, *, phone, text):
        raise ConnectionError("gateway down")


@pytest.fixture(autouse=True)
def sms(settings):
    settings.YIMEN_SMS_SENDER = "yimen.residents.sms.MemorySmsSender"
    MemorySmsSender.outbox.clear()
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller
    MemorySmsSender.outbox.clear()


def refused_with(message, **verify):
    with pytest.raises(InvalidInput) as refused:
        phone_code_verify(**{"phone": PHONE, **verify})
    assert str(refused.value) == message
    assert refused.value.field == "code"


def test_the_resident_receives_a_six_digit_code_valid_for_ten_minutes():
    sent = phone_code_send(phone="138 0013-8000", address=HOME)
    assert MemorySmsSender.outbox == [(PHONE, f"【一门】您的验证码是{sent.code}，10分钟内有效。请勿告诉他人。")]
    assert sent.phone == PHONE and len(sent.code) == 6 and sent.code.isdigit()
    assert sent.expires_at == T0 + dt.timedelta(minutes=10)
    assert MemorySmsSender.last_code_for(PHONE) == sent.code


def test_the_sixth_code_within_an_hour_is_refused_saying_when_to_retry(sms):
    for _ in range(5):
        phone_code_send(phone=PHONE, address=HOME)
    with pytest.raises(RateLimited) as refused:
        phone_code_send(phone=PHONE, address=HOME)
    assert str(refused.value) == "获取验证码太频繁，请约12分钟后再试。"
    assert len(MemorySmsSender.outbox) == 5
    assert all(to == PHONE for to, _text in MemorySmsSender.outbox)
    # Another resident, elsewhere, is not held up.
    phone_code_send(phone="13900139000", address="198.51.100.2")
    assert MemorySmsSender.outbox[-1][0] == "13900139000"
    # Once the window rolls over the first phone may ask again.
    sms.move_to(T0 + dt.timedelta(minutes=12))
    phone_code_send(phone=PHONE, address=HOME)
    assert len(MemorySmsSender.outbox) == 7


def test_one_address_asking_for_many_phones_is_refused(settings):
    settings.YIMEN_RATE_SMS_PER_ADDRESS = "3/h"
    settings.YIMEN_RATE_SMS_PER_PHONE = "1/h"
    for n in range(3):
        phone_code_send(phone=f"1390013900{n}", address=HOME)
    with pytest.raises(RateLimited, match="获取验证码太频繁"):
        phone_code_send(phone=PHONE, address=HOME)
    # The refused request did not use up that phone's own allowance (one an hour here).
    phone_code_send(phone=PHONE, address="198.51.100.2")
    assert MemorySmsSender.outbox[-1][0] == PHONE


@pytest.mark.parametrize("typed", ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "１３８００１３８０００"])
def test_the_usual_ways_of_writing_a_mobile_number_are_understood(typed):
    assert normalise_phone(typed) == PHONE


@pytest.mark.parametrize("typed", ["", "1380013800", "138001380001", "23800138000", "12800138000", "010-12345678", "1380013800a"])
def test_anything_but_a_mainland_mobile_number_is_refused(typed):
    with pytest.raises(InvalidInput, match="请填写正确的11位手机号码。") as refused:
        phone_code_send(phone=typed, address=HOME)
    assert refused.value.field == "phone"
    assert not MemorySmsSender.outbox


def test_codes_are_not_stored_in_clear():
    sent = phone_code_send(phone=PHONE, address=HOME)
    row = PhoneCode.objects.values().get()
    assert not any(sent.code in str(value) for value in row.values())


def test_a_wrong_code_says_how_many_tries_are_left_and_the_right_code_works_once():
    sent = phone_code_send(phone=PHONE, address=HOME)
    wrong = "000000" if sent.code != "000000" else "111111"
    refused_with("验证码不正确，还可以再试4次。", code=wrong)
    refused_with("验证码不正确，还可以再试3次。", code=wrong)
    phone_code_verify(phone=PHONE, code=f" {sent.code} ")
    refused_with("请先获取验证码。", code=sent.code)


def test_after_five_wrong_tries_the_code_is_dead_even_when_right():
    sent = phone_code_send(phone=PHONE, address=HOME)
    wrong = "000000" if sent.code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        refused_with(f"验证码不正确，还可以再试{left}次。", code=wrong)
    refused_with("验证码已失效，请重新获取。", code=wrong)
    refused_with("验证码已失效，请重新获取。", code=sent.code)


def test_an_expired_code_is_refused(sms):
    sent = phone_code_send(phone=PHONE, address=HOME)
    sms.move_to(T0 + dt.timedelta(minutes=10, seconds=1))
    refused_with("验证码已失效，请重新获取。", code=sent.code)


def test_without_a_code_sent_the_resident_is_told_to_ask_for_one():
    refused_with("请先获取验证码。", code="123456")
    phone_code_send(phone=PHONE, address=HOME)
    refused_with("请填写短信验证码。", code="  ")


def test_only_the_newest_code_counts_and_using_it_retires_the_older_ones():
    first = phone_code_send(phone=PHONE, address=HOME)
    second = phone_code_send(phone=PHONE, address=HOME)
    if first.code != second.code:
        refused_with("验证码不正确，还可以再试4次。", code=first.code)
    phone_code_verify(phone=PHONE, code=second.code)
    refused_with("请先获取验证码。", code=first.code)


def test_a_code_for_one_purpose_does_not_open_another():
    sent = phone_code_send(phone=PHONE, address=HOME, purpose="lookup")
    refused_with("请先获取验证码。", code=sent.code, purpose="register")
    phone_code_verify(phone=PHONE, code=sent.code, purpose="lookup")


def test_when_the_gateway_fails_the_resident_is_told_and_no_code_is_left_behind(settings):
    settings.YIMEN_SMS_SENDER = f"{__name__}.BrokenGateway"
    with pytest.raises(InvalidInput, match="短信发送失败，请稍后再试。") as refused:
        phone_code_send(phone=PHONE, address=HOME)
    assert refused.value.field == "phone"
    assert not PhoneCode.objects.exists()


def test_the_log_sender_shows_the_code_but_masks_the_phone(settings, caplog):
    settings.YIMEN_SMS_SENDER = "yimen.residents.sms.LogSmsSender"
    with caplog.at_level(logging.INFO, logger="yimen.residents"):
        sent = phone_code_send(phone=PHONE, address=HOME)
    assert f"SMS to 138****8000: 【一门】您的验证码是{sent.code}" in caplog.text
    assert PHONE not in caplog.text
    assert isinstance(LogSmsSender(), SmsSender)
