## Differential conformance, the Nim side: calls Nim's own std/nativesockets on a fixed list
## of cases and prints one JSON object per case:
##
##   {"case": name, "result": ...}
##   {"case": name, "error": {"type": "OSError", "errno": 111}}   (errno null when none/0)
##   {"case": name, "not_run": reason}                            (unsafe to run in Nim)
##
## tests/conformance/runner.py makes the same calls through the Python package and prints the
## same shape; tests/conformance/test_conformance.py compares the two case by case.
##
## Results are made comparable across two processes: handles are never printed, ephemeral
## ports are printed as labels ("S" the server's port, "C" the client's, "0", "other"), and
## paths under the temporary directory start with "$TMP".
##
## Usage: conformance TMPDIR [--offline]
## --offline: the process runs in a network namespace of its own (only loopback, no
## route out), so lookups of names that /etc/hosts does not answer may run.
##
## Build: nim c -d:release --hints:off -o:<exe> conformance.nim   (Nim 1.6, Linux)

import std/[json, options, os, strutils]
import std/posix except AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6, SOCK_STREAM, SOCK_DGRAM,
  SOCK_RAW, SOCK_SEQPACKET, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_RAW,
  IPPROTO_ICMP, IPPROTO_ICMPV6, Servent, Hostent, ntohl, ntohs, htonl, htons, listen
from std/posix import nil   # posix.AF_INET and the like: the C numbers
import std/nativesockets

type CaseProc = proc (): JsonNode {.closure.}

var
  tmpDir: string
  offline = false
  cases: seq[tuple[name: string, body: CaseProc, notRun: string]]

if paramCount() < 1:
  quit("usage: conformance TMPDIR [--offline]", 2)
tmpDir = paramStr(1)
offline = "--offline" in commandLineParams()

const
  allDomains = [AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6]   # enums with holes: no `items`
  allSockTypes = [SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET]
  allProtocols = [IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_RAW,
                  IPPROTO_ICMP, IPPROTO_ICMPV6]

proc add(name: string, body: CaseProc) = cases.add((name, body, ""))
proc notOnNim(name, reason: string) = cases.add((name, CaseProc(nil), reason))

# ---------------------------------------------------------------------------------------------
# helpers

proc errJson(e: ref Exception): JsonNode =
  result = %*{"type": $e.name, "errno": newJNull()}
  if e of OSError:
    let code = (ref OSError)(e).errorCode
    if code != 0: result["errno"] = %int(code)

template attempt(body: untyped): JsonNode =
  ## The value of `body`, or {"error": ...} for the exception it raised.
  block:
    var res: JsonNode
    try:
      res = body
    except CatchableError as e:
      res = %*{"error": errJson(e)}
    except Defect as e:
      res = %*{"error": errJson(e)}
    res

proc rc(r: int): JsonNode =
  ## A C-style return code, with errno when it failed.
  let err = int(osLastError())
  if r < 0: %*{"ret": r, "errno": err} else: %*{"ret": r}

proc v4(ip: string, port = 0): Sockaddr_in =
  result.sin_family = TSa_Family(posix.AF_INET)
  result.sin_port = nativesockets.htons(uint16(port))
  doAssert inet_pton(posix.AF_INET, ip.cstring, addr result.sin_addr) == 1

proc v6(ip: string, port = 0): Sockaddr_in6 =
  result.sin6_family = TSa_Family(posix.AF_INET6)
  result.sin6_port = nativesockets.htons(uint16(port))
  doAssert inet_pton(posix.AF_INET6, ip.cstring, addr result.sin6_addr) == 1

template sa(x: untyped): ptr SockAddr = cast[ptr SockAddr](addr x)
template salen(x: untyped): SockLen = SockLen(sizeof(x))

proc tmpPath(name: string): string = tmpDir / name

proc pathLabel(s: string): string =
  if tmpDir.len > 0 and s.startsWith(tmpDir): "$TMP" & s[tmpDir.len .. ^1] else: s

proc valid(s: SocketHandle): bool = s != osInvalidSocket

proc closeAll(handles: varargs[SocketHandle]) =
  for h in handles:
    if h.valid: close(h)

proc nonblocking(s: SocketHandle): bool =
  (fcntl(s, F_GETFL) and O_NONBLOCK) != 0

proc cloexec(s: SocketHandle): bool =
  (fcntl(s, F_GETFD) and FD_CLOEXEC) != 0

# A connected pair: a listening server, a client connected to it, and the accepted handle.
type Pair = object
  server, client, conn: SocketHandle
  peer: string
  sport, cport: Port
  bindRc, listenRc, connectRc: JsonNode
  spath, cpath: string

proc lbl(p: Pair, port: Port): string =
  if port == Port(0): "0"
  elif port == p.sport: "S"
  elif port == p.cport: "C"
  else: "other"

proc addrJ(p: Pair, a: (string, Port)): JsonNode = %*[pathLabel(a[0]), lbl(p, a[1])]

proc tcpPair(kind: string): Pair =
  ## kind: "v4" (127.0.0.1), "v6" (::1), "mapped" (IPv6 server on ::ffff:127.0.0.1, IPv4 client)
  let dom = if kind == "v4": AF_INET else: AF_INET6
  result.server = createNativeSocket(dom, SOCK_STREAM, IPPROTO_TCP)
  case kind
  of "v4":
    var a = v4("127.0.0.1")
    result.bindRc = rc(bindAddr(result.server, sa(a), salen(a)))
  of "v6":
    var a = v6("::1")
    result.bindRc = rc(bindAddr(result.server, sa(a), salen(a)))
  else:
    setSockOptInt(result.server, posix.IPPROTO_IPV6, IPV6_V6ONLY, 0)
    var a = v6("::ffff:127.0.0.1")
    result.bindRc = rc(bindAddr(result.server, sa(a), salen(a)))
  result.listenRc = rc(listen(result.server))
  result.sport = getSockName(result.server)
  if kind == "v6":
    result.client = createNativeSocket(AF_INET6)
    var a = v6("::1", int(result.sport))
    result.connectRc = rc(connect(result.client, sa(a), salen(a)))
  else:
    result.client = createNativeSocket(AF_INET)
    var a = v4("127.0.0.1", int(result.sport))
    result.connectRc = rc(connect(result.client, sa(a), salen(a)))
  result.cport = getSockName(result.client)
  result.conn = osInvalidSocket
  if result.connectRc["ret"].getInt == 0:
    (result.conn, result.peer) = accept(result.server)

proc unixPair(name: string, namedClient: bool): Pair =
  result.spath = tmpPath(name & ".s.sock")
  result.cpath = if namedClient: tmpPath(name & ".c.sock") else: ""
  discard unlink(result.spath.cstring)
  result.server = createNativeSocket(AF_UNIX, SOCK_STREAM, IPPROTO_IP)
  var a = makeUnixAddr(result.spath)
  result.bindRc = rc(bindAddr(result.server, sa(a), salen(a)))
  result.listenRc = rc(listen(result.server))
  result.client = createNativeSocket(AF_UNIX, SOCK_STREAM, IPPROTO_IP)
  if namedClient:
    discard unlink(result.cpath.cstring)
    var c = makeUnixAddr(result.cpath)
    doAssert bindAddr(result.client, sa(c), salen(c)) == 0
  result.connectRc = rc(connect(result.client, sa(a), salen(a)))
  result.conn = osInvalidSocket
  if result.connectRc["ret"].getInt == 0:
    (result.conn, result.peer) = accept(result.server)

proc close(p: Pair) = closeAll(p.conn, p.client, p.server)

proc sendText(s: SocketHandle, text: string, flags = 0'i32): int =
  send(s, unsafeAddr text[0], text.len, flags)

proc recvJ(s: SocketHandle, size: int, flags = 0'i32): JsonNode =
  var buf = newString(size)
  let r = recv(s, addr buf[0], size, flags)
  result = rc(r)
  if r >= 0: result["data"] = %buf[0 ..< r]

proc selectJ(handles: seq[SocketHandle], names: seq[string], write: bool,
             timeout: int): JsonNode =
  ## selectRead/selectWrite on `handles`, the list afterwards given by the handles' names.
  var l = handles
  let r = if write: selectWrite(l, timeout) else: selectRead(l, timeout)
  result = rc(r)
  var left = newJArray()
  for h in l:
    let i = handles.find(h)
    left.add(if i >= 0: %names[i] else: %"?")
  result["list"] = left

proc servJ(s: Servent): JsonNode =
  %*{"name": s.name, "aliases": s.aliases, "port": int(s.port), "proto": s.proto}

proc hostJ(h: Hostent): JsonNode =
  %*{"name": h.name, "aliases": h.aliases, "addrtype": $h.addrtype, "length": h.length,
     "addrList": h.addrList}

proc nodesJ(res: ptr AddrInfo): JsonNode =
  result = newJArray()
  var n = res
  while n != nil:
    var text2 = newString(46)
    getAddrString(n.ai_addr, text2)
    result.add %*{
      "family": int(n.ai_family), "socktype": int(n.ai_socktype),
      "protocol": int(n.ai_protocol), "addrlen": int(n.ai_addrlen),
      "canonname": (if n.ai_canonname.isNil: newJNull() else: %($n.ai_canonname)),
      "addr": getAddrString(n.ai_addr), "addr2": text2,
      "port": int(nativesockets.ntohs(cast[ptr Sockaddr_in](n.ai_addr).sin_port))}
    n = n.ai_next

proc gaiJ(host: string, port: int, dom: Domain, typ: SockType, proto: Protocol): JsonNode =
  let res = getAddrInfo(host, Port(port), dom, typ, proto)
  result = nodesJ(res)
  freeAddrInfo(res)

proc addrStringJ(p: ptr SockAddr): JsonNode =
  ## Both overloads of getAddrString.
  result = newJObject()
  result["o1"] = attempt(%pathLabel(getAddrString(p)))
  result["o2"] = attempt((block:
    var s = newString(46)
    getAddrString(p, s)
    %pathLabel(s)))

proc closedHandle(): SocketHandle =
  ## A handle number that was open a moment ago and is closed now.
  result = createNativeSocket()
  close(result)

# ---------------------------------------------------------------------------------------------
# pure procs: enums, ports, byte order, constants

add("constants", proc (): JsonNode =
  %*{"SOL_SOCKET": int(SOL_SOCKET), "SOMAXCONN": int(SOMAXCONN), "SO_ERROR": int(SO_ERROR),
     "SO_ACCEPTCONN": int(SO_ACCEPTCONN), "SO_BROADCAST": int(SO_BROADCAST),
     "SO_DEBUG": int(SO_DEBUG), "SO_DONTROUTE": int(SO_DONTROUTE),
     "SO_KEEPALIVE": int(SO_KEEPALIVE), "SO_OOBINLINE": int(SO_OOBINLINE),
     "SO_REUSEADDR": int(SO_REUSEADDR), "SO_REUSEPORT": int(SO_REUSEPORT),
     "MSG_PEEK": int(MSG_PEEK), "MSG_NOSIGNAL": int(MSG_NOSIGNAL),
     "F_GETFL": int(F_GETFL), "F_SETFL": int(F_SETFL), "O_NONBLOCK": int(O_NONBLOCK),
     "EAGAIN": int(EAGAIN), "EWOULDBLOCK": int(EWOULDBLOCK), "EINTR": int(EINTR),
     "EINPROGRESS": int(EINPROGRESS), "ECONNRESET": int(ECONNRESET), "EPIPE": int(EPIPE),
     "ENETRESET": int(ENETRESET), "EBADF": int(EBADF), "INADDR_ANY": int(INADDR_ANY),
     "Sockaddr_un_path_length": Sockaddr_un_path_length,
     "osInvalidSocket": int(osInvalidSocket)})

add("windows_ioctl_constants", proc (): JsonNode =
  result = newJObject()
  for name in ["IOCPARM_MASK", "IOC_IN", "FIONBIO"]:
    result[name] = %"absent"
  when declared(nativesockets.IOCPARM_MASK):
    result["IOCPARM_MASK"] = %nativesockets.IOCPARM_MASK
  when declared(nativesockets.IOC_IN):
    result["IOC_IN"] = %nativesockets.IOC_IN
  when declared(nativesockets.FIONBIO):
    result["FIONBIO"] = %nativesockets.FIONBIO)

add("toInt", proc (): JsonNode =
  result = newJObject()
  for d in allDomains: result[$d] = %int(toInt(d))
  for t in allSockTypes: result[$t] = %int(toInt(t))
  for p in allProtocols: result[$p] = %int(toInt(p)))

add("enum_values", proc (): JsonNode =
  result = newJObject()
  for d in allDomains: result[$d] = %ord(d)
  for t in allSockTypes: result[$t] = %ord(t)
  for p in allProtocols: result[$p] = %ord(p))

add("toKnownDomain", proc (): JsonNode =
  result = newJObject()
  for family in [0, 1, 2, 10, 3, 16, 23, 30, -1]:
    let d = toKnownDomain(cint(family))
    result[$family] = if d.isSome: %($d.get) else: newJNull())

add("toSockType", proc (): JsonNode =
  result = newJObject()
  for p in allProtocols: result[$p] = %($toSockType(p)))

add("port_str_eq", proc (): JsonNode =
  %*{"str0": $Port(0), "str80": $Port(80), "str65535": $Port(65535),
     "eq": Port(80) == Port(80), "ne": Port(80) == Port(81)})

add("port_out_of_range", proc (): JsonNode =
  var x = 70000
  %int(Port(x)))

add("byteorder", proc (): JsonNode =
  %*{"ntohl": int(ntohl(0x01020304'u32)), "ntohs": int(ntohs(0x0102'u16)),
     "htonl": int(htonl(0x01020304'u32)), "htons": int(htons(0x0102'u16)),
     "ntohl_max": int(ntohl(0xffffffff'u32)), "ntohs_max": int(ntohs(0xffff'u16)),
     "ntohl_zero": int(ntohl(0'u32)), "htons_80": int(htons(80'u16))})

add("ntohs_out_of_range", proc (): JsonNode =
  var x = 65536
  %int(ntohs(uint16(x))))

add("htonl_out_of_range", proc (): JsonNode =
  var x = 1 shl 32
  %int(htonl(uint32(x))))

add("inet_ntoa", proc (): JsonNode =
  var a: InAddr
  a.s_addr = htonl(0x7f000001'u32)
  var b: InAddr
  b.s_addr = htonl(0xc0a80aff'u32)
  %*[$inet_ntoa(a), $inet_ntoa(b)])

# ---------------------------------------------------------------------------------------------
# the service, protocol and host databases

add("getProtoByName", proc (): JsonNode =
  result = newJObject()
  for name in ["ip", "icmp", "tcp", "udp", "ipv6-icmp", "TCP"]:
    result[name] = %getProtoByName(name))

add("getProtoByName_unknown", proc (): JsonNode =
  %getProtoByName("no-such-protocol"))

add("getServByName", proc (): JsonNode =
  %*[servJ(getServByName("http", "tcp")), servJ(getServByName("domain", "udp")),
     servJ(getServByName("smtp", "tcp")), servJ(getServByName("https", "tcp"))])

add("getServByName_unknown", proc (): JsonNode =
  servJ(getServByName("no-such-service", "tcp")))

add("getServByName_nul_byte", proc (): JsonNode =
  servJ(getServByName("http\0junk", "tcp")))

add("getServByPort_80_tcp", proc (): JsonNode =
  servJ(getServByPort(Port(80), "tcp")))

add("getServByPort_20480_tcp", proc (): JsonNode =
  # 20480 is htons(80): the port Nim needs to find http
  servJ(getServByPort(Port(20480), "tcp")))

add("getServByPort_50000_tcp", proc (): JsonNode =
  servJ(getServByPort(Port(50000), "tcp")))

add("getHostByName_localhost", proc (): JsonNode =
  hostJ(getHostByName("localhost")))

add("getHostByAddr_127.0.0.1", proc (): JsonNode =
  hostJ(getHostByAddr("127.0.0.1")))

add("getHostname", proc (): JsonNode =
  %getHostname())

if offline:
  add("getHostByName_unknown", proc (): JsonNode =
    hostJ(getHostByName("no-such-host.invalid")))
  add("getHostByAddr_::1", proc (): JsonNode =
    hostJ(getHostByAddr("::1")))
  add("getHostByAddr_not_an_address", proc (): JsonNode =
    hostJ(getHostByAddr("not-an-address")))

# ---------------------------------------------------------------------------------------------
# getAddrInfo and getAddrString

add("getAddrInfo_numeric_v4", proc (): JsonNode =
  gaiJ("127.0.0.1", 80, AF_INET, SOCK_STREAM, IPPROTO_TCP))
add("getAddrInfo_numeric_v6", proc (): JsonNode =
  gaiJ("::1", 443, AF_INET6, SOCK_STREAM, IPPROTO_TCP))
add("getAddrInfo_localhost_v4", proc (): JsonNode =
  gaiJ("localhost", 8080, AF_INET, SOCK_STREAM, IPPROTO_TCP))
add("getAddrInfo_localhost_v6_mapped", proc (): JsonNode =
  gaiJ("localhost", 8080, AF_INET6, SOCK_STREAM, IPPROTO_TCP))
add("getAddrInfo_numeric_v4_as_v6", proc (): JsonNode =
  gaiJ("127.0.0.1", 1, AF_INET6, SOCK_STREAM, IPPROTO_TCP))
add("getAddrInfo_localhost_unspec", proc (): JsonNode =
  gaiJ("localhost", 22, AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP))
add("getAddrInfo_udp", proc (): JsonNode =
  gaiJ("127.0.0.1", 53, AF_INET, SOCK_DGRAM, IPPROTO_UDP))
add("getAddrInfo_port_0_and_65535", proc (): JsonNode =
  %*[gaiJ("127.0.0.1", 0, AF_INET, SOCK_STREAM, IPPROTO_TCP),
     gaiJ("::1", 65535, AF_INET6, SOCK_DGRAM, IPPROTO_UDP)])
add("getAddrInfo_raw", proc (): JsonNode =
  gaiJ("127.0.0.1", 0, AF_INET, SOCK_RAW, IPPROTO_ICMP))
add("getAddrInfo_family_mismatch", proc (): JsonNode =
  gaiJ("::1", 80, AF_INET, SOCK_STREAM, IPPROTO_TCP))
if offline:
  add("getAddrInfo_unknown_host", proc (): JsonNode =
    gaiJ("no-such-host.invalid", 80, AF_INET, SOCK_STREAM, IPPROTO_TCP))

add("getAddrString_v4", proc (): JsonNode =
  var a = v4("192.168.10.255", 9)
  addrStringJ(sa(a)))
add("getAddrString_v6", proc (): JsonNode =
  var a = v6("2001:db8::1", 9)
  addrStringJ(sa(a)))
add("getAddrString_v6_loopback", proc (): JsonNode =
  var a = v6("::1")
  addrStringJ(sa(a)))
add("getAddrString_v4_mapped", proc (): JsonNode =
  var a = v6("::ffff:10.1.2.3")
  addrStringJ(sa(a)))
add("getAddrString_v4_mapped_max", proc (): JsonNode =
  var a = v6("::ffff:255.255.255.255")
  addrStringJ(sa(a)))
add("getAddrString_unix", proc (): JsonNode =
  var a = makeUnixAddr(tmpPath("addr.sock"))
  addrStringJ(sa(a)))
add("getAddrString_unknown_family", proc (): JsonNode =
  var a: Sockaddr_storage        # sa_family 0: AF_UNSPEC
  addrStringJ(sa(a)))

add("makeUnixAddr_max_length", proc (): JsonNode =
  var a = makeUnixAddr("/" & repeat('x', Sockaddr_un_path_length - 2))
  %*{"family": int(a.sun_family), "path_len": len($cast[cstring](addr a.sun_path))})
add("makeUnixAddr_too_long", proc (): JsonNode =
  var a = makeUnixAddr("/" & repeat('x', Sockaddr_un_path_length - 1))
  %int(a.sun_family))
add("makeUnixAddr_nul", proc (): JsonNode =
  var a = makeUnixAddr("/tmp/a\0b")
  %($cast[cstring](addr a.sun_path)))

# ---------------------------------------------------------------------------------------------
# TCP over IPv4, IPv6 and IPv4-mapped IPv6; Unix stream sockets; UDP

proc flowJ(p: Pair, dom: Domain): JsonNode =
  %*{"server_valid": p.server.valid, "client_valid": p.client.valid,
     "bind": p.bindRc, "listen": p.listenRc, "connect": p.connectRc,
     "conn_valid": p.conn.valid, "accept_peer": pathLabel(p.peer),
     "sport_nonzero": p.sport != Port(0), "cport_nonzero": p.cport != Port(0),
     "ports_differ": p.sport != p.cport,
     "domain_server": $getSockDomain(p.server), "domain_client": $getSockDomain(p.client),
     "domain_conn": $getSockDomain(p.conn),
     "acceptconn": getSockOptInt(p.server, SOL_SOCKET, SO_ACCEPTCONN),
     "acceptconn_client": getSockOptInt(p.client, SOL_SOCKET, SO_ACCEPTCONN)}

proc addressesJ(p: Pair, sdom, cdom: Domain): JsonNode =
  %*{"server_sockname": lbl(p, getSockName(p.server)),
     "client_sockname": lbl(p, getSockName(p.client)),
     "conn_sockname": lbl(p, getSockName(p.conn)),
     "server_local": addrJ(p, getLocalAddr(p.server, sdom)),
     "client_local": addrJ(p, getLocalAddr(p.client, cdom)),
     "client_peer": addrJ(p, getPeerAddr(p.client, cdom)),
     "conn_local": addrJ(p, getLocalAddr(p.conn, sdom)),
     "conn_peer": addrJ(p, getPeerAddr(p.conn, sdom))}

proc sendRecvJ(p: Pair): JsonNode =
  result = newJObject()
  result["select_before"] = selectJ(@[p.conn], @["conn"], false, 0)
  result["send"] = rc(sendText(p.client, "hello"))
  result["select_after"] = selectJ(@[p.conn], @["conn"], false, 5000)
  result["peek"] = recvJ(p.conn, 3, MSG_PEEK)
  result["recv"] = recvJ(p.conn, 16)
  result["send_back"] = rc(sendText(p.conn, "world!"))
  result["recv_back"] = recvJ(p.client, 16)
  result["select_write"] = selectJ(@[p.client, p.conn], @["client", "conn"], true, 5000)
  close(p.conn)
  result["recv_eof"] = recvJ(p.client, 16)

add("tcp4_flow", proc (): JsonNode =
  let p = tcpPair("v4")
  defer: close(p)
  flowJ(p, AF_INET))
add("tcp4_addresses", proc (): JsonNode =
  let p = tcpPair("v4")
  defer: close(p)
  addressesJ(p, AF_INET, AF_INET))
add("tcp4_send_recv", proc (): JsonNode =
  var p = tcpPair("v4")
  defer: closeAll(p.client, p.server)
  sendRecvJ(p))

add("tcp6_flow", proc (): JsonNode =
  let p = tcpPair("v6")
  defer: close(p)
  flowJ(p, AF_INET6))
add("tcp6_addresses", proc (): JsonNode =
  let p = tcpPair("v6")
  defer: close(p)
  addressesJ(p, AF_INET6, AF_INET6))
add("tcp6_send_recv", proc (): JsonNode =
  var p = tcpPair("v6")
  defer: closeAll(p.client, p.server)
  sendRecvJ(p))

add("tcp_v4mapped_flow", proc (): JsonNode =
  let p = tcpPair("mapped")
  defer: close(p)
  flowJ(p, AF_INET6))
add("tcp_v4mapped_addresses", proc (): JsonNode =
  let p = tcpPair("mapped")
  defer: close(p)
  addressesJ(p, AF_INET6, AF_INET))
add("tcp_v4mapped_raw_accept", proc (): JsonNode =
  # the raw accept (POSIX's, exported by nativesockets) and getAddrString on the peer
  var p = tcpPair("mapped")
  defer: closeAll(p.conn, p.client, p.server)
  close(p.conn)
  let c = createNativeSocket(AF_INET)
  defer: close(c)
  var a = v4("127.0.0.1", int(p.sport))
  doAssert connect(c, sa(a), salen(a)) == 0
  var peer: Sockaddr_storage
  var peerLen = salen(peer)
  p.conn = accept(p.server, sa(peer), addr peerLen)
  %*{"valid": p.conn.valid, "family": int(peer.ss_family), "len": int(peerLen),
     "text": getAddrString(sa(peer)),
     "port_is_client": lbl(p, Port(ntohs(cast[ptr Sockaddr_in6](addr peer).sin6_port))) == "other"})

add("getLocalAddr_v6_socket_as_AF_INET", proc (): JsonNode =
  let p = tcpPair("v6")
  defer: close(p)
  %*{"local": addrJ(p, getLocalAddr(p.server, AF_INET)),
     "peer": addrJ(p, getPeerAddr(p.client, AF_INET))})
add("getLocalAddr_v4_socket_as_AF_INET6", proc (): JsonNode =
  let p = tcpPair("v4")
  defer: close(p)
  %*{"local": addrJ(p, getLocalAddr(p.server, AF_INET6)),
     "peer": addrJ(p, getPeerAddr(p.client, AF_INET6))})

add("unix_flow", proc (): JsonNode =
  let p = unixPair("flow", false)
  defer: close(p)
  %*{"server_valid": p.server.valid, "client_valid": p.client.valid,
     "bind": p.bindRc, "listen": p.listenRc, "connect": p.connectRc,
     "conn_valid": p.conn.valid,
     "domain_server": $getSockDomain(p.server), "domain_conn": $getSockDomain(p.conn),
     "acceptconn": getSockOptInt(p.server, SOL_SOCKET, SO_ACCEPTCONN)})
add("unix_send_recv", proc (): JsonNode =
  var p = unixPair("sendrecv", false)
  defer: closeAll(p.client, p.server)
  sendRecvJ(p))
add("unix_accept_peer_unnamed", proc (): JsonNode =
  let p = unixPair("unnamed", false)
  defer: close(p)
  %*{"valid": p.conn.valid, "peer": pathLabel(p.peer)})
add("unix_accept_peer_named", proc (): JsonNode =
  let p = unixPair("named", true)
  defer: close(p)
  %*{"valid": p.conn.valid, "peer": pathLabel(p.peer)})
add("unix_getLocalAddr", proc (): JsonNode =
  let p = unixPair("local", false)
  defer: close(p)
  addrJ(p, getLocalAddr(p.server, AF_UNIX)))
add("unix_getPeerAddr", proc (): JsonNode =
  let p = unixPair("peer", false)
  defer: close(p)
  addrJ(p, getPeerAddr(p.client, AF_UNIX)))
add("unix_getSockName", proc (): JsonNode =
  let p = unixPair("sockname", false)
  defer: close(p)
  %int(getSockName(p.server)))

add("udp_flow", proc (): JsonNode =
  var p: Pair
  p.server = createNativeSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)
  p.client = createNativeSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)
  defer: closeAll(p.server, p.client)
  var a = v4("127.0.0.1")
  p.bindRc = rc(bindAddr(p.server, sa(a), salen(a)))
  p.sport = getSockName(p.server)
  var to = v4("127.0.0.1", int(p.sport))
  let text = "datagram"
  let sent = rc(sendto(p.client, unsafeAddr text[0], text.len, 0, sa(to), salen(to)))
  p.cport = getSockName(p.client)
  var buf = newString(64)
  var frm: Sockaddr_storage
  var frmLen = salen(frm)
  let r = recvfrom(p.server, addr buf[0], buf.len, 0, sa(frm), addr frmLen)
  result = %*{"bind": p.bindRc, "sendto": sent, "recvfrom": rc(r),
              "data": buf[0 ..< max(r, 0)], "from_len": int(frmLen),
              "from": getAddrString(sa(frm)),
              "from_port": lbl(p, Port(ntohs(cast[ptr Sockaddr_in](addr frm).sin_port))),
              "domain": $getSockDomain(p.server),
              "local": addrJ(p, getLocalAddr(p.client, AF_INET))})

# ---------------------------------------------------------------------------------------------
# socket options, blocking mode, inheritance, socket creation

proc optJ(dom: Domain, typ: SockType, proto: Protocol, level, opt: cint, value: int,
          setIt: bool): JsonNode =
  let s = createNativeSocket(dom, typ, proto)
  defer: close(s)
  result = newJObject()
  result["before"] = attempt(%getSockOptInt(s, level, opt))
  if setIt:
    result["set"] = attempt((setSockOptInt(s, level, opt, value); newJNull()))
    result["after"] = attempt(%getSockOptInt(s, level, opt))

template optCase(name: string, dom, typ, proto: untyped, level, opt: cint, value: int,
                 setIt = true) =
  add("sockopt_" & name, proc (): JsonNode = optJ(dom, typ, proto, level, opt, value, setIt))

optCase("SO_REUSEADDR", AF_INET, SOCK_STREAM, IPPROTO_TCP, SOL_SOCKET, SO_REUSEADDR, 1)
optCase("SO_REUSEPORT", AF_INET, SOCK_STREAM, IPPROTO_TCP, SOL_SOCKET, SO_REUSEPORT, 1)
optCase("SO_KEEPALIVE", AF_INET6, SOCK_STREAM, IPPROTO_TCP, SOL_SOCKET, SO_KEEPALIVE, 1)
optCase("SO_BROADCAST", AF_INET, SOCK_DGRAM, IPPROTO_UDP, SOL_SOCKET, SO_BROADCAST, 1)
optCase("SO_OOBINLINE", AF_INET, SOCK_STREAM, IPPROTO_TCP, SOL_SOCKET, SO_OOBINLINE, 1)
optCase("SO_DONTROUTE", AF_INET, SOCK_DGRAM, IPPROTO_UDP, SOL_SOCKET, SO_DONTROUTE, 1)
optCase("SO_RCVBUF", AF_INET, SOCK_STREAM, IPPROTO_TCP, SOL_SOCKET, SO_RCVBUF, 65536)
optCase("SO_DEBUG", AF_INET, SOCK_STREAM, IPPROTO_TCP, SOL_SOCKET, SO_DEBUG, 1)
optCase("SO_ERROR", AF_INET, SOCK_STREAM, IPPROTO_TCP, SOL_SOCKET, SO_ERROR, 0, false)
optCase("SO_TYPE_dgram", AF_INET6, SOCK_DGRAM, IPPROTO_UDP, SOL_SOCKET, SO_TYPE, 0, false)
optCase("SO_ACCEPTCONN", AF_UNIX, SOCK_STREAM, IPPROTO_IP, SOL_SOCKET, SO_ACCEPTCONN, 0, false)
optCase("TCP_NODELAY", AF_INET, SOCK_STREAM, IPPROTO_TCP, cint(posix.IPPROTO_TCP),
        TCP_NODELAY, 1)
optCase("IPV6_V6ONLY", AF_INET6, SOCK_STREAM, IPPROTO_TCP, cint(posix.IPPROTO_IPV6),
        IPV6_V6ONLY, 1)
optCase("unknown_option", AF_INET, SOCK_STREAM, IPPROTO_TCP, SOL_SOCKET, 9999, 1)
optCase("SO_ACCEPTCONN_readonly", AF_INET, SOCK_STREAM, IPPROTO_TCP, SOL_SOCKET,
        SO_ACCEPTCONN, 1)

add("setBlocking", proc (): JsonNode =
  let s = createNativeSocket()
  defer: close(s)
  result = newJObject()
  result["initial"] = %nonblocking(s)
  setBlocking(s, false)
  result["after_false"] = %nonblocking(s)
  setBlocking(s, false)
  result["after_false_twice"] = %nonblocking(s)
  setBlocking(s, true)
  result["after_true"] = %nonblocking(s)
  result["cloexec_kept"] = %cloexec(s))

add("nonblocking_accept_and_recv", proc (): JsonNode =
  var p = tcpPair("v4")
  defer: close(p)
  setBlocking(p.server, false)
  setBlocking(p.conn, false)
  let (c, peer) = accept(p.server)
  result = %*{"accept": rc(int(c)), "accept_peer": peer, "recv": recvJ(p.conn, 8)}
  if c.valid: close(c))

add("setInheritable", proc (): JsonNode =
  let s = createNativeSocket()
  let t = createNativeSocket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, inheritable = true)
  defer: closeAll(s, t)
  result = newJObject()
  result["default_cloexec"] = %cloexec(s)
  result["inheritable_cloexec"] = %cloexec(t)
  result["set_true"] = %setInheritable(s, true)
  result["after_true"] = %cloexec(s)
  result["set_false"] = %setInheritable(s, false)
  result["after_false"] = %cloexec(s)
  let c = closedHandle()
  result["closed"] = %setInheritable(c, true))

add("accept_inheritable", proc (): JsonNode =
  var p = tcpPair("v4")
  defer: close(p)
  let c = createNativeSocket()
  defer: close(c)
  var a = v4("127.0.0.1", int(p.sport))
  doAssert connect(c, sa(a), salen(a)) == 0
  let (h, _) = accept(p.server, inheritable = true)
  defer: close(h)
  %*{"default_cloexec": cloexec(p.conn), "inheritable_cloexec": cloexec(h)})

proc createJ(s: SocketHandle): JsonNode =
  let err = int(osLastError())
  if not s.valid: return %*{"valid": false, "errno": err}
  defer: close(s)
  %*{"valid": true, "domain": attempt(%($getSockDomain(s))),
     "type": getSockOptInt(s, SOL_SOCKET, SO_TYPE),
     "cloexec": cloexec(s)}

add("createNativeSocket_defaults", proc (): JsonNode = createJ(createNativeSocket()))
add("createNativeSocket_enums", proc (): JsonNode =
  %*[createJ(createNativeSocket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)),
     createJ(createNativeSocket(AF_UNIX, SOCK_DGRAM, IPPROTO_IP)),
     createJ(createNativeSocket(AF_UNIX, SOCK_SEQPACKET, IPPROTO_IP)),
     createJ(createNativeSocket(AF_INET, SOCK_RAW, IPPROTO_ICMP)),
     createJ(createNativeSocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6))])
add("createNativeSocket_ints", proc (): JsonNode =
  %*[createJ(createNativeSocket(cint(posix.AF_INET), cint(posix.SOCK_STREAM), cint(0))),
     createJ(createNativeSocket(cint(posix.AF_INET6), cint(posix.SOCK_STREAM),
                                cint(posix.IPPROTO_TCP), inheritable = true))])
add("createNativeSocket_bad_domain", proc (): JsonNode =
  createJ(createNativeSocket(cint(9999), cint(posix.SOCK_STREAM), cint(0))))
add("createNativeSocket_bad_type", proc (): JsonNode =
  createJ(createNativeSocket(cint(posix.AF_INET), cint(9999), cint(0))))
add("createNativeSocket_bad_protocol", proc (): JsonNode =
  createJ(createNativeSocket(AF_INET, SOCK_STREAM, IPPROTO_UDP)))

add("getSockDomain", proc (): JsonNode =
  result = newJObject()
  for d in [AF_INET, AF_INET6, AF_UNIX]:
    let s = createNativeSocket(d, SOCK_STREAM, if d == AF_UNIX: IPPROTO_IP else: IPPROTO_TCP)
    result[$d] = %($getSockDomain(s))
    close(s))

# A netlink socket (Linux): a family that is neither IPv4, IPv6 nor Unix.
proc netlink(): SocketHandle = createNativeSocket(cint(16), cint(posix.SOCK_RAW), cint(0))

add("getSockDomain_netlink", proc (): JsonNode =
  let s = netlink()
  doAssert s.valid
  defer: close(s)
  %($getSockDomain(s)))
add("getSockName_netlink", proc (): JsonNode =
  let s = netlink()
  doAssert s.valid
  defer: close(s)
  %int(getSockName(s)))
add("getLocalAddr_netlink", proc (): JsonNode =
  let s = netlink()
  doAssert s.valid
  defer: close(s)
  let (text, port) = getLocalAddr(s, AF_INET)
  %*[text, int(port)])

# ---------------------------------------------------------------------------------------------
# selectRead / selectWrite

proc readablePairs(n: int, readable: openArray[bool]): seq[Pair] =
  for i in 0 ..< n:
    result.add tcpPair("v4")
    if readable[i]:
      doAssert sendText(result[i].client, "x") == 1

add("selectRead_order", proc (): JsonNode =
  # n1 is not readable, r1 and r2 are
  let ps = readablePairs(3, [false, true, true])
  defer:
    for p in ps: close(p)
  selectJ(@[ps[0].conn, ps[1].conn, ps[2].conn], @["n1", "r1", "r2"], false, 5000))
add("selectRead_order_long", proc (): JsonNode =
  let ps = readablePairs(6, [true, false, true, false, false, true])
  defer:
    for p in ps: close(p)
  selectJ(@[ps[0].conn, ps[1].conn, ps[2].conn, ps[3].conn, ps[4].conn, ps[5].conn],
          @["r1", "n1", "r2", "n2", "n3", "r3"], false, 5000))
add("selectRead_timeout", proc (): JsonNode =
  let ps = readablePairs(2, [false, false])
  defer:
    for p in ps: close(p)
  selectJ(@[ps[0].conn, ps[1].conn], @["n1", "n2"], false, 0))
add("selectRead_short_timeout", proc (): JsonNode =
  let ps = readablePairs(1, [false])
  defer:
    for p in ps: close(p)
  selectJ(@[ps[0].conn], @["n1"], false, 20))
add("selectRead_empty", proc (): JsonNode =
  selectJ(@[], @[], false, 0))
add("selectRead_listening", proc (): JsonNode =
  # a pending connection makes a listening socket readable
  var p = tcpPair("v4")
  defer: close(p)
  let c = createNativeSocket()
  defer: close(c)
  var a = v4("127.0.0.1", int(p.sport))
  doAssert connect(c, sa(a), salen(a)) == 0
  selectJ(@[p.server, p.client], @["server", "client"], false, 5000))
add("selectRead_eof", proc (): JsonNode =
  var p = tcpPair("v4")
  defer: closeAll(p.client, p.server)
  close(p.conn)
  selectJ(@[p.client], @["client"], false, 5000))
add("selectWrite_connected", proc (): JsonNode =
  let p = tcpPair("v6")
  defer: close(p)
  selectJ(@[p.client, p.conn], @["client", "conn"], true, 5000))
add("selectWrite_unconnected_udp", proc (): JsonNode =
  let s = createNativeSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)
  defer: close(s)
  selectJ(@[s], @["udp"], true, 5000))
add("selectRead_closed_handle", proc (): JsonNode =
  let ps = readablePairs(1, [true])
  defer:
    for p in ps: close(p)
  let c = closedHandle()
  selectJ(@[ps[0].conn, c], @["r1", "closed"], false, 0))
add("selectWrite_closed_handle", proc (): JsonNode =
  let ps = readablePairs(1, [false])
  defer:
    for p in ps: close(p)
  let c = closedHandle()
  selectJ(@[c, ps[0].client], @["closed", "w1"], true, 0))
notOnNim("selectRead_handle_above_FD_SETSIZE",
         "Nim's select writes past fd_set for handles >= FD_SETSIZE")
notOnNim("selectWrite_handle_above_FD_SETSIZE",
         "Nim's select writes past fd_set for handles >= FD_SETSIZE")
notOnNim("selectRead_negative_handle", "Nim's FD_SET(-1) writes before fd_set")

# ---------------------------------------------------------------------------------------------
# error cases: return codes with errno, exceptions with their type and errno

add("connect_refused", proc (): JsonNode =
  # a bound socket that does not listen refuses connections
  let b = createNativeSocket()
  defer: close(b)
  var a = v4("127.0.0.1")
  doAssert bindAddr(b, sa(a), salen(a)) == 0
  let port = getSockName(b)
  let c = createNativeSocket()
  defer: close(c)
  var to = v4("127.0.0.1", int(port))
  rc(connect(c, sa(to), salen(to))))
add("connect_refused_v6", proc (): JsonNode =
  let b = createNativeSocket(AF_INET6)
  defer: close(b)
  var a = v6("::1")
  doAssert bindAddr(b, sa(a), salen(a)) == 0
  let port = getSockName(b)
  let c = createNativeSocket(AF_INET6)
  defer: close(c)
  var to = v6("::1", int(port))
  rc(connect(c, sa(to), salen(to))))
add("connect_unix_missing_path", proc (): JsonNode =
  let c = createNativeSocket(AF_UNIX, SOCK_STREAM, IPPROTO_IP)
  defer: close(c)
  var a = makeUnixAddr(tmpPath("missing.sock"))
  rc(connect(c, sa(a), salen(a))))
add("bind_in_use", proc (): JsonNode =
  let p = tcpPair("v4")
  defer: close(p)
  let b = createNativeSocket()
  defer: close(b)
  var a = v4("127.0.0.1", int(p.sport))
  rc(bindAddr(b, sa(a), salen(a))))
add("bind_twice", proc (): JsonNode =
  let b = createNativeSocket()
  defer: close(b)
  var a = v4("127.0.0.1")
  %*[rc(bindAddr(b, sa(a), salen(a))), rc(bindAddr(b, sa(a), salen(a)))])
add("bind_unix_path_exists", proc (): JsonNode =
  let p = unixPair("exists", false)
  defer: close(p)
  let b = createNativeSocket(AF_UNIX, SOCK_STREAM, IPPROTO_IP)
  defer: close(b)
  var a = makeUnixAddr(p.spath)
  rc(bindAddr(b, sa(a), salen(a))))
add("bind_foreign_address", proc (): JsonNode =
  # 192.0.2.1 (TEST-NET-1) is no address of this host: nothing is sent
  let b = createNativeSocket()
  defer: close(b)
  var a = v4("192.0.2.1")
  rc(bindAddr(b, sa(a), salen(a))))
add("listen_closed_handle", proc (): JsonNode =
  rc(listen(closedHandle())))
add("listen_udp", proc (): JsonNode =
  let s = createNativeSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)
  defer: close(s)
  rc(listen(s)))
add("listen_backlog", proc (): JsonNode =
  let s = createNativeSocket()
  defer: close(s)
  %*[rc(listen(s, 1)), rc(listen(s, 0)), rc(listen(s))])
add("raiseOSError", proc (): JsonNode =
  raiseOSError(OSErrorCode(ECONNRESET), "info")
  newJNull())
add("close_closed_handle", proc (): JsonNode =
  close(closedHandle())
  newJNull())
add("close_negative_handle", proc (): JsonNode =
  close(SocketHandle(-1))
  newJNull())
add("listen_negative_handle", proc (): JsonNode =
  rc(listen(SocketHandle(-1))))
add("getSockOptInt_closed_handle", proc (): JsonNode =
  %getSockOptInt(closedHandle(), SOL_SOCKET, SO_TYPE))
add("setSockOptInt_closed_handle", proc (): JsonNode =
  setSockOptInt(closedHandle(), SOL_SOCKET, SO_REUSEADDR, 1)
  newJNull())
add("getSockDomain_closed_handle", proc (): JsonNode =
  %($getSockDomain(closedHandle())))
add("getSockName_closed_handle", proc (): JsonNode =
  %int(getSockName(closedHandle())))
add("getLocalAddr_closed_handle", proc (): JsonNode =
  let (t, p) = getLocalAddr(closedHandle(), AF_INET)
  %*[t, int(p)])
add("getPeerAddr_unconnected", proc (): JsonNode =
  let s = createNativeSocket(AF_INET6)
  defer: close(s)
  let (t, p) = getPeerAddr(s, AF_INET6)
  %*[t, int(p)])
add("getLocalAddr_unbound", proc (): JsonNode =
  let s = createNativeSocket()
  let t = createNativeSocket(AF_INET6)
  defer: closeAll(s, t)
  %*[getLocalAddr(s, AF_INET)[0], int(getLocalAddr(s, AF_INET)[1]),
     getLocalAddr(t, AF_INET6)[0], int(getLocalAddr(t, AF_INET6)[1])])
add("setBlocking_closed_handle", proc (): JsonNode =
  setBlocking(closedHandle(), false)
  newJNull())
add("accept_not_listening", proc (): JsonNode =
  let s = createNativeSocket()
  defer: close(s)
  let (c, peer) = accept(s)
  %*{"accept": rc(int(c)), "peer": peer})
add("accept_closed_handle", proc (): JsonNode =
  let (c, peer) = accept(closedHandle())
  %*{"accept": rc(int(c)), "peer": peer})
add("recv_closed_handle", proc (): JsonNode =
  recvJ(closedHandle(), 4))
add("send_closed_handle", proc (): JsonNode =
  rc(sendText(closedHandle(), "x")))
add("send_unconnected", proc (): JsonNode =
  let s = createNativeSocket()
  defer: close(s)
  rc(sendText(s, "x", MSG_NOSIGNAL)))
add("recv_unconnected", proc (): JsonNode =
  let s = createNativeSocket()
  defer: close(s)
  recvJ(s, 4))
add("sendto_closed_handle", proc (): JsonNode =
  var to = v4("127.0.0.1", 9)
  let text = "x"
  rc(sendto(closedHandle(), unsafeAddr text[0], 1, 0, sa(to), salen(to))))
add("recvfrom_nonblocking_empty", proc (): JsonNode =
  let s = createNativeSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)
  defer: close(s)
  setBlocking(s, false)
  var buf = newString(8)
  var frm: Sockaddr_storage
  var frmLen = salen(frm)
  rc(recvfrom(s, addr buf[0], 8, 0, sa(frm), addr frmLen)))
notOnNim("send_length_beyond_buffer", "a length beyond the buffer reads past it in Nim")
notOnNim("recv_length_beyond_buffer", "a length beyond the buffer writes past it in Nim")
notOnNim("bindAddr_wrong_type", "Nim rejects it at compile time")

# ---------------------------------------------------------------------------------------------

for (name, body, notRun) in cases:
  var line: JsonNode
  if notRun.len > 0:
    line = %*{"case": name, "not_run": notRun}
  else:
    try:
      line = %*{"case": name, "result": body()}
    except CatchableError as e:
      line = %*{"case": name, "error": errJson(e)}
    except Defect as e:
      line = %*{"case": name, "error": errJson(e)}
  echo $line
