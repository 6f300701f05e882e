"""Name normalisation: the Python twin of dbt/macros/normalise.sql `normalise_name`, used to find
dictionary entries that the warehouse would read as the same name."""
from __future__ import annotations

import re

_SUFFIX = re.compile(r"(^| )(inc|incorporated|corp|corporation|co|company|ltd|limited|llc|gmbh|plc|pty|sro|s r o|ag|sa|bv|nv|the)( |$)")


def normalise_name(name: str) -> str:
    s = re.sub(r"[^a-z0-9+#]+", " ", name.strip().lower())
    s = _SUFFIX.sub(" ", s)
    s = _SUFFIX.sub(" ", s)
    return re.sub(r"\s+", " ", s).strip()
