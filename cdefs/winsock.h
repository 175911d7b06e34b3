/* Winsock 2: the declarations nativesockets uses, in cffi's cdef dialect.
 * Read by build_ffi.py on Windows (or with NATIVESOCKETS_PLATFORM=winsock for a cross-build);
 * the helpers named ns_* (cdefs/shim.h) and the few names marked "csrc/winsock.c" are
 * defined there. Everything else is the real Winsock API, and tools/windows/declcheck.py
 * proves each declaration against the mingw-w64 headers for x86-64 and i686: functions
 * by exact pointer type (WSAAPI is __stdcall on i686), the numbers given here by value
 * and sign, the fully declared structs by size, alignment and field offsets.
 *
 * Numbers written out are those the seed (Nim's Windows docs) states; the rest come from
 * the headers ("..."). Layouts that differ between 32 and 64 bits (servent) or hide a
 * union (in_addr, in6_addr, sockaddr_in6) end in "...;" so the compiler supplies them. */

typedef int socklen_t;              /* exactly int: Python passes socklen_t * where Winsock says int * */
typedef int... SOCKET;              /* UINT_PTR */
typedef int... u_short;
typedef int... u_long;              /* 32 bits on Windows */
typedef int... ADDRESS_FAMILY;      /* USHORT */
typedef int... ns_handle;           /* SocketHandle: a SOCKET's value, signed (intptr_t) */

struct in_addr { u_long s_addr; ...; };                 /* s_addr is S_un.S_addr */
struct in6_addr { unsigned char s6_addr[16]; ...; };    /* s6_addr is u.Byte */

struct sockaddr { u_short sa_family; char sa_data[14]; };
struct sockaddr_in {
    short sin_family;
    u_short sin_port;
    struct in_addr sin_addr;
    char sin_zero[8];
};
struct sockaddr_in6 {
    short sin6_family;
    u_short sin6_port;
    u_long sin6_flowinfo;
    struct in6_addr sin6_addr;
    u_long sin6_scope_id;           /* in a union with sin6_scope_struct */
    ...;
};
struct sockaddr_un { ADDRESS_FAMILY sun_family; char sun_path[...]; ...; };   /* afunix.h */
struct sockaddr_storage { short ss_family; ...; };

/* ai_canonname comes before ai_addr on Windows, ai_addrlen is a size_t */
struct addrinfo {
    int ai_flags;
    int ai_family;
    int ai_socktype;
    int ai_protocol;
    size_t ai_addrlen;
    char *ai_canonname;
    struct sockaddr *ai_addr;
    struct addrinfo *ai_next;
};
/* s_proto and s_port swap places between 32 and 64 bits */
struct servent { char *s_name; char **s_aliases; short s_port; char *s_proto; ...; };
struct hostent {
    char *h_name;
    char **h_aliases;
    short h_addrtype;
    short h_length;
    char **h_addr_list;
};
struct protoent { char *p_name; char **p_aliases; short p_proto; };

/* Domain, SockType, Protocol: the seed's numbers */
#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 23
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
#define IPPROTO_IP ...
#define IPPROTO_IPV6 ...
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_RAW ...
#define IPPROTO_ICMP ...
#define IPPROTO_ICMPV6 ...

/* socket options, message flags, resolver flags */
#define SOL_SOCKET ...
#define SOMAXCONN ...
#define SO_ERROR ...
#define SO_ACCEPTCONN ...
#define SO_BROADCAST ...
#define SO_DEBUG ...
#define SO_DONTROUTE ...
#define SO_KEEPALIVE ...
#define SO_OOBINLINE ...
#define SO_REUSEADDR ...
#define SO_REUSEPORT ...            /* csrc/winsock.c: SO_REUSEADDR, as Nim's winlean */
#define SO_RCVBUF ...
#define SO_SNDBUF ...
#define SO_TYPE ...
#define TCP_NODELAY ...
#define IPV6_V6ONLY ...
#define MSG_PEEK 2
#define AI_V4MAPPED ...
#define AI_PASSIVE ...
#define AI_CANONNAME ...
#define AI_NUMERICHOST ...
#define EAI_SYSTEM ...              /* csrc/winsock.c: a code getaddrinfo never returns */
#define INADDR_ANY ...
#define INADDR_LOOPBACK ...
#define INET6_ADDRSTRLEN ...

/* ioctlsocket's request encoding, as the seed gives it: Nim's int32 values, so
 * csrc/winsock.c casts the headers' unsigned IOC_IN and FIONBIO to long */
#define IOCPARM_MASK 127
#define IOC_IN -2147483648
#define FIONBIO -2147195266

/* the error codes Nim's module exports on Windows (osLastError() gives these) */
#define WSAEWOULDBLOCK ...
#define WSAECONNRESET ...
#define WSAECONNABORTED ...
#define WSAENETRESET ...
#define WSANOTINITIALISED ...
#define WSAENOTSOCK ...
#define WSAEINPROGRESS ...
#define WSAEINTR ...
#define WSAEDISCON ...
#define ERROR_NETNAME_DELETED ...
/* csrc/winsock.c: WSAEINTR, the code osLastError() gives for an interrupted call, so the
 * package's retry test (PEP 475) reads the same on every platform (Winsock 2 never gives it) */
#define EINTR ...

/* system calls exported as they are (WSAAPI: __stdcall on i686, ignored on x86-64) */
int __stdcall bind(SOCKET, const struct sockaddr *, int);
int __stdcall listen(SOCKET, int);
int __stdcall getpeername(SOCKET, struct sockaddr *, int *);
int __stdcall connect(SOCKET, const struct sockaddr *, int);
int __stdcall send(SOCKET, const char *, int, int);
int __stdcall recv(SOCKET, char *, int, int);
int __stdcall sendto(SOCKET, const char *, int, int, const struct sockaddr *, int);
int __stdcall recvfrom(SOCKET, char *, int, int, struct sockaddr *, int *);
int __stdcall ioctlsocket(SOCKET, long, u_long *);
int __stdcall getaddrinfo(const char *, const char *, const struct addrinfo *, struct addrinfo **);
void __stdcall freeaddrinfo(struct addrinfo *);
char *gai_strerror(int);            /* gai_strerrorA, not WSAAPI */
struct servent *__stdcall getservbyname(const char *, const char *);
struct servent *__stdcall getservbyport(int, const char *);
struct protoent *__stdcall getprotobyname(const char *);
struct hostent *__stdcall gethostbyname(const char *);
struct hostent *__stdcall gethostbyaddr(const char *, int, int);
int __stdcall gethostname(char *, int);
int __stdcall inet_pton(int, const char *, void *);
const char *__stdcall inet_ntop(int, const void *, char *, size_t);
u_long __stdcall ntohl(u_long);
u_short __stdcall ntohs(u_short);
u_long __stdcall htonl(u_long);
u_short __stdcall htons(u_short);
int __stdcall WSAGetLastError(void);

/* csrc/winsock.c: Windows has no hstrerror; this one gives FormatMessage's text */
const char *hstrerror(int);
