"""Queries of a fixed shape whose SQL is composed once per process and connection vendor, then only executed.

Composing a query's SQL (the select list, the joins of ``select_related``, the WHERE clause) is most of the
Python cost of a small ORM read: the token lookup that every API request makes spent more time composing its
three-table select than PostgreSQL spent answering it. A ``CompiledQuery`` composes the queryset once, from a
sample value per parameter, and from then on executes the same SQL with the request's values, turning the rows
into model instances (their ``select_related`` objects included) the way the queryset would.

Only exact comparisons may take parameters: each sample value must appear among the composed SQL's parameters as
it was given (every place it appears takes the value), so pick samples no constant of the query could equal (a
negative id, a date long past); a sample that is not found fails when composed, not silently.
"""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections, models
from django.db.models.query import get_related_populators


class CompiledQuery:
    """``build(*values)`` → a queryset; ``query(*values)`` → its model instances, the SQL composed once."""

    def __init__(self, build: Callable[..., models.QuerySet], *samples: Any, using: str = "default") -> None:
        self.build, self.samples, self.using = build, samples, using
        self._lock = threading.Lock()
        self._compiled: dict[str, tuple] = {}

    def __call__(self, *values: Any) -> list[models.Model]:
        connection = connections[self.using]
        compiled = self._compiled.get(connection.vendor) or self._compile(connection)
        sql, fixed, positions, converters, model, init_list, start, end, populators, annotations = compiled
        params = list(fixed)
        for places, value in zip(positions, values, strict=True):
            for place, as_text in places:
                params[place] = str(value) if as_text else value
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        objects = []
        for raw in rows:
            row = list(raw)
            for index, (functions, expression) in converters:
                value = row[index]
                for function in functions:
                    value = function(value, expression, connection)
                row[index] = value
            obj = model.from_db(self.using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, index in annotations:
                setattr(obj, name, row[index])
            objects.append(obj)
        return objects

    def _compile(self, connection: Any) -> tuple:
        with self._lock:
            if connection.vendor in self._compiled:
                return self._compiled[connection.vendor]
            queryset = self.build(*self.samples)
            compiler = queryset.query.get_compiler(using=self.using)
            sql, params = compiler.as_sql()
            params = list(params)
            positions = []
            for sample in self.samples:
                # As given, or as the backend adapted it to text (SQLite sends dates as ISO strings).
                found = [
                    (i, type(p) is str and type(sample) is not str)
                    for i, p in enumerate(params)
                    if (type(p) is type(sample) and p == sample) or (type(p) is str and p == str(sample))
                ]
                if not found:
                    raise ValueError(f"sample {sample!r} is not among the query's parameters {params!r}")
                positions.append(found)
            select, klass_info = compiler.select, compiler.klass_info
            fields = klass_info["select_fields"]
            start, end = fields[0], fields[-1] + 1
            init_list = [f[0].target.attname for f in select[start:end]]
            converters = list(compiler.get_converters([s[0] for s in select]).items())
            populators = get_related_populators(klass_info, select, self.using)
            annotations = list(compiler.annotation_col_map.items())
            compiled = (
                sql,
                params,
                positions,
                converters,
                klass_info["model"],
                init_list,
                start,
                end,
                populators,
                annotations,
            )
            self._compiled[connection.vendor] = compiled
            return compiled
