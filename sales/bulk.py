"""Fast inserts for the demo data (``seed_demo``), where ``bulk_create``'s per-value compilation
dominates: SQLite caps a statement at 999 parameters, so ``bulk_create`` compiles a new statement
every ~60 rows. Here one parameterised INSERT is prepared per model and run with ``executemany``;
on PostgreSQL the rows are streamed with ``COPY … FROM STDIN`` instead.

Only identifiers from the model's own metadata are put in the SQL text; every value is a parameter
(or, with COPY, a row the driver encodes).
"""

import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager

from django.db import connections, models, router

BATCH = 10000


def insert_rows(
    model: type[models.Model], field_names: Sequence[str], rows: Iterable[Sequence], *, connection=None
) -> int:
    """Insert ``rows`` (tuples of Python values in ``field_names`` order) into ``model``'s table.

    Foreign keys are given by id (``owner_id``). Values are converted with the fields' own
    ``get_db_prep_save`` only where the backend needs it (dates, times, decimals), which keeps this
    an order of magnitude faster than ``bulk_create`` while storing exactly the same values.
    """
    connection = connection or connections[router.db_for_write(model)]
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    if connection.vendor == "postgresql":
        return _copy_rows(connection, table, columns, fields, rows)
    needs_prep = (models.DateField, models.DecimalField, models.TimeField, models.JSONField)
    converters = [
        (lambda value, f=f: f.get_db_prep_save(value, connection)) if isinstance(f, needs_prep) else None
        for f in fields
    ]
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608

    def prepared():
        for row in rows:
            yield tuple(v if c is None or v is None else c(v) for v, c in zip(row, converters, strict=True))

    batch, count = [], 0
    with connection.cursor() as cursor:
        for values in prepared():
            batch.append(values)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _copy_rows(connection, table: str, columns: str, fields: list, rows: Iterable[Sequence]) -> int:
    """PostgreSQL: stream the rows with COPY; psycopg encodes dates, decimals and times itself.

    Rows go in PostgreSQL's binary format when every column's type is a plain one psycopg knows
    (the server then parses no text), else in the text format."""
    json_fields = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    types = None if json_fields else _binary_types(connection, fields)
    sql = f"COPY {table} ({columns}) FROM STDIN" + (" (FORMAT BINARY)" if types else "")
    count = 0
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        if types:
            copy.set_types(types)
        write = copy.write_row
        if not json_fields:
            for row in rows:
                write(row)
                count += 1
            return count
        for row in rows:
            row = list(row)
            for i in json_fields:
                row[i] = fields[i].get_db_prep_save(row[i], connection)
            write(row)
            count += 1
    return count


_BINARY_TYPES = {
    "integer", "bigint", "smallint", "boolean", "date", "text", "varchar", "numeric",
    "timestamp with time zone",
}  # fmt: skip


def _binary_types(connection, fields: list) -> list[str] | None:
    """The columns' PostgreSQL type names for a binary COPY, or None if one is not a plain type."""
    names = []
    for field in fields:
        db_type = field.db_type(connection) or ""
        name = db_type.split("(")[0].strip()
        if name not in _BINARY_TYPES:
            return None
        names.append(name)
    return names


def insert_objects(model: type[models.Model], objs: list[models.Model]) -> list[models.Model]:
    """Insert unsaved instances and give them their ids, like ``bulk_create`` but streamed.

    On PostgreSQL the ids are drawn from the table's sequence first, then every concrete column is
    copied; elsewhere this is ``bulk_create``.
    """
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql" or not objs:
        return model.objects.bulk_create(objs, batch_size=BATCH // 2)
    for obj, pk in zip(objs, _reserve_ids(connection, model, len(objs)), strict=True):
        obj.pk = pk
    fields = list(model._meta.concrete_fields)
    for obj in objs:
        for field in fields:
            field.pre_save(obj, add=True)  # auto_now_add and friends
        obj._state.adding = False
    insert_rows(model, [f.attname for f in fields], ([getattr(o, f.attname) for f in fields] for o in objs))
    return objs


def insert_rows_returning_ids(
    model: type[models.Model], field_names: Sequence[str], rows: Sequence[Sequence], *, connection=None
) -> list[int]:
    """``insert_rows`` for rows whose ids are needed afterwards (to point other rows at them): the
    ids in the order of ``rows``. No model instance is built on PostgreSQL (ids drawn from the
    table's sequence, rows copied as they are); elsewhere this is ``bulk_create``."""
    connection = connection or connections[router.db_for_write(model)]
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(field_names, row, strict=True))) for row in rows]
        return [obj.pk for obj in model.objects.bulk_create(objs, batch_size=BATCH // 2)]
    ids = _reserve_ids(connection, model, len(rows))
    pk = model._meta.pk.attname
    rows_with_ids = ((i, *row) for i, row in zip(ids, rows, strict=True))
    insert_rows(model, [pk, *field_names], rows_with_ids, connection=connection)
    return ids


def _reserve_ids(connection, model: type[models.Model], count: int) -> list[int]:
    """``count`` ids from the PostgreSQL sequence of ``model``'s table, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


class WriteBehind:
    """Runs writes in order on a second thread, so PostgreSQL stores and checks one chunk of rows
    while Python draws the next; elsewhere (SQLite) each write runs at once.

    Each job is called with the connection. The thread uses the caller's connection, so the rows go
    into the caller's transaction; the caller must not use the connection until ``close()``
    returns (which waits for the writes and raises the first error). Foreign keys are checked at
    the end of each write rather than all at commit (``SET CONSTRAINTS ALL IMMEDIATE``), so those
    checks overlap with the drawing too; the transaction's deferred mode is restored on close.
    At most ``depth`` jobs wait, which bounds the memory the queued rows take.
    """

    def __init__(self, using: str = "default", depth: int = 1):
        self.connection = connections[using]
        self.threaded = self.connection.vendor == "postgresql"
        self.error: BaseException | None = None
        if self.threaded:
            with self.connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.connection.inc_thread_sharing()
            self.jobs: queue.Queue = queue.Queue(maxsize=depth)
            self.thread = threading.Thread(target=self._run, name="write-behind", daemon=True)
            self.thread.start()

    def submit(self, job: Callable) -> None:
        if not self.threaded:
            job(self.connection)
            return
        if self.error is not None:
            self.close()  # raises the error
        self.jobs.put(job)

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            if self.error is None:
                try:
                    job(self.connection)
                except BaseException as exc:  # handed to the caller's thread
                    self.error = exc

    def close(self) -> None:
        if not self.threaded or self.thread is None:
            return
        self.jobs.put(None)
        self.thread.join()
        self.thread = None
        self.connection.dec_thread_sharing()
        if self.error is not None:
            raise self.error
        with self.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def __enter__(self) -> "WriteBehind":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


# What ``indexes_deferred`` drops and makes again: every index but the primary key's (kind 'i'),
# every unique constraint ('u') and every foreign key ('f'). Check constraints stay: they cost
# little per row.
_DEFERRED_INDEXES_SQL = """
SELECT 'i', i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid = %(table)s::regclass AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
UNION ALL
SELECT c.contype::text, c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c
WHERE c.conrelid = %(table)s::regclass AND c.contype IN ('u', 'f')
"""


@contextmanager
def indexes_deferred(model_list: Sequence[type[models.Model]], using: str = "default"):
    """Load many rows into ``model_list``'s tables without keeping their indexes and foreign keys
    row by row: on PostgreSQL they are dropped for the body and made again after it, in the same
    transaction, as ``pg_restore`` does (one sorted index build, one join per foreign key, instead
    of millions of index insertions and trigger calls). Elsewhere this does nothing.

    Must run inside a transaction: a failure anywhere rolls the drops back with the rows. The tables
    are locked against every other session until the transaction ends.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("indexes_deferred needs a transaction")
    quote = connection.ops.quote_name
    dropped = []
    with connection.cursor() as cursor:
        # A table with foreign-key checks still queued cannot be altered: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model in model_list:
            table = model._meta.db_table
            cursor.execute(_DEFERRED_INDEXES_SQL, {"table": quote(table)})
            for kind, name, definition in cursor.fetchall():
                # Names and definitions come from PostgreSQL's own catalog, not from data.
                if kind == "i":
                    cursor.execute(f"DROP INDEX {name}")
                else:
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                dropped.append((table, kind, name, definition))
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    # Sorting for an index build gets more memory than a row-by-row load needs.
    with connection.cursor() as cursor, transaction_setting("maintenance_work_mem", "256MB", using):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # Unique constraints before the foreign keys that may rest on them.
        for table, kind, name, definition in sorted(dropped, key=lambda d: d[1] == "f"):
            if kind == "i":
                cursor.execute(definition)
            else:
                cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def transaction_setting(name: str, value: str, using: str = "default"):
    """PostgreSQL: the setting ``name`` at ``value`` for the body, within the current transaction,
    then back to what it was (a rollback undoes it too). Elsewhere this does nothing."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        (previous,) = cursor.fetchone()
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [name, previous])


def vacuum_analyze(model_list: Sequence[type[models.Model]], using: str = "default") -> bool:
    """PostgreSQL, after a big load has committed: ``VACUUM (ANALYZE)`` the tables, as autovacuum
    would some time later (or never, where it is off). The planner gets its statistics, and the
    visibility map lets the dashboard's index-only scans skip the table. Returns False where it
    cannot run: another database, or inside a transaction."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.in_atomic_block or not model_list:
        return False
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # Table names from the models' metadata.
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(quote(m._meta.db_table) for m in model_list)}")
    return True
