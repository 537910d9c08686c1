"""The official French territories (INSEE/Etalab referential in `seed/territories/`): loading and lookups
(`referential`), name matching (`names`), autocomplete (`autocomplete`) and the resolution of a monograph's
territory (`resolution`). Depends on `schemas` and on `indexer.french` for folding; `api` uses it."""
