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
 *                        arguments) the classic call under ns_netdb_mutex, h_errno read
 *                        before the mutex is released (a process-wide global on macOS and
 *                        OpenBSD, so only the lookup's own value)
 *   Windows              Winsock's calls: their results live in per-thread storage, and a
 *                        host lookup's error is this thread's WSAGetLastError(); no lock
 * -DNS_NETDB_FORCE_MUTEX builds the mutex path on any POSIX system (to test it on Linux). */

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

#if !defined(_WIN32) && !(NS_NETDB_R && NS_NETDB_PROTO_R)
/* The one lock, taken and released inside a helper, never across a return to Python.
 * pthread_atfork: fork() takes it first (prepare), so a child never inherits a lookup half
 * done in the C library's static storage; the parent releases it, and so does the child,
 * whose only thread (the one that forked) holds it: the child's lookups work. */
#include <pthread.h>

static pthread_mutex_t ns_netdb_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t ns_netdb_once = PTHREAD_ONCE_INIT;

static void ns_netdb_prepare(void)
{
    (void)pthread_mutex_lock(&ns_netdb_mutex);
}

static void ns_netdb_release(void)
{
    (void)pthread_mutex_unlock(&ns_netdb_mutex);
}

static void ns_netdb_atfork(void)
{
    (void)pthread_atfork(ns_netdb_prepare, ns_netdb_release, ns_netdb_release);
}

static void ns_netdb_lock(void)
{
    (void)pthread_once(&ns_netdb_once, ns_netdb_atfork);
    (void)pthread_mutex_lock(&ns_netdb_mutex);
}
#define ns_netdb_unlock() ns_netdb_release()
#else
#define ns_netdb_lock() ((void)0)
#define ns_netdb_unlock() ((void)0)
#endif

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
    int r = getservbyname_r(name, proto, &se, buf + half, buflen - half, &s);
    if (r == ERANGE)
        return -1;
    return s != NULL ? ns_copy_servent(s, buf, half, ent) : 0;
#else
    const struct servent *s;
    int r;
    ns_netdb_lock();
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
    int r = getservbyport_r(net, proto, &se, buf + half, buflen - half, &s);
    if (r == ERANGE)
        return -1;
    return s != NULL ? ns_copy_servent(s, buf, half, ent) : 0;
#else
    const struct servent *s;
    int r;
    ns_netdb_lock();
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
    int r = getprotobyname_r(name, &pe, buf + half, buflen - half, &p);
    if (r == ERANGE)
        return -1;
    return p != NULL ? ns_copy_protoent(p, buf, half, ent) : 0;
#else
    const struct protoent *p;
    int r;
    ns_netdb_lock();
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
    int herr = 0;
    int r = gethostbyname_r(name, &he, buf + half, buflen - half, &h, &herr);
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
    ns_netdb_lock();
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
    int herr = 0;
    int r = gethostbyaddr_r(addr, (socklen_t)len, family, &he, buf + half, buflen - half, &h,
                            &herr);
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
    ns_netdb_lock();
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
