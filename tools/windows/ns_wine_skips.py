"""pytest plugin for the Windows run under wine (tools/windows/wine.py loads it with
``-p ns_wine_skips``): skips the few tests that wine's Winsock cannot do, only when the
interpreter really runs under wine, each with its reason. On Windows itself, or on any other
platform, it does nothing.
"""

from __future__ import annotations

import sys

import pytest

# test id (a parametrization, or without parameters: all of them) -> why wine cannot run it.
# Each was seen failing under wine 8.0 for that reason alone.
NO_AF_UNIX = "it has no AF_UNIX sockets (WSAEAFNOSUPPORT; Windows 10 1803+ has them)"
NO_HIGH_PORTS = (
    "its getservbyport finds no port whose network-order value is 0x8000 or more "
    "(443, 8080), as socket.getservbyport shows"
)
LINUX_PROC = (
    "it shows the Linux host's /proc on drive Z:, so the test's /proc condition holds on "
    "Windows, where the process's handles and thread ids are not there"
)
NO_DONTROUTE = "it ignores SO_DONTROUTE set back to 0 (socket.setsockopt shows the same)"
WINE_CANNOT: dict[str, str] = {
    "tests/test_netdb.py::test_service_database_agrees_with_the_stdlib[https-tcp]": NO_HIGH_PORTS,
    "tests/test_threads.py::test_eight_threads_of_lookups_get_their_own_answers": NO_HIGH_PORTS,
    "tests/test_netdb.py::test_getServByName_finds_an_alias": (
        "its getservbyname does not look up aliases, as socket.getservbyname shows"
    ),
    "tests/test_cli.py::test_selfcheck_passes_on_every_family": NO_AF_UNIX,
    # AF_UNIX with IPPROTO_TCP: Windows refuses the protocol, wine the family first
    "tests/test_sockets.py::test_createNativeSocket_failure_returns_osInvalidSocket"
    "[args3-codes3]": NO_AF_UNIX,
    "tests/test_memory.py::test_failed_calls_leave_the_handle_count_unchanged": LINUX_PROC,
    "tests/test_sockets.py::test_nonblocking_connect_reports_through_SO_ERROR": (
        "reading SO_ERROR does not clear it (Windows documents that it does; socket.getsockopt "
        "shows the same under wine)"
    ),
    "tests/test_sockets.py::test_bool_option_set_and_read_back[SO_DONTROUTE-ipv4]": NO_DONTROUTE,
    "tests/test_sockets.py::test_bool_option_set_and_read_back[SO_DONTROUTE-ipv6]": NO_DONTROUTE,
    "tests/test_sockets.py::test_bindAddr_wrong_family": (
        "binding an address of the other family fails with WSAEOPNOTSUPP or WSAEINVAL, not "
        "Windows' WSAEAFNOSUPPORT/WSAEFAULT"
    ),
    "tests/test_batch.py::test_send_without_an_address_on_an_unconnected_socket": (
        "send on an unconnected datagram socket fails with WSAEINVAL, not WSAENOTCONN or "
        "WSAEDESTADDRREQ (socket.send fails the same way)"
    ),
}


def wine_version() -> str | None:
    """wine's version when this Windows process runs under wine (ntdll's wine_get_version)."""
    if sys.platform != "win32":
        return None
    import ctypes

    try:
        get = ctypes.WinDLL("ntdll").wine_get_version
    except (OSError, AttributeError):
        return None
    get.restype = ctypes.c_char_p
    value: bytes = get()
    return value.decode()


WINE = wine_version()


def pytest_report_header() -> str:
    return f"wine: {WINE}" if WINE else "wine: no"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if WINE is None:
        return
    for item in items:
        reason = WINE_CANNOT.get(item.nodeid) or WINE_CANNOT.get(item.nodeid.split("[")[0])
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"wine {WINE} cannot: {reason}"))
