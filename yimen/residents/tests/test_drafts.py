import datetime as dt
import io

import pytest
import time_machine
from PIL import Image

from yimen.common.errors import InvalidInput
from yimen.residents import drafts
from yimen.residents.drafts import (
    draft_add_file,
    draft_attachments,
    draft_discard,
    draft_for,
    draft_purge,
    draft_remove_file,
    draft_save,
    draft_start,
)
from yimen.residents.housekeeping import residents_housekeeping
from yimen.residents.models import Draft, DraftFile, PhoneCode, ThrottleBucket
from yimen.residents.throttle import throttle_hit
from yimen.residents.uploads import check_upload

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buffer, "JPEG")
    return buffer.getvalue()


def stored_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def draft(world, media, clock):
    return draft_start(centre=world.centre_township)


def test_a_draft_survives_being_read_again_from_the_database_with_its_files(world, draft, media):
    draft_save(draft=draft, data={"description": "工地欠薪三个月", "phone": "13800138000"})
    draft_add_file(draft=draft, upload=check_upload(name="欠条.jpg", content=photo()))
    draft_add_file(draft=draft, upload=check_upload(name="合同.pdf", content=PDF))

    again = draft_for(token=draft.token, centre=world.centre_township)  # as after a restart
    assert again is not None and again.pk == draft.pk
    assert again.data == {"description": "工地欠薪三个月", "phone": "13800138000"}
    attachments = draft_attachments(again)
    assert [(a.name, a.content_type) for a in attachments] == [("欠条.jpg", "image/jpeg"), ("合同.pdf", "application/pdf")]
    assert attachments[0].content == photo() and attachments[1].content == PDF


def test_the_token_is_long_random_and_url_safe(world, draft):
    other = draft_start(centre=world.centre_township)
    assert len(draft.token) == 43 and draft.token != other.token
    assert draft.token.replace("-", "").replace("_", "").isalnum()


def test_a_draft_is_not_found_without_its_token_at_another_centre_or_after_the_limit(world, draft, clock):
    assert draft_for(token=None, centre=world.centre_township) is None
    assert draft_for(token="", centre=world.centre_township) is None
    assert draft_for(token=draft.token[:-1] + "x", centre=world.centre_township) is None
    assert draft_for(token=draft.token, centre=world.centre_township2) is None
    clock.move_to(T0 + dt.timedelta(days=6, hours=23))
    assert draft_for(token=draft.token, centre=world.centre_township) is not None
    clock.move_to(T0 + dt.timedelta(days=7, hours=1))
    assert draft_for(token=draft.token, centre=world.centre_township) is None


def test_saving_keeps_only_text_capped_and_counts_as_activity(world, draft, clock):
    clock.move_to(T0 + dt.timedelta(days=6))
    draft_save(draft=draft, data={"description": "长" * 6000, "count": 3, "tags": ["a"], "name": "张\x00三"})
    draft.refresh_from_db()
    assert draft.data == {"description": "长" * 5000, "name": "张三"}
    clock.move_to(T0 + dt.timedelta(days=12))  # 6 days after the save, 12 after the start
    assert draft_for(token=draft.token, centre=world.centre_township) is not None


def test_files_are_stored_under_a_random_name_not_the_residents(draft, media):
    draft_add_file(draft=draft, upload=check_upload(name="张三身份证.jpg", content=photo()))
    (path,) = stored_files(media)
    assert path.relative_to(media).parts[0] == "drafts"
    assert "张三" not in path.name and path.suffix == ".jpg"


def test_no_more_than_six_files(draft):
    upload = check_upload(name="证据.pdf", content=PDF)
    for _ in range(6):
        draft_add_file(draft=draft, upload=upload)
    with pytest.raises(InvalidInput, match="^最多上传6个文件。$") as refused:
        draft_add_file(draft=draft, upload=upload)
    assert refused.value.field == "files"
    assert draft.files.count() == 6


def test_removing_a_file_deletes_it_from_storage_and_twice_is_harmless(draft, media, django_capture_on_commit_callbacks):
    kept = draft_add_file(draft=draft, upload=check_upload(name="合同.pdf", content=PDF))
    gone = draft_add_file(draft=draft, upload=check_upload(name="错传.pdf", content=PDF))
    with django_capture_on_commit_callbacks(execute=True):
        draft_remove_file(draft=draft, file_id=gone.pk)
        draft_remove_file(draft=draft, file_id=gone.pk)
    assert [a.name for a in draft_attachments(draft)] == ["合同.pdf"]
    assert stored_files(media) == [media / kept.file.name]


def test_a_file_of_another_draft_cannot_be_removed(world, draft):
    other = draft_start(centre=world.centre_township)
    theirs = draft_add_file(draft=other, upload=check_upload(name="合同.pdf", content=PDF))
    draft_remove_file(draft=draft, file_id=theirs.pk)
    assert DraftFile.objects.filter(pk=theirs.pk).exists()


def test_a_file_lost_from_storage_is_asked_for_again(draft, media):
    record = draft_add_file(draft=draft, upload=check_upload(name="欠条.jpg", content=photo()))
    (media / record.file.name).unlink()
    with pytest.raises(InvalidInput, match="文件“欠条.jpg”没有保存成功，请重新上传。"):
        draft_attachments(draft)
    assert draft_attachments(draft) == []


def test_discarding_a_draft_removes_its_stored_files_once_committed(draft, media, django_capture_on_commit_callbacks):
    draft_add_file(draft=draft, upload=check_upload(name="欠条.jpg", content=photo()))
    draft_add_file(draft=draft, upload=check_upload(name="合同.pdf", content=PDF))
    with django_capture_on_commit_callbacks(execute=False) as pending:
        draft_discard(draft=draft)
    assert len(stored_files(media)) == 2  # still there until the transaction commits
    for callback in pending:
        callback()
    assert stored_files(media) == []
    assert not Draft.objects.exists() and not DraftFile.objects.exists()


def test_drafts_untouched_past_the_limit_are_purged_with_their_files(world, draft, media, clock, django_capture_on_commit_callbacks):
    draft_add_file(draft=draft, upload=check_upload(name="欠条.jpg", content=photo()))
    clock.move_to(T0 + dt.timedelta(days=5))
    fresh = draft_start(centre=world.centre_township)
    fresh_file = draft_add_file(draft=fresh, upload=check_upload(name="合同.pdf", content=PDF))
    with django_capture_on_commit_callbacks(execute=True):
        assert draft_purge(now=T0 + dt.timedelta(days=7, minutes=1)) == 1
    assert list(Draft.objects.all()) == [fresh]
    assert stored_files(media) == [media / fresh_file.file.name]


def test_housekeeping_clears_old_counters_drafts_and_codes(world, draft, clock, django_capture_on_commit_callbacks):
    throttle_hit(scope="sms-phone", key="13800138000", rate="5/h", message="太频繁", now=T0)
    PhoneCode.objects.create(phone="13800138000", code_hash="x", created_at=T0, expires_at=T0)
    later = T0 + dt.timedelta(days=8)
    clock.move_to(later)
    PhoneCode.objects.create(phone="13800138000", code_hash="y", created_at=later, expires_at=later)
    with django_capture_on_commit_callbacks(execute=True):
        counts = residents_housekeeping(now=later)
    assert counts == {"throttle_buckets": 1, "drafts": 1, "phone_codes": 1}
    assert not ThrottleBucket.objects.exists() and not Draft.objects.exists()
    assert PhoneCode.objects.get().code_hash == "y"


def test_a_failed_row_write_leaves_no_file_behind(draft, media, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(drafts.DraftFile, "save", broken)
    with pytest.raises(RuntimeError):
        draft_add_file(draft=draft, upload=check_upload(name="合同.pdf", content=PDF))
    assert stored_files(media) == []
