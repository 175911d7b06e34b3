/* nativesockets: the C both platforms share. build_ffi.py compiles it after csrc/posix.c or
 * csrc/winsock.c, which give it ns_handle, struct ns_name, ns_set_blocking,
 * NS_THREAD_LOCAL and ns_set_error (errno on POSIX, WSASetLastError on Windows). */

/* Start the socket address at sa (zeroed by the caller): its family and, where sockaddrs
 * carry one (NS_HAS_SA_LEN), its length byte, so that it equals, byte for byte, the address
 * the kernel returns (as CPython and socket2 build them). len is the address's length. */
static void ns_sockaddr_init(struct sockaddr *sa, int family, int len)
{
#if NS_HAS_SA_LEN
    sa->sa_len = (unsigned char)(len > 255 ? 255 : len);
#else
    (void)len;
#endif
    sa->sa_family = family;
}

/* ---- the hot procs, one C call each (nativesockets/sockets.py; benchmarks/run.py) ------
 * Each checks the handle before any system call and returns NS_CHECK for one below `low`.
 * Python passes 2: a negative handle, and 0 or 1, which Python may have been given as a
 * bool, go to its slow path, which checks every argument and calls again with 0. So the
 * common call checks its handle here, at the cost of a C comparison, not in Python. */

/* ns_set_blocking(s, 1) and (s, 0), with low 2: cffi passes one argument several times
 * faster than two (it packs two or more in a tuple). The slow path calls ns_set_blocking. */
static int ns_blocking(ns_handle s)
{
    return s < 2 ? NS_CHECK : ns_set_blocking(s, 1);
}

static int ns_nonblocking(ns_handle s)
{
    return s < 2 ? NS_CHECK : ns_set_blocking(s, 0);
}

/* send(2), recv(2) and sendto(2) (Winsock: lengths capped at INT_MAX, its int). */
static long long ns_send(ns_handle s, const void *buf, size_t len, int flags, ns_handle low)
{
    if (s < low)
        return NS_CHECK;
    return send(s, (const char *)buf, NS_IO_LEN(len), flags);
}

static long long ns_recv(ns_handle s, void *buf, size_t len, int flags, ns_handle low)
{
    if (s < low)
        return NS_CHECK;
    return recv(s, (char *)buf, NS_IO_LEN(len), flags);
}

static long long ns_sendto(ns_handle s, const void *buf, size_t len, int flags,
                           const struct sockaddr *to, int tolen, ns_handle low)
{
    if (s < low)
        return NS_CHECK;
    return sendto(s, (const char *)buf, NS_IO_LEN(len), flags, to, tolen);
}

/* An IPv4, IPv6 or Unix address as text and port; Unix: the path's bytes, in out->len bytes
 * (on Linux an abstract name's too, from its leading NUL: NS_HAS_ABSTRACT_UNIX). */
static int ns_format(const struct sockaddr *sa, socklen_t len, int strip_mapped,
                     struct ns_name *out)
{
    out->family = sa->sa_family;
    out->port = 0;
    out->len = 0;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        if (!inet_ntop(AF_INET, &a->sin_addr, out->text, sizeof(out->text)))
            return -1;
        out->port = ntohs(a->sin_port);
    } else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        if (!inet_ntop(AF_INET6, &a->sin6_addr, out->text, sizeof(out->text)))
            return -1;
        if (strip_mapped && IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
            memmove(out->text, out->text + 7, strlen(out->text + 7) + 1);
        out->port = ntohs(a->sin6_port);
    } else if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *a = (const struct sockaddr_un *)sa;
        size_t off = offsetof(struct sockaddr_un, sun_path), n = 0;
        if (len > (socklen_t)off) {
            n = (size_t)len - off;
            if (n > sizeof(a->sun_path))
                n = sizeof(a->sun_path);
#if NS_HAS_ABSTRACT_UNIX
            if (a->sun_path[0] != '\0')        /* a path: stop at its NUL */
#endif
                n = strnlen(a->sun_path, n);   /* else (Linux) an abstract name */
        }
        memcpy(out->text, a->sun_path, n);
        out->len = (int)n;
        return 0;
    } else {
        ns_set_error(NS_EAFNOSUPPORT);
        return -1;
    }
    out->len = (int)strlen(out->text);
    return 0;
}

static NS_THREAD_LOCAL int ns_gai_code;

/* A node of a list this library made (ns_lookup with emulate): the node and its address in one
 * block. ns_free_addrinfo_copy frees such lists; the system's freeaddrinfo must never see one. */
struct ns_ai_copy {
    struct addrinfo ai;
    struct sockaddr_storage addr;
};

static void ns_free_addrinfo_copy(struct addrinfo *ai)
{
    while (ai) {
        struct addrinfo *next = ai->ai_next;
        free(ai->ai_canonname);
        free(ai);
        ai = next;
    }
}

/* A copy of the system's list src in this library's memory, each IPv4 address as the
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) when map4 is set. NULL if out of memory. */
static struct addrinfo *ns_copy_addrinfo(const struct addrinfo *src, int map4)
{
    struct addrinfo *head = NULL, **tail = &head;
    for (; src; src = src->ai_next) {
        struct ns_ai_copy *c = calloc(1, sizeof(*c));
        if (!c) {
            ns_free_addrinfo_copy(head);
            return NULL;
        }
        c->ai = *src;
        c->ai.ai_next = NULL;
        c->ai.ai_canonname = NULL;
        c->ai.ai_addr = (struct sockaddr *)&c->addr;
        if (map4 && src->ai_family == AF_INET &&
            (size_t)src->ai_addrlen >= sizeof(struct sockaddr_in)) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)src->ai_addr;
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&c->addr;
            ns_sockaddr_init((struct sockaddr *)in6, AF_INET6, (int)sizeof(*in6));
            in6->sin6_port = in->sin_port;
            in6->sin6_addr.s6_addr[10] = 0xff;
            in6->sin6_addr.s6_addr[11] = 0xff;
            memcpy(&in6->sin6_addr.s6_addr[12], &in->sin_addr, 4);
            c->ai.ai_family = AF_INET6;
            c->ai.ai_addrlen = sizeof(*in6);
        } else {
            if ((size_t)c->ai.ai_addrlen > sizeof(c->addr))
                c->ai.ai_addrlen = sizeof(c->addr);
            if (src->ai_addr)
                memcpy(&c->addr, src->ai_addr, (size_t)c->ai.ai_addrlen);
        }
        if (src->ai_canonname) {
            size_t n = strlen(src->ai_canonname) + 1;
            if (!(c->ai.ai_canonname = malloc(n))) {
                free(c);
                ns_free_addrinfo_copy(head);
                return NULL;
            }
            memcpy(c->ai.ai_canonname, src->ai_canonname, n);
        }
        *tail = &c->ai;
        tail = &c->ai.ai_next;
    }
    return head;
}

/* getaddrinfo with Nim's hints (AI_V4MAPPED for AF_INET6) and the caller's flags, no service
 * for SOCK_RAW, else the port in decimal (written here: snprintf costs more than the numeric
 * lookup). host may be NULL (with AI_PASSIVE: the wildcard address).
 *
 * emulate: AI_V4MAPPED done here, where the system does not map (the BSDs): for AF_INET6,
 * the IPv6 answers, or when that lookup fails the IPv4 answers mapped to IPv6, as glibc's
 * AI_V4MAPPED gives them (if both fail, the IPv6 lookup's code); the list is then a copy
 * (ns_copy_addrinfo), for every family. */
static struct addrinfo *ns_lookup(const char *host, int port, int family, int socktype,
                                  int protocol, int flags, int emulate)
{
    struct addrinfo hints, *res = NULL, *copy;
    char service[8], *digit = service + sizeof(service) - 1;
    const char *serv;
    unsigned int rest = (unsigned int)port;
    int code, map4 = 0;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    hints.ai_protocol = protocol;
    hints.ai_flags = emulate ? flags & ~(AI_V4MAPPED | AI_ALL)
                             : flags | (family == AF_INET6 ? AI_V4MAPPED : 0);
    *digit = '\0';
    do {
        *--digit = (char)('0' + rest % 10);
        rest /= 10;
    } while (rest && digit > service);
    serv = socktype == SOCK_RAW ? NULL : digit;
    code = getaddrinfo(host, serv, &hints, &res);
    if (code != 0 && emulate && family == AF_INET6) {   /* no IPv6 answer: IPv4 ones? */
        hints.ai_family = AF_INET;
        if (getaddrinfo(host, serv, &hints, &res) == 0)
            code = 0, map4 = 1;
    }
    if (code != 0) {
        ns_gai_code = code;
        return NULL;
    }
    if (!emulate)
        return res;
    copy = ns_copy_addrinfo(res, map4);
    freeaddrinfo(res);
    if (!copy)
        ns_gai_code = EAI_MEMORY;
    return copy;
}

static struct addrinfo *ns_getaddrinfo(const char *host, int port, int family, int socktype,
                                       int protocol, int flags)
{
    return ns_lookup(host, port, family, socktype, protocol, flags, !NS_HAS_AI_V4MAPPED);
}

/* Frees what ns_getaddrinfo returned: the system's list, or where AI_V4MAPPED is emulated
 * this library's copy. */
static void ns_freeaddrinfo(struct addrinfo *ai)
{
#if NS_HAS_AI_V4MAPPED
    freeaddrinfo(ai);
#else
    ns_free_addrinfo_copy(ai);
#endif
}

/* The emulation on every platform, so that the tests run it where the system maps itself;
 * its lists are freed with ns_free_addrinfo_copy. */
static struct addrinfo *ns_getaddrinfo_emulated(const char *host, int port, int family,
                                                int socktype, int protocol, int flags)
{
    return ns_lookup(host, port, family, socktype, protocol, flags, 1);
}

static int ns_gai_error(void)
{
    return ns_gai_code;
}
