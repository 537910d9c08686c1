"""The `impact` command line: seed, rebuild, keys, export, import, serve."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.errors import DomainError
from api.exports import ImportErrors, csv_lines, read_jsonl, to_csv_row, to_jsonl
from api.indexing import IndexSync
from api.loading import load_records
from api.settings import get_settings
from api.store import Role, Store
from indexer.engine import EngineError
from indexer.engine import Progress as ProgressCallback
from indexer.factory import create_engine
from schemas.monograph import Status

app = typer.Typer(help="IMPACT-Pratiques: practices database for territorial innovation.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for contributors and editors.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
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


def _sync(store: Store) -> IndexSync:
    return IndexSync(store, create_engine(get_settings().engine_config()))


def _load(path: Path, submitter: str, default_status: Status) -> None:
    store = _store()
    errors = ImportErrors()
    lines = path.read_text(encoding="utf-8").splitlines()
    with progress_bar(f"Loading {path.name}", len(lines)) as advance:
        report = load_records(store, read_jsonl(lines, errors), submitter, default_status, advance)
    for line, message in errors.errors:
        console.print(f"[red]line {line} skipped[/red]: {message}")
    sync = _sync(store)
    backlog = store.backlog()
    with progress_bar("Indexing", backlog) as advance:
        applied = sync.drain()
        advance(applied)
    sync.engine.close()
    console.print(f"{path.name}: {report.summary()} ({len(errors.errors)} bad lines); {applied} index updates")
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
    sync = _sync(store)
    with progress_bar("Rebuilding index", store.count()) as advance:
        report = sync.rebuild(advance)
    sync.engine.close()
    console.print(
        f"index rebuilt: {report.indexed} indexed, {report.removed} not published, {len(report.failed)} failed"
    )
    if report.failed:
        raise typer.Exit(1)


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
) -> None:
    """Run the API (one process: the embedded index allows a single writer)."""
    import uvicorn

    uvicorn.run("api.main:app", host=host, port=port, workers=1)


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
