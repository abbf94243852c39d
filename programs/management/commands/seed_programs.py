"""Load a rule set into the catalogue: the nine funding items of the draft 操作规程 (programs/seed_data.py, the
default) or the final 2023 rules' twelve projects (programs/seed_data_2023.py, ``--rules 2023``)."""

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import models, transaction

from programs.models import (
    AttachmentRequirement,
    FormField,
    Program,
    RuleSet,
    ScoringCriterion,
    Tier,
    VerificationItem,
)
from programs.seed_data import CHILD_FIELDS, DRAFT_RULE_SET, SEED_ONLY_FIELDS, ProgramSeed, RuleSetSeed
from programs.seed_data_2023 import FINAL_2023_RULE_SET

RULE_SETS: dict[str, RuleSetSeed] = {"draft": DRAFT_RULE_SET, "2023": FINAL_2023_RULE_SET}


@dataclass(frozen=True)
class Child:
    """A kind of row hanging off a program, the seed attribute listing it and the field naming it in its program."""

    attr: str
    model: type[models.Model]
    key: str


CHILDREN = (
    Child("tiers", Tier, "code"),
    Child("attachments", AttachmentRequirement, "kind"),
    Child("form_fields", FormField, "name"),
    Child("criteria", ScoringCriterion, "name"),
    Child("verification_items", VerificationItem, "text"),
)
# Kinds of rows added after the first release: a program seeded before has none, so they are added to it on the next
# run (without --reset) when it has no row of that kind at all.
BACKFILLED_CHILDREN = ("verification_items",)


@dataclass
class SeedResult:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    reset: list[str] = field(default_factory=list)
    kept_rows: list[str] = field(default_factory=list)
    backfilled: list[str] = field(default_factory=list)


def program_values(seed: ProgramSeed) -> dict[str, Any]:
    """Return the Program field values of a seed, without its code."""
    skipped = (*CHILD_FIELDS, *SEED_ONLY_FIELDS, "code")
    values = {f.name: getattr(seed, f.name) for f in fields(seed) if f.name not in skipped}
    values["applicant_types"] = list(seed.applicant_types)
    return values


def child_values(seed: ProgramSeed, child: Child) -> list[dict[str, Any]]:
    """Return the field values of a seed's children of one kind, numbered in seed order."""
    return [{**asdict(item), "sort_order": position} for position, item in enumerate(getattr(seed, child.attr), 1)]


def _differs(obj: models.Model, values: dict[str, Any]) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


def _rows(program: Program, child: Child) -> list[models.Model]:
    return list(child.model._default_manager.filter(program=program).order_by("pk"))


def _save(obj: models.Model) -> None:
    obj.full_clean()
    obj.save()


def _is_referenced(row: models.Model) -> bool:
    """Tell whether other rows (an application's units, say) point at this one, so deleting it would lose data."""
    for relation in row._meta.get_fields():
        if not (relation.is_relation and relation.auto_created and not relation.concrete):
            continue
        if getattr(relation, "on_delete", None) is models.DO_NOTHING:  # history tables
            continue
        if relation.related_model._base_manager.filter(**{relation.field.name: row}).exists():
            return True
    return False


def is_in_sync(program: Program, seed: ProgramSeed) -> bool:
    """Tell whether a program and all its children still hold exactly the seed values."""
    if _differs(program, program_values(seed)):
        return False
    for child in CHILDREN:
        rows = _rows(program, child)
        wanted = child_values(seed, child)
        by_key = {getattr(row, child.key): row for row in rows}
        if len(rows) != len(wanted) or len(by_key) != len(rows):
            return False
        for values in wanted:
            row = by_key.get(values[child.key])
            if row is None or _differs(row, values):
                return False
    return True


def create_program(seed: ProgramSeed, rule_set: RuleSet | None = None) -> Program:
    program = Program(code=seed.code, rule_set=rule_set, **program_values(seed))
    _save(program)
    for child in CHILDREN:
        for values in child_values(seed, child):
            _save(child.model(program=program, **values))
    return program


def backfill_program(program: Program, seed: ProgramSeed) -> bool:
    """Add the seeded rows of the newer child kinds a program has none of; tell whether any were added."""
    added = False
    for child in CHILDREN:
        if child.attr not in BACKFILLED_CHILDREN or child.model._default_manager.filter(program=program).exists():
            continue
        for values in child_values(seed, child):
            _save(child.model(program=program, **values))
            added = True
    return added


def reset_program(program: Program, seed: ProgramSeed) -> list[str]:
    """Bring a program and its children back to the seed values; return the extra rows kept because they are in use.

    Rows only an administrator added are deleted, unless other rows refer to them (then they are kept and reported).
    Only rows that differ are saved, so an unchanged row gets no history entry.
    """
    kept: list[str] = []
    seeded = program_values(seed)
    if _differs(program, seeded):
        for name, value in seeded.items():
            setattr(program, name, value)
        _save(program)
    for child in CHILDREN:
        wanted = child_values(seed, child)
        wanted_keys = {item[child.key] for item in wanted}
        by_key: dict[str, models.Model] = {}
        for row in _rows(program, child):
            key = getattr(row, child.key)
            if key in wanted_keys and key not in by_key:
                by_key[key] = row
            elif _is_referenced(row):
                kept.append(f"{program.code} {child.model._meta.verbose_name} “{key}”")
            else:
                row.delete()
        for values in wanted:
            row = by_key.get(values[child.key])
            if row is None:
                _save(child.model(program=program, **values))
            elif _differs(row, values):
                for name, value in values.items():
                    setattr(row, name, value)
                _save(row)
    return kept


def seed_rule_set(seed: RuleSetSeed) -> RuleSet:
    """The seeded rule set, created when missing (an existing one is left as the administrator keeps it)."""
    rule_set, _created = RuleSet.objects.get_or_create(
        code=seed.code,
        defaults={
            "name": seed.name,
            "document": seed.document,
            "description": seed.description,
            "effective_on": seed.effective_on,
        },
    )
    return rule_set


def link_counterparts(seed: RuleSetSeed) -> None:
    """Let the programs a seed names in ``counterpart_of`` point at their counterpart, where they name none yet."""
    wanted = {code: program.code for program in seed.programs for code in program.counterpart_of}
    if not wanted:
        return
    targets = {p.code: p for p in Program.objects.filter(code__in=set(wanted.values()))}
    for program in Program.objects.filter(code__in=wanted, counterpart__isnull=True):
        target = targets.get(wanted[program.code])
        if target is not None and target.rule_set_id != program.rule_set_id:
            program.counterpart = target
            program.save(update_fields=["counterpart"])


@transaction.atomic
def seed_programs(*, reset: bool = False, rules: str = "draft") -> SeedResult:
    """Create the seeded programs of a rule set that are missing; with `reset`, restore those an administrator has
    changed. ``rules`` is "draft" (the nine items of the draft 操作规程) or "2023" (the final rules' twelve projects).

    Raise ValidationError when a seed value fails the models' validation (nothing is written then).
    """
    result = SeedResult()
    rule_set_seed = RULE_SETS[rules]
    rule_set = seed_rule_set(rule_set_seed)
    for seed in rule_set_seed.programs:
        program = Program.objects.select_for_update().filter(code=seed.code).first()
        if program is None:
            create_program(seed, rule_set)
            result.created.append(seed.code)
            continue
        if backfill_program(program, seed):
            result.backfilled.append(seed.code)
        if is_in_sync(program, seed):
            result.unchanged.append(seed.code)
        elif reset:
            result.kept_rows += reset_program(program, seed)
            result.reset.append(seed.code)
        else:
            result.edited.append(seed.code)
    # Links go both ways between rule sets: whichever is loaded second completes them.
    for each in RULE_SETS.values():
        link_counterparts(each)
    return result


class Command(BaseCommand):
    help = (
        "Load a rule set: by default the nine funding items of the draft operating rules (P8-1 … P10-3), with "
        "--rules 2023 the final 2023 rules' twelve projects (F23-01 … F23-12), with their tiers, attachment "
        "requirements, form fields, scoring criteria and verification checklists. Idempotent: programs that already "
        "exist are left alone, even when an administrator has edited them, unless --reset is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Bring seeded programs that were edited back to the seed values (fields and children).",
        )
        parser.add_argument(
            "--rules",
            choices=sorted(RULE_SETS),
            default="draft",
            help="Which rule set to load: draft (the nine items, default) or 2023 (the final rules' twelve projects).",
        )

    def handle(self, *args: object, **options: Any) -> None:
        rule_set = RULE_SETS[options["rules"]]
        programs = rule_set.programs
        result = seed_programs(reset=options["reset"], rules=options["rules"])
        parts = [f"{len(result.created)} created", f"{len(result.unchanged)} unchanged"]
        if result.backfilled:
            parts.append(f"{len(result.backfilled)} given their verification checklist: {', '.join(result.backfilled)}")
        if result.reset:
            parts.append(f"{len(result.reset)} reset: {', '.join(result.reset)}")
        if result.edited:
            parts.append(
                f"{len(result.edited)} edited and left alone: {', '.join(result.edited)}; use --reset to restore"
            )
        tiers = Tier.objects.filter(program__code__in=[seed.code for seed in programs]).count()
        name = "" if options["rules"] == "draft" else f"{rule_set.code}: "
        self.stdout.write(f"seed_programs: {name}{len(programs)} programs ({', '.join(parts)}), {tiers} tiers")
        for row in result.kept_rows:
            self.stderr.write(self.style.WARNING(f"seed_programs: kept {row}, which existing records refer to"))
