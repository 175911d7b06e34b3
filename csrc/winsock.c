/* nativesockets: the procs that need C on Windows (Winsock 2, ws2_32.dll).
 * Every function returns -1 (or NS_INVALID_SOCKET) on failure and leaves the error in
 * WSAGetLastError(); cffi saves it after each call and osLastError() reads it back.
 * build_ffi.py compiles this with WIN32_LEAN_AND_MEAN and _WINSOCK_DEPRECATED_NO_WARNINGS
 * and links ws2_32. tools/windows/declcheck.py compiles it too, with every declaration of
 * the Windows cdefs (cdefs/winsock.h, shim.h, batch.h) checked against it. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <afunix.h>
#include <mswsock.h>             /* MSG_TRUNC */
#include <windows.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A SOCKET's value, signed: INVALID_SOCKET is -1, as Nim's winlean and CPython's socket
   module give it (fileno(), socket(fileno=...)); no valid SOCKET is above INTPTR_MAX. */
typedef intptr_t ns_handle;

#define NS_WINDOWS 1
#define NS_HAS_AUTOBIND 0        /* an empty AF_UNIX path: no autobind on Windows */
#define NS_INVALID_SOCKET ((ns_handle)-1)
#define NS_HANDLE_MAX INTPTR_MAX
/* The hot procs' helpers check the handle before any system call: NS_CHECK (NS_CHECK_OPT
   for ns_getsockopt_int) for one below `low` (cdefs/shim.h). */
#define NS_CHECK (-2)
#define NS_CHECK_OPT ((long long)INT_MIN - 2)
#define NS_IO_LEN(n) ((n) > INT_MAX ? INT_MAX : (int)(n))   /* send... take an int */
#define NS_SUN_PATH_LENGTH ((int)sizeof(((struct sockaddr_un *)0)->sun_path))
#define NS_HAS_ACCEPT4 0
/* The feature flags csrc/posix.c tests for (cdefs/shim.h), with their Windows values. */
#define NS_HAS_SO_REUSEPORT 1       /* as SO_REUSEADDR, below */
#define NS_HAS_SO_NOSIGPIPE 0       /* Apple's */
#define NS_HAS_AI_V4MAPPED 1        /* ws2def.h; getaddrinfo maps */
#define NS_HAS_SA_LEN 0             /* no length byte in Winsock's sockaddrs */
#define NS_HAS_ABSTRACT_UNIX 0      /* a Unix path ends at its NUL, as in CPython */

/* Names the package reads on every platform, with their Windows meaning. */
#define SO_REUSEPORT SO_REUSEADDR   /* no SO_REUSEPORT on Windows: Nim's winlean maps it so */
#define SHUT_RD SD_RECEIVE          /* shutdown's POSIX names, as CPython's socket module */
#define SHUT_WR SD_SEND
#define SHUT_RDWR SD_BOTH
#define EAI_SYSTEM (-11)            /* getaddrinfo returns 0 or a WSA code, never this */
#undef EINTR                        /* the code of an interrupted call, as osLastError() */
#define EINTR WSAEINTR              /* gives it (Winsock 2 never reports one) */

/* The seed gives IOC_IN and FIONBIO as Nim's int32 values, -2147483648 and -2147195266;
   the headers spell them unsigned (0x80000000, 0x8004667E), which cffi would read as
   positive. ioctlsocket takes a long, so the same bits as a signed long are the same
   request: keep the headers' values, give them a signed type. */
enum { ns_ioc_in = (int)IOC_IN, ns_fionbio = (int)FIONBIO };
#undef IOC_IN
#undef FIONBIO
#define IOC_IN ((long)ns_ioc_in)
#define FIONBIO ((long)ns_fionbio)

#ifdef _MSC_VER
#define NS_THREAD_LOCAL __declspec(thread)
#else
#define NS_THREAD_LOCAL __thread
#endif
/* for csrc/common.c; its ns_getaddrinfo's codes are WSA codes here (EAI_NONAME is
   WSAHOST_NOT_FOUND...), never EAI_SYSTEM */
#define ns_set_error(code) WSASetLastError(code)
#define NS_EAFNOSUPPORT WSAEAFNOSUPPORT

struct ns_name {
    int family;
    int port;
    int len;
    char text[sizeof(((struct sockaddr_un *)0)->sun_path) + INET6_ADDRSTRLEN];
};

/* WSAStartup, once per import: 0 or the error that keeps Winsock from working. */
static int ns_startup(void)
{
    WSADATA data;
    return WSAStartup(MAKEWORD(2, 2), &data);
}

static int ns_set_inheritable(ns_handle s, int inheritable)
{
    if (!SetHandleInformation((HANDLE)(SOCKET)s, HANDLE_FLAG_INHERIT,
                              inheritable ? HANDLE_FLAG_INHERIT : 0))
        return -1;
    return 0;
}

/* WSASocketW with WSA_FLAG_NO_HANDLE_INHERIT, so no child sees the handle even for a
   moment; where Windows lacks the flag (7 before SP1: WSAEINVAL), as CPython does, set
   the handle flag after. WSA_FLAG_OVERLAPPED makes the socket what socket() makes. */
static ns_handle ns_socket(int domain, int type, int protocol, int inheritable)
{
    DWORD flags = WSA_FLAG_OVERLAPPED | (inheritable ? 0 : WSA_FLAG_NO_HANDLE_INHERIT);
    SOCKET s = WSASocketW(domain, type, protocol, NULL, 0, flags);
    if (s == INVALID_SOCKET && !inheritable && WSAGetLastError() == WSAEINVAL) {
        s = WSASocketW(domain, type, protocol, NULL, 0, WSA_FLAG_OVERLAPPED);
        if (s != INVALID_SOCKET && ns_set_inheritable((ns_handle)s, 0) == -1) {
            int saved = WSAGetLastError();
            closesocket(s);
            WSASetLastError(saved);
            return NS_INVALID_SOCKET;
        }
    }
    return s == INVALID_SOCKET ? NS_INVALID_SOCKET : (ns_handle)s;
}

static int ns_close(ns_handle s)
{
    /* WSAECONNRESET (the peer reset the connection) is success, as in CPython (bpo-30319):
       the handle is gone, and an error would invite a retry on a reused one. */
    if (closesocket(s) == SOCKET_ERROR && WSAGetLastError() != WSAECONNRESET)
        return -1;
    return 0;
}

static int ns_set_blocking(ns_handle s, int blocking)
{
    u_long on = !blocking;
    return ioctlsocket(s, FIONBIO, &on) == SOCKET_ERROR ? -1 : 0;
}

static int ns_format(const struct sockaddr *sa, socklen_t len, int strip_mapped,
                     struct ns_name *out);   /* csrc/common.c */

static int ns_sockfamily(ns_handle s);

/* getsockname, where a socket not bound yet has the unspecified address of its family and
   port 0, as on POSIX (Windows fails with WSAEINVAL). */
static int ns_getsockname(ns_handle s, struct sockaddr_storage *ss, int *len)
{
    int error, family;
    memset(ss, 0, sizeof(*ss));
    if (getsockname(s, (struct sockaddr *)ss, len) != SOCKET_ERROR)
        return 0;
    error = WSAGetLastError();
    if (error != WSAEINVAL || (family = ns_sockfamily(s)) == -1) {
        WSASetLastError(error);
        return -1;
    }
    memset(ss, 0, sizeof(*ss));
    ss->ss_family = (short)family;
    if (family == AF_INET)
        *len = sizeof(struct sockaddr_in);
    else if (family == AF_INET6)
        *len = sizeof(struct sockaddr_in6);
    else
        *len = (int)offsetof(struct sockaddr_un, sun_path);   /* AF_UNIX: no path */
    return 0;
}

static int ns_getname(ns_handle s, int peer, struct ns_name *out)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    if (peer ? getpeername(s, (struct sockaddr *)&ss, &len) == SOCKET_ERROR
             : ns_getsockname(s, &ss, &len) == -1)
        return -1;
    return ns_format((struct sockaddr *)&ss, len, 0, out);
}

/* accept, then the handle flag: an accepted socket inherits the listener's flags. The peer
   is the address accept itself returns: as text into `peer` when it is not NULL, and as raw
   bytes into `raw` (a struct sockaddr_storage) with their length in *rawlen when raw is not
   NULL. */
static ns_handle ns_accept(ns_handle s, int inheritable, struct ns_name *peer,
                           struct sockaddr *raw, int *rawlen)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    SOCKET c;
    memset(&ss, 0, sizeof(ss));
    c = accept(s, (struct sockaddr *)&ss, &len);
    if (c == INVALID_SOCKET)
        return NS_INVALID_SOCKET;
    if (ns_set_inheritable((ns_handle)c, inheritable) == -1) {
        int saved = WSAGetLastError();
        closesocket(c);
        WSASetLastError(saved);
        return NS_INVALID_SOCKET;
    }
    if (len < 0 || len > (int)sizeof(ss))
        len = sizeof(ss);
    if (raw) {
        memcpy(raw, &ss, sizeof(ss));
        *rawlen = len;
    }
    if (peer && ns_format((struct sockaddr *)&ss, len, 0, peer) == -1) {
        peer->len = 0;   /* an unknown family still gives a handle */
        peer->port = 0;
    }
    return (ns_handle)c;
}

static int ns_sockport(ns_handle s)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (ns_getsockname(s, &ss, &len) == -1)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    WSASetLastError(WSAEAFNOSUPPORT);
    return -1;
}

/* The option's value, or a number below INT_MIN (error set) on failure. Some options are
   a one-byte BOOLEAN on some Windows versions: the rest of value stays 0. */
static long long ns_getsockopt_int(ns_handle s, int level, int optname, ns_handle low)
{
    int value = 0;
    int len = sizeof(value);
    if (s < low)
        return NS_CHECK_OPT;
    if (getsockopt(s, level, optname, (char *)&value, &len) == SOCKET_ERROR)
        return (long long)INT_MIN - 1;
    return value;
}

static int ns_setsockopt_int(ns_handle s, int level, int optname, int value, ns_handle low)
{
    if (s < low)
        return NS_CHECK;
    if (setsockopt(s, level, optname, (const char *)&value, sizeof(value)) == SOCKET_ERROR)
        return -1;
    return 0;
}

/* The family the socket was made with. getsockname would fail on a socket not yet bound
   (WSAEINVAL), where POSIX gives the family: the protocol info always has it. */
static int ns_sockfamily(ns_handle s)
{
    WSAPROTOCOL_INFOW info;
    int len = sizeof(info);
    if (getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&info, &len) == SOCKET_ERROR)
        return -1;
    return info.iAddressFamily;
}

static int ns_in_set(const fd_set *set, SOCKET s)
{
    u_int i;
    for (i = 0; i < set->fd_count; i++)
        if (set->fd_array[i] == s)
            return 1;
    return 0;
}

/* select() over sets sized to the list (Windows' fd_set is a count and an array, so no
   64-handle limit). Keeps the ready handles at the front of `handles` in their order and
   returns their count. For writing, an error (a failed connect) also counts as ready, as
   poll() reports it on POSIX: Windows puts it in the exception set. An empty list sleeps
   for the timeout, as poll() does (select() refuses it). Returns -2, before any system
   call, if a handle is below `low` (see csrc/posix.c). */
static int ns_poll(ns_handle *handles, int n, int for_write, int timeout_ms, ns_handle low)
{
    struct timeval tv, *ptv = NULL;
    size_t size;
    fd_set *set, *errors = NULL;
    int i, r, ready = 0;
    if (timeout_ms >= 0) {
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
        ptv = &tv;
    }
    for (i = 0; i < n; i++)
        if (handles[i] < low)
            return -2;
    if (n <= 0) {
        Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
        return 0;
    }
    size = offsetof(fd_set, fd_array) + sizeof(SOCKET) * (size_t)n;
    if (!(set = malloc(size)) || (for_write && !(errors = malloc(size)))) {
        free(set);
        WSASetLastError(WSA_NOT_ENOUGH_MEMORY);
        return -1;
    }
    set->fd_count = (u_int)n;
    for (i = 0; i < n; i++)
        set->fd_array[i] = (SOCKET)handles[i];
    if (errors)
        memcpy(errors, set, size);
    r = select(0, for_write ? NULL : set, for_write ? set : NULL, errors, ptv);
    if (r > 0) {
        for (i = 0; i < n; i++)
            if (ns_in_set(set, (SOCKET)handles[i]) ||
                (errors && ns_in_set(errors, (SOCKET)handles[i])))
                handles[ready++] = handles[i];
        r = ready;
    }
    free(set);
    free(errors);
    return r == SOCKET_ERROR ? -1 : r;
}

/* ns_poll for one handle, with no array: 1 ready, 0 not, -1 failure, -2 a negative handle. */
static int ns_poll1(ns_handle s, int for_write, int timeout_ms, ns_handle low)
{
    struct timeval tv, *ptv = NULL;
    fd_set set, errors;
    int r;
    if (s < low || timeout_ms < -1)
        return NS_CHECK;
    if (timeout_ms >= 0) {
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
        ptv = &tv;
    }
    set.fd_count = errors.fd_count = 1;
    set.fd_array[0] = errors.fd_array[0] = (SOCKET)s;
    r = select(0, for_write ? NULL : &set, for_write ? &set : NULL,
               for_write ? &errors : NULL, ptv);
    if (r == SOCKET_ERROR)
        return -1;
    return r > 0 ? 1 : 0;
}

/* recvfrom that returns the sender's length with the count: count | addrlen << 32, or -1.
   sa is NULL or points to a struct sockaddr_storage; len is capped at INT_MAX (recvfrom
   takes an int). A datagram longer than the buffer fails with WSAEMSGSIZE, as Winsock
   says (the buffer then holds its start). */
static long long ns_recvfrom(ns_handle s, void *buf, size_t len, int flags, struct sockaddr *sa,
                             ns_handle low)
{
    int alen = sizeof(struct sockaddr_storage);
    int r;
    if (s < low)
        return NS_CHECK;
    r = recvfrom(s, (char *)buf, len > INT_MAX ? INT_MAX : (int)len, flags, sa,
                     sa ? &alen : NULL);
    if (r == SOCKET_ERROR)
        return -1;
    if (alen > (int)sizeof(struct sockaddr_storage))
        alen = sizeof(struct sockaddr_storage);
    return (long long)r | ((long long)alen << 32);
}

/* Windows has no hstrerror: the system's text for a WSA code, without its line end. */
static const char *hstrerror(int code)
{
    static NS_THREAD_LOCAL char text[256];
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                             (DWORD)code, 0, text, sizeof(text), NULL);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        n--;
    if (n == 0)
        snprintf(text, sizeof(text), "Windows error %d", code);
    else
        text[n] = '\0';
    return text;
}

/* ---- sendMany / recvMany (cdefs/batch.h, nativesockets/batch.py) ---------------------
 * Windows has no sendmmsg/recvmmsg: both are a loop over sendto/recvfrom. Message i has
 * lens[i] bytes, or `size` when lens is NULL. They return the count done, or -1 with the
 * error in WSAGetLastError when none was. */
#define NS_HAS_MMSG 0

static int ns_send_many_loop(ns_handle s, void **bufs, size_t *lens, size_t size, int n,
                             const struct sockaddr *to, socklen_t tolen,
                             struct sockaddr **addrs, socklen_t *addrlens, int flags)
{
    int i;
    for (i = 0; i < n; i++) {
        const struct sockaddr *sa = to ? to : addrs ? addrs[i] : NULL;
        int salen = to ? tolen : addrs ? addrlens[i] : 0;
        size_t len = lens ? lens[i] : size;
        if (len > INT_MAX) {
            WSASetLastError(WSAEMSGSIZE);
            return i ? i : -1;
        }
        if (sendto(s, (const char *)bufs[i], (int)len, flags, sa, salen) == SOCKET_ERROR)
            return i ? i : -1;
    }
    return n;
}

/* Whether a datagram is queued now (select with no wait): Windows has no MSG_DONTWAIT. */
static int ns_queued(ns_handle s)
{
    struct timeval zero = {0, 0};
    fd_set set;
    set.fd_count = 1;
    set.fd_array[0] = (SOCKET)s;
    return select(0, &set, NULL, NULL, &zero) == 1;
}

/* The first recvfrom waits as the socket and flags say; the others run only while a
   datagram is queued, so the call returns with what has arrived. A datagram longer than
   its buffer fills it and counts (Windows reports WSAEMSGSIZE; POSIX truncates). */
static int ns_recv_many_loop(ns_handle s, void **bufs, size_t *lens, size_t size, int n,
                             size_t *got, struct sockaddr **addrs, socklen_t *addrlens,
                             int flags, int *msgflags)
{
    int i;
    for (i = 0; i < n; i++) {
        size_t len = lens ? lens[i] : size;
        int alen = sizeof(struct sockaddr_storage), r, cut = 0;
        int cap = len > INT_MAX ? INT_MAX : (int)len;
        if (i && !ns_queued(s))
            return i;
        r = recvfrom(s, (char *)bufs[i], cap, flags, addrs ? addrs[i] : NULL,
                     addrs ? &alen : NULL);
        if (r == SOCKET_ERROR && WSAGetLastError() == WSAEMSGSIZE) {
            r = cap;
            cut = 1;
        }
        if (r == SOCKET_ERROR)
            return i ? i : -1;
        got[i] = (size_t)r;
        if (addrs)
            addrlens[i] = alen;
        if (msgflags)
            msgflags[i] = cut ? MSG_TRUNC : 0;
    }
    return n;
}

#define ns_send_many ns_send_many_loop
#define ns_recv_many ns_recv_many_loop
