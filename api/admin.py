"""Admin for API tokens: create one (its key is shown once), see when it was last used,
revoke it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "key_start", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "key_start")
    readonly_fields = ("key_start", "created_at", "last_used_at", "revoked_at")
    autocomplete_fields = ("user",)
    actions = ("revoke",)

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        return ["user", "name"] if obj is None else ["user", "name", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        return self.readonly_fields if obj is None else ("user", *self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, key = api_token_create(user=obj.user, name=obj.name)
        obj.pk, obj.key_hash, obj.key_start = token.pk, token.key_hash, token.key_start
        obj.created_at = token.created_at
        self.message_user(
            request,
            _("Copy the key of “%(name)s” now; it is not stored and cannot be shown again: %(key)s")
            % {"name": token.name, "key": key},
            messages.WARNING,
        )

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            api_token_revoke(token=token)
        self.message_user(request, _("%(n)s token(s) revoked.") % {"n": queryset.count()})
