"""The unified window (无差别受理): one form for any matter, its look-ups, and what a save does."""

import re

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from yimen.cases.models import Case, CaseEvent, Category, Party
from yimen.cases.validators import id_number_check_digit
from yimen.common.querycount import count_queries
from yimen.regions.selectors import cascade_choice

ZHANG_ID = "110101199003074477"
BAD_ID = "110101199003074478"  # wrong check digit


def _id(first17: str) -> str:
    return first17 + id_number_check_digit(first17)


def window_post(world, **overrides) -> dict:
    """What a clerk's browser posts: the matter, two party rows, the place cascade's selects."""
    data = {
        "channel": "walk_in",
        "received_at": "2025-03-03T09:30",
        "title": "",
        "description": "张三等12名工人在桃源镇某工地务工，工资共计8万余元至今未结清。",
        "request": "请求协调支付拖欠工资",
        "category": str(world.labour.pk),
        "urgency": "",
        "risk": "",
        "region": [world.township.code, world.village.code, world.grid.code],
        "address": "杏花村工地",
        "amount": "80000",
        "headcount": "12",
        "tags": "欠薪，农民工",
        "on_behalf_note": "",
        "parties-TOTAL_FORMS": "2",
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "0",
        "parties-MAX_NUM_FORMS": "50",
        "parties-0-role": "applicant",
        "parties-0-kind": "person",
        "parties-0-name": "张三",
        "parties-0-id_number": ZHANG_ID,
        "parties-0-phone": "13800138000",
        "parties-0-headcount": "12",
        "parties-0-address": "杏花村3组",
        "parties-1-role": "respondent",
        "parties-1-kind": "organisation",
        "parties-1-name": "某建筑劳务公司",
        "parties-1-id_number": "",
        "parties-1-phone": "",
        "parties-1-headcount": "1",
        "parties-1-address": "",
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# ---------------------------------------------------------------------------------------------
# The form


def test_the_window_offers_one_keyboard_form_that_works_without_scripts(client, world):
    client.force_login(world.clerk)
    page = client.get(reverse("web:window"))
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'<select name="channel" autofocus', html)
    assert 'value="walk_in" selected' in html
    assert "Ctrl</kbd>+<kbd>Enter</kbd>" in html
    # Two party rows usable without scripts, and the formset's template for more.
    assert 'name="parties-0-name"' in html and 'name="parties-1-name"' in html
    assert 'name="parties-TOTAL_FORMS" value="2"' in html
    assert '<option value="respondent" selected>' in html
    # A plain multiple file input inside the drop zone; the category <select> lists the whole tree.
    assert re.search(r'<input type="file" name="attachments" multiple', html)
    assert f'<option value="{world.labour.pk}">劳资/欠薪</option>' in html
    # The place defaults to the clerk's own township, with its villages to choose from.
    assert f'<option value="{world.township.code}" selected>桃源镇</option>' in html
    assert world.village.name in html and world.village2.name not in html


def test_a_clerk_registers_through_the_window_and_lands_on_the_receipt(client, world, settings):
    settings.YIMEN_PUBLIC_BASE_URL = "https://jfm.example.gov.cn"
    client.force_login(world.clerk)
    response = client.post(reverse("web:window"), window_post(world))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:case_receipt", args=[case.number])
    receipt = client.get(response["Location"])
    html = receipt.content.decode()
    assert case.number in html and case.query_code in html and "<svg" in html
    track = f"https://jfm.example.gov.cn/r/track/?number={case.number}&code={case.query_code}"
    assert segno.make(track, error="m").svg_inline(scale=4, border=2, svgclass="qr", lineclass="qr-line") in html
    assert track.replace("&", "&amp;") in html
    assert case.registered_by == world.clerk and case.region == world.grid and case.category == world.labour
    assert case.channel == "walk_in" and case.amount == 80000 and case.headcount == 12 and case.address == "杏花村工地"
    assert case.title == case.description[:30]
    assert sorted(case.tags.values_list("name", flat=True)) == ["农民工", "欠薪"]
    assert [(p.name, p.role, p.id_number) for p in case.parties.order_by("id")] == [
        ("张三", "applicant", ZHANG_ID), ("某建筑劳务公司", "respondent", "")]
    assert CaseEvent.objects.get(case=case).kind == "registered"


@pytest.mark.parametrize(("chosen", "kept"), [("", "labour"), ("property", "property")], ids=["left_open", "chosen"])
def test_a_matter_registered_at_the_window_and_resolved_on_the_spot_keeps_a_category(client, world, chosen, kept):
    """Left open at the window it takes the engine's category, chosen it keeps the clerk's: either way a
    matter answered on the spot counts by category (B.6(d))."""
    client.force_login(world.clerk)
    category = str(getattr(world, chosen).pk) if chosen else ""
    assert client.post(reverse("web:window"), window_post(world, category=category)).status_code == 302
    case = Case.objects.get()
    response = client.post(reverse("web:case_act", args=[case.number, "resolve_on_spot"]),
                           {"outcome": "explained", "result": "当场解释了讨薪途径", "status_seen": "registered"})
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert (case.status, case.resolved_on_spot, case.category) == ("resolved", True, getattr(world, kept))
    assert getattr(world, kept).name in client.get(reverse("web:case_detail", args=[case.number])).content.decode()


def test_a_bad_id_number_keeps_everything_typed_and_names_the_field_in_chinese(client, world):
    client.force_login(world.clerk)
    response = client.post(reverse("web:window"), window_post(world, **{"parties-0-id_number": BAD_ID}))
    html = response.content.decode()
    assert response.status_code == 400 and not Case.objects.exists()
    assert "第1名当事人·证件号码：身份证号码校验位不正确，请核对。" in html
    assert f'value="{BAD_ID}"' in html and 'autofocus' in html.split(f'value="{BAD_ID}"')[1].split(">")[0]
    for typed in ("张三等12名工人在桃源镇某工地务工", "请求协调支付拖欠工资", 'value="杏花村工地"', 'value="80000"',
                  'value="欠薪，农民工"', 'value="13800138000"', 'value="某建筑劳务公司"', 'value="2025-03-03T09:30"'):
        assert typed in html, typed
    assert f'<option value="{world.labour.pk}" selected>' in html
    assert f'<option value="{world.grid.code}" selected>' in html


def test_a_party_error_from_intake_lands_on_the_row_it_belongs_to(client, world):
    """Intake counts filled-in rows; the error goes back to the row on screen (here the second)."""
    client.force_login(world.clerk)
    data = window_post(world, **{f"parties-0-{k}": "" for k in ("name", "id_number", "phone", "address")})
    data.update({"parties-1-name": "", "parties-1-phone": "13900139000"})
    html = client.post(reverse("web:window"), data).content.decode()
    assert "第2名当事人·姓名/名称：第1名当事人的姓名/名称未填写。" in html
    assert not Case.objects.exists()


def test_a_row_the_script_took_off_the_page_counts_as_blank(client, world):
    client.force_login(world.clerk)
    data = window_post(world, **{"parties-TOTAL_FORMS": "4", "parties-3-name": "李四", "parties-3-role": "third"})
    assert client.post(reverse("web:window"), data).status_code == 302
    assert list(Case.objects.get().parties.order_by("id").values_list("name", "role")) == [
        ("张三", "applicant"), ("某建筑劳务公司", "respondent"), ("李四", "third")]


def test_a_clerk_of_another_township_cannot_register_in_taoyuan(client, world):
    client.force_login(world.other_clerk)
    response = client.post(reverse("web:window"), window_post(world))
    assert response.status_code == 403 and not Case.objects.exists()
    assert "您无权在“杏花村第一网格”登记事项。" in response.content.decode()


def test_a_user_who_may_not_register_gets_no_form(client, world):
    client.force_login(world.handler)
    response = client.get(reverse("web:window"))
    assert response.status_code == 403 and 'id="window-form"' not in response.content.decode()


def test_help_on_behalf_is_recorded_as_a_tag_and_in_the_description(client, world):
    client.force_login(world.clerk)
    client.post(reverse("web:window"), window_post(world, on_behalf="on", on_behalf_note="王大爷，82岁，视力不好"))
    case = Case.objects.get()
    assert "帮代办" in case.tags.values_list("name", flat=True)
    assert case.description.endswith("【帮代办】王大爷，82岁，视力不好")
    assert CaseEvent.objects.get(case=case).actor == world.clerk


def test_help_on_behalf_asks_who_was_helped(client, world):
    client.force_login(world.clerk)
    html = client.post(reverse("web:window"), window_post(world, on_behalf="on")).content.decode()
    assert "帮代办说明：勾选帮代办时，请写明为谁代办。" in html and not Case.objects.exists()


def test_attachments_uploaded_land_on_the_matter(client, world):
    client.force_login(world.clerk)
    files = [SimpleUploadedFile("工资单.jpg", b"x" * 100, "image/jpeg"), SimpleUploadedFile("欠条.pdf", b"%PDF", "application/pdf")]
    client.post(reverse("web:window"), {**window_post(world), "attachments": files})
    case = Case.objects.get()
    assert sorted(case.attachments.values_list("original_name", "size")) == [("工资单.jpg", 100), ("欠条.pdf", 4)]
    assert all(a.uploaded_by == world.clerk for a in case.attachments.all())


def test_after_an_error_the_form_says_files_must_be_chosen_again(client, world):
    client.force_login(world.clerk)
    files = [SimpleUploadedFile("工资单.jpg", b"x" * 10, "image/jpeg")]
    html = client.post(reverse("web:window"), {**window_post(world, description=""), "attachments": files}).content.decode()
    assert "事项描述：" in html
    assert "刚才选择的附件（工资单.jpg）没有保存" in html and "请重新选择" in html


def test_an_attachment_over_the_limit_is_refused_on_the_attachments_field(client, world, settings):
    settings.YIMEN_MAX_ATTACHMENT_BYTES = 1000
    client.force_login(world.clerk)
    files = [SimpleUploadedFile("big.jpg", b"x" * 1001, "image/jpeg")]
    response = client.post(reverse("web:window"), {**window_post(world), "attachments": files})
    assert response.status_code == 413 and not Case.objects.exists()
    assert "附件：附件“big.jpg”超过" in response.content.decode()


def test_a_stale_deeper_select_does_not_decide_the_place():
    # The village was changed after a grid of another village had been chosen.
    assert cascade_choice(["449001001", "449001001001", "449001002001001"]) == "449001001001"
    assert cascade_choice(["449001001", "449001001", ""]) == "449001001"
    assert cascade_choice([]) == ""


# ---------------------------------------------------------------------------------------------
# Party look-up


def _lookup(client, **params):
    return client.get(reverse("web:window_party_lookup"), params, HTTP_HX_REQUEST="true").content.decode()


def test_party_lookup_shows_previous_matters_and_flags_a_repeat(client, world):
    first = world.register(title="欠薪纠纷一")
    client.force_login(world.clerk)
    html = _lookup(client, **{"parties-0-id_number": ZHANG_ID, "parties-0-phone": ""})
    assert first.number in html and "欠薪纠纷一" in html and "重复来访" in html and "已登记" in html
    assert timezone.localtime(first.received_at).strftime("%Y-%m-%d") in html and "申请人" in html
    assert "1 件事项尚未办结" in html
    # No other person's personal data: not the respondent's name, not the applicant's phone.
    assert "某建筑劳务公司" not in html and "13800138000" not in html and ZHANG_ID not in html


def test_party_lookup_by_phone_finds_the_same_person_and_no_repeat_once_closed(client, world):
    from yimen.cases import transitions

    case = world.register()
    transitions.case_withdraw(actor=world.clerk, case=case, reason="当事人撤回")
    client.force_login(world.clerk)
    html = _lookup(client, phone="138 0013 8000")
    assert case.number in html and "重复来访" not in html and "均已办结" in html


def test_party_lookup_shows_nothing_from_outside_the_users_scope(client, world):
    shimen = world.register(actor=world.other_clerk, region=world.grid2, title="石门镇的事项")
    client.force_login(world.clerk)
    html = _lookup(client, id_number=ZHANG_ID)
    assert shimen.number not in html and "石门镇的事项" not in html and "重复来访" not in html
    assert "本辖区内没有此人以前的事项" in html
    client.force_login(world.other_clerk)
    assert shimen.number in _lookup(client, id_number=ZHANG_ID)


def test_party_lookup_answers_a_wrong_number_with_the_shared_validators_message(client, world):
    client.force_login(world.clerk)
    assert "身份证号码校验位不正确，请核对。" in _lookup(client, id_number=BAD_ID)
    assert _lookup(client, id_number="", phone="").strip() == ""


# ---------------------------------------------------------------------------------------------
# Category type-ahead and place cascade


def test_category_typeahead_finds_by_name_and_shows_the_path(client, world):
    parent = Category.objects.create(code="labour-disputes", name="劳资纠纷")
    Category.objects.create(code="wages", name="欠薪", parent=parent)
    Category.objects.create(code="old-wages", name="欠薪(旧)", active=False)
    client.force_login(world.clerk)
    html = client.get(reverse("web:window_categories"), {"q": "欠薪"}).content.decode()
    assert "劳资纠纷 › 欠薪" in html and "劳资/欠薪" in html and "欠薪(旧)" not in html
    assert "没有名称包含“离婚”的类别" in client.get(reverse("web:window_categories"), {"q": "离婚"}).content.decode()


def test_region_cascade_lists_children_only_within_scope(client, world):
    client.force_login(world.clerk)
    url = reverse("web:window_regions")
    html = client.get(url, {"region": [world.township.code, world.village.code]}).content.decode()
    assert f'<option value="{world.village.code}" selected>' in html and world.grid.name in html
    # Asking for 石门镇 falls back to the clerk's own township: nothing of 石门镇 is listed.
    html = client.get(url, {"region": [world.township2.code]}).content.decode()
    assert "石门" not in html and f'<option value="{world.township.code}" selected>' in html
    assert world.village.name in html and world.grid.name not in html


def test_a_county_dispatcher_can_choose_any_township_of_the_county(client, world):
    client.force_login(world.county_dispatcher)
    html = client.get(reverse("web:window_regions"), {"region": [world.county.code]}).content.decode()
    assert "桃源镇" in html and "石门镇" in html and "湖滨街道" not in html


# ---------------------------------------------------------------------------------------------
# Queries stay constant as history grows


def _count(client, url, params=None) -> int:
    with count_queries() as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return ctx


def test_the_window_page_costs_the_same_number_of_queries_however_many_matters_exist(client, world):
    client.force_login(world.clerk)
    for _ in range(2):
        world.register()
    few = _count(client, reverse("web:window"))
    for _ in range(6):
        world.register()
    assert _count(client, reverse("web:window")) == few


def test_the_party_lookup_costs_the_same_number_of_queries_as_history_grows(client, world):
    client.force_login(world.clerk)
    for _ in range(2):
        world.register()
    few = _count(client, reverse("web:window_party_lookup"), {"id_number": ZHANG_ID, "phone": "13800138000"})
    for _ in range(12):
        world.register()
    html = client.get(reverse("web:window_party_lookup"), {"id_number": ZHANG_ID}).content.decode()
    assert "各只列出最近10件" in html and html.count("<tr>") == 1 + 10
    assert _count(client, reverse("web:window_party_lookup"), {"id_number": ZHANG_ID, "phone": "13800138000"}) == few
    assert Party.objects.filter(id_number=ZHANG_ID).count() == 14
