"""The admin: reference data editable, the loop's fields read-only, actions through the services."""

from django.urls import reverse

from yimen.cases import transitions as t
from yimen.cases.models import CaseEvent


def test_front_page_sends_strangers_to_sign_in_which_links_the_api_docs(client, db):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("web:login"))
    assert "/api/v1/docs" in response.content.decode()


def test_staff_see_the_admin_in_the_workbench_navigation(client, world):
    client.force_login(world.admin)
    assert reverse("admin:index") in client.get("/").content.decode()


def test_admin_shows_matters_with_status_read_only(client, world):
    case = world.in_progress()
    client.force_login(world.admin)
    listing = client.get(reverse("admin:cases_case_changelist"))
    assert listing.status_code == 200 and case.number in listing.content.decode()
    page = client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()


def test_admin_archive_action_goes_through_the_transitions_module(client, world):
    case = world.in_progress()
    case = t.case_resolve(actor=world.handler, case=case, outcome="resolved", result="已支付")
    case = t.case_follow_up(actor=world.clerk, case=case, satisfaction="satisfied")
    client.force_login(world.admin)
    client.post(reverse("admin:cases_case_changelist"), {"action": "archive", "_selected_action": [case.pk]})
    case.refresh_from_db()
    assert case.status == "archived"
    assert CaseEvent.objects.filter(case=case, kind="archived", actor=world.admin).exists()


def test_admin_edits_reference_data(client, world):
    client.force_login(world.admin)
    for name in ["regions_region", "regions_centre", "regions_unit", "regions_stationing", "cases_category",
                 "cases_responsibility", "accounts_user"]:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
