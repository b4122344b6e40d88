"""One ``key=value`` line per log record (logfmt), for the audit log and Django's own.

Kept free of Django imports: settings.LOGGING loads the formatter before the
apps are ready. Values that are not plain tokens are written as JSON strings,
so a value a user typed (a username with a newline in it) cannot forge a line.
"""

import json
import logging

_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@+")


def _value(value) -> str:
    """A bare token when safe, else a JSON string (quoted, newlines and quotes escaped)."""
    text = "" if value is None else str(value)
    if text and set(text) <= _PLAIN:
        return text
    return json.dumps(text, ensure_ascii=False)


def format_fields(fields: dict) -> str:
    return " ".join(f"{key}={_value(value)}" for key, value in fields.items())


class KeyValueFormatter(logging.Formatter):
    """``time=... level=... logger=... event=... key=value ...``: one grep-able line per record."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
        }
        audit_fields = getattr(record, "audit", None)
        if audit_fields is not None:
            fields["event"] = record.getMessage()
            fields.update(audit_fields)
        else:
            fields["message"] = record.getMessage()
        line = format_fields(fields)
        if record.exc_info:
            line += " exception=" + _value(self.formatException(record.exc_info))
        return line
