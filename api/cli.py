"""The `impact` command line: seed, rebuild, embed, keys, export, import, serve, territories."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.embedding import EmbeddingBusy, attach_embedder, load_embedder
from api.errors import DomainError
from api.indexing import IndexSync
from api.loading import load_records
from api.open_data import ImportErrors, csv_lines, read_jsonl, to_csv_row, to_jsonl
from api.settings import get_settings
from api.store import Role, Store
from api.store.migrate import head_revision
from api.store.migrate import migrate as migrate_schema
from indexer.engine import EngineError, IndexLocked
from indexer.engine import Progress as ProgressCallback
from indexer.factory import create_engine
from schemas.monograph import Status
from territories.resolution import proposals

app = typer.Typer(help="IMPACT-Pratiques: practices database for territorial innovation.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for contributors and editors.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
outbox_app = typer.Typer(help="Index work waiting in the outbox, and dead letters.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
territories_app = typer.Typer(help="Practices and the official territories referential.", no_args_is_help=True)
app.add_typer(territories_app, name="territories")
console = Console(stderr=True)

DEFAULT_SEED = Path(__file__).resolve().parent.parent / "seed" / "monographs.jsonl"


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[ProgressCallback]:
    """A progress bar on stderr; yields the callback that advances it."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal and total is not None and total < 2,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


def _store() -> Store:
    return Store(get_settings().store_url)


@contextmanager
def _index_writer(store: Store) -> Iterator[IndexSync | None]:
    """The index sync when this process may write the index; None when a running API holds the
    embedded index (the API's outbox worker then applies what this command stored)."""
    settings = get_settings()
    engine = create_engine(settings.engine_config())
    try:
        engine.claim_writer()
    except IndexLocked:
        engine.close()
        yield None
        return
    attach_embedder(engine, store, settings.embedder)  # documents indexed here carry their stored vectors
    try:
        yield settings.index_sync(store, engine)
    finally:
        engine.close()


def _index_pending(store: Store) -> str:
    """Apply pending index work here, or leave it to the running API; says which."""
    with _index_writer(store) as sync:
        if sync is None:
            return f"{store.backlog()} index updates left to the running API"
        with progress_bar("Indexing", store.backlog()) as advance:
            applied = sync.drain()
            advance(applied)
        return f"{applied} index updates"


def _load(path: Path, submitter: str, default_status: Status) -> None:
    store = _store()
    errors = ImportErrors()
    lines = path.read_text(encoding="utf-8").splitlines()
    with progress_bar(f"Loading {path.name}", len(lines)) as advance:
        report = load_records(store, read_jsonl(lines, errors), submitter, default_status, advance)
    for line, message in errors.errors:
        console.print(f"[red]line {line} skipped[/red]: {message}")
    indexed = _index_pending(store)
    console.print(f"{path.name}: {report.summary()} ({len(errors.errors)} bad lines); {indexed}")
    if errors.errors and not report.created and not report.updated and not report.unchanged:
        raise typer.Exit(1)


@app.command()
def seed(path: Annotated[Path, typer.Option(help="JSON Lines of monographs.")] = DEFAULT_SEED) -> None:
    """Load the seed monographs (published); loading twice creates no duplicates."""
    _load(path, "seed", Status.PUBLISHED)


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="JSON Lines in the export's format.", exists=True)],
    status: Annotated[Status, typer.Option(help="Status for lines that carry none.")] = Status.SUBMITTED,
) -> None:
    """Import monographs from JSON Lines; bad lines are reported and skipped."""
    _load(path, "import", status)


@app.command()
def export(
    format: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    output: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
) -> None:
    """Export every published monograph as JSON Lines or CSV."""
    if format not in ("jsonl", "csv"):
        raise typer.BadParameter("format must be jsonl or csv", param_hint="--format")
    store = _store()
    total = store.count(Status.PUBLISHED)
    out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    with progress_bar("Exporting", total) as advance:
        monographs = store.iter_all(Status.PUBLISHED)
        lines = (to_jsonl(m) for m in monographs) if format == "jsonl" else csv_lines(to_csv_row(m) for m in monographs)
        for line in lines:
            out.write(line)
            advance(1)
    if output:
        out.close()
    console.print(f"exported {total} published monographs as {format}")


@app.command()
def rebuild() -> None:
    """Rebuild the search index from the store (the store is the source of truth)."""
    store = _store()
    with _index_writer(store) as sync:
        if sync is None:
            queued = store.enqueue_all()
            console.print(
                f"the running API holds the embedded index: {queued} monographs queued for it to re-index "
                "(searches keep working; follow the backlog in /api/v1/health)"
            )
            return
        with progress_bar("Rebuilding index", store.count()) as advance:
            report = sync.rebuild(advance)
    console.print(
        f"index rebuilt: {report.indexed} indexed, {report.removed} not published, {report.skipped} already newer, "
        f"{len(report.failed)} failed"
    )
    if report.failed:
        raise typer.Exit(1)


@app.command()
def embed() -> None:
    """Compute every missing or outdated vector of hybrid search now (the API does it in the background),
    then index them."""
    settings = get_settings()
    embedder = load_embedder(settings.embedder)
    if embedder is None:
        reason = (
            "IMPACT_EMBEDDER=none" if settings.embedder == "none" else f"the {settings.embedder} embedder did not load"
        )
        console.print(f"{reason}: no vectors to compute, search is lexical only")
        raise typer.Exit(0 if settings.embedder == "none" else 1)
    store = _store()
    embedding = settings.embedding_sync(store, embedder)
    try:
        with progress_bar(f"Embedding ({embedder.name})", embedding.backlog()) as advance:
            report = embedding.run_pass(advance)
    except EmbeddingBusy as exc:
        console.print(f"[yellow]{exc}[/yellow]")
        raise typer.Exit(1) from exc
    console.print(f"{report.summary()}; {_index_pending(store)}")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (the API also does it when it starts)."""
    store = Store(get_settings().store_url, migrate_schema=False)
    done = migrate_schema(store.engine)
    store.close()
    console.print(f"database schema {done} (revision {head_revision()})")


@outbox_app.command("list")
def outbox_list(limit: Annotated[int, typer.Option(help="How many entries of each kind to show.")] = 20) -> None:
    """Pending index work and dead letters (entries the engine rejected too often), oldest first."""
    store = _store()
    stats = store.outbox_stats()
    console.print(
        f"{stats.pending} pending (oldest waits {stats.oldest_pending_seconds():.0f} s), {stats.dead} dead letters"
    )
    for entry in store.pending(limit):
        print(f"pending\t{entry.seq}\t{entry.monograph_id}\tattempts={entry.attempts}")
    for dead in store.dead_letters(limit):
        print(f"dead\t{dead.seq}\t{dead.monograph_id}\tv{dead.version}\tattempts={dead.attempts}\t{dead.error}")


@outbox_app.command("retry")
def outbox_retry(
    seq: Annotated[list[int] | None, typer.Argument(help="Dead letters to re-queue (default: all).")] = None,
) -> None:
    """Re-queue dead letters once their cause is fixed; the index applies them again."""
    store = _store()
    queued = store.retry_dead(seq or None)
    console.print(f"{queued} dead letters queued again; {_index_pending(store)}")


@territories_app.command("resolve")
def territories_resolve(
    limit: Annotated[int, typer.Option(help="Proposed official territories per practice.")] = 3,
) -> None:
    """Stored practices whose territory is a name alone, each with the official communes or EPCI it may be.

    Read-only: an editor sets the code (`territory.code`) by editing the practice.
    """
    store = _store()
    total = unresolved = 0
    for monograph in store.iter_all(status=None):
        total += 1
        if monograph.territory.resolved:
            continue
        unresolved += 1
        proposed = "; ".join(f"{r.code} {r.name} ({r.kind})" for r in proposals(monograph.territory, limit))
        department = monograph.territory.department or "-"
        print(f"{monograph.id}\t{monograph.status}\t{monograph.territory.name}\t{department}\t{proposed or '-'}")
    console.print(f"{unresolved} of {total} practices have a territory without an official code")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who the key is for.")],
    role: Annotated[Role, typer.Option(help="contributor or editor.")] = Role.CONTRIBUTOR,
) -> None:
    """Create an API key; it is printed once, only its hash is stored."""
    plaintext, record = _store().create_key(name, role)
    console.print(f"key {record.id} ({record.role.value}) for {record.name}; store it now, it is not shown again:")
    print(plaintext)


@keys_app.command("list")
def keys_list() -> None:
    """List API keys (never their secret)."""
    for key in _store().list_keys():
        state = f"revoked {key.revoked_at}" if key.revoked_at else "active"
        print(f"{key.id}\t{key.role.value}\t{state}\t{key.name}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id shown by `keys list`.")]) -> None:
    """Revoke an API key at once."""
    key = _store().revoke_key(key_id)
    console.print(f"key {key.id} ({key.name}) revoked")


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="API processes (Elasticsearch and PostgreSQL only).")] = 1,
) -> None:
    """Run the API. The embedded index has a single writer, so it runs one process; with
    Elasticsearch and PostgreSQL, several processes share the outbox work."""
    import uvicorn

    settings = get_settings()
    if workers > 1 and (settings.search_backend == "embedded" or settings.store_url.startswith("sqlite")):
        raise typer.BadParameter(
            "several API processes need IMPACT_SEARCH_BACKEND=elasticsearch and a PostgreSQL IMPACT_DATABASE_URL "
            "(the embedded index and SQLite take one writer process)",
            param_hint="--workers",
        )
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers)


def main() -> None:
    """Entry point: domain errors end in one clear line, not a traceback."""
    try:
        app()
    except DomainError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise SystemExit(1) from exc
    except EngineError as exc:
        console.print(f"[red]search engine:[/red] {exc}")
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
