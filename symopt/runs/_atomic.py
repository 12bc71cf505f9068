"""Atomic file replacement: readers see the old file or the new one, never half of one.

Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "stats.json")
    >>> atomic_write(path, b"{}")
    >>> open(path).read()
    '{}'
"""

from __future__ import annotations

import os
import tempfile

__all__ = ["atomic_write"]

# mkstemp creates files readable by the owner only; give them the usual
# permissions instead (read once: os.umask can only be read by setting it).
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Writes ``data`` to a temporary file beside ``path``, fsyncs it, then renames it over ``path``.

    The temporary file lives in the same folder so that :func:`os.replace` is a
    rename within one file system, which POSIX makes atomic.
    """
    path = os.fspath(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_UMASK)
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        # Also on KeyboardInterrupt: leave no stray temporary file behind.
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
