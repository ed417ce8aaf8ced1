"""What the app says about where call records go: a session log that cannot be written where it
belongs, and a records folder made private. Both arrive as ``RecordsNoticed`` messages."""

from __future__ import annotations

from typing import Any

from callscript.i18n import Messages
from callscript.paths import display_path
from callscript.privacy import Tightened


def records_notice(t: Messages, event: Any) -> tuple[tuple[str, ...], str, dict[str, Any], str]:
    """One notice as (a key that is the same for the same news, the message id, its fields, the
    system's own words for F1). The same news is said only once: a read-only folder is the same
    news for every call while it lasts."""
    if isinstance(event, Tightened):
        return (("private", str(event.folder)), "records.private",
                {"folder": display_path(event.folder), "old": event.old, "new": event.new}, "")
    kept = t("records.kept_in", path=display_path(event.kept)) if event.kept else t("records.kept_in_memory")
    key = ("log", str(event.path.parent), event.reason, str(event.kept.parent if event.kept else None))
    # The reason is the system's own words ("Read-only file system"): F1 has them, the toast says
    # what it means for the agent in the interface language.
    return key, "records.not_saved", {"folder": display_path(event.path.parent), "kept": kept}, event.reason
