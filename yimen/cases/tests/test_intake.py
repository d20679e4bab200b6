"""Registration: numbering, validation by field, scope, and nothing half-saved."""

import pytest

from yimen.cases.intake import AttachmentInput, PartyInput
from yimen.cases.models import Case, CaseEvent, Party
from yimen.common.errors import InvalidInput, PermissionDenied, TooLarge


def test_numbers_are_consecutive_per_centre_and_year(world):
    first = world.register()
    second = world.register()
    other = world.register(actor=world.other_clerk, region=world.grid2)
    year = first.received_at.astimezone().year
    assert first.number == f"449001001-{year}-000001"
    assert second.number == f"449001001-{year}-000002"
    assert other.number == f"449001002-{year}-000001"
    assert len(first.query_code) == 20 and first.query_code != second.query_code


def test_a_grid_workers_report_lands_at_the_village_centre(world):
    case = world.register(actor=world.grid_worker, channel="grid")
    assert case.registering_centre == world.centre_village
    assert case.region_code == world.grid.code


@pytest.mark.parametrize(
    "overrides,field,words",
    [
        ({"description": "  "}, "description", "事项描述"),
        ({"channel": "fax"}, "channel", "来源渠道"),
        ({"amount": "十万"}, "amount", "金额"),
        ({"parties": []}, "parties", "当事人"),
        ({"parties": [PartyInput(name="张三", id_number="110101199003074478")]}, "parties[0].id_number", "校验位"),
        ({"parties": [PartyInput(name="张三", phone="12345")]}, "parties[0].phone", "联系电话"),
        ({"parties": [PartyInput(name="")]}, "parties[0].name", "姓名"),
    ],
)
def test_bad_input_names_the_field_in_chinese_and_saves_nothing(world, overrides, field, words):
    with pytest.raises(InvalidInput) as raised:
        world.register(**overrides)
    assert raised.value.field == field
    assert words in str(raised.value)
    assert not Case.objects.exists() and not Party.objects.exists() and not CaseEvent.objects.exists()


def test_an_oversized_attachment_is_refused_with_413(world, settings):
    settings.YIMEN_MAX_ATTACHMENT_BYTES = 1024
    with pytest.raises(TooLarge) as raised:
        world.register(attachments=[AttachmentInput(name="照片.jpg", content=b"x" * 2048)])
    assert raised.value.status == 413
    assert not Case.objects.exists()


def test_nobody_registers_outside_their_region_and_units_do_not_register(world):
    with pytest.raises(PermissionDenied):
        world.register(actor=world.other_clerk)  # 石门镇's clerk, a 桃源镇 place
    with pytest.raises(PermissionDenied):
        world.register(actor=world.handler)
    assert not Case.objects.exists()


def test_registration_writes_the_event_parties_and_a_handling_limit(world):
    case = world.register(tags=["群体性", "欠薪"])
    assert case.parties.count() == 2
    assert case.headcount == 12
    assert set(case.tags.values_list("name", flat=True)) == {"群体性", "欠薪"}
    event = CaseEvent.objects.get(case=case)
    assert event.kind == "registered" and event.actor == world.clerk
    assert case.deadlines.filter(step="handle", state="open").exists()
    assert case.due_at is not None


def test_a_registration_that_fails_leaves_no_attachment_file_behind(world, settings, tmp_path, monkeypatch):
    from yimen.cases import intake

    settings.MEDIA_ROOT = tmp_path

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(intake.CaseEvent.objects, "create", broken)
    with pytest.raises(RuntimeError):
        world.register(attachments=[AttachmentInput(name="合同.pdf", content=b"%PDF-1.4 test")])
    assert not Case.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
