"""A local folder as destination (the default): every write is temp file + fsync + rename."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from ..common.checkpoint import checkpoint
from ..common.durable import replace_durably
from ..errors import ConcurrentPublishError, StorageError
from .base import BytesCallback, RemoteObject, Tagged
from .types import content_type_for

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock
    fcntl = None  # type: ignore[assignment]

TEMP_PREFIX = ".audiofeed-tmp-"
CHUNK = 1 << 20
#: held (flock) while a conditional write compares and replaces; never listed or pruned
LOCK_KEY = ".audiofeed/commit.lock"


class LocalBackend:
    """Publishes into a folder that any web server (or ``audiofeed serve``) can serve."""

    def __init__(self, root: Path):
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()) or ".." in key.split("/"):
            raise StorageError(f"object key {key!r} escapes the destination", path=self.root)
        return path

    def list(self) -> dict[str, RemoteObject]:
        if not self.root.exists():
            return {}
        result = {}
        for path in self.root.rglob("*"):
            if path.is_file() and path.name.startswith(TEMP_PREFIX):
                path.unlink(missing_ok=True)  # left by a publish that was killed mid-write
            elif path.is_file():
                key = path.relative_to(self.root).as_posix()
                if key != LOCK_KEY:
                    result[key] = RemoteObject(key=key, size=path.stat().st_size)
        return result

    def head(self, key: str) -> RemoteObject | None:
        """Size, sha256 (read back from disk: a folder has no metadata) and the Content-Type
        a web server would send for the key."""
        path = self._path(key)
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
                size = f.tell()
        except (FileNotFoundError, IsADirectoryError):
            return None
        except OSError as exc:
            raise StorageError(f"cannot read {key}: {exc.strerror}", path=self.root) from exc
        return RemoteObject(key, size, digest.hexdigest(), content_type_for(key))

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot read {key}: {exc.strerror}", path=self.root) from exc

    def put(
        self,
        key: str,
        source: Path,
        *,
        content_type: str,
        cache_control: str,
        sha256: str,
        progress: BytesCallback | None = None,
    ) -> RemoteObject | None:
        """Copy ``source`` in through one reused buffer, hashing what is written: the
        answer (size, sha256, type) verifies the copy without reading it back."""
        dest = self._path(key)
        digest = hashlib.sha256()
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=dest.parent)
            try:
                with (
                    os.fdopen(fd, "wb", buffering=0) as out,
                    open(source, "rb", buffering=0) as src,
                ):
                    size = 0
                    while n := src.readinto(buf):
                        chunk = view[:n]
                        digest.update(chunk)
                        while chunk:
                            chunk = chunk[out.write(chunk) :]
                        size += n
                        if progress:
                            progress(n)
                    os.fsync(out.fileno())
                os.chmod(tmp, 0o644)
                checkpoint(f"written:{key}")
                replace_durably(tmp, dest)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except OSError as exc:
            raise StorageError(f"cannot write {key}: {exc.strerror}", path=self.root) from exc
        return RemoteObject(key, size, digest.hexdigest(), content_type_for(key))

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete {key}: {exc.strerror}", path=self.root) from exc
        parent = path.parent
        root = self.root.resolve()
        while parent != root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent

    # -- the commit point (docs/reliability.md, "Two publishers") ---------------------------
    def get_tagged(self, key: str) -> Tagged:
        """The file's bytes; its version token is their sha256 (a folder has no ETag)."""
        data = self.get(key)
        return Tagged(data, hashlib.sha256(data).hexdigest() if data is not None else None)

    def put_if(
        self,
        key: str,
        data: bytes,
        expected: str | None,
        *,
        content_type: str,
        cache_control: str,
        force: bool = False,
    ) -> str:
        """Compare and replace under an exclusive lock on ``LOCK_KEY`` (every publisher of
        this folder on this machine, or on a file system with working ``flock``, takes
        it): the file is replaced only if it still holds the version ``expected``."""
        dest = self._path(key)
        lock_path = self._path(LOCK_KEY)
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with open(lock_path, "a+b") as lock:
                if fcntl is not None:
                    fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # held for a few ms at most
                current = self.get_tagged(key).etag
                if current != expected and not force:
                    raise ConcurrentPublishError(
                        f"{key} changed since this publish read it", path=self.root
                    )
                fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=dest.parent)
                try:
                    with os.fdopen(fd, "wb") as out:
                        out.write(data)
                        out.flush()
                        os.fsync(out.fileno())
                    os.chmod(tmp, 0o644)
                    checkpoint(f"written:{key}")
                    replace_durably(tmp, dest)
                finally:
                    if os.path.exists(tmp):
                        os.unlink(tmp)
        except OSError as exc:
            raise StorageError(f"cannot write {key}: {exc.strerror}", path=self.root) from exc
        return hashlib.sha256(data).hexdigest()
