/* The small helpers that must be written in C, the same on every platform.
 * Defined in csrc/posix.c and csrc/winsock.c; ns_handle is the platform's
 * socket handle type (int on POSIX; on Windows a SOCKET's value as intptr_t, so that
 * INVALID_SOCKET is -1 there too, as in Nim and in CPython's socket module). */

#define NS_INVALID_SOCKET ...   /* osInvalidSocket */
#define NS_HANDLE_MAX ...       /* largest valid handle value */
#define NS_SUN_PATH_LENGTH ...  /* Sockaddr_un_path_length; 0 without AF_UNIX */
#define NS_HAS_ACCEPT4 ...      /* 1 where accept4/SOCK_CLOEXEC make CLOEXEC atomic */
#define NS_WINDOWS ...          /* 1 with Winsock (csrc/winsock.c), 0 on POSIX */
/* What the system has (feature tests in csrc/posix.c; csrc/winsock.c gives Windows' values).
 * nativesockets/constants.py exports a flag's names only where it is 1. */
#define NS_HAS_SO_REUSEPORT ... /* SO_REUSEPORT exists (not on illumos) */
#define NS_HAS_SO_NOSIGPIPE ... /* Apple: SO_NOSIGPIPE, set on every socket ns_socket and
                                   ns_accept make */
#define NS_HAS_AI_V4MAPPED ...  /* 0 where ns_getaddrinfo maps IPv4 answers itself
                                   (FreeBSD, NetBSD, OpenBSD) */
#define NS_HAS_SA_LEN ...       /* sockaddrs start with a length byte (macOS, the BSDs) */
#define NS_HAS_ABSTRACT_UNIX ...  /* Linux: a sun_path starting with NUL is an abstract name */
#define NS_HAS_AUTOBIND ...     /* 1 where binding an empty Unix path picks a unique name */

/* An address as text: filled by ns_format, ns_getname and ns_accept.
 * family is the native address family; port is in host order (0 for Unix);
 * text holds len bytes (no NUL added; a Unix path may hold NUL bytes). */
struct ns_name { int family; int port; int len; char text[...]; ...; };

int ns_startup(void);      /* at import: 0, or the error (WSAStartup's on Windows) */
ns_handle ns_socket(int domain, int type, int protocol, int inheritable);
int ns_close(ns_handle s);
int ns_set_inheritable(ns_handle s, int inheritable);
int ns_set_blocking(ns_handle s, int blocking);
/* The peer as accept itself gives it: as text into peer and/or as raw bytes into raw (a
 * struct sockaddr_storage), their length in *rawlen; either may be NULL. */
ns_handle ns_accept(ns_handle s, int inheritable, struct ns_name *peer, struct sockaddr *raw,
                    int *rawlen);
int ns_getname(ns_handle s, int peer, struct ns_name *out);
int ns_format(const struct sockaddr *sa, socklen_t len, int strip_mapped, struct ns_name *out);
int ns_sockport(ns_handle s);
int ns_sockfamily(ns_handle s);
/* The hot procs' helpers (csrc/common.c) check the handle first: NS_CHECK (for
 * ns_getsockopt_int NS_CHECK_OPT, below INT_MIN) for one below `low`, before any system call. */
#define NS_CHECK ...
#define NS_CHECK_OPT ...
/* The option's value, or below INT_MIN on failure (NS_CHECK_OPT, or one less with errno). */
long long ns_getsockopt_int(ns_handle s, int level, int optname, ns_handle low);
int ns_setsockopt_int(ns_handle s, int level, int optname, int value, ns_handle low);
/* -2, before any system call: a handle below low (Python passes 2, then 0: see posix.c) */
int ns_poll(ns_handle *handles, int n, int for_write, int timeout_ms, ns_handle low);
/* ns_poll for one handle, with no array: 1 ready, 0 not, -1 failure; NS_CHECK for a handle
 * below low or a timeout below -1, before any system call. */
int ns_poll1(ns_handle s, int for_write, int timeout_ms, ns_handle low);
/* getaddrinfo(3) with the hints as numbers and flags, AI_V4MAPPED for AF_INET6, and the service the
 * decimal port (0..65535; NULL for SOCK_RAW). Returns the list, or NULL with the EAI_* code
 * in ns_gai_error() (per thread; with EAI_SYSTEM the system's error is the call's errno). */
struct addrinfo *ns_getaddrinfo(const char *host, int port, int family, int socktype,
                                int protocol, int flags);   /* host NULL: no host */
int ns_gai_error(void);
/* Frees a list ns_getaddrinfo returned (freeaddrinfo, or this library's copy). */
void ns_freeaddrinfo(struct addrinfo *ai);
/* ns_getaddrinfo with AI_V4MAPPED done by this library, as where NS_HAS_AI_V4MAPPED is 0
 * (AF_INET6: the IPv6 answers, else the IPv4 ones mapped); always a copy, on every platform
 * so that the tests run it. Free it with ns_free_addrinfo_copy. */
struct addrinfo *ns_getaddrinfo_emulated(const char *host, int port, int family, int socktype,
                                         int protocol, int flags);
void ns_free_addrinfo_copy(struct addrinfo *ai);
/* Starts a zeroed socket address: its family and, where NS_HAS_SA_LEN, its length byte. */
void ns_sockaddr_init(struct sockaddr *sa, int family, int len);
/* recvfrom(2) that returns the sender's length with the count: count | addrlen << 32, or -1.
 * sa is NULL or points to a struct sockaddr_storage; addrlen is at most its size; len is
 * capped at INT_MAX (as Linux caps every read), so the count fits in 32 bits. */
long long ns_recvfrom(ns_handle s, void *buf, size_t len, int flags, struct sockaddr *sa,
                      ns_handle low);
/* ns_set_blocking(s, 1) and (s, 0) with low 2, in one argument, which cffi passes faster. */
int ns_blocking(ns_handle s);
int ns_nonblocking(ns_handle s);
/* send, recv and sendto (Winsock's lengths capped at INT_MAX). */
long long ns_send(ns_handle s, const void *buf, size_t len, int flags, ns_handle low);
long long ns_recv(ns_handle s, void *buf, size_t len, int flags, ns_handle low);
long long ns_sendto(ns_handle s, const void *buf, size_t len, int flags,
                    const struct sockaddr *to, int tolen, ns_handle low);
