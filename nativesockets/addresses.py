"""Socket addresses: the sockaddr structures, their text, and getaddrinfo lists."""

from __future__ import annotations

import os
import socket as _stdlib_socket
from collections.abc import Iterator
from typing import Any, Union

from nativesockets._ffi import ffi, lib
from nativesockets.errors import _proc, c_int, c_string, fail
from nativesockets.types import Domain, Port, Protocol, SockType, fitting_protocol

_STORAGE = ffi.sizeof("struct sockaddr_storage")
_SUN_PATH_OFFSET = ffi.offsetof("struct sockaddr_un", "sun_path")
Sockaddr_un_path_length: int = lib.NS_SUN_PATH_LENGTH
_SIZE_IN = ffi.sizeof("struct sockaddr_in")
_SIZE_IN6 = ffi.sizeof("struct sockaddr_in6")
_init = lib.ns_sockaddr_init  # the family, and the length byte where sockaddrs have one
INADDR_ANY: int = lib.INADDR_ANY

PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


def _field(ctype: str, name: str, doc: str) -> Any:
    """A property for one integer field of the C struct behind a SockAddr, read and written
    in place (ValueError for a value the field cannot hold, TypeError for a non-int)."""

    def get(self: SockAddr) -> int:
        return int(getattr(ffi.cast(ctype, self._sa), name))

    def put(self: SockAddr, value: int) -> None:
        try:
            setattr(ffi.cast(ctype, self._sa), name, value)
        except OverflowError as e:
            raise ValueError(f"{name} out of range: {value!r} ({e})") from None

    return property(get, put, doc=f"int: {doc}, as C holds it.")


class SockAddr:
    """A socket address owned by this package: sockaddr_storage-sized memory and a length.

    ``len(addr)`` is its SockLen, as passed to ``bindAddr``, ``connect`` and ``sendto``.
    Build one with ``Sockaddr_in``, ``Sockaddr_in6``, ``Sockaddr_un``/``makeUnixAddr`` or
    ``Sockaddr_storage``; ``AddrInfo.ai_addr`` gives one too. ``SockAddr(raw_bytes)`` copies
    an address given as bytes: no system call; TypeError if ``raw_bytes`` is not bytes-like,
    ValueError if it is longer than ``struct sockaddr_storage``.
    """

    __slots__ = ("_mem", "_sa", "_len")
    sa_family = _field("struct sockaddr *", "sa_family", "the address family (AF_INET...)")

    def __init__(self, data: bytes = b"") -> None:
        if type(data) is not bytes:
            try:  # any bytes-like object, as its bytes (a strided view too)
                data = memoryview(data).tobytes()
            except TypeError:
                raise TypeError(
                    f"{_proc()}data must be the address's raw bytes (a bytes-like object), "
                    f"not {type(data).__name__}"
                ) from None
        self._mem = ffi.new("struct sockaddr_storage *")
        self._sa = ffi.cast("struct sockaddr *", self._mem)
        if len(data) > _STORAGE:
            raise ValueError(
                f"{_proc()}a socket address holds at most {_STORAGE} bytes, got {len(data)}"
            )
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

    def __reduce__(self) -> tuple[Any, ...]:
        """copy, deepcopy and pickle give an independent object of the same type, with its
        own memory holding the same bytes and length."""
        return _rebuild, (type(self), ffi.buffer(self._mem)[:], self._len)

    def __repr__(self) -> str:
        try:
            text = repr(getAddrString(self))
        except OSError:
            text = f"family={self.sa_family}"
        return f"<{type(self).__name__} {text}, len={self._len}>"


def _rebuild(cls: type[SockAddr], raw: bytes, length: int) -> SockAddr:
    """A SockAddr of type ``cls`` from its memory and length (``SockAddr.__reduce__``),
    checked as any argument is: pickled data may come from anywhere."""
    if not (isinstance(cls, type) and issubclass(cls, SockAddr)):
        raise TypeError(f"not a SockAddr type: {cls!r}")
    addr = cls.__new__(cls)
    SockAddr.__init__(addr, raw)
    addr._len = c_int(length, "length", 0, _STORAGE)
    return addr


class Sockaddr_storage(SockAddr):
    """Room for any socket address: ``Sockaddr_storage()`` to receive one (``recvfrom``,
    raw ``accept``), or ``Sockaddr_storage(raw_bytes)`` for an address given as bytes.

    No system call; raises as ``SockAddr``.
    """

    __slots__ = ()
    ss_family = _field("struct sockaddr_storage *", "ss_family", "the address family (AF_INET...)")


def _pton(family: int, address: object, dest: Any) -> None:
    text = c_string(address, "address")
    if lib.inet_pton(family, text, dest) != 1:
        kind = (
            "IPv4 text such as '127.0.0.1'" if family == lib.AF_INET else "IPv6 text such as '::1'"
        )
        raise ValueError(f"{_proc()}address must be {kind}, not {address!r}")


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
    sin_family = _field("struct sockaddr_in *", "sin_family", "the address family, AF_INET")
    sin_port = _field("struct sockaddr_in *", "sin_port", "the port in network byte order")

    def __init__(self, address: str | bytes = "0.0.0.0", port: int = 0) -> None:
        super().__init__()
        sin = ffi.cast("struct sockaddr_in *", self._mem)
        _init(self._sa, lib.AF_INET, _SIZE_IN)  # the family, and sin_len on macOS and the BSDs
        sin.sin_port = lib.htons(Port(port))
        _pton(lib.AF_INET, address, ffi.addressof(sin.sin_addr))
        self._len = _SIZE_IN

    @property
    def sin_addr(self) -> int:
        """int: ``sin_addr.s_addr``, the address as C holds it (network byte order)."""
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
    sin6_family = _field("struct sockaddr_in6 *", "sin6_family", "the address family, AF_INET6")
    sin6_port = _field("struct sockaddr_in6 *", "sin6_port", "the port in network byte order")
    sin6_flowinfo = _field(
        "struct sockaddr_in6 *", "sin6_flowinfo", "the flow information, network byte order"
    )
    sin6_scope_id = _field("struct sockaddr_in6 *", "sin6_scope_id", "the scope (interface) id")

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
        """bytes: the 16 address bytes (read-only)."""
        return bytes(ffi.buffer(ffi.cast("struct sockaddr_in6 *", self._sa).sin6_addr.s6_addr))


class Sockaddr_un(SockAddr):
    """A Unix-domain address (``struct sockaddr_un``) for a filesystem path: no system call.

    The path must be shorter than ``Sockaddr_un_path_length`` bytes (108 on Linux, illumos
    and Windows, 104 on macOS and the BSDs) and hold no NUL: else ValueError; TypeError if it
    is not a str, bytes or path-like object. On macOS and the BSDs ``sun_len`` is set to the
    address's length, as the kernel returns it. An empty path is the family alone, as the
    stdlib's ``bind("")``: binding it makes Linux pick a unique abstract name (autobind);
    elsewhere it raises ValueError (``NS_HAS_AUTOBIND`` is 0).

    Differs from Nim: a NUL byte raises (Nim truncates the path there); there on Windows too
    (``afunix.h``); ``sun_len`` is set; an empty path autobinds (README, Differences from
    Nim, rows 17, 20, 23 and 27).
    """

    __slots__ = ()
    sun_family = _field("struct sockaddr_un *", "sun_family", "the address family, AF_UNIX")

    def __init__(self, path: PathArg) -> None:
        super().__init__()
        self.sun_path = path  # the family, the path, the length

    @property
    def sun_path(self) -> bytes:
        """The whole ``sun_path`` field, as C holds it. Set it to a new path (str, bytes or
        path-like, checked as by the constructor) and the length follows, the rest of the
        field cleared: no byte of an older, longer path stays behind."""
        return bytes(ffi.buffer(ffi.cast("struct sockaddr_un *", self._sa).sun_path))

    @sun_path.setter
    def sun_path(self, path: PathArg) -> None:
        data = c_string(path if isinstance(path, bytes) else _fspath(path), "path")
        if not data and not lib.NS_HAS_AUTOBIND:
            raise ValueError(f"{_proc()}an empty socket path names nothing on this platform")
        if len(data) >= Sockaddr_un_path_length:
            raise ValueError(
                f"{_proc()}socket path too long: {len(data)} bytes, at most "
                f"{Sockaddr_un_path_length - 1}: {path!r}"
            )
        field = ffi.cast("struct sockaddr_un *", self._sa).sun_path
        ffi.memmove(field, data.ljust(Sockaddr_un_path_length, b"\0"), Sockaddr_un_path_length)
        # An empty path is the family alone: bind() then picks a unique name (autobind).
        self._len = _SUN_PATH_OFFSET + len(data) + 1 if data else _SUN_PATH_OFFSET
        _init(self._sa, lib.AF_UNIX, self._len)  # the family, and sun_len on the BSDs


def _fspath(path: object) -> bytes:
    """A str or path-like object's bytes, as the file system encodes them."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"{_proc()}path must be str, bytes or a path-like object, not {type(path).__name__}"
        )
    return os.fsencode(path)


def makeUnixAddr(path: PathArg) -> Sockaddr_un:
    """The ``Sockaddr_un`` for ``path``, as ``Sockaddr_un(path)``: no system call. An empty
    path autobinds on Linux (a unique abstract name, as the stdlib's ``bind("")``).

    Raises ValueError if ``path`` is too long or holds a NUL byte, or is empty where the
    platform has no autobind; TypeError if it is not a str, bytes or path-like object.

    Differs from Nim: a NUL byte raises (Nim truncates the path there); there on Windows too;
    ``sun_len`` is set on macOS and the BSDs; an empty path autobinds (README, Differences
    from Nim, rows 17, 20, 23 and 27).
    """
    return Sockaddr_un(path)


def sockaddr(addr: object, namelen: int | None, what: str) -> tuple[Any, int]:
    """The C pointer and length of a SockAddr argument, checked."""
    if not isinstance(addr, SockAddr):
        hint = " (the stdlib's (host, port) is Sockaddr_in(host, port) here)"
        raise TypeError(
            f"{_proc()}{what} must be a SockAddr such as Sockaddr_in(host, port), "
            f"Sockaddr_in6(host, port) or makeUnixAddr(path), not {type(addr).__name__}"
            + (hint if isinstance(addr, tuple) else "")
        )
    if namelen is None:
        return addr._sa, addr._len
    return addr._sa, c_int(namelen, f"{what}len", 0, _STORAGE)  # namelen, tolen


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
    sa, length = sockaddr(sockAddr, None, "sockAddr")
    if strAddress is not None:
        if not isinstance(strAddress, bytearray):
            raise TypeError(
                f"getAddrString(): strAddress must be a bytearray(46), "
                f"not {type(strAddress).__name__}"
            )
        if len(strAddress) != 46:
            raise ValueError(
                f"getAddrString(): strAddress must have length 46, not {len(strAddress)}"
            )
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


def _node_field(name: str, doc: str) -> Any:
    """A property for one int field of an AddrInfo's node (ValueError after free)."""

    def get(self: AddrInfo) -> int:
        if self._freed[0]:
            raise ValueError("AddrInfo used after freeAddrInfo")
        return int(getattr(self._node, name))

    return property(get, doc=f"int: {doc}. ValueError after free.")


class AddrInfo:
    """A node of the list ``getAddrInfo`` returns.

    Read the fields as in C (``ai_family``, ``ai_socktype``, ``ai_protocol``, ``ai_addrlen``,
    ``ai_addr``, ``ai_canonname``, ``ai_next``) or iterate over the nodes. Free it with
    ``freeAddrInfo`` or a ``with`` block (idempotent), or let it be collected (POSIX:
    ``freeaddrinfo(3)``; Windows: ``freeaddrinfo``). Any use after free raises ValueError.

    Every node of a list holds the list's memory: a free marks the list freed, and the
    memory goes when the last node object of it goes, so no reader (another thread, a
    finalizer) can ever read freed memory. An AddrInfo cannot be copied or pickled
    (TypeError): it stands for one C list; call ``getAddrInfo`` again for another.
    """

    # _node: this node (a plain pointer); _list: the owning pointer of the whole list
    # (ffi.gc: freeaddrinfo when the last node object goes) and _freed, a one-item list
    # that says whether the list was freed: both shared by every node of the list.
    __slots__ = ("_node", "_list", "_freed")
    _node: Any
    _list: Any
    _freed: list[bool]
    ai_flags = _node_field("ai_flags", "the AI_* flags of the lookup")
    ai_family = _node_field("ai_family", "the address family (AF_INET, AF_INET6...)")
    ai_socktype = _node_field("ai_socktype", "the socket type (SOCK_STREAM...)")
    ai_protocol = _node_field("ai_protocol", "the protocol (IPPROTO_TCP...)")
    ai_addrlen = _node_field("ai_addrlen", "the length of ai_addr")

    def __init__(self, *args: object) -> None:
        """AddrInfo objects come from getAddrInfo only (TypeError otherwise)."""
        raise TypeError("AddrInfo(): an AddrInfo comes from getAddrInfo(); none is made directly")

    def _free(self) -> None:
        self._freed[0] = True

    def _check(self) -> None:
        if self._freed[0]:
            raise ValueError("AddrInfo used after freeAddrInfo")

    def __reduce__(self) -> Any:
        """Raises TypeError: copy, deepcopy and pickle cannot duplicate a C list."""
        raise TypeError(
            "an AddrInfo cannot be copied or pickled: it stands for one getaddrinfo list "
            "(copy what you need from its fields, or call getAddrInfo again)"
        )

    @property
    def ai_addr(self) -> SockAddr:
        """SockAddr: a copy of this node's socket address. ValueError after free."""
        self._check()
        node = self._node
        return SockAddr(ffi.buffer(node.ai_addr, node.ai_addrlen)[:])

    @property
    def ai_canonname(self) -> str | None:
        """str | None: the canonical name, filled for the first node when the lookup asked
        for AI_CANONNAME; else None. ValueError after free."""
        self._check()
        name = self._node.ai_canonname
        if name == ffi.NULL:
            return None
        return ffi.string(name).decode("utf-8", "surrogateescape")

    @property
    def ai_next(self) -> AddrInfo | None:
        """AddrInfo | None: the next node of the list, or None at its end. ValueError after
        free."""
        self._check()
        nxt = self._node.ai_next
        return None if nxt == ffi.NULL else _addrinfo(nxt, self._list, self._freed)

    def __iter__(self) -> Iterator[AddrInfo]:
        node: AddrInfo | None = self
        while node is not None:
            yield node
            node = node.ai_next

    def __enter__(self) -> AddrInfo:
        self._check()
        return self

    def __exit__(self, *exc: object) -> None:
        self._free()

    def __repr__(self) -> str:
        if self._freed[0]:
            return "<AddrInfo freed>"
        return (
            f"<AddrInfo family={self.ai_family} socktype={self.ai_socktype} "
            f"protocol={self.ai_protocol} addr={getAddrString(self.ai_addr)!r}>"
        )


def _addrinfo(node: Any, owner: Any, freed: list[bool]) -> AddrInfo:
    """The AddrInfo of ``node``, in the list that ``owner`` holds (see AddrInfo)."""
    ai = _make(AddrInfo)
    ai._node, ai._list, ai._freed = node, owner, freed
    return ai


_make = object.__new__


def freeAddrInfo(ai: AddrInfo) -> None:
    """Free the list ``ai`` belongs to. Freeing twice does nothing.

    POSIX: ``freeaddrinfo(3)``. Windows: ``freeaddrinfo``.

    Raises TypeError if ``ai`` is not an AddrInfo.
    """
    if not isinstance(ai, AddrInfo):
        raise TypeError(
            f"freeAddrInfo(): ai must be an AddrInfo from getAddrInfo, not {type(ai).__name__}"
        )
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
    checks = (
        ("domain", domain, _FAMILIES, Domain),
        ("sockType", sockType, _TYPES, SockType),
        ("protocol", protocol, _PROTOCOLS, Protocol),
    )
    for what, value, known, enum in checks:
        names = ", ".join(m.name for m in enum)
        if type(value) is bool or not isinstance(value, int):
            raise TypeError(
                f"getAddrInfo(): {what} must be a {enum.__name__} ({names}) or its number, "
                f"not {type(value).__name__}"
            )
        if value not in known:
            raise ValueError(f"getAddrInfo(): unknown {what} {value!r}: not one of {names}")
    return _FAMILIES[domain], _TYPES[sockType], _PROTOCOLS[protocol]  # type: ignore[index]


def getAddrInfo(
    address: str | bytes | None,
    port: int,
    domain: Domain | int = Domain.AF_INET,
    sockType: SockType | int = SockType.SOCK_STREAM,
    protocol: Protocol | int | None = None,
    flags: int = 0,
) -> AddrInfo:
    """Resolve ``address`` and ``port``. Returns the owning ``AddrInfo``.

    POSIX: ``getaddrinfo(3)``. Windows: ``getaddrinfo``. The hints are ``domain``,
    ``sockType``, ``protocol`` and ``flags`` (``AI_PASSIVE``, ``AI_CANONNAME``,
    ``AI_NUMERICHOST``, ``AI_NUMERICSERV``, ``AI_V4MAPPED``, ``AI_ALL``, ``AI_ADDRCONFIG``,
    or'ed); for AF_INET6 ``AI_V4MAPPED`` is always added, as Nim does. ``protocol`` left out
    (None) is the one that fits: IPPROTO_TCP for an IP SOCK_STREAM, IPPROTO_UDP for an IP
    SOCK_DGRAM, else 0 (the system's choice).
    ``address`` None asks for no host: the wildcard address with ``AI_PASSIVE`` (to bind),
    else the loopback address. ``AI_CANONNAME`` fills the first node's ``ai_canonname``;
    ``AI_NUMERICHOST`` makes it a numeric lookup that never queries a name service.
    SOCK_RAW passes no service.
    Where the system does not map (FreeBSD, NetBSD, OpenBSD) the mapping is done here: an
    AF_INET6 lookup with no IPv6 answer gives the IPv4 ones as ``::ffff:a.b.c.d``, as on
    Linux and macOS; ``AI_V4MAPPED`` and ``AI_ALL`` are exported only where the system maps.

    A failed lookup raises ``socket.gaierror`` (an OSError) whose errno is the ``EAI_*`` code
    (a WSA code on Windows) and whose text is ``gai_strerror``'s; ``EAI_SYSTEM`` raises
    OSError with ``errno``. TypeError or ValueError for a bad argument (a NUL byte, a port
    outside 0..65535, an unknown domain, type or protocol, flags that are not a C int).

    Differs from Nim: ``socket.gaierror`` with the ``EAI_*`` code, not OSError with a stale
    errno; SOCK_RAW passes a NULL service, not ""; IPv4 answers are mapped on the BSDs too;
    the protocol left out fits the type, not always IPPROTO_TCP (README, Differences from
    Nim, rows 7, 21 and 26).
    """
    if address is None:
        host: Any = ffi.NULL
    else:
        host = address.encode("utf-8", "surrogateescape") if type(address) is str else b"\0"
        if 0 in host:  # bytes, another type, or a NUL: the full check
            host = c_string(address, "address")
    if type(port) is not Port:
        port = Port(port)
    if protocol is None:
        protocol = fitting_protocol(domain, sockType)
    family: int = domain
    socktype: int = sockType
    proto: int = protocol
    enums = type(domain) is Domain and type(sockType) is SockType and type(protocol) is Protocol
    if not enums:  # other ints: checked and mapped
        family, socktype, proto = _hints(domain, sockType, protocol)
    if type(flags) is not int or not -(2**31) <= flags <= 2**31 - 1:
        flags = c_int(flags, "flags")
    # The hints and the port go as numbers; C adds Nim's AI_V4MAPPED for AF_INET6 and
    # passes no service for SOCK_RAW.
    res = _ns_getaddrinfo(host, port, family, socktype, proto, flags)
    if not res:
        code = lib.ns_gai_error()
        if code == lib.EAI_SYSTEM:
            fail(f"getAddrInfo({address!r}, {int(port)})")
        text = ffi.string(lib.gai_strerror(code)).decode("utf-8", "replace")
        raise _stdlib_socket.gaierror(code, f"getAddrInfo({address!r}, {int(port)}): {text}")
    # size: the C memory held, roughly, so that PyPy's GC counts it and collects dropped
    # lists in time (CPython frees them at once and ignores it)
    return _addrinfo(res, _gc(res, _freeaddrinfo, _LIST_SIZE), [False])
