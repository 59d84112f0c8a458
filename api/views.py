"""API views: thin wrappers that parse the request, call a selector or service and render.

Read endpoints: ``GET /api/v1/<resource>/`` and ``GET /api/v1/<resource>/<id>/`` for the
synced resources, ``GET /api/v1/scores/`` and ``GET /api/v1/scoring-runs/``.
Sync endpoints: ``POST /api/v1/sync/<resource>/``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import selectors
from api.exceptions import Conflict, InvalidRecords, InvalidRequest, server_error_body
from api.http import activate_request_language, read_chunked_body
from api.input_serializers import TaskOutcomeSerializer
from api.pagination import IdPagination, KeysetPagination
from api.permissions import CanCloseTask, CanReadModel, IsSyncClient
from api.read_serializers import (
    READ_SERIALIZERS,
    CustomerScoreSerializer,
    ScoringRunSerializer,
    TaskSerializer,
)
from api.records import MAX_BATCH_RECORDS, RecordSpec, plausible_date_problem
from api.resources import build_resources
from api.schema_serializers import ErrorSerializer, SyncResponseSerializer, sync_record_serializer
from api.sync import SyncConflictError, sync_batch_upsert
from api.sync_parsing import SyncContractError
from api.throttling import ReadRateThrottle, SyncRateThrottle
from segmentation.filters import ScoreFilter
from segmentation.models import CustomerScore, ScoringRun
from segmentation.selectors import score_list, scoring_run_list
from winback.selectors import task_get
from winback.services import task_close

SYNC_RESOURCES: dict[str, RecordSpec] = build_resources()

_ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer, description=gettext_lazy("Invalid request (code says why).")
    ),
    401: OpenApiResponse(ErrorSerializer, description=gettext_lazy("No or invalid credentials.")),
    403: OpenApiResponse(ErrorSerializer, description=gettext_lazy("The role may not do this.")),
    429: OpenApiResponse(
        ErrorSerializer, description=gettext_lazy("Too many requests; see Retry-After.")
    ),
}


class SchemaOnlyFilterBackend(DjangoFilterBackend):
    """Lets drf-spectacular document the FilterSet; the selectors apply it (house style)."""

    def filter_queryset(self, request: Request, queryset: Any, view: Any) -> Any:
        return queryset


class _ApiMixin:
    """Speaks the language of ``Accept-Language``, reads chunked bodies (see api.http) and
    refuses NUL characters in the query string: no database can compare with them."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        activate_request_language(request._request)
        read_chunked_body(request._request)
        for key, values in request.query_params.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                raise InvalidRequest(_("The query string may not contain NUL characters."))
        super().initial(request, *args, **kwargs)


class RecordViewSet(
    _ApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """List (filtered, keyset-paginated over updated_at and id) and retrieve one resource."""

    resource: selectors.ReadResource
    permission_classes = [CanReadModel]
    throttle_classes = [ReadRateThrottle]
    filter_backends = [SchemaOnlyFilterBackend]
    pagination_class = KeysetPagination
    lookup_value_regex = "[0-9]{1,18}"

    @property
    def read_model(self) -> Any:
        return self.resource.model

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.resource.model._default_manager.none()
        # A retrieve reads by id alone (get_object); list filters are not applied to it.
        filters = {} if self.action == "retrieve" else self.request.query_params
        return self.resource.selector(user=self.request.user, filters=filters)

    def get_object(self) -> Any:
        return selectors.record_get(
            resource=self.resource, user=self.request.user, pk=int(self.kwargs["pk"])
        )


class TaskViewSet(RecordViewSet):
    """Follow-up tasks (R5.1): list, retrieve, and close one with its outcome."""

    @extend_schema(
        tags=["tasks"],
        request=TaskOutcomeSerializer,
        responses={
            200: TaskSerializer,
            **_ERRORS,
            404: OpenApiResponse(
                ErrorSerializer, description=gettext_lazy("No such task, or not yours.")
            ),
        },
        description=gettext_lazy(
            "Close an open task with the contact that was made: logs the contact, stores the "
            "churn reason and offer, moves the contact plan on (the next step after no answer; "
            "never beyond the third), records a purchase intent (opening a lead). The same "
            "service as the staff pages. A closed task answers 400."
        ),
    )
    @action(detail=True, methods=["post"], permission_classes=[CanCloseTask])
    def outcome(self, request: Request, pk: str) -> Response:
        task = task_get(user=request.user, pk=int(pk))
        form = TaskOutcomeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        implausible = {
            name: [problem]
            for name in ("contacted_at", "next_step_due")
            if (problem := plausible_date_problem(data.get(name)))
        }
        if implausible:
            raise InvalidRequest(fields=implausible)
        intent = data.pop("intent", None)
        closed = task_close(
            task=task,
            by=request.user,
            at=data.pop("contacted_at", None),
            intent=dict(intent) if intent else None,
            **data,
        )
        return Response(TaskSerializer(closed).data)


_VIEWSET_BASES: dict[str, type[RecordViewSet]] = {"tasks": TaskViewSet}


def _record_viewset(name: str) -> type[RecordViewSet]:
    resource = selectors.READ_RESOURCES[name]
    serializer = READ_SERIALIZERS[name]
    tag = name
    view = type(
        f"{serializer.Meta.model.__name__}ViewSet",
        (_VIEWSET_BASES.get(name, RecordViewSet),),
        {
            "resource": resource,
            "serializer_class": serializer,
            "filterset_class": resource.filterset,
            "__doc__": f"Read {name}.",
        },
    )
    not_found = OpenApiResponse(
        ErrorSerializer, description=gettext_lazy("No such record, or not yours.")
    )
    return extend_schema_view(
        list=extend_schema(tags=[tag], responses={200: serializer, **_ERRORS}),
        retrieve=extend_schema(tags=[tag], responses={200: serializer, **_ERRORS, 404: not_found}),
    )(view)


RECORD_VIEWSETS = {name: _record_viewset(name) for name in selectors.READ_RESOURCES}


@extend_schema(
    tags=["scores"],
    parameters=[
        OpenApiParameter(
            "month",
            str,
            description=gettext_lazy("Month scored, YYYY-MM; default: the latest scored month."),
            pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
        )
    ],
    responses={200: CustomerScoreSerializer, **_ERRORS},
)
class ScoreViewSet(_ApiMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Scoring results (R4) of the current monthly run of a month, one row per customer."""

    read_model = CustomerScore
    serializer_class = CustomerScoreSerializer
    permission_classes = [CanReadModel]
    throttle_classes = [ReadRateThrottle]
    filter_backends = [SchemaOnlyFilterBackend]
    filterset_class = ScoreFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return CustomerScore.objects.none()
        return score_list(user=self.request.user, filters=self.request.query_params)

    pagination_class = IdPagination


@extend_schema(tags=["scores"], responses={200: ScoringRunSerializer, **_ERRORS})
class ScoringRunViewSet(_ApiMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The current scoring runs: which months have results."""

    read_model = ScoringRun
    serializer_class = ScoringRunSerializer
    permission_classes = [CanReadModel]
    throttle_classes = [ReadRateThrottle]

    def get_queryset(self) -> Any:
        return scoring_run_list()

    pagination_class = IdPagination


class SyncView(_ApiMixin, APIView):
    """Bulk upsert of one resource (see api.sync.sync_batch_upsert)."""

    spec: RecordSpec
    permission_classes = [IsSyncClient]
    throttle_classes = [SyncRateThrottle]

    def post(self, request: Request) -> Response:
        body = request.data
        if not isinstance(body, dict) or set(body) != {"records"}:
            raise InvalidRequest(
                _("Send a JSON object with one key, “records”: a list of records."),
                fields={"records": [_("Required; no other keys are allowed.")]},
            )
        records = body["records"]
        if not isinstance(records, list):
            raise InvalidRequest(
                _("“records” must be a list."), fields={"records": [_("Expected a list.")]}
            )
        if len(records) > MAX_BATCH_RECORDS:
            message = _("At most %(n)s records per request; split the batch.") % {
                "n": f"{MAX_BATCH_RECORDS:,}"
            }
            raise InvalidRequest(message, code="batch_too_large", fields={"records": [message]})
        try:
            result = sync_batch_upsert(spec=self.spec, records=records, user=request.user)
        except SyncContractError as error:
            raise InvalidRecords(records=error.problems) from None
        except SyncConflictError:
            raise Conflict() from None
        return Response(
            {"resource": result.resource, "counts": result.counts, "results": result.results},
            status=status.HTTP_200_OK,
        )


def _sync_view(spec: RecordSpec) -> type[SyncView]:
    view = type(
        f"{spec.model.__name__}SyncView",
        (SyncView,),
        {"spec": spec, "__doc__": spec.description},
    )
    return extend_schema_view(
        post=extend_schema(
            tags=["sync"],
            operation_id=f"sync_{spec.name.replace('-', '_')}",
            summary=format_lazy(
                gettext_lazy("Upsert {resource} by (source, external_id)"), resource=spec.name
            ),
            description=format_lazy(
                gettext_lazy(
                    "{what} Up to {n} records. Each record is created, updated, left unchanged "
                    "or rejected with field messages; valid records are written even when "
                    "others fail. Replaying a batch changes nothing."
                ),
                what=spec.description,
                n=f"{MAX_BATCH_RECORDS:,}",
            ),
            request=sync_record_serializer(spec),
            responses={
                200: SyncResponseSerializer,
                **_ERRORS,
                409: OpenApiResponse(
                    ErrorSerializer, description=gettext_lazy("Lost repeated races; retry.")
                ),
                413: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Body too large.")),
            },
        )
    )(view)


SYNC_VIEWS = {name: _sync_view(spec) for name, spec in SYNC_RESOURCES.items()}


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """JSON 404 for any other path under /api/, instead of the HTML page."""
    activate_request_language(request)
    return JsonResponse(
        {"code": "not_found", "detail": _("No API endpoint at this address.")}, status=404
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: the API's JSON 404 under /api/, Django's page elsewhere."""
    if _is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the API's JSON 500 under /api/ (for failures outside its views, e.g.
    in a middleware), Django's page elsewhere."""
    if _is_api(request):
        activate_request_language(request)
        return JsonResponse(server_error_body(), status=500)
    return defaults.server_error(request)
