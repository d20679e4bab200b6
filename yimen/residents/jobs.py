"""The residents' door's periodic job in `yimen worker` (registered from ResidentsConfig.ready()).

Every hour: old rate-limit counters, abandoned drafts (and their files) and used phone codes — plain
deletes by age, harmless when several workers run them at once.
"""

import logging

from yimen.common.jobs import HOURLY, register_periodic

logger = logging.getLogger("yimen.worker")


def _residents_housekeeping(**_) -> None:
    from .housekeeping import residents_housekeeping

    removed = residents_housekeeping()
    if any(removed.values()):
        logger.info("residents housekeeping: %s", removed)


register_periodic("residents housekeeping", run=_residents_housekeeping, every=HOURLY)
