/* nativesockets: the service, protocol and host databases (cdefs/netdb.h, nativesockets/netdb.py).
 * build_ffi.py appends this to csrc/posix.c or csrc/winsock.c, whose headers declare the
 * calls. Each helper makes the lookup and copies the entry into the caller's buffer in one C
 * call, so no lock is ever held while Python code runs (a signal handler, a fork in another
 * thread), and the result is the caller's own.
 *
 * Which call, where (feature tests, no configure step):
 *   glibc                every lookup through its _r call (getservbyname_r, getservbyport_r,
 *                        getprotobyname_r, gethostbyname_r, gethostbyaddr_r)
 *   musl                 the same _r calls, with glibc's signatures; musl has no
 *                        getprotobyname_r: getprotobyname under the mutex
 *   other POSIX systems  (macOS, the BSDs, illumos: their _r calls are missing or take other
 *                        arguments) the classic call, one at a time under ns_netdb_rwlock
 *                        taken exclusive, h_errno read before it is released (a process-wide
 *                        global on macOS and OpenBSD: only this lookup's own value)
 *   Windows              Winsock's calls: their results live in per-thread storage, and a
 *                        host lookup's error is this thread's WSAGetLastError(); no lock
 * On POSIX every call runs under ns_netdb_rwlock (shared for an _r call), which fork() takes
 * exclusive: see below. -DNS_NETDB_FORCE_MUTEX builds the classic calls, exclusive, on any
 * POSIX system (to test that path on Linux). */

struct ns_ent {
    int number;
    int family;
    int length;
    int aliases;
    int addrs;
    int error;
};

#if defined(_WIN32)
#define NS_NETDB_R 0
#define NS_NETDB_PROTO_R 0
#elif defined(NS_NETDB_FORCE_MUTEX)
#define NS_NETDB_R 0
#define NS_NETDB_PROTO_R 0
#elif defined(__GLIBC__)
#define NS_NETDB_R 1
#define NS_NETDB_PROTO_R 1
#elif defined(__linux__) && !defined(__ANDROID__)   /* musl, which defines no macro of its own */
#define NS_NETDB_R 1
#define NS_NETDB_PROTO_R 0
#else
#define NS_NETDB_R 0
#define NS_NETDB_PROTO_R 0
#endif

#if !defined(_WIN32)
/* The one lock, taken and released inside a helper, never held while Python code runs.
 * A reentrant _r call takes it shared, so threads still look up side by side; a classic call
 * takes it exclusive, so one runs at a time and is copied out before the next. fork() takes
 * it exclusive (pthread_atfork's prepare), so no lookup of this package is inside the C
 * library while the process forks: a lookup's own locks in the C library (glibc's
 * gethostbyname_r holds the lock of its resolver configuration, which glibc's fork does not
 * reset) and its static storage are never inherited half used. Then the parent releases it,
 * and the child re-initialises it: its copy still counts the parent's threads that were
 * waiting for it, which the child does not have. A fork waits for the lookups already
 * running (a DNS query: at most the resolver's timeout). */
#include <pthread.h>

#ifdef PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP
/* glibc: a waiting fork goes before new lookups, however many threads keep starting them
 * (safe: no thread takes the lock twice) */
#define NS_RWLOCK_INITIALIZER PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP
#else
#define NS_RWLOCK_INITIALIZER PTHREAD_RWLOCK_INITIALIZER
#endif
static pthread_rwlock_t ns_netdb_rwlock = NS_RWLOCK_INITIALIZER;
static const pthread_rwlock_t ns_netdb_fresh = NS_RWLOCK_INITIALIZER;
static pthread_once_t ns_netdb_once = PTHREAD_ONCE_INIT;

static void ns_netdb_prepare(void)
{
    (void)pthread_rwlock_wrlock(&ns_netdb_rwlock);
}

static void ns_netdb_release(void)
{
    (void)pthread_rwlock_unlock(&ns_netdb_rwlock);
}

static void ns_netdb_child(void)
{
    memcpy(&ns_netdb_rwlock, &ns_netdb_fresh, sizeof(ns_netdb_rwlock));
}

static void ns_netdb_atfork(void)
{
    (void)pthread_atfork(ns_netdb_prepare, ns_netdb_release, ns_netdb_child);
}

static void ns_netdb_lock(int exclusive)
{
    (void)pthread_once(&ns_netdb_once, ns_netdb_atfork);
    if (exclusive)
        (void)pthread_rwlock_wrlock(&ns_netdb_rwlock);
    else
        (void)pthread_rwlock_rdlock(&ns_netdb_rwlock);
}
#define ns_netdb_unlock() ns_netdb_release()
#else
#define ns_netdb_lock(exclusive) ((void)0)
#define ns_netdb_unlock() ((void)0)
#endif
#define NS_SHARED 0         /* a reentrant call */
#define NS_EXCLUSIVE 1      /* a call that returns static storage */

/* ---- the copy: NUL-terminated strings written into the caller's buffer ---------------- */

struct ns_out {
    char *start, *p, *end;
    int full;
};

static void ns_out_init(struct ns_out *o, char *buf, size_t len)
{
    if (len > INT_MAX)          /* the count returned is an int */
        len = INT_MAX;
    o->start = o->p = buf;
    o->end = buf + len;
    o->full = 0;
}

static void ns_put(struct ns_out *o, const char *s)
{
    size_t n;
    if (s == NULL)
        s = "";
    n = strlen(s) + 1;
    if (o->full || n > (size_t)(o->end - o->p)) {
        o->full = 1;
        return;
    }
    memcpy(o->p, s, n);
    o->p += n;
}

static int ns_put_list(struct ns_out *o, char **list)
{
    int n = 0;
    while (list != NULL && list[n] != NULL && n < INT_MAX)
        ns_put(o, list[n++]);
    return n;
}

/* Bytes written, or -1 if the buffer was too small. */
static int ns_out_done(const struct ns_out *o)
{
    return o->full ? -1 : (int)(o->p - o->start);
}

static int ns_copy_servent(const struct servent *s, char *buf, size_t len, struct ns_ent *ent)
{
    struct ns_out o;
    ns_out_init(&o, buf, len);
    ent->number = ntohs((unsigned short)s->s_port);    /* a short on Windows: no sign */
    ns_put(&o, s->s_name);
    ns_put(&o, s->s_proto);
    ent->aliases = ns_put_list(&o, s->s_aliases);
    return ns_out_done(&o);
}

static int ns_copy_protoent(const struct protoent *p, char *buf, size_t len, struct ns_ent *ent)
{
    struct ns_out o;
    ns_out_init(&o, buf, len);
    ent->number = p->p_proto;
    ns_put(&o, p->p_name);
    ent->aliases = ns_put_list(&o, p->p_aliases);
    return ns_out_done(&o);
}

static int ns_copy_hostent(const struct hostent *h, char *buf, size_t len, struct ns_ent *ent)
{
    struct ns_out o;
    char text[INET6_ADDRSTRLEN];
    int n = 0;
    ent->family = h->h_addrtype;
    ent->length = h->h_length;
    ent->aliases = ent->addrs = 0;
    if (!((h->h_addrtype == AF_INET && h->h_length == 4)
          || (h->h_addrtype == AF_INET6 && h->h_length == 16)))
        return -2;
    ns_out_init(&o, buf, len);
    ns_put(&o, h->h_name);
    ent->aliases = ns_put_list(&o, h->h_aliases);
    while (h->h_addr_list != NULL && h->h_addr_list[n] != NULL && n < INT_MAX) {
        if (inet_ntop(h->h_addrtype, h->h_addr_list[n], text, sizeof(text)) == NULL)
            return -2;
        ns_put(&o, text);
        n++;
    }
    ent->addrs = n;
    return ns_out_done(&o);
}

#if NS_NETDB_R || NS_NETDB_PROTO_R
/* The _r calls keep their strings in scratch space: the second half of the caller's buffer
 * (aligned for the pointer arrays they put there); the copy goes into the first half. */
static size_t ns_half(size_t buflen)
{
    return (buflen / 2) & ~(size_t)15;
}
#endif

/* ---- the lookups --------------------------------------------------------------------- */

static int ns_getservbyname(const char *name, const char *proto, char *buf, size_t buflen,
                            struct ns_ent *ent)
{
#if NS_NETDB_R
    struct servent se, *s = NULL;
    size_t half = ns_half(buflen);
    int r;
    ns_netdb_lock(NS_SHARED);
    r = getservbyname_r(name, proto, &se, buf + half, buflen - half, &s);
    ns_netdb_unlock();
    if (r == ERANGE)
        return -1;
    return s != NULL ? ns_copy_servent(s, buf, half, ent) : 0;
#else
    const struct servent *s;
    int r;
    ns_netdb_lock(NS_EXCLUSIVE);
    s = getservbyname(name, proto);
    r = s != NULL ? ns_copy_servent(s, buf, buflen, ent) : 0;
    ns_netdb_unlock();
    return r;
#endif
}

static int ns_getservbyport(int port, const char *proto, char *buf, size_t buflen,
                            struct ns_ent *ent)
{
    int net = htons((unsigned short)port);
#if NS_NETDB_R
    struct servent se, *s = NULL;
    size_t half = ns_half(buflen);
    int r;
    ns_netdb_lock(NS_SHARED);
    r = getservbyport_r(net, proto, &se, buf + half, buflen - half, &s);
    ns_netdb_unlock();
    if (r == ERANGE)
        return -1;
    return s != NULL ? ns_copy_servent(s, buf, half, ent) : 0;
#else
    const struct servent *s;
    int r;
    ns_netdb_lock(NS_EXCLUSIVE);
    s = getservbyport(net, proto);
    r = s != NULL ? ns_copy_servent(s, buf, buflen, ent) : 0;
    ns_netdb_unlock();
    return r;
#endif
}

static int ns_getprotobyname(const char *name, char *buf, size_t buflen, struct ns_ent *ent)
{
#if NS_NETDB_PROTO_R
    struct protoent pe, *p = NULL;
    size_t half = ns_half(buflen);
    int r;
    ns_netdb_lock(NS_SHARED);
    r = getprotobyname_r(name, &pe, buf + half, buflen - half, &p);
    ns_netdb_unlock();
    if (r == ERANGE)
        return -1;
    return p != NULL ? ns_copy_protoent(p, buf, half, ent) : 0;
#else
    const struct protoent *p;
    int r;
    ns_netdb_lock(NS_EXCLUSIVE);
    p = getprotobyname(name);
    r = p != NULL ? ns_copy_protoent(p, buf, buflen, ent) : 0;
    ns_netdb_unlock();
    return r;
#endif
}

/* The host lookups: the error of a failed one is its own, taken in this call. */
#if defined(_WIN32)
#define NS_HOST_ERROR() WSAGetLastError()
#else
#define NS_HOST_ERROR() h_errno
#endif

static int ns_gethostbyname(const char *name, char *buf, size_t buflen, struct ns_ent *ent)
{
#if NS_NETDB_R
    struct hostent he, *h = NULL;
    size_t half = ns_half(buflen);
    int herr = 0, r;
    ns_netdb_lock(NS_SHARED);
    r = gethostbyname_r(name, &he, buf + half, buflen - half, &h, &herr);
    ns_netdb_unlock();
    if (r == ERANGE)
        return -1;
    if (h == NULL) {
        ent->error = herr;
        return 0;
    }
    return ns_copy_hostent(h, buf, half, ent);
#else
    const struct hostent *h;
    int r;
    ns_netdb_lock(NS_EXCLUSIVE);
    h = gethostbyname(name);
    if (h != NULL) {
        r = ns_copy_hostent(h, buf, buflen, ent);
    } else {
        ent->error = NS_HOST_ERROR();
        r = 0;
    }
    ns_netdb_unlock();
    return r;
#endif
}

static int ns_gethostbyaddr(const void *addr, int len, int family, char *buf, size_t buflen,
                            struct ns_ent *ent)
{
#if NS_NETDB_R
    struct hostent he, *h = NULL;
    size_t half = ns_half(buflen);
    int herr = 0, r;
    ns_netdb_lock(NS_SHARED);
    r = gethostbyaddr_r(addr, (socklen_t)len, family, &he, buf + half, buflen - half, &h, &herr);
    ns_netdb_unlock();
    if (r == ERANGE)
        return -1;
    if (h == NULL) {
        ent->error = herr;
        return 0;
    }
    return ns_copy_hostent(h, buf, half, ent);
#else
    const struct hostent *h;
    int r;
    ns_netdb_lock(NS_EXCLUSIVE);
    h = gethostbyaddr((const char *)addr, len, family);  /* Winsock: const char * */
    if (h != NULL) {
        r = ns_copy_hostent(h, buf, buflen, ent);
    } else {
        ent->error = NS_HOST_ERROR();
        r = 0;
    }
    ns_netdb_unlock();
    return r;
#endif
}
