"""The audit trail's periodic job in `yimen worker` (registered from AuditConfig.ready()).

Every hour: events older than YIMEN_AUDIT_RETENTION_DAYS (never fewer than 180) are deleted — a delete
by age the database trigger also allows.
"""

from yimen.common.jobs import HOURLY, register_periodic


def _audit_prune(**_) -> None:
    from .services import audit_prune

    audit_prune()


register_periodic("audit retention", run=_audit_prune, every=HOURLY)
