"""Socket addresses: the sockaddr structures, their text, and getaddrinfo lists."""

from __future__ import annotations

import os
import socket as _stdlib_socket
from collections.abc import Iterator
from typing import Any, Union

from nativesockets._ffi import ffi, lib
from nativesockets.errors import c_int, c_string, fail
from nativesockets.types import Domain, Port, Protocol, SockType

_STORAGE = ffi.sizeof("struct sockaddr_storage")
_SUN_PATH_OFFSET = ffi.offsetof("struct sockaddr_un", "sun_path")
Sockaddr_un_path_length: int = lib.NS_SUN_PATH_LENGTH
_SIZE_IN = ffi.sizeof("struct sockaddr_in")
_SIZE_IN6 = ffi.sizeof("struct sockaddr_in6")
_init = lib.ns_sockaddr_init  # the family, and the length byte where sockaddrs have one
INADDR_ANY: int = lib.INADDR_ANY

PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


class _Field:
    """One field of the C struct behind a SockAddr, read and written in place."""

    def __init__(self, ctype: str) -> None:
        self.ctype = ctype

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: SockAddr | None, objtype: Any = None) -> Any:
        if obj is None:
            return self
        value = getattr(ffi.cast(self.ctype, obj._sa), self.name)
        if isinstance(value, ffi.CData):  # arrays: sin6_addr, sun_path
            return bytes(ffi.buffer(value))
        return value

    def __set__(self, obj: SockAddr, value: Any) -> None:
        target = ffi.cast(self.ctype, obj._sa)
        if isinstance(getattr(target, self.name), ffi.CData):
            try:  # not bytes(value): bytes(10**10) would allocate 10 GB
                data = memoryview(value).tobytes()
            except TypeError:
                raise TypeError(f"{self.name} takes bytes, not {type(value).__name__}") from None
            field = getattr(target, self.name)
            if len(data) > ffi.sizeof(field):
                raise ValueError(f"{self.name} holds {ffi.sizeof(field)} bytes")
            ffi.memmove(field, data, len(data))
        else:
            try:
                setattr(target, self.name, value)
            except OverflowError as e:
                raise ValueError(f"{self.name}: {e}") from None


class SockAddr:
    """A socket address owned by this package: sockaddr_storage-sized memory and a length.

    ``len(addr)`` is its SockLen, as passed to ``bindAddr``, ``connect`` and ``sendto``.
    Build one with ``Sockaddr_in``, ``Sockaddr_in6``, ``Sockaddr_un``/``makeUnixAddr`` or
    ``Sockaddr_storage``; ``AddrInfo.ai_addr`` gives one too. ``SockAddr(raw_bytes)`` copies
    an address given as bytes: no system call; TypeError if ``raw_bytes`` is not bytes-like,
    ValueError if it is longer than ``struct sockaddr_storage``.
    """

    __slots__ = ("_mem", "_sa", "_len")
    sa_family = _Field("struct sockaddr *")

    def __init__(self, data: bytes = b"") -> None:
        if type(data) is not bytes:
            try:  # any bytes-like object, as its bytes (a strided view too)
                data = memoryview(data).tobytes()
            except TypeError:
                raise TypeError(f"a socket address is bytes, not {type(data).__name__}") from None
        self._mem = ffi.new("struct sockaddr_storage *")
        self._sa = ffi.cast("struct sockaddr *", self._mem)
        if len(data) > _STORAGE:
            raise ValueError(f"a socket address holds at most {_STORAGE} bytes, got {len(data)}")
        ffi.memmove(self._mem, data, len(data))
        self._len = len(data) if data else _STORAGE

    def __len__(self) -> int:
        return self._len

    def __bytes__(self) -> bytes:
        return ffi.buffer(self._mem, self._len)[:]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SockAddr):
            return NotImplemented
        return bytes(self) == bytes(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        try:
            text = repr(getAddrString(self))
        except OSError:
            text = f"family={self.sa_family}"
        return f"<{type(self).__name__} {text}, len={self._len}>"


class Sockaddr_storage(SockAddr):
    """Room for any socket address: ``Sockaddr_storage()`` to receive one (``recvfrom``,
    raw ``accept``), or ``Sockaddr_storage(raw_bytes)`` for an address given as bytes.

    No system call; raises as ``SockAddr``.
    """

    __slots__ = ()
    ss_family = _Field("struct sockaddr_storage *")


def _pton(family: int, address: object, dest: Any) -> None:
    text = c_string(address, "address")
    if lib.inet_pton(family, text, dest) != 1:
        raise ValueError(f"not a valid {Domain(family).name} address: {address!r}")


class Sockaddr_in(SockAddr):
    """An IPv4 address (``struct sockaddr_in``); fields in network byte order as in C.

    POSIX: ``inet_pton(3)`` parses ``address``; on macOS and the BSDs ``sin_len`` is set too
    (16), so the address equals the kernel's byte for byte. Windows: ``inet_pton``.

    Raises ValueError if ``address`` is not IPv4 text or ``port`` is outside 0..65535;
    TypeError for an argument of another type.

    Differs from Nim: ``sin_len`` is set where there is one (README, Differences from Nim,
    row 23).
    """

    __slots__ = ()
    sin_family = _Field("struct sockaddr_in *")
    sin_port = _Field("struct sockaddr_in *")

    def __init__(self, address: str | bytes = "0.0.0.0", port: int = 0) -> None:
        super().__init__()
        sin = ffi.cast("struct sockaddr_in *", self._mem)
        _init(self._sa, lib.AF_INET, _SIZE_IN)  # the family, and sin_len on macOS and the BSDs
        sin.sin_port = lib.htons(Port(port))
        _pton(lib.AF_INET, address, ffi.addressof(sin.sin_addr))
        self._len = _SIZE_IN

    @property
    def sin_addr(self) -> int:
        """``sin_addr.s_addr``: the address as C holds it (network byte order)."""
        return int(ffi.cast("struct sockaddr_in *", self._sa).sin_addr.s_addr)

    @sin_addr.setter
    def sin_addr(self, s_addr: int) -> None:
        value = c_int(s_addr, "s_addr", 0, 2**32 - 1)
        ffi.cast("struct sockaddr_in *", self._sa).sin_addr.s_addr = value


class Sockaddr_in6(SockAddr):
    """An IPv6 address (``struct sockaddr_in6``); fields in network byte order as in C.

    POSIX: ``inet_pton(3)`` parses ``address``; on macOS and the BSDs ``sin6_len`` is set too
    (28). Windows: ``inet_pton``.

    Raises ValueError if ``address`` is not IPv6 text, or ``port``, ``flowinfo`` or
    ``scope_id`` is out of range; TypeError for an argument of another type.

    Differs from Nim: ``sin6_len`` is set where there is one (README, Differences from Nim,
    row 23).
    """

    __slots__ = ()
    sin6_family = _Field("struct sockaddr_in6 *")
    sin6_port = _Field("struct sockaddr_in6 *")
    sin6_flowinfo = _Field("struct sockaddr_in6 *")
    sin6_scope_id = _Field("struct sockaddr_in6 *")

    def __init__(
        self,
        address: str | bytes = "::",
        port: int = 0,
        flowinfo: int = 0,
        scope_id: int = 0,
    ) -> None:
        super().__init__()
        sin6 = ffi.cast("struct sockaddr_in6 *", self._mem)
        _init(self._sa, lib.AF_INET6, _SIZE_IN6)  # the family, and sin6_len on the BSDs
        sin6.sin6_port = lib.htons(Port(port))
        sin6.sin6_flowinfo = lib.htonl(c_int(flowinfo, "flowinfo", 0, 2**32 - 1))
        sin6.sin6_scope_id = c_int(scope_id, "scope_id", 0, 2**32 - 1)
        _pton(lib.AF_INET6, address, ffi.addressof(sin6.sin6_addr))
        self._len = _SIZE_IN6

    @property
    def sin6_addr(self) -> bytes:
        """The 16 address bytes."""
        return bytes(ffi.buffer(ffi.cast("struct sockaddr_in6 *", self._sa).sin6_addr.s6_addr))


class Sockaddr_un(SockAddr):
    """A Unix-domain address (``struct sockaddr_un``) for a filesystem path: no system call.

    The path must be shorter than ``Sockaddr_un_path_length`` bytes (108 on Linux, illumos
    and Windows, 104 on macOS and the BSDs) and hold no NUL: else ValueError; TypeError if it
    is not a str, bytes or path-like object. On macOS and the BSDs ``sun_len`` is set to the
    address's length, as the kernel returns it.

    Differs from Nim: a NUL byte raises (Nim truncates the path there); there on Windows too
    (``afunix.h``); ``sun_len`` is set (README, Differences from Nim, rows 17, 20 and 23).
    """

    __slots__ = ()
    sun_family = _Field("struct sockaddr_un *")
    sun_path = _Field("struct sockaddr_un *")

    def __init__(self, path: PathArg) -> None:
        super().__init__()
        data = c_string(os.fsencode(path) if not isinstance(path, bytes) else path, "path")
        if len(data) >= Sockaddr_un_path_length:
            raise ValueError(
                f"socket path too long: {len(data)} bytes, at most "
                f"{Sockaddr_un_path_length - 1}: {path!r}"
            )
        sun = ffi.cast("struct sockaddr_un *", self._mem)
        self._len = _SUN_PATH_OFFSET + len(data) + 1
        _init(self._sa, lib.AF_UNIX, self._len)  # the family, and sun_len on the BSDs
        ffi.memmove(sun.sun_path, data, len(data))


def makeUnixAddr(path: PathArg) -> Sockaddr_un:
    """The ``Sockaddr_un`` for ``path``, as ``Sockaddr_un(path)``: no system call.

    Raises ValueError if ``path`` is too long or holds a NUL byte; TypeError if it is not a
    str, bytes or path-like object.

    Differs from Nim: a NUL byte raises (Nim truncates the path there); there on Windows too;
    ``sun_len`` is set on macOS and the BSDs (README, Differences from Nim, rows 17, 20 and
    23).
    """
    return Sockaddr_un(path)


def sockaddr(addr: object, namelen: int | None) -> tuple[Any, int]:
    """The C pointer and length of a SockAddr argument, checked."""
    if not isinstance(addr, SockAddr):
        raise TypeError(f"a socket address must be a SockAddr, not {type(addr).__name__}")
    if namelen is None:
        return addr._sa, addr._len
    return addr._sa, c_int(namelen, "namelen", 0, _STORAGE)


def name_text(name: Any) -> str:
    """The text in a filled ``struct ns_name``."""
    raw = ffi.buffer(name.text, name.len)[:]
    if os.name == "nt":  # fsdecode is strict UTF-8 there: a Unix path's bytes need not be
        return raw.decode("utf-8", "surrogateescape")
    return os.fsdecode(raw)


def getAddrString(sockAddr: SockAddr, strAddress: bytearray | None = None) -> str | None:
    """The text of the address in ``sockAddr``: dotted quad, IPv6 text (an IPv4-mapped one as
    the IPv4 text, as Nim does), or the Unix path (up to its first NUL: "" for an unnamed
    socket; on Linux a ``sun_path`` starting with NUL is an abstract name, given whole).

    POSIX: ``inet_ntop(3)``. Windows: ``inet_ntop``.

    With ``strAddress`` (Nim's second overload), a ``bytearray`` of length 46, the text is
    written into it in place and None is returned. Raises OSError(EAFNOSUPPORT) for another
    family; TypeError if ``sockAddr`` is not a SockAddr or ``strAddress`` not a bytearray,
    ValueError if ``strAddress`` has another length.

    Differs from Nim: a Unix address gives its path (Nim: ``"unix"``, or IOError in
    overload 2) (README, Differences from Nim, row 8).
    """
    sa, length = sockaddr(sockAddr, None)
    if strAddress is not None:
        if not isinstance(strAddress, bytearray):
            raise TypeError(f"strAddress must be a bytearray, not {type(strAddress).__name__}")
        if len(strAddress) != 46:
            raise ValueError(f"strAddress must have length 46, not {len(strAddress)}")
    name = ffi.new("struct ns_name *")
    if lib.ns_format(sa, length, 1, name) == -1:
        fail(f"getAddrString(family {sockAddr.sa_family})")
    if strAddress is None:
        return name_text(name)
    strAddress[:] = ffi.buffer(name.text, name.len)[:]
    return None


def inet_ntoa(in_addr: int) -> str:
    """The dotted-quad text of ``in_addr`` (``s_addr``, network byte order as C holds it).

    POSIX: ``inet_ntop(3)``, which unlike ``inet_ntoa(3)`` is safe from threads. Windows:
    ``inet_ntop``.

    Raises TypeError or ValueError if ``in_addr`` is not an int in 0..4294967295.
    """
    box = ffi.new("struct in_addr *", [c_int(in_addr, "in_addr", 0, 2**32 - 1)])
    text = ffi.new("char[]", 16)
    lib.inet_ntop(lib.AF_INET, box, text, 16)
    return ffi.string(text).decode("ascii")


class _NodeField:
    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: AddrInfo | None, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return getattr(obj._live(), self.name)


class AddrInfo:
    """A node of the list ``getAddrInfo`` returns; the first node owns the whole list.

    Read the fields as in C (``ai_family``, ``ai_socktype``, ``ai_protocol``, ``ai_addrlen``,
    ``ai_addr``, ``ai_canonname``, ``ai_next``) or iterate over the nodes. Free it with
    ``freeAddrInfo`` or a ``with`` block (idempotent), or let it be collected (POSIX:
    ``freeaddrinfo(3)``; Windows: ``freeaddrinfo``). Any use after free raises ValueError.
    """

    # The first node's _node is the list's owning pointer (ffi.gc: freeaddrinfo when it is
    # collected), None once freed; the other nodes keep the first in _first.
    __slots__ = ("_node", "_first")
    ai_flags = _NodeField()
    ai_family = _NodeField()
    ai_socktype = _NodeField()
    ai_protocol = _NodeField()
    ai_addrlen = _NodeField()

    def __init__(self, node: Any, first: AddrInfo | None = None) -> None:
        self._node = node
        self._first = first

    def _free(self) -> None:
        first = self._first or self
        head, first._node = first._node, None
        if head is not None:
            ffi.release(head)  # freeaddrinfo now, not when collected

    def _live(self) -> Any:
        if (self._first or self)._node is None:
            raise ValueError("AddrInfo used after freeAddrInfo")
        return self._node

    @property
    def ai_addr(self) -> SockAddr:
        """A copy of this node's socket address."""
        node = self._live()
        return SockAddr(ffi.buffer(node.ai_addr, node.ai_addrlen)[:])

    @property
    def ai_canonname(self) -> str | None:
        """The canonical name, or None when the system gave none. ValueError after free."""
        node = self._live()
        if node.ai_canonname == ffi.NULL:
            return None
        return ffi.string(node.ai_canonname).decode("utf-8", "surrogateescape")

    @property
    def ai_next(self) -> AddrInfo | None:
        """The next node of the list, or None at its end. ValueError after free."""
        nxt = self._live().ai_next
        return None if nxt == ffi.NULL else AddrInfo(nxt, self._first or self)

    def __iter__(self) -> Iterator[AddrInfo]:
        node: AddrInfo | None = self
        while node is not None:
            yield node
            node = node.ai_next

    def __enter__(self) -> AddrInfo:
        self._live()
        return self

    def __exit__(self, *exc: object) -> None:
        self._free()

    def __repr__(self) -> str:
        if (self._first or self)._node is None:
            return "<AddrInfo freed>"
        return (
            f"<AddrInfo family={self.ai_family} socktype={self.ai_socktype} "
            f"protocol={self.ai_protocol} addr={getAddrString(self.ai_addr)!r}>"
        )


def freeAddrInfo(ai: AddrInfo) -> None:
    """Free the list ``ai`` belongs to. Freeing twice does nothing.

    POSIX: ``freeaddrinfo(3)``. Windows: ``freeaddrinfo``.

    Raises TypeError if ``ai`` is not an AddrInfo.
    """
    if not isinstance(ai, AddrInfo):
        raise TypeError(f"freeAddrInfo takes an AddrInfo, not {type(ai).__name__}")
    ai._free()


freeaddrinfo = freeAddrInfo

_freeaddrinfo, _gc = lib.ns_freeaddrinfo, ffi.gc  # freeaddrinfo, or C's copy (the BSDs)
_LIST_SIZE = 2 * (ffi.sizeof("struct addrinfo") + _STORAGE)  # a list of a node or two
_ns_getaddrinfo = lib.ns_getaddrinfo
_FAMILIES = {int(d): int(d) for d in Domain}
_TYPES = {int(t): int(t) for t in SockType}
_PROTOCOLS = {int(p): int(p) for p in Protocol}


def _hints(domain: object, sockType: object, protocol: object) -> tuple[int, int, int]:
    """The native numbers of getAddrInfo's hints given as other ints than the enums."""
    for what, value in (("domain", domain), ("sockType", sockType), ("protocol", protocol)):
        if type(value) is bool or not isinstance(value, int):
            raise TypeError(f"getAddrInfo: {what} must be an int, not {type(value).__name__}")
    family = _FAMILIES.get(domain)  # type: ignore[call-overload]
    socktype = _TYPES.get(sockType)  # type: ignore[call-overload]
    proto = _PROTOCOLS.get(protocol)  # type: ignore[call-overload]
    if family is None or socktype is None or proto is None:
        raise ValueError(
            f"getAddrInfo: unknown domain, sockType or protocol: {domain!r}, "
            f"{sockType!r}, {protocol!r}"
        )
    return family, socktype, proto


def getAddrInfo(
    address: str | bytes,
    port: int,
    domain: Domain = Domain.AF_INET,
    sockType: SockType = SockType.SOCK_STREAM,
    protocol: Protocol = Protocol.IPPROTO_TCP,
) -> AddrInfo:
    """Resolve ``address`` and ``port``. Returns the owning ``AddrInfo``.

    POSIX: ``getaddrinfo(3)``. Windows: ``getaddrinfo``. For AF_INET6 the hints ask for
    AI_V4MAPPED, as Nim does; SOCK_RAW passes no service. Where the system does not map
    (FreeBSD, NetBSD, OpenBSD) the mapping is done here: an AF_INET6 lookup with no IPv6
    answer gives the IPv4 ones as ``::ffff:a.b.c.d``, as on Linux and macOS.

    A failed lookup raises ``socket.gaierror`` (an OSError) whose errno is the ``EAI_*`` code
    (a WSA code on Windows) and whose text is ``gai_strerror``'s; ``EAI_SYSTEM`` raises
    OSError with ``errno``. TypeError or ValueError for a bad argument (a NUL byte, a port
    outside 0..65535, an unknown domain, type or protocol).

    Differs from Nim: ``socket.gaierror`` with the ``EAI_*`` code, not OSError with a stale
    errno; SOCK_RAW passes a NULL service, not ""; IPv4 answers are mapped on the BSDs too
    (README, Differences from Nim, rows 7 and 21).
    """
    host = address.encode("utf-8", "surrogateescape") if type(address) is str else b"\0"
    if 0 in host:  # bytes, another type, or a NUL: the full check
        host = c_string(address, "address")
    if type(port) is not Port:
        port = Port(port)
    family: int = domain
    socktype: int = sockType
    proto: int = protocol
    enums = type(domain) is Domain and type(sockType) is SockType and type(protocol) is Protocol
    if not enums:  # other ints: checked and mapped
        family, socktype, proto = _hints(domain, sockType, protocol)
    # The hints and the port go as numbers; C adds Nim's AI_V4MAPPED for AF_INET6 and
    # passes no service for SOCK_RAW.
    res = _ns_getaddrinfo(host, port, family, socktype, proto)
    if not res:
        code = lib.ns_gai_error()
        if code == lib.EAI_SYSTEM:
            fail(f"getAddrInfo({address!r}, {int(port)})")
        text = ffi.string(lib.gai_strerror(code)).decode("utf-8", "replace")
        raise _stdlib_socket.gaierror(code, f"getAddrInfo({address!r}, {int(port)}): {text}")
    # size: the C memory held, roughly, so that PyPy's GC counts it and collects dropped
    # lists in time (CPython frees them at once and ignores it)
    return AddrInfo(_gc(res, _freeaddrinfo, _LIST_SIZE))
