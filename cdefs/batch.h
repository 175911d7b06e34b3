/* Batches of datagrams: sendMany and recvMany (nativesockets/batch.py).
 * Defined in csrc/posix.c (sendmmsg/recvmmsg where NS_HAS_MMSG, else a loop) and
 * csrc/winsock.c (a loop over sendto/recvfrom). Read by build_ffi.py on every platform.
 *
 * Message i is bufs[i], of lens[i] bytes, or of `size` bytes each when lens is NULL (the
 * common case of equal buffers needs no array). Addresses: ns_send_many sends every message
 * to `to` (tolen bytes) when `to` is not NULL, else to addrs[i] (addrlens[i] bytes) when
 * addrs is not NULL, else on the connected socket. ns_recv_many writes each datagram's
 * length into got[i] and, when addrs is not NULL, its sender into addrs[i] (each must point
 * to a struct sockaddr_storage) and the sender's length, at most the storage's size, into
 * addrlens[i], and, when msgflags is not NULL, its flags into msgflags[i] (MSG_TRUNC: the
 * datagram was longer than its buffer and cut).
 *
 * Both return the number of messages done, in order, or -1 with errno set when none was:
 * an error after the first message ends the batch early and is dropped (the next call
 * sees it). ns_recv_many waits for the first datagram only (unless the socket is
 * non-blocking or flags hold MSG_DONTWAIT) and then takes those already queued. */

#define NS_HAS_MMSG ...        /* 1 where sendmmsg/recvmmsg run, 0 where a loop does */

int ns_send_many(ns_handle s, void **bufs, size_t *lens, size_t size, int n,
                 const struct sockaddr *to, socklen_t tolen,
                 struct sockaddr **addrs, socklen_t *addrlens, int flags);
int ns_recv_many(ns_handle s, void **bufs, size_t *lens, size_t size, int n, size_t *got,
                 struct sockaddr **addrs, socklen_t *addrlens, int flags, int *msgflags);
/* The loops alone, on every platform, so that the tests run the fallback path too. */
int ns_send_many_loop(ns_handle s, void **bufs, size_t *lens, size_t size, int n,
                      const struct sockaddr *to, socklen_t tolen,
                      struct sockaddr **addrs, socklen_t *addrlens, int flags);
int ns_recv_many_loop(ns_handle s, void **bufs, size_t *lens, size_t size, int n,
                      size_t *got, struct sockaddr **addrs, socklen_t *addrlens, int flags,
                      int *msgflags);
