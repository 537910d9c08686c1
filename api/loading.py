"""Loading monographs in bulk into the store (seed and JSON Lines import), idempotently."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from api.open_data import ImportRecord
from api.store import Store
from indexer.engine import Progress
from schemas.monograph import Status


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, {len(self.errors)} rejected"
        )


def load_records(
    store: Store,
    records: Iterable[ImportRecord],
    submitter: str,
    default_status: Status,
    progress: Progress | None = None,
) -> LoadReport:
    """Create or update each record; loading the same records twice changes nothing."""
    report = LoadReport()
    for record in records:
        status = record.status or default_status
        existing = None
        if record.monograph_id and store.exists(record.monograph_id):
            existing = store.get(record.monograph_id)
        else:
            existing = store.find_existing(submitter, record.external_id, None)
        if existing is None:
            store.create(
                record.content,
                status,
                submitter,
                record.external_id,
                monograph_id=record.monograph_id,
                published_at=record.published_at,
            )
            report.created += 1
        elif existing.content() != record.content or existing.status != status:
            store.update(existing.id, record.content, existing.version, submitter, status=status)
            report.updated += 1
        else:
            report.unchanged += 1
        if progress:
            progress(1)
    return report
