import pytest

from yimen.accounts.models import Membership, Role, User


def _administrator(world, username, role):
    user = User.objects.create(username=username, full_name=username, is_staff=True, password=world.clerk.password)
    Membership.objects.create(user=user, role=role, region=world.city)
    return user


@pytest.fixture
def admins(world):
    """The three administrators (三员分立), each over the whole city, as the demo has them."""
    world.sysadmin = _administrator(world, "sysadmin", Role.SYSTEM_ADMIN)
    world.secadmin = _administrator(world, "secadmin", Role.SECURITY_ADMIN)
    world.auditor = _administrator(world, "auditor", Role.AUDIT_ADMIN)
    return world
