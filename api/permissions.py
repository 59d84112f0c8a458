"""Who may use which endpoint (R7.1).

Reading a resource needs the model's ``view`` permission, which the roles grant
(``accounts/roles.py``); which rows a reader sees is decided by
``Customer.objects.visible_to`` in the selectors. Sync writes are for the DMS client role
(and superusers).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.roles import Role, user_roles


class CanReadModel(BasePermission):
    """The user holds the ``view`` permission of the view's model."""

    message = _("Your role may not read these records.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        meta = view.read_model._meta
        return user.has_perm(f"{meta.app_label}.view_{meta.model_name}")


class CanCloseTask(BasePermission):
    """The user may change follow-up tasks (which ones: ``Task.objects.visible_to``)."""

    message = _("Your role may not close tasks.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("winback.change_task"))


class IsSyncClient(BasePermission):
    """The DMS client role (or a superuser) writes sync batches."""

    message = _("Only the DMS client role may push sync batches.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return bool(user.is_superuser or Role.DMS_CLIENT in user_roles(user))
