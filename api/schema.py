"""drf-spectacular hooks."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


def closed_inputs(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Mark sync request objects ``additionalProperties: false``: the API refuses unknown keys
    with a 400, and the schema should say so."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if (
            name.endswith(
                (
                    "SyncRecord",
                    "SyncRecordRequest",
                    "SyncBatch",
                    "SyncBatchRequest",
                    "InputRequest",
                    "Input",
                )
            )
            and component.get("type") == "object"
        ):
            component["additionalProperties"] = False
    return result


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents ``Authorization: Token <key>`` as the ``tokenAuth`` security scheme."""

    target_class = "api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`; create a key with `manage.py api_token create <user>`.",
        }
