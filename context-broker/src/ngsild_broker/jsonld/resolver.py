"""Where @context documents come from: shipped, preloaded, hosted, cached on disk, downloaded.

A request may name any @context URL, and the broker must answer within its own time budget
even when that URL is unreachable. So the resolver looks in the cheap, local places first
(core context → preloaded files → hosted and cached documents in memory → the persistent
cache on disk) and downloads only when allowed, with a short timeout, a few retries with
backoff, a size limit and an overall deadline of ``timeout × retries`` seconds. A download
lands in the persistent cache, so a broker restarted without network still knows every
context it has seen (Orion-LD keeps them in MongoDB for the same reason).

The same store backs the ``/jsonldContexts`` API (ETSI GS CIM 009, clause 5.13): ``add`` hosts
a context under a URL the broker chose, ``remove`` deletes a hosted or cached one, ``list``
names them all. Listeners (the term-map cache) hear about every change so that nothing
derived from a removed document outlives it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from .core_context import CORE_CONTEXT_ALIASES, CORE_CONTEXT_URL, _shared
from .errors import InvalidContext, LdContextNotAvailable

log = logging.getLogger(__name__)

Origin = Literal["core", "preload", "hosted", "download"]

#: Largest @context document that is downloaded (the core context is about 12 kB).
MAX_DOWNLOAD_BYTES = 1_048_576
#: How long a failed download is remembered, so a client repeating a dead URL does not make
#: the broker wait (and fetch) again on every request.
FAILURE_TTL = 30.0
_ACCEPT = "application/ld+json, application/json;q=0.9, */*;q=0.1"


@dataclass(frozen=True, slots=True)
class ContextEntry:
    """What ``GET /jsonldContexts?details=true`` reports about one stored context.

    ``kind`` uses the names of clause 5.13 ("Hosted" for documents added through the API,
    "Cached" for everything else); ``origin`` says where the document really came from.
    """

    url: str
    local_id: str
    kind: Literal["Hosted", "Cached"]
    origin: Origin
    created_at: datetime
    last_used: datetime | None = None
    hits: int = 0


@dataclass(slots=True)
class _Stored:
    document: dict[str, Any]
    entry: ContextEntry


class _Retry(Exception):
    """A download attempt failed in a way another attempt may fix (network, 5xx, 429)."""


class _GiveUp(Exception):
    """A download failed in a way retrying cannot fix (404, not JSON, too large)."""


def local_id(url: str) -> str:
    """A stable, URL-safe id for a context URL (file name in the cache, id in the API)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


def check_document(url: str, document: Any) -> dict[str, Any]:
    """A context document must be a JSON object with an ``@context`` member."""
    if not isinstance(document, dict) or "@context" not in document:
        raise InvalidContext(f"{url}: a JSON-LD context document must be an object with @context")
    if not isinstance(document["@context"], dict | list | str):
        raise InvalidContext(f"{url}: @context must be an object, an array or a URL")
    return document


class ContextResolver:
    """Resolves @context URLs to parsed context documents, offline first.

    ``preload`` is either a mapping URL → file or a directory with an ``index.json`` that maps
    URL → file name (relative to the directory); the index is read here so a broken one stops
    the broker at start, the files are read on first use. ``cache_dir`` (optional) persists
    downloaded and hosted documents, one ``<local_id>.jsonld`` plus ``<local_id>.meta.json``
    each. ``retries`` is the number of retries after the first attempt; whatever happens,
    ``resolve`` gives up after ``timeout × max(retries, 1)`` seconds.
    """

    def __init__(
        self,
        preload: Mapping[str, Path] | Path | None = None,
        cache_dir: Path | None = None,
        allow_download: bool = False,
        timeout: float = 3.0,
        retries: int = 2,
        *,
        max_bytes: int = MAX_DOWNLOAD_BYTES,
        failure_ttl: float = FAILURE_TTL,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if timeout <= 0 or retries < 0:
            raise ValueError("timeout must be positive and retries not negative")
        self._preload = _read_preload(preload)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.allow_download = allow_download
        self.timeout = timeout
        self.retries = retries
        self.max_bytes = max_bytes
        self.failure_ttl = failure_ttl
        self._transport = transport  # tests and proxies; None = httpx's default
        self._memory: dict[str, _Stored] = {}
        self._failures: dict[str, tuple[float, str]] = {}
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._listeners: list[Callable[[str], None]] = []
        self._started = datetime.now(UTC)

    # -- resolving ------------------------------------------------------------------------

    async def resolve(self, url: str) -> dict[str, Any]:
        """The parsed context document (``{"@context": ...}``) of ``url``; treat it as read-only.

        Raises :class:`LdContextNotAvailable` when the document cannot be had (not local and
        downloads off, or the download failed) and :class:`InvalidContext` when it is not a
        context document or ``url`` is not an absolute URL.
        """
        if url in CORE_CONTEXT_ALIASES:
            return _shared()
        stored = self._memory.get(url)
        if stored is None:
            stored = self._load_local(url)
        if stored is not None:
            self._memory[url] = _touch(stored)
            return stored.document
        return await self._download_once(url)

    def _load_local(self, url: str) -> _Stored | None:
        """A preloaded file or a persisted document, or None."""
        path = self._preload.get(url)
        if path is not None:
            document = check_document(url, _read_json(url, path))
            return _Stored(document, self._entry(url, "preload", _mtime(path)))
        if self.cache_dir is None:
            return None
        document_path, meta_path = self._cache_paths(url)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            document = json.loads(document_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("Ignoring unreadable cached @context %s: %s", url, error)
            return None
        if meta.get("url") != url:
            return None  # a local_id collision: treat as not cached
        origin: Origin = "hosted" if meta.get("origin") == "hosted" else "download"
        created = _parse_time(meta.get("created_at")) or _mtime(document_path)
        return _Stored(check_document(url, document), self._entry(url, origin, created))

    async def _download_once(self, url: str) -> dict[str, Any]:
        """Download ``url`` unless forbidden or recently failed; one download per URL at a time."""
        parts = urlsplit(url)
        if not parts.scheme:
            raise InvalidContext(f"@context URL {url!r} is not an absolute URL")
        if not self.allow_download:
            raise LdContextNotAvailable(
                url, "it is neither shipped, preloaded nor cached, and downloads are disabled"
            )
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise LdContextNotAvailable(url, "only http and https URLs are downloaded")
        failed = self._failures.get(url)
        if failed is not None and time.monotonic() - failed[0] < self.failure_ttl:
            raise LdContextNotAvailable(url, f"{failed[1]} (failed recently, not retried yet)")
        pending = self._pending.get(url)
        if pending is None:
            pending = asyncio.ensure_future(self._download(url))
            self._pending[url] = pending
            pending.add_done_callback(lambda _: self._pending.pop(url, None))
        return await asyncio.shield(pending)

    async def _download(self, url: str) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout * max(self.retries, 1)
        reason = "no attempt was made"
        try:
            async with (
                asyncio.timeout_at(deadline),
                httpx.AsyncClient(
                    transport=self._transport,
                    follow_redirects=True,
                    max_redirects=5,
                    headers={"Accept": _ACCEPT},
                ) as client,
            ):
                for attempt in range(self.retries + 1):
                    if attempt:
                        await asyncio.sleep(min(0.2 * 2 ** (attempt - 1), self.timeout))
                    try:
                        document = await self._fetch(client, url)
                        break
                    except _Retry as error:
                        reason = str(error)
                        log.info("Download of @context %s failed (%s)", url, reason)
                else:
                    raise _GiveUp(f"{reason}, after {self.retries + 1} attempts")
        except TimeoutError:
            reason = f"no answer within {self.timeout * max(self.retries, 1):g} s ({reason})"
            self._failures[url] = (time.monotonic(), reason)
            raise LdContextNotAvailable(url, reason) from None
        except _GiveUp as error:
            self._failures[url] = (time.monotonic(), str(error))
            raise LdContextNotAvailable(url, str(error)) from None
        self._failures.pop(url, None)
        stored = _Stored(document, self._entry(url, "download", datetime.now(UTC)))
        self._memory[url] = _touch(stored)
        self._persist(url, stored)
        log.info("Downloaded @context %s", url)
        return document

    async def _fetch(self, client: httpx.AsyncClient, url: str) -> dict[str, Any]:
        """One attempt: GET with a per-operation timeout, streamed under the size limit."""
        try:
            async with client.stream("GET", url, timeout=self.timeout) as response:
                status = response.status_code
                if status == 429 or status >= 500:
                    raise _Retry(f"HTTP {status}")
                if status != 200:
                    raise _GiveUp(f"HTTP {status}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise _GiveUp(f"larger than {self.max_bytes} bytes")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise _GiveUp(f"larger than {self.max_bytes} bytes")
        except httpx.TransportError as error:
            if isinstance(error, httpx.UnsupportedProtocol | httpx.InvalidURL):
                raise _GiveUp(str(error) or type(error).__name__) from error
            raise _Retry(f"{type(error).__name__}: {error}".rstrip(": ")) from error
        except httpx.TooManyRedirects as error:
            raise _GiveUp("too many redirects") from error
        # Content types vary in the wild (raw.githubusercontent.com says text/plain), so the
        # body decides: it has to be a JSON object with @context.
        try:
            document = json.loads(bytes(body))
        except ValueError:
            raise _GiveUp("the response is not JSON") from None
        if not isinstance(document, dict) or "@context" not in document:
            raise _GiveUp("the response is not a JSON-LD context document (no @context)")
        return document

    # -- hosting (the /jsonldContexts API) --------------------------------------------------

    def add(self, url: str, document: Any) -> ContextEntry:
        """Host ``document`` under ``url`` (kept in memory and in ``cache_dir``)."""
        if url in CORE_CONTEXT_ALIASES or url in self._preload:
            raise InvalidContext(f"{url} is a shipped @context and cannot be replaced")
        document = check_document(url, document)
        stored = _Stored(document, self._entry(url, "hosted", datetime.now(UTC)))
        self._memory[url] = stored
        self._failures.pop(url, None)
        self._persist(url, stored)
        self._notify(url)
        return stored.entry

    def remove(self, url: str) -> bool:
        """Forget a hosted or cached context; False if there was none. Shipped ones stay."""
        if url in CORE_CONTEXT_ALIASES or url in self._preload:
            raise InvalidContext(f"{url} is a shipped @context and cannot be deleted")
        removed = self._memory.pop(url, None) is not None
        if self.cache_dir is not None:
            for path in self._cache_paths(url):
                try:
                    path.unlink()
                    removed = True
                except FileNotFoundError:
                    pass
        self._failures.pop(url, None)
        self._notify(url)
        return removed

    def forget(self, url: str) -> None:
        """Drop what this process remembers of ``url`` (another process changed it); the
        next use reads ``cache_dir`` again."""
        self._memory.pop(url, None)
        self._failures.pop(url, None)
        self._notify(url)

    def forget_all(self) -> None:
        """Drop everything this process remembers (announcements of changes were missed)."""
        for url in list(self._memory):
            self.forget(url)
        self._failures.clear()

    def list(self) -> list[ContextEntry]:
        """Every context this resolver can serve without the network, sorted by URL."""
        entries: dict[str, ContextEntry] = {
            CORE_CONTEXT_URL: self._entry(CORE_CONTEXT_URL, "core", self._started)
        }
        for url, path in self._preload.items():
            entries[url] = self._entry(url, "preload", _mtime(path))
        if self.cache_dir is not None and self.cache_dir.is_dir():
            for meta_path in self.cache_dir.glob("*.meta.json"):
                try:
                    meta = json.loads(meta_path.read_text(encoding="utf-8"))
                    url = meta["url"]
                except (OSError, ValueError, KeyError, TypeError):
                    continue
                origin: Origin = "hosted" if meta.get("origin") == "hosted" else "download"
                created = _parse_time(meta.get("created_at")) or _mtime(meta_path)
                entries[url] = self._entry(url, origin, created)
        for url, stored in self._memory.items():
            entries[url] = stored.entry
        return [entries[url] for url in sorted(entries)]

    def add_listener(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(url)`` whenever the document behind ``url`` is added or removed."""
        self._listeners.append(callback)

    # -- helpers ---------------------------------------------------------------------------

    def _entry(self, url: str, origin: Origin, created: datetime) -> ContextEntry:
        kind: Literal["Hosted", "Cached"] = "Hosted" if origin == "hosted" else "Cached"
        return ContextEntry(url, local_id(url), kind, origin, created)

    def _notify(self, url: str) -> None:
        for callback in self._listeners:
            callback(url)

    def _cache_paths(self, url: str) -> tuple[Path, Path]:
        assert self.cache_dir is not None
        key = local_id(url)
        return self.cache_dir / f"{key}.jsonld", self.cache_dir / f"{key}.meta.json"

    def _persist(self, url: str, stored: _Stored) -> None:
        """Write document and metadata atomically; a failure costs only the restart benefit."""
        if self.cache_dir is None:
            return
        document_path, meta_path = self._cache_paths(url)
        meta = {
            "url": url,
            "origin": stored.entry.origin,
            "created_at": stored.entry.created_at.isoformat(),
        }
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            _write_atomic(document_path, json.dumps(stored.document, ensure_ascii=False))
            _write_atomic(meta_path, json.dumps(meta, ensure_ascii=False))
        except OSError as error:
            log.warning("Could not cache @context %s in %s: %s", url, self.cache_dir, error)


def _touch(stored: _Stored) -> _Stored:
    stored.entry = replace(stored.entry, last_used=datetime.now(UTC), hits=stored.entry.hits + 1)
    return stored


def _read_preload(preload: Mapping[str, Path] | Path | None) -> dict[str, Path]:
    if preload is None:
        return {}
    if isinstance(preload, Mapping):
        return {str(url): Path(path) for url, path in preload.items()}
    directory = Path(preload)
    index_path = directory / "index.json"
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"Cannot read the @context index {index_path}: {error}") from error
    if not isinstance(index, dict) or not all(
        isinstance(url, str) and isinstance(name, str) for url, name in index.items()
    ):
        raise ValueError(f"{index_path} must map @context URLs to file names")
    files = {url: directory / name for url, name in index.items()}
    missing = sorted(str(path) for path in files.values() if not path.is_file())
    if missing:
        raise ValueError(f"{index_path} names missing files: {', '.join(missing)}")
    return files


def _read_json(url: str, path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise LdContextNotAvailable(url, f"cannot read {path}: {error}") from error
    except ValueError as error:
        raise InvalidContext(f"{url}: {path} is not JSON ({error})") from error


def _write_atomic(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mtime(path: Path) -> datetime:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return datetime.now(UTC)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
