"""Partner embed presets (see api/v1/presets.py): validated JSON the store only keeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.errors import NotFound, VersionConflict
from api.store.tables import embed_presets, now


@dataclass(frozen=True)
class PresetRecord:
    slug: str
    content: dict[str, Any]
    version: int
    updated_by: str | None
    created_at: str
    updated_at: str


def _to_preset(row: Any) -> PresetRecord:
    return PresetRecord(
        row.slug, row.content, row.version, row.updated_by, row.created_at.isoformat(), row.updated_at.isoformat()
    )


class PresetStore:
    engine: Engine

    def get_preset(self, slug: str) -> PresetRecord:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(embed_presets).where(embed_presets.c.slug == slug)).first()
        if row is None:
            raise NotFound(f"no embed preset {slug!r}; list them with GET /api/v1/presets")
        return _to_preset(row)

    def preset_page(self, page: int, size: int) -> tuple[list[PresetRecord], int]:
        """A page of presets by slug and their count: the page read from the slug index, never every preset."""
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(embed_presets)).scalar_one()
            rows = conn.execute(
                sa.select(embed_presets).order_by(embed_presets.c.slug).limit(size).offset((page - 1) * size)
            ).all()
        return [_to_preset(row) for row in rows], int(total)

    def put_preset(
        self, slug: str, content: dict[str, Any], actor: str | None, expected_version: int | None = None
    ) -> tuple[PresetRecord, bool]:
        """Create or replace a preset; returns (preset, created). A stale `expected_version` changes nothing."""
        at = now()
        with self.engine.begin() as conn:
            current = conn.execute(
                sa.select(embed_presets.c.version).where(embed_presets.c.slug == slug)
            ).scalar_one_or_none()
            if expected_version is not None and current != expected_version:
                raise VersionConflict(
                    f"preset {slug!r} is at version {current}, not {expected_version}; read it again and reapply",
                    {"current_version": current},
                )
            if current is None:
                conn.execute(
                    embed_presets.insert().values(
                        slug=slug, content=content, version=1, updated_by=actor, created_at=at, updated_at=at
                    )
                )
            else:
                result = conn.execute(
                    embed_presets.update()
                    .where(embed_presets.c.slug == slug, embed_presets.c.version == current)
                    .values(content=content, version=current + 1, updated_by=actor, updated_at=at)
                )
                if result.rowcount != 1:
                    raise VersionConflict(f"preset {slug!r} changed meanwhile; read it again and retry")
        return self.get_preset(slug), current is None

    def delete_preset(self, slug: str) -> None:
        with self.engine.begin() as conn:
            result = conn.execute(embed_presets.delete().where(embed_presets.c.slug == slug))
        if result.rowcount != 1:
            raise NotFound(f"no embed preset {slug!r}")
