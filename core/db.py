"""Bulk writes whose number of statements does not grow with the number of rows (PostgreSQL), with a portable
fallback (SQLite, which limits the variables of one statement and is only the embedded default)."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models

# psycopg binds at most 65535 parameters per statement; leave room.
MAX_PARAMETERS = 60000


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
    """Set ``fields`` of many rows, given as (pk, {field: value}); one UPDATE … FROM (VALUES …) on PostgreSQL.

    Return the number of rows given. Elsewhere fall back to ``bulk_update``.
    """
    rows = list(rows)
    if not rows:
        return 0
    meta = model._meta
    if connection.vendor != "postgresql":
        objects = []
        for pk, values in rows:
            obj = model(pk=pk)
            for name in fields:
                setattr(obj, name, values[name])
            objects.append(obj)
        model.objects.bulk_update(objects, list(fields), batch_size=500)
        return len(rows)
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_column = quote(meta.pk.column)
    model_fields = [meta.get_field(name) for name in fields]
    casts = [f.db_type(connection) for f in model_fields]
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in model_fields)
    value_columns = ", ".join([pk_column, *(quote(f.column) for f in model_fields)])
    per_row = 1 + len(model_fields)
    chunk = max(MAX_PARAMETERS // per_row, 1)
    pk_cast = meta.pk.db_type(connection).replace("serial", "integer")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            placeholder = "(" + ", ".join([f"%s::{pk_cast}", *(f"%s::{cast}" for cast in casts)]) + ")"
            values_sql = ", ".join([placeholder] * len(part))
            params: list[Any] = []
            for pk, values in part:
                params.append(pk)
                params.extend(f.get_db_prep_save(values[f.name], connection) for f in model_fields)
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} FROM (VALUES {values_sql}) AS v({value_columns}) "  # noqa: S608
                f"WHERE t.{pk_column} = v.{pk_column}",
                params,
            )
    return len(rows)
