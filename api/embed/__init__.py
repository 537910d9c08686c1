"""Partner embeds: iframe pages and their builder (`pages.py`, `page_view.py`), RSS/Atom feeds (`feeds.py`),
presets (`preset_records.py`; their JSON API is `api/v1/presets.py`), `widget.js` and page assets
(`assets.py`), French HTML (`html.py`, `templates/`) and query strings (`query_strings.py`)."""

# What partners' sites, link checkers and feed readers send to an embed's address: HEAD answers as GET would, without
# the body (the server drops it), as RFC 9110 expects of every GET resource.
GET_AND_HEAD = ["GET", "HEAD"]
