"""Bulk writes whose number of statements does not grow with the number of rows (PostgreSQL), with a portable
fallback (SQLite, which limits the variables of one statement and is only the embedded default)."""

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, models

# psycopg binds at most 65535 parameters per statement; leave room.
MAX_PARAMETERS = 60000
# Fields whose Python values psycopg adapts directly (no get_db_prep_save per value).
PLAIN_FIELDS = (
    models.DecimalField,
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.AutoField,
)


def bulk_insert(model: type[models.Model], objects: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Insert rows: one COPY on PostgreSQL whatever their number; batched INSERTs elsewhere."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=500)
        return
    meta = model._meta
    columns = [meta.get_field(name).column for name in fields]
    table = connection.ops.quote_name(meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
    model_fields = [meta.get_field(name) for name in fields]
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
        for obj in objects:
            # get_db_prep_save: what an INSERT would send (a JSONField's dict as jsonb, not a Python dict)
            copy.write_row([f.get_db_prep_save(getattr(obj, f.attname), connection) for f in model_fields])


def bulk_set(model: type[models.Model], rows: Iterable[tuple[Any, dict[str, Any]]], fields: Sequence[str]) -> int:
    """Set ``fields`` of many rows, given as (pk, {field: value}); one UPDATE … FROM unnest(…) on PostgreSQL.

    Return the number of rows given. Elsewhere fall back to ``bulk_update``.
    """
    rows = list(rows)
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        objects = []
        for pk, values in rows:
            obj = model(pk=pk)
            for name in fields:
                setattr(obj, name, values[name])
            objects.append(obj)
        model.objects.bulk_update(objects, list(fields), batch_size=500)
        return len(rows)
    model_fields = [model._meta.get_field(name) for name in fields]
    # Values are read by the field's name (a foreign key's value under its name, whichever attribute was given).
    _update_from_arrays(
        model, [pk for pk, _values in rows], [[values[f.name] for _pk, values in rows] for f in model_fields], fields
    )
    return len(rows)


def bulk_set_columns(model: type[models.Model], pks: Sequence[Any], columns: dict[str, Sequence[Any]]) -> int:
    """Set many rows' fields given as columns: ``pks`` and, per field name, the values in the same order (no
    per-row dict). One UPDATE … FROM unnest(…) on PostgreSQL; elsewhere ``bulk_update``. Return the number of rows."""
    if not pks:
        return 0
    fields = list(columns)
    if connection.vendor != "postgresql":
        objects = []
        for i, pk in enumerate(pks):
            obj = model(pk=pk)
            for name in fields:
                setattr(obj, name, columns[name][i])
            objects.append(obj)
        model.objects.bulk_update(objects, fields, batch_size=500)
        return len(pks)
    _update_from_arrays(model, pks, [columns[name] for name in fields], fields)
    return len(pks)


def _update_from_arrays(
    model: type[models.Model], pks: Sequence[Any], values: Sequence[Sequence[Any]], fields: Sequence[str]
) -> None:
    """One UPDATE … FROM unnest(one array per column) on PostgreSQL: as many parameters as columns, whatever the
    number of rows (a VALUES list with a placeholder per value cost more in parsing the statement, on both sides,
    than the UPDATE itself)."""
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_column = quote(meta.pk.column)
    model_fields = [meta.get_field(name) for name in fields]
    casts = [f.db_type(connection) for f in model_fields]
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in model_fields)
    value_columns = ", ".join([pk_column, *(quote(f.column) for f in model_fields)])
    pk_cast = meta.pk.db_type(connection).replace("bigserial", "bigint").replace("serial", "integer")
    arrays: list[Any] = [number_array(pks) or list(pks)]
    for f, column in zip(model_fields, values, strict=True):
        if isinstance(f, PLAIN_FIELDS):  # psycopg adapts these values as they are
            arrays.append(number_array(column) or list(column))
        else:
            arrays.append([f.get_db_prep_save(value, connection) for value in column])
    unnest = ", ".join(f"%s::{cast}[]" for cast in [pk_cast, *casts])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM unnest({unnest}) AS v({value_columns}) "  # noqa: S608
            f"WHERE t.{pk_column} = v.{pk_column}",
            arrays,
        )


def number_array(values: Sequence[Any]) -> str | None:
    """The PostgreSQL array literal of whole numbers and finite Decimals (``{1,2.50}``), to be cast by the statement
    (``%s::numeric(12,2)[]``); None when any value is something else (None, a bool, a string…), for the caller to
    pass the list as it is. One join instead of psycopg adapting and quoting each element of a long list."""
    for value in values:
        kind = type(value)
        if kind is not int and (kind is not Decimal or not value.is_finite()):
            return None
    return "{" + ",".join(map(str, values)) + "}"


def copy_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows given as tuples of ``fields``' values (foreign keys as ids), without making model instances: one
    COPY on PostgreSQL; elsewhere ``bulk_create`` of instances built from them."""
    meta = model._meta
    attnames = [meta.get_field(name).attname for name in fields]
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        if objects:
            model.objects.bulk_create(objects, batch_size=500)
        return
    table = connection.ops.quote_name(meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
