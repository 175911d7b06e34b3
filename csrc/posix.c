/* nativesockets: the procs that need C on POSIX (Linux glibc and musl, macOS, the BSDs,
 * illumos; README, "Platforms", says which are compile-checked and which run).
 * Every function sets errno and returns -1 (or NS_INVALID_SOCKET) on failure,
 * so Python reads the error with ffi.errno, i.e. osLastError(). */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <fcntl.h>
#include <poll.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __sun
#include <sys/filio.h>          /* illumos: FIONBIO (<sys/ioctl.h> has it with BSD_COMP only) */
#endif

typedef int ns_handle;

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0          /* SDKs without it (older macOS): 0 as in Nim; SO_NOSIGPIPE */
#endif                          /* keeps SIGPIPE away there (ns_nosigpipe) */

/* ---- what the system has: feature tests, read by Python as NS_HAS_* (cdefs/shim.h) -----
 * A name some systems lack gets a flag; where the flag is 0 the name is a placeholder that
 * Python never exports (nativesockets/constants.py maps each flag to its names, as
 * cryptography's cffi bindings did). tools/crosscheck.py checks each flag's value on every
 * target it compiles for. */

/* SO_REUSEPORT: illumos has none. */
#ifdef SO_REUSEPORT
#define NS_HAS_SO_REUSEPORT 1
#else
#define NS_HAS_SO_REUSEPORT 0
#define SO_REUSEPORT (-1)
#endif

/* SO_NOSIGPIPE: Apple's way to keep a write to a closed peer from raising SIGPIPE (MSG_NOSIGNAL
 * is 0 there in Nim, and in SDKs that lack it). ns_socket and ns_accept set it; Nim exports
 * the name on macOS only, and so does this package. */
#if defined(__APPLE__) && defined(SO_NOSIGPIPE)
#define NS_HAS_SO_NOSIGPIPE 1
#else
#define NS_HAS_SO_NOSIGPIPE 0
#ifndef SO_NOSIGPIPE
#define SO_NOSIGPIPE (-1)
#endif
#endif

/* AI_V4MAPPED: NetBSD and OpenBSD have none (their getaddrinfo never maps); FreeBSD, Android
 * and Haiku define it without mapping (FreeBSD PR 198092; Nim's getAddrInfo leaves it out
 * on all five). There ns_getaddrinfo maps IPv4 answers itself (ns_lookup, csrc/common.c). */
#if defined(AI_V4MAPPED) && !defined(__FreeBSD__) && !defined(__ANDROID__) && !defined(__HAIKU__)
#define NS_HAS_AI_V4MAPPED 1
#else
#define NS_HAS_AI_V4MAPPED 0
#endif
#ifndef AI_V4MAPPED
#define AI_V4MAPPED 0
#endif
#ifndef AI_ALL                  /* OpenBSD has none either; exported where mapping is */
#define AI_ALL 0
#endif

/* A length byte first in every sockaddr (sa_len, sin_len, sin6_len, sun_len): 4.4BSD's
 * layout, on macOS and the BSDs. RFC 2553 (3.4) has such systems define SIN6_LEN. */
#ifdef SIN6_LEN
#define NS_HAS_SA_LEN 1
#else
#define NS_HAS_SA_LEN 0
#endif

/* Linux alone has an abstract namespace for Unix sockets (a sun_path starting with NUL): there
 * such a name is the whole sun_path; elsewhere, as in CPython and socket2, the path ends at its
 * first NUL, so an unnamed socket (macOS and the BSDs give a zeroed sun_path) gives "". */
#ifdef __linux__
#define NS_HAS_ABSTRACT_UNIX 1
#else
#define NS_HAS_ABSTRACT_UNIX 0
#endif

#define NS_INVALID_SOCKET (-1)
#define NS_HANDLE_MAX INT_MAX
/* The hot procs' helpers check the handle before any system call: NS_CHECK (NS_CHECK_OPT
   for ns_getsockopt_int) for one below `low` (cdefs/shim.h). */
#define NS_CHECK (-2)
#define NS_CHECK_OPT ((long long)INT_MIN - 2)
#define NS_IO_LEN(n) (n)         /* send(2)... take a size_t */
#define NS_SUN_PATH_LENGTH ((int)sizeof(((struct sockaddr_un *)0)->sun_path))
#if defined(SOCK_CLOEXEC) && !defined(__APPLE__)
#define NS_HAS_ACCEPT4 1
#else
#define NS_HAS_ACCEPT4 0
#endif
#define NS_WINDOWS 0
#ifdef __linux__
#define NS_HAS_AUTOBIND 1       /* unix(7): bind with addrlen sizeof(sa_family_t) */
#else
#define NS_HAS_AUTOBIND 0
#endif
/* for csrc/common.c */
#define NS_THREAD_LOCAL __thread
#define ns_set_error(code) (errno = (code))
#define NS_EAFNOSUPPORT EAFNOSUPPORT

struct ns_name {
    int family;
    int port;
    int len;
    char text[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
};

static int ns_startup(void)
{
    return 0;   /* nothing to start on POSIX */
}

static int ns_set_inheritable(ns_handle s, int inheritable)
{
    int flags = fcntl(s, F_GETFD);
    if (flags == -1)
        return -1;
    flags = inheritable ? (flags & ~FD_CLOEXEC) : (flags | FD_CLOEXEC);
    return fcntl(s, F_SETFD, flags);
}

/* Apple: a write to a closed peer fails with EPIPE instead of raising SIGPIPE, which kills
 * a process that does not ignore it (Python embedded in an application, or SIG_DFL restored).
 * Set on every socket ns_socket and ns_accept make, as Nim's net module and socket2 do;
 * elsewhere send(2) takes MSG_NOSIGNAL per call. */
static int ns_nosigpipe(ns_handle s)
{
#if NS_HAS_SO_NOSIGPIPE
    int on = 1;
    return setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof(on));
#else
    (void)s;
    return 0;
#endif
}

/* The new handle s made ready (CLOEXEC unless inheritable where that was not atomic, and
 * SO_NOSIGPIPE on Apple); on failure it is closed and -1 returned with errno kept. */
static ns_handle ns_ready(ns_handle s, int inheritable)
{
    if (s == -1)
        return -1;
    if ((!NS_HAS_ACCEPT4 && ns_set_inheritable(s, inheritable) == -1) ||
        ns_nosigpipe(s) == -1) {
        int saved = errno;
        close(s);
        errno = saved;
        return -1;
    }
    return s;
}

static ns_handle ns_socket(int domain, int type, int protocol, int inheritable)
{
#if NS_HAS_ACCEPT4
    type = inheritable ? (type & ~SOCK_CLOEXEC) : (type | SOCK_CLOEXEC);
#endif
    return ns_ready(socket(domain, type, protocol), inheritable);
}

static int ns_close(ns_handle s)
{
    /* POSIX leaves the descriptor state unspecified after EINTR; Linux and macOS always
       release it, so EINTR is success here (as in CPython). ECONNRESET (the peer reset the
       connection) is success too, as in CPython (bpo-30319): FreeBSD has then released the
       descriptor (it does on every error but EBADF), and an error would invite a retry
       that closes whatever handle reused the number. */
    if (close(s) == -1 && errno != EINTR && errno != ECONNRESET)
        return -1;
    return 0;
}

static int ns_set_blocking(ns_handle s, int blocking)
{
    int on = !blocking;
    return ioctl(s, FIONBIO, &on);
}

static int ns_format(const struct sockaddr *sa, socklen_t len, int strip_mapped,
                     struct ns_name *out);   /* csrc/common.c */

static int ns_getname(ns_handle s, int peer, struct ns_name *out)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    if ((peer ? getpeername(s, (struct sockaddr *)&ss, &len)
              : getsockname(s, (struct sockaddr *)&ss, &len)) == -1)
        return -1;
    return ns_format((struct sockaddr *)&ss, len, 0, out);
}

/* accept4(2) (accept(2) then fcntl(2) where accept4 is missing). The peer is the address
   the accept call itself returns: as text into `peer` when it is not NULL, and as raw bytes
   into `raw` (a struct sockaddr_storage) with their length in *rawlen when raw is not NULL. */
static ns_handle ns_accept(ns_handle s, int inheritable, struct ns_name *peer,
                           struct sockaddr *raw, int *rawlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int c;
    memset(&ss, 0, sizeof(ss));
#if NS_HAS_ACCEPT4
    c = ns_ready(accept4(s, (struct sockaddr *)&ss, &len, inheritable ? 0 : SOCK_CLOEXEC),
                 inheritable);
#else
    c = ns_ready(accept(s, (struct sockaddr *)&ss, &len), inheritable);
#endif
    if (c == -1)
        return -1;
    if (len > sizeof(ss))
        len = sizeof(ss);
    if (raw) {
        memcpy(raw, &ss, sizeof(ss));
        *rawlen = (int)len;
    }
    if (peer && ns_format((struct sockaddr *)&ss, len, 0, peer) == -1) {
        peer->len = 0;   /* an unknown family still gives a handle */
        peer->port = 0;
    }
    return c;
}

static int ns_sockport(ns_handle s)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(s, (struct sockaddr *)&ss, &len) == -1)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    errno = EAFNOSUPPORT;
    return -1;
}

/* The option's value, or a number below INT_MIN (errno set) on failure. */
static long long ns_getsockopt_int(ns_handle s, int level, int optname, ns_handle low)
{
    int value = 0;
    if (s < low)
        return NS_CHECK_OPT;
    socklen_t len = sizeof(value);
    if (getsockopt(s, level, optname, &value, &len) == -1)
        return (long long)INT_MIN - 1;
    return value;
}

static int ns_setsockopt_int(ns_handle s, int level, int optname, int value, ns_handle low)
{
    if (s < low)
        return NS_CHECK;
    return setsockopt(s, level, optname, &value, sizeof(value));
}

static int ns_sockfamily(ns_handle s)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    if (getsockname(s, (struct sockaddr *)&ss, &len) == -1)
        return -1;
    return ss.ss_family;
}

/* select()'s contract on poll(): any handle number works. Keeps the ready
   handles at the front of `handles` in their order and returns their count;
   a closed handle fails the call with EBADF, as select() does. Returns -2,
   before any system call, if a handle is below `low` (0 rejects negative
   handles; Python passes 2 first, so that a bool, which struct and cffi
   take as 0 or 1, is caught without a scan of the list on the common path). */
static int ns_poll(ns_handle *handles, int n, int for_write, int timeout_ms, ns_handle low)
{
    struct pollfd stack[1024], *fds = stack;   /* 8 KiB: no malloc up to FD_SETSIZE */
    short want = for_write ? POLLOUT : POLLIN;
    int i, r, ready = 0;
    if (n > 1024 && !(fds = malloc(sizeof(*fds) * (size_t)n))) {
        errno = ENOMEM;
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (handles[i] < low) {
            if (fds != stack)
                free(fds);
            return -2;
        }
        fds[i].fd = handles[i];
        fds[i].events = want;   /* poll sets revents */
    }
    r = poll(fds, (nfds_t)n, timeout_ms);
    if (r > 0) {
        for (i = 0; i < n; i++) {
            if (fds[i].revents & POLLNVAL) {
                errno = EBADF;
                r = -1;
                break;
            }
            if (fds[i].revents & (want | POLLHUP | POLLERR))
                handles[ready++] = handles[i];
        }
        if (r != -1)
            r = ready;
    }
    if (fds != stack)
        free(fds);
    return r;
}

/* fcntl(2) for the commands whose third argument is an int (or none): their result, or -1
   with errno set. Any other command (F_GETLK and the other lock commands take a pointer)
   gives NS_FCNTL_NOT_INT before any system call. */
#define NS_FCNTL_NOT_INT ((long long)INT_MIN - 1)
static long long ns_fcntl(int fd, int cmd, int arg)
{
    switch (cmd) {
    case F_GETFD: case F_SETFD: case F_GETFL: case F_SETFL: case F_DUPFD:
#ifdef F_DUPFD_CLOEXEC
    case F_DUPFD_CLOEXEC:
#endif
#if defined(F_GETOWN) && defined(F_SETOWN)
    case F_GETOWN: case F_SETOWN:
#endif
#if defined(F_GETSIG) && defined(F_SETSIG)
    case F_GETSIG: case F_SETSIG:
#endif
#if defined(F_GETPIPE_SZ) && defined(F_SETPIPE_SZ)
    case F_GETPIPE_SZ: case F_SETPIPE_SZ:
#endif
#if defined(F_GETLEASE) && defined(F_SETLEASE)
    case F_GETLEASE: case F_SETLEASE:
#endif
        return fcntl(fd, cmd, arg);
    default:
        return NS_FCNTL_NOT_INT;
    }
}

/* ---- sendMany / recvMany (cdefs/batch.h, nativesockets/batch.py) ---------------------
 * sendmmsg(2)/recvmmsg(2) where the system has them (Linux, FreeBSD, NetBSD), in chunks
 * of NS_MMSG_CHUNK messages built on the stack; elsewhere a loop over sendto/recvfrom.
 * Message i has lens[i] bytes, or `size` when lens is NULL. Both return the count done,
 * or -1 with errno set when none was. */
#if defined(MSG_WAITFORONE) && (defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__))
#define NS_HAS_MMSG 1
#else
#define NS_HAS_MMSG 0
#endif
#define NS_MMSG_CHUNK 64

static int ns_send_many_loop(ns_handle s, void **bufs, size_t *lens, size_t size, int n,
                             const struct sockaddr *to, socklen_t tolen,
                             struct sockaddr **addrs, socklen_t *addrlens, int flags)
{
    int i;
    for (i = 0; i < n; i++) {
        const struct sockaddr *sa = to ? to : addrs ? addrs[i] : NULL;
        socklen_t salen = to ? tolen : addrs ? addrlens[i] : 0;
        if (sendto(s, bufs[i], lens ? lens[i] : size, flags, sa, salen) == -1)
            return i ? i : -1;
    }
    return n;
}

/* The first recvmsg waits as the socket and flags say; the others add MSG_DONTWAIT, so
   the call returns with what is queued (EAGAIN ends the batch). */
static int ns_recv_many_loop(ns_handle s, void **bufs, size_t *lens, size_t size, int n,
                             size_t *got, struct sockaddr **addrs, socklen_t *addrlens,
                             int flags, int *msgflags)
{
    int i;
    for (i = 0; i < n; i++) {
        struct iovec iov;
        struct msghdr m;
        ssize_t r;
        memset(&m, 0, sizeof(m));
        iov.iov_base = bufs[i];
        iov.iov_len = lens ? lens[i] : size;
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        if (addrs) {
            m.msg_name = addrs[i];
            m.msg_namelen = sizeof(struct sockaddr_storage);
        }
        r = recvmsg(s, &m, i ? (flags | MSG_DONTWAIT) : flags);
        if (r == -1)
            return i ? i : -1;
        got[i] = (size_t)r;
        if (addrs)
            addrlens[i] = m.msg_namelen < sizeof(struct sockaddr_storage)
                              ? m.msg_namelen : sizeof(struct sockaddr_storage);
        if (msgflags)
            msgflags[i] = m.msg_flags;
    }
    return n;
}

#if NS_HAS_MMSG
/* The headers of datagrams done .. done + k - 1: each its own buffer, and its address: to
   for every one, else addrs[i] with addrlens[i] (the storage's size without addrlens). */
static void ns_fill_msgs(struct mmsghdr *msgs, struct iovec *iov, int done, int k, void **bufs,
                         size_t *lens, size_t size, const struct sockaddr *to, socklen_t tolen,
                         struct sockaddr **addrs, socklen_t *addrlens)
{
    int i;
    memset(msgs, 0, sizeof(msgs[0]) * (size_t)k);
    for (i = 0; i < k; i++) {
        iov[i].iov_base = bufs[done + i];
        iov[i].iov_len = lens ? lens[done + i] : size;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        if (to) {
            msgs[i].msg_hdr.msg_name = (void *)to;
            msgs[i].msg_hdr.msg_namelen = tolen;
        } else if (addrs) {
            msgs[i].msg_hdr.msg_name = addrs[done + i];
            msgs[i].msg_hdr.msg_namelen =
                addrlens ? addrlens[done + i] : (socklen_t)sizeof(struct sockaddr_storage);
        }
    }
}

static int ns_send_many(ns_handle s, void **bufs, size_t *lens, size_t size, int n,
                        const struct sockaddr *to, socklen_t tolen,
                        struct sockaddr **addrs, socklen_t *addrlens, int flags)
{
    struct mmsghdr msgs[NS_MMSG_CHUNK];
    struct iovec iov[NS_MMSG_CHUNK];
    int done = 0;
    while (done < n) {
        int k = n - done < NS_MMSG_CHUNK ? n - done : NS_MMSG_CHUNK, r;
        ns_fill_msgs(msgs, iov, done, k, bufs, lens, size, to, tolen, addrs, addrlens);
        r = sendmmsg(s, msgs, (unsigned int)k, flags);
        if (r == -1)
            return done ? done : -1;
        done += r;
        if (r < k)
            break;
    }
    return done;
}

static int ns_recv_many(ns_handle s, void **bufs, size_t *lens, size_t size, int n,
                        size_t *got, struct sockaddr **addrs, socklen_t *addrlens, int flags,
                        int *msgflags)
{
    struct mmsghdr msgs[NS_MMSG_CHUNK];
    struct iovec iov[NS_MMSG_CHUNK];
    int done = 0;
    while (done < n) {
        int i, k = n - done < NS_MMSG_CHUNK ? n - done : NS_MMSG_CHUNK, r;
        ns_fill_msgs(msgs, iov, done, k, bufs, lens, size, NULL, 0, addrs, NULL);
        /* MSG_WAITFORONE: wait for the first datagram only; later chunks never wait. */
        r = recvmmsg(s, msgs, (unsigned int)k,
                     done ? (flags | MSG_DONTWAIT) : (flags | MSG_WAITFORONE), NULL);
        if (r == -1)
            return done ? done : -1;
        for (i = 0; i < r; i++) {
            socklen_t alen = msgs[i].msg_hdr.msg_namelen;
            got[done + i] = msgs[i].msg_len;
            if (msgflags)
                msgflags[done + i] = msgs[i].msg_hdr.msg_flags;
            if (addrs)
                addrlens[done + i] = alen < sizeof(struct sockaddr_storage)
                                         ? alen : sizeof(struct sockaddr_storage);
        }
        done += r;
        if (r < k)
            break;
    }
    return done;
}
#else
#define ns_send_many ns_send_many_loop
#define ns_recv_many ns_recv_many_loop
#endif

/* ---- the hot paths' scalar helpers (cdefs/shim.h; measured by benchmarks/run.py) -----
 * Scalars in and out: cheaper through cffi than arrays and out-parameters. */

static int ns_poll1(ns_handle s, int for_write, int timeout_ms, ns_handle low)
{
    struct pollfd p;
    int r;
    if (s < low || timeout_ms < -1)
        return NS_CHECK;
    p.fd = s;
    p.events = for_write ? POLLOUT : POLLIN;
    p.revents = 0;
    r = poll(&p, 1, timeout_ms);
    if (r <= 0)
        return r;
    if (p.revents & POLLNVAL) {
        errno = EBADF;   /* a closed handle fails, as select() does */
        return -1;
    }
    return (p.revents & (p.events | POLLHUP | POLLERR)) ? 1 : 0;
}

static long long ns_recvfrom(ns_handle s, void *buf, size_t len, int flags, struct sockaddr *sa,
                             ns_handle low)
{
    socklen_t alen = sizeof(struct sockaddr_storage);
    ssize_t r;
    if (s < low)
        return NS_CHECK;
    r = recvfrom(s, buf, len > INT_MAX ? INT_MAX : len, flags, sa, sa ? &alen : NULL);
    if (r < 0)
        return -1;
    if (alen > sizeof(struct sockaddr_storage))
        alen = sizeof(struct sockaddr_storage);
    return (long long)r | ((long long)alen << 32);
}

