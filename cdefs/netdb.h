/* The service, protocol and host databases (nativesockets/netdb.py). Defined in csrc/netdb.c,
 * which build_ffi.py appends to csrc/posix.c or csrc/winsock.c. Read on every platform.
 *
 * Each helper makes the whole lookup in C and copies the entry it found into buf (buflen
 * bytes, owned by the caller) as NUL-terminated strings, before it returns: the name, for a
 * service its protocol, then ent->aliases aliases and, for a host, ent->addrs addresses as
 * text (inet_ntop). Nothing of the C library's storage is read after it returns, and no lock
 * is held between calls:
 *   - glibc: getservbyname_r, getservbyport_r, getprotobyname_r, gethostbyname_r and
 *     gethostbyaddr_r, with their scratch space in the second half of buf, side by side
 *     (a pthread rwlock taken shared);
 *   - musl: the same, but getprotobyname (musl has no getprotobyname_r), one at a time;
 *   - other POSIX systems (macOS, the BSDs...): the classic calls, one at a time (the rwlock
 *     taken exclusive, as a mutex);
 *   - POSIX: pthread_atfork takes the rwlock exclusive around fork(), so a child never
 *     inherits a lookup half done (nor a lock the C library took for it), and releases it
 *     in the parent and the child;
 *   - Windows: Winsock's calls, whose results are per thread: no lock.
 *
 * Returns the number of bytes written to buf (> 0) when found; 0 when not found (for a host,
 * ent->error is then the lookup's own h_errno, WSAGetLastError() on Windows, taken in the
 * same call: never read later from a global); -1 when buf is too small for the entry (the
 * caller retries with a larger one); -2 for a host entry of an address family other than
 * AF_INET/AF_INET6 (ent->family and ent->length tell which). */

struct ns_ent {
    int number;     /* a service's port in host order; a protocol's number */
    int family;     /* a host's h_addrtype */
    int length;     /* a host's h_length */
    int aliases;    /* how many aliases follow the name (and a service's protocol) */
    int addrs;      /* how many addresses follow a host's aliases */
    int error;      /* a failed host lookup's h_errno (Windows: its WSA error) */
};

int ns_getservbyname(const char *name, const char *proto, char *buf, size_t buflen,
                     struct ns_ent *ent);
int ns_getservbyport(int port, const char *proto, char *buf, size_t buflen,
                     struct ns_ent *ent);   /* port in host order */
int ns_getprotobyname(const char *name, char *buf, size_t buflen, struct ns_ent *ent);
int ns_gethostbyname(const char *name, char *buf, size_t buflen, struct ns_ent *ent);
int ns_gethostbyaddr(const void *addr, int len, int family, char *buf, size_t buflen,
                     struct ns_ent *ent);
