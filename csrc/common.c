/* nativesockets: the C both platforms share. build_ffi.py compiles it after csrc/posix.c or
 * csrc/winsock.c, which give it ns_handle, struct ns_name, ns_set_blocking,
 * NS_THREAD_LOCAL and ns_set_error (errno on POSIX, WSASetLastError on Windows). */

/* ns_set_blocking(s, 1) and (s, 0) with one argument, which cffi passes faster. */
static int ns_blocking(ns_handle s)
{
    return ns_set_blocking(s, 1);
}

static int ns_nonblocking(ns_handle s)
{
    return ns_set_blocking(s, 0);
}

/* An IPv4, IPv6 or Unix address as text and port; Unix: the path's bytes (an abstract
 * name's too, from its leading NUL), in out->len bytes. */
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
            if (a->sun_path[0] != '\0')        /* a path: stop at its NUL */
                n = strnlen(a->sun_path, n);   /* else an abstract name */
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

/* getaddrinfo with Nim's hints (AI_V4MAPPED for AF_INET6) and the caller's flags, no
 * service for SOCK_RAW, else the port in decimal (written here: snprintf costs more than
 * the numeric lookup). host may be NULL (with AI_PASSIVE: the wildcard address). */
static struct addrinfo *ns_getaddrinfo(const char *host, int port, int family, int socktype,
                                       int protocol, int flags)
{
    struct addrinfo hints, *res = NULL;
    char service[8], *digit = service + sizeof(service) - 1;
    unsigned int rest = (unsigned int)port;
    int code;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    hints.ai_protocol = protocol;
    hints.ai_flags = flags | (family == AF_INET6 ? AI_V4MAPPED : 0);
    *digit = '\0';
    do {
        *--digit = (char)('0' + rest % 10);
        rest /= 10;
    } while (rest && digit > service);
    code = getaddrinfo(host, socktype == SOCK_RAW ? NULL : digit, &hints, &res);
    if (code != 0) {
        ns_gai_code = code;
        return NULL;
    }
    return res;
}

static int ns_gai_error(void)
{
    return ns_gai_code;
}
