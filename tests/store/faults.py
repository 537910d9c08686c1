"""Real damage done to a store, for fault tests."""

from __future__ import annotations

import sqlalchemy as sa

from api.store import Store
from api.store.tables import monographs


def poison(store: Store, monograph_id: str) -> None:
    """Make a stored row stop validating, as a renamed referential value would: the row is
    committed and readable as JSON, but no longer a valid monograph."""
    with store.engine.begin() as conn:
        content = conn.execute(sa.select(monographs.c.content).where(monographs.c.id == monograph_id)).scalar_one()
        content = dict(content) | {"territory_types": ["zone-inconnue"]}
        conn.execute(monographs.update().where(monographs.c.id == monograph_id).values(content=content))
