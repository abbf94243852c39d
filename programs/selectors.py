"""Reads of the public catalogue, and the static program configuration cached for the applicant's writes."""

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.shortcuts import get_object_or_404

from programs.models import AttachmentRequirement, Call, FormField, Program, ProgramBudget, Tier


def public_programs() -> QuerySet[Program]:
    """Active programs with their tiers and attachment requirements, in catalogue order."""
    return Program.objects.active().prefetch_related(
        Prefetch("tiers", queryset=Tier.objects.order_by("sort_order", "pk")),
        Prefetch("attachment_requirements", queryset=AttachmentRequirement.objects.order_by("sort_order", "pk")),
    )


def public_program(code: str) -> Program:
    """One active program by code; 404 otherwise."""
    return get_object_or_404(public_programs(), code=code)


def configured_public_programs(code: str | None = None) -> list[Program]:
    """Active programs in catalogue order (or the one with ``code``), each with its tiers, attachment requirements
    and form fields from the configuration cache: one query, and three more on a cold cache, however many programs.
    """
    rows = Program.objects.active()
    if code is not None:
        rows = rows.filter(code=code)
    programs = list(rows)
    configs = program_configs([p.pk for p in programs], rows={p.pk: p for p in programs})
    return [configs[p.pk].prime(p) for p in programs if p.pk in configs]


def public_calls() -> QuerySet[Call]:
    """Published calls with their programs, newest first."""
    return Call.objects.visible().prefetch_related(
        Prefetch("programs", queryset=Program.objects.order_by("sort_order", "code"))
    )


def call_with_programs(pk: int) -> tuple[Call, list[dict[str, Any]]]:
    """A published call and one row per program it covers: the program (tiers and materials prefetched) and its
    budget for the call's year (None when none is set); 404 for an unknown or unpublished call.

    Four queries whatever the number of programs: the call, its active programs with their budgets, tiers, materials.
    """
    call = get_object_or_404(Call.objects.visible(), pk=pk)
    budgets = ProgramBudget.objects.filter(program=OuterRef("pk"), year=call.year)
    programs = (
        call.programs.filter(is_active=True)
        .order_by("sort_order", "code")
        .annotate(year_budget=Subquery(budgets.values("amount")[:1]))
        .prefetch_related(
            Prefetch("tiers", queryset=Tier.objects.order_by("sort_order", "pk")),
            Prefetch("attachment_requirements", queryset=AttachmentRequirement.objects.order_by("sort_order", "pk")),
        )
    )
    return call, [{"program": p, "budget": p.year_budget} for p in programs]


# --- Static program configuration, cached across requests ---------------------------------------------------------
#
# Deadline day's writes read the same configuration on every request: a program's row, its tiers, its attachment
# requirements and form fields, and a call's row with the programs it covers. Staff change these rarely, through the
# admin or programs.services; each such save (or delete, or change of a call's programs) moves one version number
# (``config_version``), so the next read after an edit misses the cache and reads the tables afresh — no entry is
# ever shown after an edit. The version moves at once and again after commit: a request that read the old rows
# while the edit was still uncommitted cannot leave them cached under the new version.
#
# Two levels: the shared cache (Redis in deployment) holds the configurations for every process, and each process
# keeps the ones it has used under the same keys, so a request unpickles nothing and asks the shared cache only for
# the version, once: within one request the version read first holds (one consistent configuration per request,
# like a snapshot); an edit made by the request itself drops it, so the request sees its own edit.

CONFIG_VERSION_KEY = "programs:config-version"
CONFIG_TIMEOUT = 24 * 3600
LOCAL_CONFIG_MAX = 2000  # entries a process keeps (programs and calls, each once per version); then it starts over

_request = threading.local()  # active: inside a request; version: the version this request read
_local_lock = threading.Lock()
_local: dict[str, Any] = {}


@dataclass(frozen=True)
class ProgramConfig:
    """A program with its tiers, attachment requirements and form fields, each in its display order."""

    program: Program
    tiers: tuple[Tier, ...]
    requirements: tuple[AttachmentRequirement, ...]
    form_fields: tuple[FormField, ...]

    @property
    def tiers_by_code(self) -> dict[str, Tier]:
        return {tier.code: tier for tier in self.tiers}

    @property
    def tiers_by_id(self) -> dict[int, Tier]:
        return {tier.pk: tier for tier in self.tiers}

    @property
    def attachment_kinds(self) -> frozenset[str]:
        """The kinds an applicant may upload: the program's requirements and "other"."""
        return frozenset({r.kind for r in self.requirements} | {"other"})

    def prime(self, program: Program) -> Program:
        """Set the prefetch caches of ``program`` (tiers, requirements, form fields) from this configuration, so
        that code reading ``program.tiers.all()`` and the like reads no table."""
        for name, rows in (
            ("tiers", self.tiers),
            ("attachment_requirements", self.requirements),
            ("form_fields", self.form_fields),
        ):
            queryset = getattr(program, name).all()
            queryset._result_cache = list(rows)
            queryset._prefetch_done = True
            program._prefetched_objects_cache = {**getattr(program, "_prefetched_objects_cache", {}), name: queryset}
        return program


@dataclass(frozen=True)
class CallConfig:
    """A call's row and the ids of the programs it covers."""

    call: Call
    program_ids: frozenset[int]


def config_version() -> int:
    """The configuration's version: read from the shared cache, once per request inside a request."""
    version = getattr(_request, "version", None)
    if version is not None:
        return version
    version = cache.get(CONFIG_VERSION_KEY)
    if version is None:
        # Never reuse a number an evicted version once had: start from the clock.
        version = time.time_ns()
        if not cache.add(CONFIG_VERSION_KEY, version, timeout=None):
            version = cache.get(CONFIG_VERSION_KEY) or version
    if getattr(_request, "active", False):
        _request.version = version
    return version


def bump_config_version(**_signal_kwargs: Any) -> None:
    """Invalidate every cached configuration, now and again once the current transaction commits."""
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    _request.version = None
    try:
        cache.incr(CONFIG_VERSION_KEY)
    except ValueError:  # not there (evicted, or never set)
        cache.set(CONFIG_VERSION_KEY, time.time_ns(), timeout=None)


def _request_started(**_signal_kwargs: Any) -> None:
    _request.active, _request.version = True, None


def _request_finished(**_signal_kwargs: Any) -> None:
    _request.active, _request.version = False, None


def _cached(key: str) -> Any:
    """The entry under ``key``: this process's copy, else the shared cache's (then kept here); None when neither."""
    value = _local.get(key)
    if value is None:
        value = cache.get(key)
        if value is not None:
            _keep({key: value})
    return value


def _keep(entries: dict[str, Any]) -> None:
    with _local_lock:
        if len(_local) + len(entries) > LOCAL_CONFIG_MAX:
            _local.clear()
        _local.update(entries)


def _store(entries: dict[str, Any]) -> None:
    """Put freshly read configurations in the shared cache and in this process's."""
    cache.set_many(entries, timeout=CONFIG_TIMEOUT)
    _keep(entries)


def program_config(program_id: int) -> ProgramConfig:
    """The configuration of one program, from the cache or else read in three queries; KeyError when missing."""
    key = f"programs:program:{config_version()}:{program_id}"
    config = _cached(key)
    if config is None:
        program = Program.objects.filter(pk=program_id).first()
        if program is None:
            raise KeyError(program_id)
        config = ProgramConfig(
            program=program,
            tiers=tuple(Tier.objects.filter(program_id=program_id).order_by("sort_order", "pk")),
            requirements=tuple(
                AttachmentRequirement.objects.filter(program_id=program_id).order_by("sort_order", "pk")
            ),
            form_fields=tuple(FormField.objects.filter(program_id=program_id).order_by("sort_order", "pk")),
        )
        _store({key: config})
    return config


def program_configs(program_ids: list[int], *, rows: dict[int, Program] | None = None) -> dict[int, ProgramConfig]:
    """The configurations of several programs, by id: those cached in one cache read, the others in four queries
    however many they are (the programs, then their tiers, requirements and form fields); missing ids are left out.

    ``rows``: the program rows the caller has just read, by id; the programs' query is then saved.
    """
    version = config_version()
    keys = {program_id: f"programs:program:{version}:{program_id}" for program_id in program_ids}
    configs = {pid: _local[key] for pid, key in keys.items() if key in _local}
    wanted = [key for pid, key in keys.items() if pid not in configs]
    if wanted:
        cached = cache.get_many(wanted)
        _keep(cached)
        configs.update({pid: cached[key] for pid, key in keys.items() if key in cached})
    missing = [pid for pid in program_ids if pid not in configs]
    if missing:
        if rows is not None and all(pid in rows for pid in missing):
            programs = {pid: rows[pid] for pid in missing}
        else:
            programs = {p.pk: p for p in Program.objects.filter(pk__in=missing)}
        related: dict[str, dict[int, list[Any]]] = {}
        for name, model in (("tiers", Tier), ("requirements", AttachmentRequirement), ("form_fields", FormField)):
            rows: dict[int, list[Any]] = {}
            for row in model.objects.filter(program_id__in=list(programs)).order_by("sort_order", "pk"):
                rows.setdefault(row.program_id, []).append(row)
            related[name] = rows
        fresh = {
            pid: ProgramConfig(
                program=program,
                tiers=tuple(related["tiers"].get(pid, ())),
                requirements=tuple(related["requirements"].get(pid, ())),
                form_fields=tuple(related["form_fields"].get(pid, ())),
            )
            for pid, program in programs.items()
        }
        _store({keys[pid]: config for pid, config in fresh.items()})
        configs.update(fresh)
    return configs


def call_config(call_id: int) -> CallConfig:
    """A call's row and the programs it covers, from the cache or else read in two queries; KeyError when missing."""
    key = f"programs:call:{config_version()}:{call_id}"
    config = _cached(key)
    if config is None:
        call = Call.objects.filter(pk=call_id).first()
        if call is None:
            raise KeyError(call_id)
        program_ids = frozenset(
            Call.programs.through.objects.filter(call_id=call_id).values_list("program_id", flat=True)
        )
        config = CallConfig(call=call, program_ids=program_ids)
        _store({key: config})
    return config


def connect_config_signals() -> None:
    """Invalidate the cached configuration on every save or delete of what it holds (AppConfig.ready)."""
    for model in (Program, Tier, AttachmentRequirement, FormField, Call):
        post_save.connect(bump_config_version, sender=model, dispatch_uid=f"programs-config-save-{model.__name__}")
        post_delete.connect(bump_config_version, sender=model, dispatch_uid=f"programs-config-delete-{model.__name__}")
    m2m_changed.connect(bump_config_version, sender=Call.programs.through, dispatch_uid="programs-config-call-programs")
    request_started.connect(_request_started, dispatch_uid="programs-config-request-started")
    request_finished.connect(_request_finished, dispatch_uid="programs-config-request-finished")
