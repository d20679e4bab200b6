"""The periodic jobs of `yimen worker`: each app registers its own, the worker runs what is registered.

An app with work to do every so often says so in its own `jobs.py`, which its `AppConfig.ready()`
imports:

    register_periodic("audit retention", run=_audit_prune, every=HOURLY)

The worker (common/management/commands/worker.py) knows no app: it runs `periodic_jobs()`, each at
its interval, in the order they were registered (INSTALLED_APPS order), those marked `last` after the
others. `yimen worker --once` runs each job's `once` instead, where it has one.

A job is called as `run(every=<its interval in seconds>, stop=<threading.Event>)`: `stop` is set when
the worker is asked to stop, for a job that loops (finish the batch in hand, then return). A job that
raises is logged and tried again at its next turn; the others go on. Several workers may run the same
job at once, so a job is harmless twice (claims by compare-and-set, deletes by age).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from django.conf import settings

HOURLY = 3600.0

# When a job first runs after the worker starts: at once; at a random moment within its first
# min(SPREAD_SECONDS, every) seconds, so that workers started together do not beat together; or after
# one interval.
Start = Literal["now", "spread", "later"]
SPREAD_SECONDS = 5.0


@dataclass(frozen=True)
class PeriodicJob:
    name: str  # what the log calls it ("outbox delivery failed"); also its key in WorkerLoop(intervals=…)
    run: Callable[..., object]
    every: float  # seconds between runs, unless `setting` or `option` says otherwise
    setting: str | None = None  # a setting that overrides `every`, read when the worker starts
    option: str | None = None  # a `yimen worker` option that overrides both ("--interval")
    option_help: str = ""
    start: Start = "later"
    once: Callable[[], str] | None = None  # `--once`: one pass here and now; returns words for the output line
    last: bool = False  # after the other jobs of the same turn, and last in `--once` (delivery sends what they queued)

    def interval(self, given: float | None = None) -> float:
        """Seconds between runs: `given` (the worker's option), else the setting, else `every`."""
        if given:
            return float(given)
        if self.setting:
            return float(getattr(settings, self.setting, self.every))
        return float(self.every)


_REGISTRY: dict[str, PeriodicJob] = {}


def register_periodic(name: str, *, run: Callable[..., object], every: float, setting: str | None = None,
                      option: str | None = None, option_help: str = "", start: Start = "later",
                      once: Callable[[], str] | None = None, last: bool = False) -> PeriodicJob:
    """Add a job to the worker's round (a second registration under the same name replaces the first)."""
    if not every > 0:
        raise ValueError(f"periodic job {name!r}: every must be positive, not {every!r}")
    if start not in ("now", "spread", "later"):
        raise ValueError(f"periodic job {name!r}: start is 'now', 'spread' or 'later', not {start!r}")
    if option is not None:
        if not option.startswith("--"):
            raise ValueError(f"periodic job {name!r}: option {option!r} must start with --")
        taken = [job.name for job in _REGISTRY.values() if job.option == option and job.name != name]
        if taken:
            raise ValueError(f"periodic job {name!r}: option {option} is already {taken[0]!r}'s")
    job = PeriodicJob(name=name, run=run, every=every, setting=setting, option=option, option_help=option_help,
                      start=start, once=once, last=last)
    _REGISTRY[name] = job
    return job


def periodic_jobs() -> list[PeriodicJob]:
    """Every registered job in the order the worker runs them: as registered, `last` ones at the end."""
    return sorted(_REGISTRY.values(), key=lambda job: job.last)  # sorted() is stable


def is_database_backend(backend) -> bool:
    """Whether a task backend keeps its queue in our database (django_tasks_db), where the worker runs it."""
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(backend, DatabaseBackend)
