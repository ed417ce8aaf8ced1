"""Session logs: one JSON object per line for everything that happens in a call."""

from callscript.session.log import LogContents, SessionLog, default_log_dir, read_log

__all__ = ["LogContents", "SessionLog", "default_log_dir", "read_log"]
