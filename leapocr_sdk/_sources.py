"""Local documents to upload: a path, bytes, or a binary file object.

A source is opened (and checked) before any request, and each part's byte range is read
only when that part is sent, so a large file is never held in memory whole. Its type
(PDF, PNG, JPEG, TIFF or WebP) comes from its first bytes, not its name: anything else
is refused before a credit is spent.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from typing import BinaryIO

from . import _constants as C
from . import _contract
from ._validation import check_file_name, check_file_size
from .errors import ValidationError

FileInput = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO


def is_url(source: object) -> bool:
    """An http(s) URL (submitted with process_url); any other str is a local path."""
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


class FileSource:
    """Random access to the bytes of one document. Thread-safe reads; a context manager."""

    # Whether a read may wait on something slow (a pipe, a network file object): the async
    # runner then reads in a worker thread. Memory and regular files are read in place.
    reads_may_block = True

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = size
        self.content_type = _contract.CONTENT_TYPES[0]  # set from the bytes by open_source

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset``."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file handle, if any."""

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _BytesSource(FileSource):
    reads_may_block = False

    def __init__(self, name: str, data: bytes | bytearray | memoryview) -> None:
        self._view = memoryview(data).cast("B")
        super().__init__(name, self._view.nbytes)

    def read(self, offset: int, length: int) -> bytes:
        return bytes(self._view[offset : offset + length])


class _StreamSource(FileSource):
    """A seekable binary stream; reads are serialised with a lock (seek + read)."""

    def __init__(self, name: str, stream: BinaryIO, size: int, *, owned: bool) -> None:
        self._stream = stream
        self._start = stream.tell() if not owned else 0
        self._lock = threading.Lock()
        self._owned = owned
        super().__init__(name, size)

    def read(self, offset: int, length: int) -> bytes:
        with self._lock:
            self._stream.seek(self._start + offset)
            return _read_exactly(self._stream, length)

    def close(self) -> None:
        if self._owned:
            self._stream.close()


class _FileDescriptorSource(FileSource):
    """A regular file on disk, read with ``os.pread`` (no shared file position, no lock)."""

    reads_may_block = False  # a regular file's reads are served from the page cache or disk

    def __init__(self, name: str, fd: int, size: int) -> None:
        self._fd: int | None = fd
        super().__init__(name, size)

    def read(self, offset: int, length: int) -> bytes:
        if self._fd is None:
            raise ValueError("the file was closed")
        chunks = []
        while length > 0:
            chunk = os.pread(self._fd, length, offset)
            if not chunk:
                raise OSError("the file became shorter while it was being uploaded")
            chunks.append(chunk)
            offset += len(chunk)
            length -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _read_exactly(stream: BinaryIO, length: int) -> bytes:
    data = stream.read(length)
    if len(data) != length:
        raise OSError("the file became shorter while it was being uploaded")
    return data


def open_source(file: object, file_name: str | None) -> FileSource:
    """Check ``file`` and open it for ranged reads. Raises ValidationError on bad input."""
    if file_name is not None:
        check_file_name(file_name)
    source = _open(file, file_name)
    try:
        _identify(source, named=file_name is not None or isinstance(file, str | os.PathLike))
    except BaseException:
        source.close()
        raise
    return source


def _open(file: object, file_name: str | None) -> FileSource:
    if isinstance(file, bytes | bytearray | memoryview):
        source: FileSource = _BytesSource(file_name or C.DEFAULT_FILE_STEM, file)
        check_file_size(source.size, "the document")
        return source
    if isinstance(file, str | os.PathLike):
        return _open_path(os.fspath(file), file_name)
    if hasattr(file, "read"):
        return _open_stream(file, file_name)  # type: ignore[arg-type]
    raise ValidationError(
        "file must be a path (str or os.PathLike), bytes, or a binary file object opened "
        f"with 'rb', got {type(file).__name__}"
    )


def _identify(source: FileSource, *, named: bool) -> None:
    """Set the source's content type from its first bytes; name a nameless one after it."""
    head = source.read(0, min(_contract.SNIFF_BYTES, source.size))
    content_type = _contract.sniff_content_type(head)
    if content_type is None:
        raise ValidationError(
            f"{source.name!r} is not a document the service reads: its first bytes are not "
            f"those of a {_contract.describe_file_types()} file. Convert it to one of these "
            "(nothing was sent, no credits were used)"
        )
    source.content_type = content_type
    if not named and source.name == C.DEFAULT_FILE_STEM:
        kind = next(k for k in _contract.FILE_TYPES if k.content_type == content_type)
        source.name = C.DEFAULT_FILE_STEM + kind.extensions[0]


def _open_path(path: str, file_name: str | None) -> FileSource:
    if isinstance(path, bytes) or not path:
        raise ValidationError("file path is empty: pass the path of a PDF or image file")
    if is_url(path) and not os.path.exists(path):
        raise ValidationError(
            f"{path[:100]!r} is a URL, not a local file: use process_url() for documents "
            "the service should fetch itself"
        )
    if not os.path.exists(path):
        raise ValidationError(f"file not found: {path!r}: check the path")
    if os.path.isdir(path):
        raise ValidationError(f"{path!r} is a directory: pass the path of a document file")
    if not os.path.isfile(path):
        raise ValidationError(f"{path!r} is not a regular file: pass the path of a document")
    name = file_name or os.path.basename(path) or C.DEFAULT_FILE_STEM
    check_file_name(name)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except PermissionError:
        raise ValidationError(f"cannot read {path!r}: permission denied") from None
    except OSError as exc:
        raise ValidationError(f"cannot open {path!r}: {exc.strerror or exc}") from None
    try:
        size = os.fstat(fd).st_size
        check_file_size(size, f"file {path!r}")
        if hasattr(os, "pread"):
            return _FileDescriptorSource(name, fd, size)
        return _StreamSource(name, os.fdopen(fd, "rb"), size, owned=True)
    except BaseException:
        os.close(fd)
        raise


def _open_stream(stream: BinaryIO, file_name: str | None) -> FileSource:
    if isinstance(stream, io.TextIOBase):
        raise ValidationError("file is opened in text mode: open it with 'rb'")
    if getattr(stream, "closed", False) is True:
        raise ValidationError("the file object is closed: pass an open file (or its path)")
    readable = getattr(stream, "readable", None)
    if callable(readable) and readable() is False:
        raise ValidationError("the file object is not readable: open it with 'rb'")
    name = file_name or _stream_name(stream)
    seekable = False
    try:
        seekable = stream.seekable()
    except (AttributeError, ValueError, OSError):
        seekable = False
    if seekable:
        start = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(start)
        check_file_size(end - start, "the file object")
        return _StreamSource(name, stream, end - start, owned=False)
    # Not seekable (a pipe, a socket): spool to a temporary file, never all in memory.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - owned and closed by the source
    try:
        size = 0
        while chunk := stream.read(C.UPLOAD_CHUNK_SIZE):
            size += len(chunk)
            check_file_size(size, "the stream")
            spool.write(chunk)
        check_file_size(size, "the stream")
        spool.seek(0)
        return _StreamSource(name, spool, size, owned=True)
    except BaseException:
        spool.close()
        raise


def _stream_name(stream: object) -> str:
    raw = getattr(stream, "name", None)
    if isinstance(raw, str) and raw and not raw.startswith("<"):
        return os.path.basename(raw) or C.DEFAULT_FILE_STEM
    return C.DEFAULT_FILE_STEM
