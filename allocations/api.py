"""Staff endpoint of SPEC §8: start an allocation run for a call and list its runs with per-program totals."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocations.models import AllocationProgramResult, AllocationRun
from allocations.services import current_progress, may_allocate, start_allocation
from core.api import ModelSerializer, error_responses
from programs.models import Call


class ProgramResultSerializer(ModelSerializer):
    program = serializers.CharField(source="program.code")
    program_name = serializers.CharField(source="program.name")

    class Meta:
        model = AllocationProgramResult
        fields = (
            "program",
            "program_name",
            "application_count",
            "budget",
            "frozen_elsewhere",
            "requested_total",
            "standard_total",
            "allocated_total",
            "factor",
            "fully_funded",
        )


class AllocationRunSerializer(ModelSerializer):
    programs = ProgramResultSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField()
    started_by = serializers.CharField(source="started_by.get_full_name", default=None, allow_null=True)

    class Meta:
        model = AllocationRun
        fields = (
            "id",
            "call",
            "status",
            "progress",
            "total",
            "started_by",
            "started_at",
            "finished_at",
            "error",
            "programs",
        )

    @extend_schema_field(serializers.IntegerField())
    def get_progress(self, run: AllocationRun) -> int:
        return current_progress(run)


class AllocationRunsView(APIView):
    """Allocation runs of a call (approvers and administrators)."""

    permission_classes = [IsAuthenticated]

    def _call(self, request: Request, call_id: int) -> Call:
        if not may_allocate(request.user):
            raise PermissionDenied
        return get_object_or_404(Call, pk=call_id)

    @extend_schema(tags=["资金分配"], responses={200: AllocationRunSerializer(many=True), **error_responses(403, 404)})
    def get(self, request: Request, call_id: int) -> Response:
        call = self._call(request, call_id)
        runs = (
            AllocationRun.objects.filter(call=call).select_related("started_by").prefetch_related("programs__program")
        )
        return Response(AllocationRunSerializer(runs, many=True).data)

    @extend_schema(
        tags=["资金分配"], request=None, responses={201: AllocationRunSerializer, **error_responses(403, 404, 409)}
    )
    def post(self, request: Request, call_id: int) -> Response:
        call = self._call(request, call_id)
        run = start_allocation(call=call, actor=request.user)
        run = AllocationRun.objects.select_related("started_by").prefetch_related("programs__program").get(pk=run.pk)
        return Response(AllocationRunSerializer(run).data, status=status.HTTP_201_CREATED)
