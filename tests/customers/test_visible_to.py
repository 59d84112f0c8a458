"""Record scoping and role permissions (R7.1): who sees which customers, and who may do what."""

from __future__ import annotations

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import AnonymousUser, Group, Permission

from accounts.roles import ROLE_PERMISSIONS, Role, roles_sync, sees_all_customers, user_roles
from customers.models import Customer
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(advisor, other_advisor):
    """The owner's customers, a teammate's customer, and one nobody advises yet."""
    return {
        "own": CustomerFactory.create_batch(2, sales_advisor=advisor),
        "teammate": CustomerFactory(sales_advisor=other_advisor),
        "unassigned": CustomerFactory(sales_advisor=None),
    }


def visible_ids(user) -> set[int]:
    return set(Customer.objects.visible_to(user).values_list("id", flat=True))


def all_ids() -> set[int]:
    return set(Customer.objects.values_list("id", flat=True))


def test_an_advisor_sees_exactly_their_own_customers(advisor, book):
    assert visible_ids(advisor) == {c.id for c in book["own"]}


def test_an_advisor_does_not_see_a_teammates_or_an_unassigned_customer(advisor, book):
    visible = visible_ids(advisor)
    assert book["teammate"].id not in visible
    assert book["unassigned"].id not in visible


def test_each_advisor_sees_a_different_book(advisor, other_advisor, book):
    assert visible_ids(other_advisor) == {book["teammate"].id}


def test_being_service_owner_does_not_widen_an_advisors_view(advisor, book):
    # Service-marketing ownership is a work assignment, not an advisor's book.
    CustomerFactory(service_owner=advisor, sales_advisor=None)
    assert visible_ids(advisor) == {c.id for c in book["own"]}


@pytest.mark.parametrize("role_fixture", ["marketing", "manager", "dms_client", "superuser"])
def test_staff_roles_and_superusers_see_every_customer(request, role_fixture, book):
    user = request.getfixturevalue(role_fixture)
    assert visible_ids(user) == all_ids()
    assert len(all_ids()) == 4


def test_an_anonymous_user_sees_no_customer(book):
    assert visible_ids(AnonymousUser()) == set()


def test_a_user_without_a_role_sees_no_customer(book):
    assert visible_ids(UserFactory()) == set()


def test_an_advisor_whose_role_was_taken_away_loses_their_book(advisor, book):
    # A leaver keeps being named on their customers until they are reassigned (R7.2).
    advisor.groups.clear()
    leaver = type(advisor).objects.get(pk=advisor.pk)
    assert visible_ids(leaver) == set()


def test_an_advisor_who_is_also_a_manager_sees_all(advisor, book):
    advisor.groups.add(Group.objects.get(name=Role.MANAGER))
    both = type(advisor).objects.get(pk=advisor.pk)  # roles are cached per user object
    assert user_roles(both) == {Role.SALES_ADVISOR, Role.MANAGER}
    assert sees_all_customers(both)
    assert visible_ids(both) == all_ids()


def test_visible_to_narrows_an_already_filtered_queryset(advisor, book):
    own = book["own"][0]
    qs = Customer.objects.filter(pk__in=[own.pk, book["teammate"].pk]).visible_to(advisor)
    assert list(qs) == [own]


# --- role groups and their permissions ---------------------------------------------------


def group_permissions() -> dict[str, set[str]]:
    return {
        group.name: {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        for group in Group.objects.filter(name__in=[r.value for r in Role])
    }


def expected_permissions() -> dict[str, set[str]]:
    expected = {}
    for role, models in ROLE_PERMISSIONS.items():
        perms = set()
        for label, actions in models.items():
            app_label, model = label.split(".")
            perms |= {f"{app_label}.{action}_{model}" for action in actions}
        expected[role.value] = perms
    return expected


def test_the_migrations_create_the_four_role_groups_with_their_permissions():
    assert group_permissions() == expected_permissions()
    assert set(group_permissions()) == {
        "service_marketing",
        "manager",
        "sales_advisor",
        "dms_client",
    }


def test_advisors_cannot_delete_customers_and_managers_can(advisor, manager):
    assert advisor.has_perm("customers.view_customer")
    assert advisor.has_perm("customers.change_customer")
    assert not advisor.has_perm("customers.delete_customer")
    assert not advisor.has_perm("customers.add_customer")
    assert manager.has_perm("customers.delete_customer")


def test_service_marketing_logs_contacts_but_cannot_delete_customers(marketing):
    assert marketing.has_perm("contacts.add_contactlog")
    assert marketing.has_perm("contacts.delete_complaint")
    assert not marketing.has_perm("customers.delete_customer")
    assert not marketing.has_perm("vehicles.change_serviceorder")


def test_the_dms_client_writes_service_orders_but_deletes_no_customer(dms_client):
    assert dms_client.has_perm("vehicles.add_serviceorder")
    assert dms_client.has_perm("vehicles.change_serviceorder")
    assert dms_client.has_perm("vehicles.add_odometerreading")
    assert not dms_client.has_perm("customers.delete_customer")


def test_a_user_without_a_role_has_no_model_permission():
    assert not UserFactory().has_perm("customers.view_customer")


def test_roles_sync_twice_gives_the_same_groups_and_permissions():
    roles_sync(global_apps)
    first = group_permissions()
    groups, permissions = Group.objects.count(), Permission.objects.count()
    roles_sync(global_apps)
    assert group_permissions() == first == expected_permissions()
    assert (Group.objects.count(), Permission.objects.count()) == (groups, permissions)


def test_roles_sync_restores_permissions_changed_by_hand():
    advisors = Group.objects.get(name=Role.SALES_ADVISOR)
    advisors.permissions.add(Permission.objects.get(codename="delete_customer"))
    advisors.permissions.remove(Permission.objects.get(codename="view_customer"))
    roles_sync(global_apps, roles=[Role.SALES_ADVISOR])
    assert group_permissions()["sales_advisor"] == expected_permissions()["sales_advisor"]


def test_roles_sync_leaves_the_app_registry_intact():
    roles_sync(global_apps)
    # post_migrate handlers (content types, permissions) skip apps without a models module.
    assert global_apps.get_app_config("customers").models_module is not None
    assert global_apps.get_app_config("auth").models_module is not None
