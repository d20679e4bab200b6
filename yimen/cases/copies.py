"""The copies of a matter's fields that its assignments carry — one place that sets and refreshes them.

A unit's list (selectors._unit_scope_qs) walks the unit's own assignments newest first and filters
on these copies inside the index (assignment_unit_recv, INCLUDE on PostgreSQL), so a filter that
matches little in a unit's scope reads index entries instead of joining every matter of the unit.
The supervisor boards count live assignments by region from the region and owning-centre copies.

Who writes them: the transitions module when it creates an assignment (`for_new_assignment`) and
whenever it saves a matter (`refresh`, called by _core._set_status, the only code that saves a matter
in a transition), and the deadline code when it marks or clears `overdue` (`refresh_overdue`). A test
fixture checks after every test that no assignment's copy differs from its matter (yimen/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery

from .models import Assignment, Case

# The matter's field → the assignment's copy of it.
COPIED_FIELDS = {
    "status": "case_status",
    "category_id": "case_category_id",
    "risk": "case_risk",
    "urgency": "case_urgency",
    "channel": "case_channel",
    "overdue": "case_overdue",
    "region_code": "case_region_code",
    "owning_code": "case_owning_code",
    "received_at": "case_received_at",
}


def for_new_assignment(case: Case) -> dict:
    """The copies an assignment of `case` is created with."""
    return {copy: getattr(case, field) for field, copy in COPIED_FIELDS.items()}


def refresh(case: Case, assignments: Iterable[Assignment] = ()) -> None:
    """Copy the matter's current values onto all its assignments (one UPDATE), and onto the
    in-memory `assignments` the caller still holds. Called only when the matter has assignments."""
    values = for_new_assignment(case)
    Assignment.objects.filter(case_id=case.pk).update(**values)
    for assignment in assignments:
        for copy, value in values.items():
            setattr(assignment, copy, value)


def refresh_overdue(case_ids: Iterable[int]) -> None:
    """After `overdue` was written in bulk on these matters: copy it onto their assignments."""
    ids = list(case_ids)
    if ids:
        # Rows whose copy is already right are left alone (a rewrite would still write a new version).
        overdue = Subquery(Case.objects.filter(pk=OuterRef("case_id")).values("overdue")[:1])
        Assignment.objects.filter(case_id__in=ids).exclude(case_overdue=overdue).update(case_overdue=overdue)


def mismatched_assignments() -> list[tuple[int, str]]:
    """(assignment id, field) for every copy that differs from its matter: what the consistency
    check after each test looks for. Reads every assignment — for tests and repairs, not for pages."""
    copies = list(COPIED_FIELDS.values())
    originals = [f"case__{field}" for field in COPIED_FIELDS]
    found = []
    for row in Assignment.objects.values_list("pk", *copies, *originals).iterator():
        pk, values = row[0], row[1:]
        for i, copy in enumerate(copies):
            if values[i] != values[i + len(copies)]:
                found.append((pk, copy))
    return found
