"""Attachments on S3-compatible object storage (YIMEN_STORAGE=s3), against a real S3 server on the
loopback: moto's, started here (docs/operations.md, "More than one machine")."""

import runpy
import socket
from pathlib import Path

import pytest
from django.urls import reverse

from yimen.cases.intake import AttachmentInput
from yimen.common.env import ImproperEnvironment

SETTINGS = Path(__file__).resolve().parents[2] / "settings.py"


def _settings_with(monkeypatch, **env) -> dict:
    """yimen/settings.py read afresh under this environment."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, monkeypatch, settings):
    import boto3

    env = {"YIMEN_STORAGE": "s3", "YIMEN_S3_BUCKET": "yimen-attachments", "YIMEN_S3_ENDPOINT_URL": s3_server,
           "YIMEN_S3_REGION": "cn-north-1", "YIMEN_S3_ACCESS_KEY": "testing", "YIMEN_S3_SECRET_KEY": "testing",
           "YIMEN_S3_PREFIX": "centre-4490"}
    client = boto3.client("s3", endpoint_url=s3_server, region_name="cn-north-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket="yimen-attachments", CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
    settings.STORAGES = _settings_with(monkeypatch, **env)["STORAGES"]
    yield client
    for item in client.list_objects_v2(Bucket="yimen-attachments").get("Contents", []):
        client.delete_object(Bucket="yimen-attachments", Key=item["Key"])
    client.delete_bucket(Bucket="yimen-attachments")


def test_an_attachment_is_stored_in_the_bucket_and_downloaded_through_the_scoped_view(client, world, bucket, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path  # nothing may land here
    case = world.register(attachments=[AttachmentInput(name="欠条.txt", content="欠条内容".encode(), content_type="text/plain")])
    attachment = case.attachments.get()

    keys = [item["Key"] for item in bucket.list_objects_v2(Bucket="yimen-attachments")["Contents"]]
    assert keys == [f"centre-4490/{attachment.file.name}"]
    assert bucket.get_object(Bucket="yimen-attachments", Key=keys[0])["Body"].read() == "欠条内容".encode()
    assert not any(tmp_path.rglob("*.*"))

    client.force_login(world.clerk)
    response = client.get(reverse("web:attachment", args=[case.number, attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == "欠条内容".encode()
    client.force_login(world.other_clerk)
    assert client.get(reverse("web:attachment", args=[case.number, attachment.pk])).status_code == 404


def test_local_files_stay_the_default(monkeypatch):
    monkeypatch.delenv("YIMEN_STORAGE", raising=False)
    storages = runpy.run_path(str(SETTINGS))["STORAGES"]
    assert storages["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


@pytest.mark.parametrize("env", [{"YIMEN_STORAGE": "s3"}, {"YIMEN_STORAGE": "nfs"}])
def test_a_storage_setting_that_cannot_work_stops_the_start(monkeypatch, env):
    monkeypatch.delenv("YIMEN_S3_BUCKET", raising=False)
    with pytest.raises(ImproperEnvironment):
        _settings_with(monkeypatch, **env)
