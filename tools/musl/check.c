/* The POSIX C shim run on a second libc: csrc/posix.c, common.c and netdb.c, the very files the
 * extension compiles, linked statically with musl (Debian's musl-gcc) and run by
 * tools/musl/run.sh in a network namespace of its own (unshare -n, loopback only).
 *
 * No musl Python is available here, so this program calls the shim's helpers as the Python
 * layer does and checks what they return. Each check prints "ok - name" or "not ok - name:
 * why"; the last line is "N passed, M failed"; the exit status is 0 only if none failed. */
#ifdef __GLIBC__
#error "tools/musl/check.c is built with musl-gcc, not against glibc"
#endif

#include "../../csrc/posix.c"
#include "../../csrc/common.c"
#include "../../csrc/netdb.c"

#include <arpa/inet.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int passed, failed;

static void result(int ok, const char *name, const char *why, ...)
{
    va_list ap;
    if (ok) {
        passed++;
        printf("ok - %s\n", name);
        return;
    }
    failed++;
    printf("not ok - %s: ", name);
    va_start(ap, why);
    vprintf(why, ap);
    va_end(ap);
    printf(" (errno %d: %s)\n", errno, strerror(errno));
}

static int cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    return flags != -1 && (flags & FD_CLOEXEC);
}

/* A listening TCP socket on 127.0.0.1, its address in *addr. */
static int tcp_listener(struct sockaddr_in *addr)
{
    socklen_t len = sizeof(*addr);
    int s = ns_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0);
    memset(addr, 0, sizeof(*addr));
    ns_sockaddr_init((struct sockaddr *)addr, AF_INET, (int)sizeof(*addr));
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s == -1 || bind(s, (struct sockaddr *)addr, sizeof(*addr)) == -1 || listen(s, 4) == -1 ||
        getsockname(s, (struct sockaddr *)addr, &len) == -1)
        return -1;
    return s;
}

/* accept4(2) with SOCK_CLOEXEC, socket(2) with SOCK_CLOEXEC, and their inheritable forms. */
static void check_accept4(void)
{
    struct sockaddr_in addr;
    struct ns_name peer;
    int s = tcp_listener(&addr), c1, c2, a1, a2;
    result(NS_HAS_ACCEPT4 == 1, "musl has accept4 and SOCK_CLOEXEC (NS_HAS_ACCEPT4)", "0");
    result(s != -1 && cloexec(s), "ns_socket: FD_CLOEXEC unless inheritable", "listener");
    c1 = ns_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 1);
    result(c1 != -1 && !cloexec(c1), "ns_socket(inheritable): no FD_CLOEXEC", "c1=%d", c1);
    c2 = ns_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0);
    if (connect(c1, (struct sockaddr *)&addr, sizeof(addr)) == -1 ||
        connect(c2, (struct sockaddr *)&addr, sizeof(addr)) == -1) {
        result(0, "connect to the listener", "");
        return;
    }
    a1 = ns_accept(s, 0, &peer, NULL, NULL);
    result(a1 != -1 && cloexec(a1), "ns_accept: accept4 with SOCK_CLOEXEC", "a1=%d", a1);
    result(a1 != -1 && peer.family == AF_INET && peer.len == 9 &&
               memcmp(peer.text, "127.0.0.1", 9) == 0 && peer.port != 0,
           "ns_accept: the peer's text and port", "%.*s", peer.len, peer.text);
    a2 = ns_accept(s, 1, &peer, NULL, NULL);
    result(a2 != -1 && !cloexec(a2), "ns_accept(inheritable): no FD_CLOEXEC", "a2=%d", a2);
    result(ns_close(a1) == 0 && ns_close(a2) == 0 && ns_close(c1) == 0 && ns_close(c2) == 0 &&
               ns_close(s) == 0,
           "ns_close: 0", "");
    errno = 0;
    result(ns_close(s) == -1 && errno == EBADF, "ns_close of a closed handle: EBADF", "");
}

/* sendmmsg(2)/recvmmsg(2): a batch of datagrams each way, with the senders' addresses. */
static void check_mmsg(void)
{
    enum { N = 5 };
    char out[N][8], in[N][16];
    void *obufs[N], *ibufs[N];
    size_t got[N];
    struct sockaddr_storage from[N];
    struct sockaddr *froms[N];
    socklen_t fromlens[N];
    struct sockaddr_in to;
    socklen_t len = sizeof(to);
    struct ns_name name;
    int a = ns_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0);
    int b = ns_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0);
    int i, sent, recvd, ok = 1;
    result(NS_HAS_MMSG == 1, "musl has sendmmsg and recvmmsg (NS_HAS_MMSG)", "0");
    memset(&to, 0, sizeof(to));
    ns_sockaddr_init((struct sockaddr *)&to, AF_INET, (int)sizeof(to));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (a == -1 || b == -1 || bind(a, (struct sockaddr *)&to, sizeof(to)) == -1 ||
        bind(b, (struct sockaddr *)&to, sizeof(to)) == -1 ||
        getsockname(a, (struct sockaddr *)&to, &len) == -1) {
        result(0, "two UDP sockets on 127.0.0.1", "");
        return;
    }
    for (i = 0; i < N; i++) {
        snprintf(out[i], sizeof(out[i]), "dgram%d", i);
        obufs[i] = out[i];
        ibufs[i] = in[i];
        froms[i] = (struct sockaddr *)&from[i];
    }
    sent = ns_send_many(b, obufs, NULL, 6, N, (struct sockaddr *)&to, sizeof(to), NULL, NULL, 0);
    result(sent == N, "ns_send_many: sendmmsg sent the batch", "sent %d", sent);
    recvd = ns_recv_many(a, ibufs, NULL, sizeof(in[0]), N, got, froms, fromlens, 0, NULL);
    result(recvd == N, "ns_recv_many: recvmmsg received the batch", "received %d", recvd);
    for (i = 0; i < recvd; i++)
        ok &= got[i] == 6 && memcmp(in[i], out[i], 6) == 0 &&
              ns_format(froms[i], fromlens[i], 0, &name) == 0 && name.len == 9 &&
              memcmp(name.text, "127.0.0.1", 9) == 0;
    result(recvd == N && ok, "ns_recv_many: each datagram and its sender, in order", "");
    ns_close(a);
    ns_close(b);
}

/* getaddrinfo(3) with AI_V4MAPPED (ns_getaddrinfo), and the emulation of it that NetBSD and
 * OpenBSD use (ns_getaddrinfo_emulated): numeric hosts only, so no lookup leaves the files. */
static void check_v4mapped(void)
{
    struct ns_name name;
    struct addrinfo *ai;
    int emulated;
    result(NS_HAS_AI_V4MAPPED == 1, "musl has AI_V4MAPPED (NS_HAS_AI_V4MAPPED)", "0");
    for (emulated = 0; emulated <= 1; emulated++) {
        const char *how = emulated ? "ns_getaddrinfo_emulated" : "ns_getaddrinfo";
        char label[96];
        ai = emulated ? ns_getaddrinfo_emulated("127.0.0.1", 8080, AF_INET6, SOCK_STREAM, 0, 0)
                      : ns_getaddrinfo("127.0.0.1", 8080, AF_INET6, SOCK_STREAM, 0, 0);
        snprintf(label, sizeof(label), "%s(127.0.0.1, AF_INET6): ::ffff:127.0.0.1 port 8080", how);
        result(ai && ai->ai_family == AF_INET6 && !ai->ai_next &&
                   ns_format(ai->ai_addr, ai->ai_addrlen, 0, &name) == 0 &&
                   name.len == 16 && memcmp(name.text, "::ffff:127.0.0.1", 16) == 0 &&
                   name.port == 8080,
               label, "gai %d, %.*s", ns_gai_error(), ai ? name.len : 0, name.text);
        snprintf(label, sizeof(label), "%s: getAddrString strips the mapping", how);
        result(ai && ns_format(ai->ai_addr, ai->ai_addrlen, 1, &name) == 0 && name.len == 9 &&
                   memcmp(name.text, "127.0.0.1", 9) == 0,
               label, "");
        if (ai) {
            if (emulated)
                ns_free_addrinfo_copy(ai);
            else
                ns_freeaddrinfo(ai);
        }
        ai = emulated ? ns_getaddrinfo_emulated("::1", 1, AF_INET6, SOCK_DGRAM, 0, 0)
                      : ns_getaddrinfo("::1", 1, AF_INET6, SOCK_DGRAM, 0, 0);
        snprintf(label, sizeof(label), "%s(::1, AF_INET6): ::1 itself", how);
        result(ai && ai->ai_family == AF_INET6 &&
                   ns_format(ai->ai_addr, ai->ai_addrlen, 0, &name) == 0 && name.len == 3 &&
                   memcmp(name.text, "::1", 3) == 0,
               label, "gai %d", ns_gai_error());
        if (ai) {
            if (emulated)
                ns_free_addrinfo_copy(ai);
            else
                ns_freeaddrinfo(ai);
        }
        ai = emulated ? ns_getaddrinfo_emulated("not an address", 1, AF_INET6, SOCK_DGRAM, 0, 0)
                      : ns_getaddrinfo("999.1.1.1", 1, AF_INET, SOCK_DGRAM, 0, 0);
        snprintf(label, sizeof(label), "%s of no address: NULL and an EAI_* code", how);
        result(!ai && ns_gai_error() != 0, label, "");
    }
}

/* Unix sockets: an unnamed peer is "", a bound one its path; Linux's abstract names. */
static void check_unix(void)
{
    char dir[] = "/tmp/ns-musl-XXXXXX";
    struct sockaddr_un addr;
    struct ns_name peer, name;
    int s, c, a;
    socklen_t len;
    if (!mkdtemp(dir)) {
        result(0, "a temporary directory", "");
        return;
    }
    memset(&addr, 0, sizeof(addr));
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/s", dir);
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(addr.sun_path) + 1);
    ns_sockaddr_init((struct sockaddr *)&addr, AF_UNIX, (int)len);
    s = ns_socket(AF_UNIX, SOCK_STREAM, 0, 0);
    c = ns_socket(AF_UNIX, SOCK_STREAM, 0, 0);
    if (s == -1 || c == -1 || bind(s, (struct sockaddr *)&addr, len) == -1 ||
        listen(s, 1) == -1 || connect(c, (struct sockaddr *)&addr, len) == -1) {
        result(0, "a Unix socket pair", "");
        return;
    }
    a = ns_accept(s, 0, &peer, NULL, NULL);
    result(a != -1 && peer.family == AF_UNIX && peer.len == 0,
           "ns_accept: an unnamed Unix peer is \"\"", "len %d", peer.len);
    result(ns_getname(c, 0, &name) == 0 && name.len == 0,
           "ns_getname: an unnamed Unix socket's own name is \"\"", "len %d", name.len);
    result(ns_getname(c, 1, &name) == 0 && name.len == (int)strlen(addr.sun_path) &&
               memcmp(name.text, addr.sun_path, (size_t)name.len) == 0,
           "ns_getname: the peer's path", "%.*s", name.len, name.text);
    ns_close(a);
    ns_close(c);
    ns_close(s);
    unlink(addr.sun_path);
    rmdir(dir);

    /* Linux's abstract namespace: the name is every byte after sun_family, from its NUL. */
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, "\0ns-musl-abstract", 17);
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 17);
    s = ns_socket(AF_UNIX, SOCK_STREAM, 0, 0);
    result(s != -1 && bind(s, (struct sockaddr *)&addr, len) == 0 &&
               ns_getname(s, 0, &name) == 0 && name.len == 17 &&
               memcmp(name.text, "\0ns-musl-abstract", 17) == 0,
           "ns_getname: an abstract name, from its leading NUL (Linux)", "len %d", name.len);
    ns_close(s);
}

/* The service and protocol databases (getServByName, getProtoByName...) are being rewritten
 * as reentrant C helpers; their musl checks go here: musl's getprotobyname compares names
 * case-sensitively and has no aliases ("TCP" is not found), and reads no /etc/protocols. */
/* The databases through csrc/netdb.c: musl's getservbyname_r, getservbyport_r and
 * gethostbyname_r, and its getprotobyname under the rwlock (musl has no getprotobyname_r).
 * Only /etc/services, /etc/protocols and numeric hosts: no lookup leaves the files. */
static void check_netdb(void)
{
    char buf[2048];
    struct ns_ent ent;
    int r, status;
    pid_t child;

    memset(&ent, 0, sizeof(ent));
    r = ns_getservbyname("http", "tcp", buf, sizeof(buf), &ent);
    result(r > 0 && ent.number == 80 && strcmp(buf, "http") == 0,
           "ns_getservbyname(http, tcp): getservbyname_r gives port 80", "r=%d port %d", r,
           ent.number);
    r = ns_getservbyport(80, "tcp", buf, sizeof(buf), &ent);
    result(r > 0 && strcmp(buf, "http") == 0, "ns_getservbyport(80, tcp): http", "r=%d", r);
    r = ns_getservbyname("http", "tcp", buf, 8, &ent);
    result(r == -1, "ns_getservbyname with too small a buffer: -1, to retry larger", "r=%d", r);
    r = ns_getservbyname("no-such-service", "tcp", buf, sizeof(buf), &ent);
    result(r == 0, "ns_getservbyname of an unknown name: 0", "r=%d", r);
    r = ns_getprotobyname("tcp", buf, sizeof(buf), &ent);
    result(r > 0 && ent.number == 6, "ns_getprotobyname(tcp): 6", "r=%d number %d", r,
           ent.number);
    /* musl matches protocol names case-sensitively, where glibc finds "TCP" as an alias */
    r = ns_getprotobyname("TCP", buf, sizeof(buf), &ent);
    result(r == 0, "ns_getprotobyname(TCP): not found on musl (case-sensitive)", "r=%d", r);
    r = ns_gethostbyname("127.0.0.1", buf, sizeof(buf), &ent);
    result(r > 0 && ent.family == AF_INET && ent.addrs == 1,
           "ns_gethostbyname(127.0.0.1): one IPv4 address", "r=%d family %d addrs %d", r,
           ent.family, ent.addrs);
    ent.error = 0;
    r = ns_gethostbyname("no-such-host.invalid", buf, sizeof(buf), &ent);
    result(r == 0 && ent.error != 0, "ns_gethostbyname of no host: 0 and its own h_errno",
           "r=%d error %d", r, ent.error);
    /* a fork child's lookups work: the rwlock is released in the child */
    fflush(stdout);
    child = fork();
    if (child == 0) {
        struct ns_ent e;
        char b[512];
        _exit(ns_getprotobyname("udp", b, sizeof(b), &e) > 0 && e.number == 17 ? 0 : 1);
    }
    status = -1;
    if (child > 0)
        waitpid(child, &status, 0);
    result(child > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "a fork child's ns_getprotobyname(udp): 17", "status %d", status);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    check_accept4();
    check_mmsg();
    check_v4mapped();
    check_unix();
    check_netdb();
    result(SOMAXCONN == 128, "SOMAXCONN is musl's 128", "%d", SOMAXCONN);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
