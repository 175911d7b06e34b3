"""Types of the compiled module ``nativesockets._native`` (cffi, API mode), for type checkers.

At run time the module holds two objects only: ``ffi`` and ``lib``. Every class below exists
for type checkers alone: import them under ``typing.TYPE_CHECKING``, never at run time.

``lib`` is typed name for name from cdefs/posix.h (on Windows cdefs/winsock.h), cdefs/shim.h,
cdefs/batch.h and cdefs/netdb.h; names of one platform only are under
``if sys.platform == "win32":``. Constants are ``int``,
functions take ``int`` for C integers and ``bytes`` or a cdata for pointers, as cffi does.
The cdata classes mirror the C declarations: a struct class types both the struct and a
pointer to it (cffi reads a field through either the same way), so a misspelt field is a
type error. ``ffi.new`` and ``ffi.cast`` know the C types this package names; any other
type gives a plain ``CData`` (no fields): add an overload here when the package needs one.
tests/test_stub.py checks this file against the compiled module: names, kinds, arity.
"""

import sys
from collections.abc import Callable
from typing import Final, Literal, TypeVar, final, overload

from _typeshed import ReadableBuffer, WriteableBuffer
from typing_extensions import TypeAlias

_T = TypeVar("_T", bound=CData)

class CData:
    """Any cdata (``ffi.CData`` at run time): comparable, true unless NULL."""

    def __eq__(self, other: object) -> bool: ...
    def __ne__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...
    def __bool__(self) -> bool: ...

_CData: TypeAlias = CData

@final
class CBuffer:
    """What ``ffi.buffer`` returns: a buffer over C memory, sliced to bytes."""

    def __buffer__(self, flags: int, /) -> memoryview: ...
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> bytes: ...
    def __setitem__(self, index: int | slice, value: ReadableBuffer) -> None: ...

class CharP(CData):
    """``char *``: items are 1-byte ``bytes``; ``ffi.string`` gives the text."""

    def __getitem__(self, index: int) -> bytes: ...
    def __setitem__(self, index: int, value: bytes) -> None: ...

@final
class CharArray(CharP):
    """``char[N]``, and what ``ffi.from_buffer`` returns."""

    def __len__(self) -> int: ...

@final
class UCharArray(CData):
    """``unsigned char[N]``: items are ints."""

    def __getitem__(self, index: int) -> int: ...
    def __setitem__(self, index: int, value: int) -> None: ...
    def __len__(self) -> int: ...

@final
class CharPP(CData):
    """``char **``, a NULL-terminated list of strings (``s_aliases``, ``h_addr_list``)."""

    def __getitem__(self, index: int) -> CharP: ...

@final
class SocklenP(CData):
    """``socklen_t *``."""

    def __getitem__(self, index: int) -> int: ...
    def __setitem__(self, index: int, value: int) -> None: ...

@final
class HandleArray(CData):
    """``ns_handle[N]`` / ``ns_handle *``: handles as ints."""

    def __getitem__(self, index: int) -> int: ...
    def __setitem__(self, index: int, value: int) -> None: ...
    def __len__(self) -> int: ...

@final
class InAddr(CData):
    """``struct in_addr``."""

    s_addr: int

@final
class In6Addr(CData):
    """``struct in6_addr``."""

    s6_addr: UCharArray

@final
class Sockaddr(CData):
    """``struct sockaddr``."""

    sa_family: int

@final
class SockaddrIn(CData):
    """``struct sockaddr_in``."""

    sin_family: int
    sin_port: int
    sin_addr: InAddr

@final
class SockaddrIn6(CData):
    """``struct sockaddr_in6``."""

    sin6_family: int
    sin6_port: int
    sin6_flowinfo: int
    sin6_addr: In6Addr
    sin6_scope_id: int

@final
class SockaddrUn(CData):
    """``struct sockaddr_un``."""

    sun_family: int
    sun_path: CharArray

@final
class SockaddrStorage(CData):
    """``struct sockaddr_storage``."""

    ss_family: int

@final
class Addrinfo(CData):
    """``struct addrinfo``."""

    ai_flags: int
    ai_family: int
    ai_socktype: int
    ai_protocol: int
    ai_addrlen: int
    ai_addr: Sockaddr
    ai_canonname: CharP
    ai_next: Addrinfo

@final
class AddrinfoPP(CData):
    """``struct addrinfo **``."""

    def __getitem__(self, index: int) -> Addrinfo: ...
    def __setitem__(self, index: int, value: Addrinfo) -> None: ...

@final
class Servent(CData):
    """``struct servent``."""

    s_name: CharP
    s_aliases: CharPP
    s_port: int
    s_proto: CharP

@final
class Hostent(CData):
    """``struct hostent``."""

    h_name: CharP
    h_aliases: CharPP
    h_addrtype: int
    h_length: int
    h_addr_list: CharPP

@final
class Protoent(CData):
    """``struct protoent``."""

    p_name: CharP
    p_aliases: CharPP
    p_proto: int

@final
class NsEnt(CData):
    """``struct ns_ent`` (cdefs/netdb.h): what a database lookup found, beside its strings."""

    number: int
    family: int
    length: int
    aliases: int
    addrs: int
    error: int

@final
class NsName(CData):
    """``struct ns_name`` (cdefs/shim.h): an address as text."""

    family: int
    port: int
    len: int
    text: CharArray

@final
class FFI:
    """The compiled module's ``ffi``: the subset of cffi's FFI this package calls."""

    CData: type[_CData]
    NULL: _CData
    errno: int

    def getwinerror(self, code: int = -1) -> tuple[int, str]:
        """Windows only: ``(code, FormatMessage text)``; -1 for the saved GetLastError."""

    @overload
    def new(self, cdecl: Literal["char[]"], init: int | bytes) -> CharArray: ...
    @overload
    def new(self, cdecl: Literal["socklen_t *"], init: int = ...) -> SocklenP: ...
    @overload
    def new(
        self, cdecl: Literal["ns_handle[]", "ns_handle[1]"], init: int | list[int] = ...
    ) -> HandleArray: ...
    @overload
    def new(self, cdecl: Literal["struct in_addr *"], init: object = ...) -> InAddr: ...
    @overload
    def new(self, cdecl: Literal["struct in6_addr *"], init: object = ...) -> In6Addr: ...
    @overload
    def new(
        self, cdecl: Literal["struct sockaddr_storage *"], init: object = ...
    ) -> SockaddrStorage: ...
    @overload
    def new(self, cdecl: Literal["struct addrinfo *"], init: object = ...) -> Addrinfo: ...
    @overload
    def new(self, cdecl: Literal["struct addrinfo **"], init: object = ...) -> AddrinfoPP: ...
    @overload
    def new(self, cdecl: Literal["struct ns_name *"], init: object = ...) -> NsName: ...
    @overload
    def new(self, cdecl: Literal["struct ns_ent *"], init: object = ...) -> NsEnt: ...
    @overload
    def new(self, cdecl: str, init: object = ...) -> _CData: ...
    @overload
    def cast(self, cdecl: Literal["struct sockaddr *"], value: _CData | int) -> Sockaddr: ...
    @overload
    def cast(self, cdecl: Literal["struct sockaddr_in *"], value: _CData | int) -> SockaddrIn: ...
    @overload
    def cast(self, cdecl: Literal["struct sockaddr_in6 *"], value: _CData | int) -> SockaddrIn6: ...
    @overload
    def cast(self, cdecl: Literal["struct sockaddr_un *"], value: _CData | int) -> SockaddrUn: ...
    @overload
    def cast(
        self, cdecl: Literal["struct sockaddr_storage *"], value: _CData | int
    ) -> SockaddrStorage: ...
    @overload
    def cast(self, cdecl: str, value: _CData | int) -> _CData: ...
    def new_allocator(
        self,
        alloc: Callable[[int], _CData] | None = ...,
        free: Callable[[_CData], object] | None = ...,
        should_clear_after_alloc: bool = ...,
    ) -> Callable[[str, object], _CData]: ...
    def sizeof(self, cdecl: str | _CData, /) -> int: ...
    def offsetof(self, cdecl: str, field: str | int, /, *fields: str | int) -> int: ...
    def addressof(self, cdata: _T, /, *fields: str | int) -> _T: ...
    def buffer(self, cdata: _CData, size: int = ...) -> CBuffer: ...
    @overload
    def from_buffer(
        self, python_buffer: ReadableBuffer, /, require_writable: Literal[False] = ...
    ) -> CharArray: ...
    @overload
    def from_buffer(
        self, python_buffer: WriteableBuffer, /, require_writable: bool
    ) -> CharArray: ...
    @overload
    def from_buffer(
        self, cdecl: Literal["char[]"], python_buffer: WriteableBuffer, require_writable: bool, /
    ) -> CharArray: ...
    @overload
    def from_buffer(
        self, cdecl: Literal["ns_handle[]"], python_buffer: WriteableBuffer, /
    ) -> HandleArray: ...
    def memmove(
        self, dest: _CData | WriteableBuffer, src: _CData | ReadableBuffer, n: int
    ) -> None: ...
    def string(self, cdata: CharP, maxlen: int = ...) -> bytes: ...
    @overload
    def unpack(self, cdata: CharP, length: int) -> bytes: ...
    @overload
    def unpack(self, cdata: HandleArray, length: int) -> list[int]: ...
    def gc(self, cdata: _T, destructor: Callable[[_T], object] | None, size: int = ...) -> _T: ...
    def release(self, cdata: _CData, /) -> None: ...

@final
class Lib:
    """The compiled module's ``lib``: cdefs/posix.h or cdefs/winsock.h, shim.h, batch.h,
    netdb.h."""

    # Domain, SockType, Protocol
    AF_UNSPEC: Final[int]
    AF_UNIX: Final[int]
    AF_INET: Final[int]
    AF_INET6: Final[int]
    SOCK_STREAM: Final[int]
    SOCK_DGRAM: Final[int]
    SOCK_RAW: Final[int]
    SOCK_SEQPACKET: Final[int]
    IPPROTO_IP: Final[int]
    IPPROTO_IPV6: Final[int]
    IPPROTO_TCP: Final[int]
    IPPROTO_UDP: Final[int]
    IPPROTO_RAW: Final[int]
    IPPROTO_ICMP: Final[int]
    IPPROTO_ICMPV6: Final[int]

    # socket options, message flags, resolver flags
    SOL_SOCKET: Final[int]
    SOMAXCONN: Final[int]
    SO_ERROR: Final[int]
    SO_ACCEPTCONN: Final[int]
    SO_BROADCAST: Final[int]
    SO_DEBUG: Final[int]
    SO_DONTROUTE: Final[int]
    SO_KEEPALIVE: Final[int]
    SO_OOBINLINE: Final[int]
    SO_REUSEADDR: Final[int]
    SO_REUSEPORT: Final[int]  # a placeholder where NS_HAS_SO_REUSEPORT is 0
    SO_RCVBUF: Final[int]
    SO_SNDBUF: Final[int]
    SO_TYPE: Final[int]
    TCP_NODELAY: Final[int]
    IPV6_V6ONLY: Final[int]
    MSG_PEEK: Final[int]
    MSG_OOB: Final[int]
    MSG_DONTROUTE: Final[int]
    MSG_WAITALL: Final[int]
    MSG_TRUNC: Final[int]
    SO_RCVLOWAT: Final[int]
    SO_SNDLOWAT: Final[int]
    IP_TOS: Final[int]
    IP_TTL: Final[int]
    IP_MULTICAST_TTL: Final[int]
    IP_MULTICAST_LOOP: Final[int]
    IPV6_UNICAST_HOPS: Final[int]
    IPV6_MULTICAST_HOPS: Final[int]
    IPV6_MULTICAST_LOOP: Final[int]
    SHUT_RD: Final[int]
    SHUT_WR: Final[int]
    SHUT_RDWR: Final[int]
    AI_V4MAPPED: Final[int]
    AI_PASSIVE: Final[int]
    AI_CANONNAME: Final[int]
    AI_NUMERICHOST: Final[int]
    AI_NUMERICSERV: Final[int]
    AI_ALL: Final[int]
    AI_ADDRCONFIG: Final[int]
    EAI_SYSTEM: Final[int]
    INADDR_ANY: Final[int]
    INADDR_LOOPBACK: Final[int]
    INET6_ADDRSTRLEN: Final[int]
    FIONBIO: Final[int]
    EINTR: Final[int]  # on Windows WSAEINTR (csrc/winsock.c)
    if sys.platform == "win32":
        # cdefs/winsock.h: ioctlsocket's request encoding, the Winsock error codes
        IOCPARM_MASK: Final[int]
        IOC_IN: Final[int]
        WSAEWOULDBLOCK: Final[int]
        WSAECONNRESET: Final[int]
        WSAECONNABORTED: Final[int]
        WSAENETRESET: Final[int]
        WSANOTINITIALISED: Final[int]
        WSAENOTSOCK: Final[int]
        WSAEINPROGRESS: Final[int]
        WSAEINTR: Final[int]
        WSAEDISCON: Final[int]
        ERROR_NETNAME_DELETED: Final[int]
    else:
        # cdefs/posix.h: flags, fcntl's commands, errno values
        SO_NOSIGPIPE: Final[int]  # a placeholder where NS_HAS_SO_NOSIGPIPE is 0
        MSG_NOSIGNAL: Final[int]
        MSG_DONTWAIT: Final[int]
        F_GETFL: Final[int]
        F_SETFL: Final[int]
        F_GETFD: Final[int]
        F_SETFD: Final[int]
        FD_CLOEXEC: Final[int]
        O_NONBLOCK: Final[int]
        EAGAIN: Final[int]
        EWOULDBLOCK: Final[int]
        EINPROGRESS: Final[int]
        ECONNRESET: Final[int]
        EPIPE: Final[int]
        ENETRESET: Final[int]
        EBADF: Final[int]

    # cdefs/shim.h
    NS_INVALID_SOCKET: Final[int]
    NS_CHECK: Final[int]
    NS_CHECK_OPT: Final[int]
    NS_HANDLE_MAX: Final[int]
    NS_SUN_PATH_LENGTH: Final[int]
    NS_HAS_ACCEPT4: Final[int]
    NS_WINDOWS: Final[int]
    NS_HAS_AUTOBIND: Final[int]
    NS_HAS_SO_REUSEPORT: Final[int]
    NS_HAS_SO_NOSIGPIPE: Final[int]
    NS_HAS_AI_V4MAPPED: Final[int]
    NS_HAS_SA_LEN: Final[int]
    NS_HAS_ABSTRACT_UNIX: Final[int]
    NS_HAS_MMSG: Final[int]  # cdefs/batch.h

    # system calls
    def bind(self, fd: int, addr: CData, addrlen: int, /) -> int: ...
    def listen(self, fd: int, backlog: int, /) -> int: ...
    def shutdown(self, fd: int, how: int, /) -> int: ...
    def getpeername(self, fd: int, addr: CData, addrlen: CData, /) -> int: ...
    def connect(self, fd: int, addr: CData, addrlen: int, /) -> int: ...
    def send(self, fd: int, buf: CData | bytes, n: int, flags: int, /) -> int: ...
    def recv(self, fd: int, buf: CData, n: int, flags: int, /) -> int: ...
    def sendto(
        self, fd: int, buf: CData | bytes, n: int, flags: int, addr: CData, addrlen: int, /
    ) -> int: ...
    def recvfrom(
        self, fd: int, buf: CData, n: int, flags: int, addr: CData, addrlen: CData, /
    ) -> int: ...
    def getaddrinfo(
        self, node: bytes | CData, service: bytes | CData, hints: CData, res: AddrinfoPP, /
    ) -> int: ...
    def freeaddrinfo(self, res: Addrinfo, /) -> None: ...
    def gai_strerror(self, code: int, /) -> CharP: ...
    def getservbyname(self, name: bytes | CData, proto: bytes | CData, /) -> Servent: ...
    def getservbyport(self, port: int, proto: bytes | CData, /) -> Servent: ...
    def getprotobyname(self, name: bytes | CData, /) -> Protoent: ...
    def gethostbyname(self, name: bytes | CData, /) -> Hostent: ...
    def gethostbyaddr(self, addr: CData, length: int, family: int, /) -> Hostent: ...
    def gethostname(self, name: CData, length: int, /) -> int: ...
    def inet_pton(self, family: int, src: bytes | CData, dst: CData, /) -> int: ...
    def inet_ntop(self, family: int, src: CData, dst: CData, size: int, /) -> CharP: ...
    def ntohl(self, x: int, /) -> int: ...
    def ntohs(self, x: int, /) -> int: ...
    def htonl(self, x: int, /) -> int: ...
    def htons(self, x: int, /) -> int: ...
    def hstrerror(self, code: int, /) -> CharP: ...
    if sys.platform == "win32":
        def ioctlsocket(self, s: int, cmd: int, argp: CData, /) -> int: ...
        def WSAGetLastError(self) -> int: ...
    else:
        def accept(self, fd: int, addr: CData, addrlen: CData, /) -> int: ...
        def close(self, fd: int, /) -> int: ...
        def inet_ntoa(self, addr: InAddr, /) -> CharP: ...
        NS_FCNTL_NOT_INT: Final[int]
        def ns_fcntl(self, fd: int, cmd: int, arg: int, /) -> int: ...

    # cdefs/shim.h helpers (csrc/posix.c, csrc/winsock.c, csrc/common.c)
    def ns_socket(self, domain: int, type: int, protocol: int, inheritable: int, /) -> int: ...
    def ns_startup(self) -> int: ...
    def ns_close(self, s: int, /) -> int: ...
    def ns_set_inheritable(self, s: int, inheritable: int, /) -> int: ...
    def ns_set_blocking(self, s: int, blocking: int, /) -> int: ...
    def ns_accept(
        self, s: int, inheritable: int, peer: NsName | CData, raw: CData, rawlen: CData, /
    ) -> int: ...
    def ns_getname(self, s: int, peer: int, out: NsName, /) -> int: ...
    def ns_format(self, sa: CData, length: int, strip_mapped: int, out: NsName, /) -> int: ...
    def ns_sockport(self, s: int, /) -> int: ...
    def ns_sockfamily(self, s: int, /) -> int: ...
    def ns_getsockopt_int(self, s: int, level: int, optname: int, low: int, /) -> int: ...
    def ns_setsockopt_int(
        self, s: int, level: int, optname: int, value: int, low: int, /
    ) -> int: ...
    def ns_poll(
        self, handles: HandleArray, n: int, for_write: int, timeout_ms: int, low: int, /
    ) -> int: ...
    def ns_poll1(self, s: int, for_write: int, timeout_ms: int, low: int, /) -> int: ...
    def ns_getaddrinfo(
        self,
        host: bytes | CData,
        port: int,
        family: int,
        socktype: int,
        protocol: int,
        flags: int,
        /,
    ) -> Addrinfo: ...
    def ns_gai_error(self) -> int: ...
    def ns_freeaddrinfo(self, ai: Addrinfo, /) -> None: ...
    def ns_getaddrinfo_emulated(
        self, host: bytes, port: int, family: int, socktype: int, protocol: int, flags: int, /
    ) -> Addrinfo: ...
    def ns_free_addrinfo_copy(self, ai: Addrinfo, /) -> None: ...
    def ns_sockaddr_init(self, sa: CData, family: int, length: int, /) -> None: ...
    def ns_blocking(self, s: int, /) -> int: ...
    def ns_nonblocking(self, s: int, /) -> int: ...
    def ns_recvfrom(
        self, s: int, buf: CData, length: int, flags: int, sa: CData, low: int, /
    ) -> int: ...
    def ns_send(self, s: int, buf: CData | bytes, length: int, flags: int, low: int, /) -> int: ...
    def ns_recv(self, s: int, buf: CData, length: int, flags: int, low: int, /) -> int: ...
    def ns_sendto(
        self,
        s: int,
        buf: CData | bytes,
        length: int,
        flags: int,
        to: CData,
        tolen: int,
        low: int,
        /,
    ) -> int: ...

    # cdefs/netdb.h (csrc/netdb.c)
    def ns_getservbyname(
        self, name: bytes, proto: bytes, buf: CharArray, buflen: int, ent: NsEnt, /
    ) -> int: ...
    def ns_getservbyport(
        self, port: int, proto: bytes, buf: CharArray, buflen: int, ent: NsEnt, /
    ) -> int: ...
    def ns_getprotobyname(self, name: bytes, buf: CharArray, buflen: int, ent: NsEnt, /) -> int: ...
    def ns_gethostbyname(self, name: bytes, buf: CharArray, buflen: int, ent: NsEnt, /) -> int: ...
    def ns_gethostbyaddr(
        self, addr: CData, length: int, family: int, buf: CharArray, buflen: int, ent: NsEnt, /
    ) -> int: ...

    # cdefs/batch.h (csrc/posix.c, csrc/winsock.c)
    def ns_send_many(
        self,
        s: int,
        bufs: CData,
        lens: CData,
        size: int,
        n: int,
        to: CData,
        tolen: int,
        addrs: CData,
        addrlens: CData,
        flags: int,
        /,
    ) -> int: ...
    def ns_recv_many(
        self,
        s: int,
        bufs: CData,
        lens: CData,
        size: int,
        n: int,
        got: CData,
        addrs: CData,
        addrlens: CData,
        flags: int,
        msgflags: CData,
        /,
    ) -> int: ...
    def ns_send_many_loop(
        self,
        s: int,
        bufs: CData,
        lens: CData,
        size: int,
        n: int,
        to: CData,
        tolen: int,
        addrs: CData,
        addrlens: CData,
        flags: int,
        /,
    ) -> int: ...
    def ns_recv_many_loop(
        self,
        s: int,
        bufs: CData,
        lens: CData,
        size: int,
        n: int,
        got: CData,
        addrs: CData,
        addrlens: CData,
        flags: int,
        msgflags: CData,
        /,
    ) -> int: ...

ffi: FFI
lib: Lib
