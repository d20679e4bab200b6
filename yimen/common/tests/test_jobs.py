"""The worker's round, on jobs made up here: what any app's registered job can count on."""

import logging
import threading

import pytest

from yimen.common import jobs
from yimen.common.jobs import PeriodicJob, periodic_jobs, register_periodic
from yimen.common.management.commands.worker import WorkerLoop


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(jobs, "_REGISTRY", {})
    return jobs._REGISTRY


def _loop(job_list, seconds=0.5, **intervals):
    loop = WorkerLoop(jobs=job_list, intervals=intervals, poll_interval=1, queue_names=["default"],
                      run_tasks=False, worker_id="t")
    threading.Timer(seconds, loop.request_stop).start()
    assert loop.run() == 0
    return loop


# The loop closes old connections each turn, which a test's open transaction would not survive.
@pytest.mark.django_db(transaction=True)
def test_each_job_runs_at_its_interval_and_a_failing_one_stops_no_other(caplog):
    runs = {"often": 0, "hourly": 0}
    seen = []

    def often(*, every, stop):
        runs["often"] += 1
        seen.append((every, stop.is_set()))

    def boom(**_):
        raise RuntimeError("boom")

    job_list = [
        PeriodicJob("boom", run=boom, every=0.05, start="now"),
        PeriodicJob("often", run=often, every=0.05, start="now"),
        PeriodicJob("hourly", run=lambda **_: runs.__setitem__("hourly", runs["hourly"] + 1), every=3600),
    ]
    with caplog.at_level(logging.ERROR, logger="yimen.worker"):
        _loop(job_list)

    assert runs["often"] >= 3 and runs["hourly"] == 0  # "later": not before its first hour
    assert seen[0] == (0.05, False)
    assert "worker t: boom failed" in caplog.text


def test_the_worker_option_beats_the_setting_which_beats_the_default(settings):
    settings.YIMEN_TEST_JOB_SECONDS = 7
    job = PeriodicJob("x", run=lambda **_: None, every=60, setting="YIMEN_TEST_JOB_SECONDS")

    assert PeriodicJob("y", run=job.run, every=60).interval() == 60
    assert job.interval() == 7
    assert job.interval(2.5) == 2.5
    assert WorkerLoop(jobs=[job], intervals={"x": 3}, poll_interval=1, queue_names=[], run_tasks=False,
                      worker_id="t").schedule == [(job, 3.0)]
    with pytest.raises(ValueError, match="no periodic job named typo"):
        WorkerLoop(jobs=[job], intervals={"typo": 3}, poll_interval=1, queue_names=[], run_tasks=False, worker_id="t")


def test_jobs_run_in_registration_order_with_the_last_ones_at_the_end(registry):
    register_periodic("deliver", run=lambda **_: None, every=5, last=True)
    register_periodic("sweep", run=lambda **_: None, every=60)
    register_periodic("prune", run=lambda **_: None, every=3600)

    assert [job.name for job in periodic_jobs()] == ["sweep", "prune", "deliver"]


def test_two_jobs_cannot_claim_the_same_worker_option(registry):
    register_periodic("sweep", run=lambda **_: None, every=60, option="--interval")
    register_periodic("sweep", run=lambda **_: None, every=30, option="--interval")  # the same job again: replaced

    with pytest.raises(ValueError, match="already 'sweep'"):
        register_periodic("other", run=lambda **_: None, every=5, option="--interval")
    with pytest.raises(ValueError, match="positive"):
        register_periodic("never", run=lambda **_: None, every=0)
    assert [(job.name, job.every) for job in periodic_jobs()] == [("sweep", 30)]


def test_once_runs_each_jobs_one_off_pass_in_order(registry):
    from io import StringIO

    from django.core.management import call_command

    register_periodic("deliver", run=lambda **_: None, every=5, once=lambda: "delivered=2", last=True)
    register_periodic("sweep", run=lambda **_: None, every=60, once=lambda: "sweep: warned=1")
    register_periodic("prune", run=lambda **_: None, every=3600)  # nothing to do once
    out = StringIO()

    call_command("worker", "--once", stdout=out)

    assert out.getvalue().strip() == "sweep: warned=1; delivered=2"
