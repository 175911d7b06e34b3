/* The small helpers that must be written in C, the same on every platform.
 * Defined in csrc/posix.c and csrc/winsock.c; ns_handle is the platform's
 * socket handle type (int on POSIX, SOCKET on Windows). */

#define NS_INVALID_SOCKET ...   /* osInvalidSocket */
#define NS_HANDLE_MAX ...       /* largest valid handle value */
#define NS_SUN_PATH_LENGTH ...  /* Sockaddr_un_path_length; 0 without AF_UNIX */
#define NS_HAS_ACCEPT4 ...      /* 1 where accept4/SOCK_CLOEXEC make CLOEXEC atomic */

/* An address as text: filled by ns_format, ns_getname and ns_accept.
 * family is the native address family; port is in host order (0 for Unix);
 * text holds len bytes (no NUL added; a Unix path may hold NUL bytes). */
struct ns_name { int family; int port; int len; char text[...]; ...; };

ns_handle ns_socket(int domain, int type, int protocol, int inheritable);
int ns_close(ns_handle s);
int ns_set_inheritable(ns_handle s, int inheritable);
int ns_set_blocking(ns_handle s, int blocking);
ns_handle ns_accept(ns_handle s, int inheritable, struct ns_name *peer);
int ns_getname(ns_handle s, int peer, struct ns_name *out);
int ns_format(const struct sockaddr *sa, socklen_t len, int strip_mapped, struct ns_name *out);
int ns_sockport(ns_handle s);
int ns_sockfamily(ns_handle s);
int ns_h_errno(void);      /* h_errno of this thread's last host lookup */
long long ns_getsockopt_int(ns_handle s, int level, int optname);
int ns_setsockopt_int(ns_handle s, int level, int optname, int value);
int ns_poll(ns_handle *handles, int n, int for_write, int timeout_ms);  /* -2: a negative handle */
