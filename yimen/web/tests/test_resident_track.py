"""The residents' tracking pages (解纷码, part two): finding a matter by its receipt or a phone,
following it in plain words, adding information, withdrawing and rating — without an account, and
without a matter number alone ever revealing anything."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from yimen.cases import transitions as t
from yimen.cases.deadlines import due_label
from yimen.cases.intake import PartyInput
from yimen.cases.models import Attachment, CaseEvent, EventKind, Status
from yimen.common.querycount import count_queries
from yimen.residents.sms import MemorySmsSender
from yimen.web.links import resident_track_url

PHONE = "13800138000"  # 张三's phone in world.register
# A Monday morning (Beijing 10:48): the lookup windows are aligned to the hour.
T0 = dt.datetime(2025, 3, 3, 2, 48, tzinfo=dt.UTC)
WRONG = "事项编号或查询码不正确。请核对受理回执上的编号和查询码。"


@pytest.fixture(autouse=True)
def _frozen(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.YIMEN_SMS_SENDER = "yimen.residents.sms.MemorySmsSender"
    settings.YIMEN_SMS_ECHO_CODE = False
    MemorySmsSender.outbox.clear()
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller
    MemorySmsSender.outbox.clear()


def _track(case, code=None):
    return f"{reverse('web:resident_track')}?number={case.number}&code={code or case.query_code}"


def _page(case):
    return reverse("web:resident_case", args=[case.number])


def _prove(client, case):
    response = client.get(_track(case))
    assert response.status_code == 302, response.content.decode()
    return client


def _html(response) -> str:
    return response.content.decode()


def _messages(response) -> list[str]:
    return re.findall(r'<li class="msg-[a-z]+">(.*?)</li>', _html(response), re.S)


def _resolved_from(world, case):
    return t.case_resolve(actor=world.handler, case=case, outcome="resolved", result="包工头已于3月2日结清全部工资8万元，工人确认收到。")


def _resolved(world):
    return _resolved_from(world, world.in_progress())


def _png(name="欠条.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (30, 90, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _prove_phone(client, phone=PHONE):
    url = reverse("web:resident_mine")
    sent = client.post(url, {"phone": phone, "intent": "send_code"})
    assert sent.status_code == 200, _html(sent)
    code = MemorySmsSender.last_code_for(phone)
    return client.post(url, {"phone": phone, "code": code, "intent": "verify"})


# ---------------------------------------------------------------------------------------------
# Finding a matter


def test_the_receipts_link_opens_the_matter_page(client, world, rf):
    case = world.register()
    link = resident_track_url(rf.get("/"), case)
    response = client.get(link.removeprefix("http://testserver"), follow=True)
    assert response.redirect_chain == [(_page(case), 302)]
    html = _html(response)
    for text in (case.number, "已收到，正在安排办理单位", "桃源镇综治中心", "请求协调支付拖欠工资", "已收到您的反映"):
        assert text in html, text
    assert case.query_code not in html  # the secret is not repeated on the page


def test_the_form_finds_a_matter_by_number_and_code(client, world):
    case = world.register()
    response = client.post(reverse("web:resident_track"), {"number": f" {case.number} ", "code": case.query_code.lower()})
    assert response.status_code == 302 and response["Location"] == _page(case)
    assert client.get(_page(case)).status_code == 200


def test_the_track_page_offers_the_phone_path_and_keeps_the_code_out_of_autocomplete(client, world):
    html = _html(client.get(reverse("web:resident_track")))
    assert reverse("web:resident_mine") in html and "没有查询码？用手机号查询" in html
    assert re.search(r'<input[^>]*name="code"[^>]*autocomplete="off"', html)


def test_a_wrong_code_and_an_unknown_number_get_the_same_message_with_what_was_typed_kept(client, world):
    case = world.register()
    wrong = client.post(reverse("web:resident_track"), {"number": case.number, "code": "ABCDEFGHJKLMNPQRSTUV"})
    unknown = client.get(reverse("web:resident_track"), {"number": "TY-2099-999999", "code": case.query_code})
    assert wrong.status_code == unknown.status_code == 404
    for response, number, code in ((wrong, case.number, "ABCDEFGHJKLMNPQRSTUV"), (unknown, "TY-2099-999999", case.query_code)):
        html = _html(response)
        assert WRONG in html
        assert f'value="{number}"' in html and f'value="{code}"' in html
    assert _html(wrong).count(WRONG) == 1


def test_the_eleventh_lookup_of_one_number_within_an_hour_is_refused_in_chinese(client, world, settings):
    settings.YIMEN_RATE_LOOKUP_PER_NUMBER = "10/h"
    case = world.register()
    for i in range(10):
        assert client.post(reverse("web:resident_track"), {"number": case.number, "code": f"WRONG{i}"}).status_code == 404
    refused = client.get(_track(case))  # even the right code: the number's allowance is used up
    assert refused.status_code == 429
    assert "查询太频繁，请约12分钟后再试。" in _html(refused)
    assert refused["Retry-After"] == str(12 * 60)
    assert f'value="{case.number}"' in _html(refused)


def test_lookups_are_limited_per_address_across_numbers(client, world, settings):
    settings.YIMEN_RATE_LOOKUP_PER_ADDRESS = "3/h"
    case = world.register()
    for i in range(3):
        client.post(reverse("web:resident_track"), {"number": f"TY-2025-00000{i}", "code": "X" * 20})
    assert client.get(_track(case)).status_code == 429


def test_another_session_cannot_open_a_matter_even_knowing_its_number(client, world):
    case = world.register()
    _prove(client, case)
    stranger = Client()
    for url in (_page(case), reverse("web:resident_withdraw", args=[case.number])):
        response = stranger.get(url)
        assert response.status_code == 404
        html = _html(response)
        assert "找不到这件事项" in html and reverse("web:resident_track") in html
        assert case.description not in html and "桃源镇综治中心" not in html
    assert stranger.post(reverse("web:resident_withdraw", args=[case.number]), {"reason": "x"}).status_code == 404
    case.refresh_from_db()
    assert case.status == Status.REGISTERED
    # A number that does not exist answers the same way.
    assert stranger.get(reverse("web:resident_case", args=["TY-2099-000001"])).status_code == 404


def test_proving_a_matter_gives_the_session_a_new_id(client, world):
    case = world.register()
    client.get(reverse("web:resident_track"))
    client.session.save()
    before = client.session.session_key
    _prove(client, case)
    assert client.session.session_key != before


# ---------------------------------------------------------------------------------------------
# Following it


def test_the_timeline_tells_the_story_in_plain_words_and_keeps_internal_remarks_inside(client, world):
    case = world.dispatched()
    t.assignment_return(actor=world.justice_handler, case=case, reason="内部退单理由：不属本所职责")
    t.assignment_accept(actor=world.handler, case=case)
    t.case_record_progress(actor=world.handler, case=case, note="内部办理记录：已约谈包工头李某")
    case = _resolved_from(world, case)
    html = _html(_prove(client, case).get(_page(case)))
    steps = ["已收到您的反映", "已交给办理单位", "青溪县人力资源和社会保障局", "办理单位已接手", "有新的办理进展", "已办结（问题已解决）",
             "包工头已于3月2日结清全部工资8万元"]
    timeline = html[html.index('class="r-steps"'):]
    positions = [timeline.index(text) for text in steps]
    assert positions == sorted(positions)
    assert "桃源镇司法所" in html  # the assisting unit was named when it was handed over
    for secret in ("内部退单理由", "内部办理记录", "李某", "王派单", "吴承办", "陈司法", "李窗口", "110101199003074477"):
        assert secret not in html, secret
    assert "已办结，请您评价" in html and "办理结果" in html


def test_the_page_names_who_handles_it_and_by_when(client, world):
    case = world.in_progress()
    html = _html(_prove(client, case).get(_page(case)))
    assert "正在办理的单位" in html and "青溪县人力资源和社会保障局（牵头单位）" in html and "桃源镇司法所（协办单位）" in html
    assert "预计办结时间" in html and due_label(case.due_at, case.due_provisional) in html
    assert "正在办理" in html


def test_the_matter_page_costs_a_bounded_number_of_queries(client, world):
    case = world.dispatched()
    t.assignment_accept(actor=world.handler, case=case)
    for i in range(8):
        t.case_record_progress(actor=world.handler, case=case, note=f"第{i}次")
    _prove(client, case)
    with count_queries() as queries:
        assert client.get(_page(case)).status_code == 200
    assert queries <= 6


# ---------------------------------------------------------------------------------------------
# Adding information


def test_a_note_and_a_real_photo_reach_the_matter_and_the_staff_page(client, world):
    case = world.in_progress()
    _prove(client, case)
    url = reverse("web:resident_supplement", args=[case.number])
    response = client.post(url, {"note": "包工头今天又说下周才给", "files": [_png()]}, follow=True)
    assert response.redirect_chain == [(_page(case), 302)]
    assert "已补充，办理单位会看到。" in _messages(response)
    event = CaseEvent.objects.get(case=case, kind=EventKind.SUPPLEMENTED)
    assert event.reason == "包工头今天又说下周才给" and event.payload["files"] == ["欠条.png"]
    attachment = Attachment.objects.get(case=case)
    assert attachment.original_name == "欠条.png"
    assert "您补充了材料" in _html(response) and "包工头今天又说下周才给" in _html(response)
    staff = Client()
    staff.force_login(world.dispatcher)
    html = _html(staff.get(reverse("web:case_detail", args=[case.number])))
    assert "欠条.png" in html and "包工头今天又说下周才给" in html


def test_a_disguised_file_is_refused_by_its_content_and_the_note_still_arrives(client, world):
    case = world.in_progress()
    _prove(client, case)
    fake = SimpleUploadedFile("现场照片.jpg", b"MZ\x90\x00 this is a program, not a photo", content_type="image/jpeg")
    response = client.post(reverse("web:resident_supplement", args=[case.number]),
                           {"note": "补充：对方已搬走", "files": [fake, _png()]}, follow=True)
    notes = _messages(response)
    assert any("现场照片.jpg" in m and "不是照片、PDF或录音，没有上传" in m for m in notes), notes
    assert "已补充，办理单位会看到。" in notes
    assert list(Attachment.objects.filter(case=case).values_list("original_name", flat=True)) == ["欠条.png"]
    assert CaseEvent.objects.get(case=case, kind=EventKind.SUPPLEMENTED).reason == "补充：对方已搬走"


def test_a_disguised_file_alone_is_refused_and_nothing_typed_is_lost(client, world):
    case = world.in_progress()
    _prove(client, case)
    fake = SimpleUploadedFile("欠条.png", b"not a picture at all", content_type="image/png")
    response = client.post(reverse("web:resident_supplement", args=[case.number]), {"note": "  ", "files": [fake]})
    assert response.status_code == 400
    html = _html(response)
    assert "文件“欠条.png”不是照片、PDF或录音，没有上传。" in html and "没有上传的文件请重新选择。" in html
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.SUPPLEMENTED).exists()


def test_a_file_over_the_limit_is_refused_with_413(client, world, settings):
    settings.YIMEN_RESIDENT_MAX_UPLOAD_BYTES = 100
    case = world.in_progress()
    _prove(client, case)
    response = client.post(reverse("web:resident_supplement", args=[case.number]), {"files": [_png("大照片.png")]})
    assert response.status_code == 413 and "超过了" in _html(response)


def test_files_past_the_limit_are_named_and_the_others_arrive(client, world, settings):
    settings.YIMEN_RESIDENT_MAX_FILES = 1
    case = world.in_progress()
    _prove(client, case)
    response = client.post(reverse("web:resident_supplement", args=[case.number]),
                           {"files": [_png("一.png"), _png("二.png")]}, follow=True)
    assert "一次最多上传1个文件，“二.png”没有上传，请另外再传。" in _messages(response)
    assert list(Attachment.objects.filter(case=case).values_list("original_name", flat=True)) == ["一.png"]


def test_an_empty_supplement_asks_for_something(client, world):
    case = world.in_progress()
    _prove(client, case)
    response = client.post(reverse("web:resident_supplement", args=[case.number]), {"note": ""})
    assert response.status_code == 400 and "请写下要补充的情况，或选择要上传的文件。" in _html(response)


def test_a_move_made_by_someone_else_first_is_shown_as_it_now_is(client, world):
    case = world.in_progress()
    _prove(client, case)
    _resolved_from(world, case)
    response = client.post(reverse("web:resident_supplement", args=[case.number]), {"note": "还有一件事"})
    assert response.status_code == 409
    html = _html(response)
    assert "这件事项刚刚有了变化，现在是“已办结，请您评价”" in html
    assert "请您评价" in html and 'id="supplement"' not in html  # the current state, with what is open now


# ---------------------------------------------------------------------------------------------
# Withdrawing


def test_withdrawing_explains_itself_then_closes_the_matter_in_the_residents_name(client, world):
    case = world.dispatched()
    assert _prove_phone(client).status_code == 302
    confirm = client.get(reverse("web:resident_withdraw", args=[case.number]))
    assert confirm.status_code == 200
    assert "撤回后，这件事项就不再办理了" in _html(confirm) and "确认撤回" in _html(confirm)
    response = client.post(reverse("web:resident_withdraw", args=[case.number]), {"reason": "已与老板私下协商好了"}, follow=True)
    assert response.redirect_chain == [(_page(case), 302)]
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN
    event = CaseEvent.objects.get(case=case, kind=EventKind.WITHDRAWN)
    assert event.actor_label == "群众（138****8000）" and event.reason == "已与老板私下协商好了"
    html = _html(response)
    assert "已撤回" in html and "撤回这件事项" not in html and "补充材料" not in html


def test_a_withdrawal_without_a_reason_says_so_in_the_residents_words(client, world):
    case = world.register()
    _prove(client, case)
    client.post(reverse("web:resident_withdraw", args=[case.number]), {"reason": ""})
    assert CaseEvent.objects.get(case=case, kind=EventKind.WITHDRAWN).reason == "群众本人申请撤回"


# ---------------------------------------------------------------------------------------------
# Rating


def _rate(client, case, satisfaction, comment=""):
    return client.post(reverse("web:resident_rate", args=[case.number]), {"satisfaction": satisfaction, "comment": comment}, follow=True)


def test_only_a_resolved_matter_asks_for_a_rating(client, world):
    case = world.in_progress()
    assert "请您评价" not in _html(_prove(client, case).get(_page(case)))
    _resolved_from(world, case)
    html = _html(client.get(_page(case)))
    assert "请您评价" in html and "满意" in html and "基本满意" in html and "不满意请写明原因" in html


def test_a_satisfied_rating_closes_the_loop(client, world):
    case = _resolved(world)
    response = _rate(_prove(client, case), case, "satisfied")
    assert "感谢您的评价。" in _messages(response)
    case.refresh_from_db()
    assert case.status == Status.FOLLOWED_UP and case.satisfaction == "satisfied"
    html = _html(response)
    assert "您的评价" in html and "请您评价" not in html


def test_an_unsatisfied_rating_reopens_the_matter_and_says_who_and_by_when(client, world):
    case = _resolved(world)
    response = _rate(_prove(client, case), case, "unsatisfied", "只给了一半工资")
    case.refresh_from_db()
    assert case.status == Status.PENDING_DISPATCH and case.reopen_count == 1
    expected = f"您选择了不满意，事项已重新交给桃源镇综治中心办理。新的办理期限：{due_label(case.due_at, case.due_provisional)}。"
    assert expected in _messages(response)
    assert "重新办理" in _html(response)


def test_with_the_reopen_policy_off_an_unsatisfied_rating_goes_to_review(client, world, settings):
    settings.YIMEN_REOPEN_ON_UNSATISFIED = False
    case = _resolved(world)
    response = _rate(_prove(client, case), case, "unsatisfied", "只给了一半工资")
    assert "已记录您的意见，中心会复核。" in _messages(response)
    case.refresh_from_db()
    assert case.status == Status.FOLLOWED_UP


def test_unsatisfied_without_a_comment_keeps_the_choice_and_asks_why(client, world):
    case = _resolved(world)
    response = _prove(client, case).post(reverse("web:resident_rate", args=[case.number]), {"satisfaction": "unsatisfied"})
    assert response.status_code == 400
    html = _html(response)
    assert "选择“不满意”时，请写明不满意的地方。" in html
    assert re.search(r'<input[^>]*value="unsatisfied"[^>]*checked', html)
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


def test_a_rating_without_a_choice_keeps_the_comment(client, world):
    case = _resolved(world)
    response = _prove(client, case).post(reverse("web:resident_rate", args=[case.number]), {"comment": "办得很快"})
    assert response.status_code == 400
    assert "请选择满意、基本满意或不满意。" in _html(response) and "办得很快" in _html(response)


def test_the_residents_posts_are_csrf_protected(world):
    case = _resolved(world)
    client = Client(enforce_csrf_checks=True)
    _prove(client, case)
    assert _rate(client, case, "satisfied").status_code == 403
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


# ---------------------------------------------------------------------------------------------
# The phone path


def test_a_proved_phone_lists_its_matters_and_opens_one(client, world):
    mine = world.register()
    other = world.register(parties=[PartyInput(name="李四", phone="13900139000")])
    response = _prove_phone(client)
    assert response.status_code == 302 and response["Location"] == reverse("web:resident_mine")
    html = _html(client.get(reverse("web:resident_mine")))
    assert mine.number in html and other.number not in html
    assert "已收到，正在安排办理单位" in html and reverse("web:resident_case", args=[mine.number]) in html
    assert client.get(_page(mine)).status_code == 200
    assert client.get(_page(other)).status_code == 404


def test_the_phone_form_keeps_what_was_typed_when_the_code_is_wrong(client, world):
    url = reverse("web:resident_mine")
    sent = client.post(url, {"phone": "138 0013 8000", "intent": "send_code"})
    assert "验证码已发送到 138****8000" in _html(sent)
    response = client.post(url, {"phone": "138 0013 8000", "code": "000000", "intent": "verify"})
    assert response.status_code == 400
    html = _html(response)
    assert "验证码不正确" in html and 'value="138 0013 8000"' in html and 'value="000000"' in html


def test_asking_for_too_many_codes_is_refused_with_429(client, world, settings):
    settings.YIMEN_RATE_SMS_PER_PHONE = "1/h"
    url = reverse("web:resident_mine")
    client.post(url, {"phone": PHONE, "intent": "send_code"})
    response = client.post(url, {"phone": PHONE, "intent": "send_code"})
    assert response.status_code == 429 and "获取验证码太频繁" in _html(response)


def test_a_wrong_phone_number_is_named(client, world):
    response = client.post(reverse("web:resident_mine"), {"phone": "12345", "intent": "send_code"})
    assert response.status_code == 400 and "请填写正确的11位手机号码。" in _html(response)
