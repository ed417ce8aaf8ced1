"""The baresip SIP user agent as the agent's phone, through its ``ctrl_tcp`` control port.

baresip's ``ctrl_tcp`` module (``module_app ctrl_tcp.so``, ``ctrl_tcp_listen 127.0.0.1:4444`` in
its config) speaks JSON objects framed as netstrings (``<length>:<bytes>,``) over TCP:

- commands from us: ``{"command": "hangup", "params": "", "token": "3"}``;
- responses: ``{"response": true, "ok": true, "data": "...", "token": "3"}``;
- events: ``{"event": true, "class": "call", "type": "CALL_ESTABLISHED", "id": "...",
  "direction": "incoming", "peeruri": "sip:...", "param": "..."}``.

Of the events, ``CALL_INCOMING`` becomes ``CallRang``, ``CALL_ESTABLISHED`` ``CallAnswered`` and
``CALL_CLOSED`` ``CallClosed`` (the rest, RTCP reports and SDP, are ignored). A call closed after
our own ``hang_up`` is ``by="agent"``; any other close is the caller's.

The port has no password, so only a loopback address is accepted. One thread connects (retrying
every ``retry_seconds`` while baresip is not up: the agent may start it after callscript), reads
and reports; commands are written from the caller's thread under a lock.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from callscript.softphone import CallAnswered, CallClosed, CallRang, PhoneEvent, PhoneSink, SoftphoneUnavailable

DEFAULT_ADDRESS = "127.0.0.1:4444"
MAX_MESSAGE = 1 << 20  # a netstring longer than this is not baresip talking


def parse_address(address: str) -> tuple[str, int]:
    """``host:port`` of a loopback control port, or ``SoftphoneUnavailable`` saying what is wrong."""
    host, sep, port = address.strip().rpartition(":")
    hint = f'write it as host:port on this machine, for example "{DEFAULT_ADDRESS}"'
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise SoftphoneUnavailable(f"the softphone control address '{address}' is not host:port", hint=hint)
    host = host.strip("[]") or "127.0.0.1"
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SoftphoneUnavailable(
            f"the softphone control address '{address}' is not on this machine",
            hint="baresip's ctrl_tcp port has no password: listen on 127.0.0.1 only (ctrl_tcp_listen 127.0.0.1:4444)")
    return host, int(port)


def encode(message: dict[str, Any]) -> bytes:
    """One JSON object as a netstring."""
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    return str(len(body)).encode("ascii") + b":" + body + b","


class NetstringReader:
    """Splits a byte stream into netstring payloads (``feed`` bytes, get the complete ones)."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        found = []
        while True:
            colon = self._buffer.find(b":")
            if colon < 0:
                if len(self._buffer) > 12:
                    raise ValueError("no netstring length")
                return found
            digits = self._buffer[:colon]
            if not digits.isdigit() or int(digits) > MAX_MESSAGE:
                raise ValueError(f"bad netstring length {digits[:12]!r}")
            end = colon + 1 + int(digits)
            if len(self._buffer) <= end:
                return found
            if self._buffer[end:end + 1] != b",":
                raise ValueError("netstring without its closing comma")
            found.append(self._buffer[colon + 1:end])
            self._buffer = self._buffer[end + 1:]


class BaresipPhone:
    """A running baresip, controlled through ``ctrl_tcp`` at ``address`` (see the module doc).

    ``dial`` is there for the caller side of tests and benchmarks; callscript itself only
    listens and hangs up. ``clock`` stamps the events (``time.monotonic`` by default).
    """

    name = "baresip"

    def __init__(self, address: str = DEFAULT_ADDRESS, *, retry_seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.address = address
        self.host, self.port = parse_address(address)
        self.retry_seconds = retry_seconds
        self.clock = clock
        self._sink: PhoneSink | None = None
        self._socket: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._token = 0
        self._calls: dict[str, str] = {}  # call id -> peer, for the calls not yet closed
        self._hung_up: set[str] = set()  # call ids we asked to hang up
        self.current: str | None = None  # the id of the last call answered and not yet closed
        self.hang_up_sent: float | None = None  # clock() when the last hangup command went out
        self.responses: list[dict[str, Any]] = []

    # -- the Softphone protocol -----------------------------------------------------------------

    def start(self, sink: PhoneSink) -> None:
        self._sink = sink
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="callscript-softphone", daemon=True)
        self._thread.start()

    def hang_up(self) -> None:
        """Hang up the call in progress (baresip's ``hangup`` command)."""
        call = self.current
        if call is None:
            return
        self._hung_up.add(call)
        self.hang_up_sent = self.clock()
        self.command("hangup")

    def stop(self) -> None:
        self._stop.set()
        sock = self._socket
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=3.0)
        self._thread = None

    # -- more commands ------------------------------------------------------------------------

    def wait_connected(self, timeout: float) -> bool:
        """True once the control port is connected (for tests and the benchmark)."""
        return self._connected.wait(timeout)

    def dial(self, uri: str) -> None:
        """Call ``uri`` (``sip:agent@127.0.0.1:5072``)."""
        self.command("dial", uri)

    def answer(self) -> None:
        """Answer the ringing call (for a phone without auto-answer)."""
        self.command("accept")

    def command(self, name: str, params: str = "") -> bool:
        """Send one command; False when the control port is not connected."""
        with self._send_lock:
            sock = self._socket
            if sock is None:
                return False
            self._token += 1
            try:
                sock.sendall(encode({"command": name, "params": params, "token": str(self._token)}))
            except OSError:
                return False
        return True

    # -- the reader thread --------------------------------------------------------------------

    def _run(self) -> None:
        reported: str | None = None
        while not self._stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=self.retry_seconds)
            except OSError as exc:
                message = (f"the softphone is not reachable at {self.address} ({exc.strerror or exc}): start baresip "
                           "with ctrl_tcp (see docs/softphone.md)")
                if message != reported:
                    self._problem(message)
                    reported = message
                self._stop.wait(self.retry_seconds)
                continue
            sock.settimeout(None)
            with self._send_lock:
                self._socket = sock
            self._connected.set()
            if reported is not None:
                self._problem(None)
                reported = None
            try:
                self._read(sock)
            finally:
                with self._send_lock:
                    self._socket = None
                self._connected.clear()
                sock.close()
            if not self._stop.is_set():
                reported = f"the softphone at {self.address} closed its control port; reconnecting"
                self._problem(reported)
                self._stop.wait(self.retry_seconds)

    def _read(self, sock: socket.socket) -> None:
        reader = NetstringReader()
        while not self._stop.is_set():
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            try:
                payloads = reader.feed(data)
            except ValueError as exc:
                self._problem(f"the softphone at {self.address} sent something that is not ctrl_tcp ({exc})")
                return
            for payload in payloads:
                try:
                    message = json.loads(payload.decode("utf-8", errors="replace"))
                except ValueError:
                    continue
                if isinstance(message, dict):
                    self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        if message.get("response"):
            self.responses.append(message)
            return
        if not message.get("event") or message.get("class") != "call":
            return
        kind = message.get("type")
        call = str(message.get("id") or "")
        peer = str(message.get("peeruri") or "")
        at = self.clock()
        event: PhoneEvent | None = None
        if kind == "CALL_INCOMING":
            self._calls[call] = peer
            event = CallRang(call, peer, at)
        elif kind == "CALL_ESTABLISHED":
            self._calls[call] = peer
            self.current = call
            event = CallAnswered(call, peer, at)
        elif kind == "CALL_CLOSED":
            self._calls.pop(call, None)
            if self.current == call:
                self.current = None
            by = "agent" if call in self._hung_up else "caller"
            self._hung_up.discard(call)
            event = CallClosed(call, peer, at, by=by, reason=str(message.get("param") or ""))
        if event is not None and self._sink is not None:
            try:
                self._sink.phone_event(event)
            except Exception:  # noqa: BLE001 - the app's problem, never a reason to stop following the phone
                pass

    def _problem(self, message: str | None) -> None:
        if self._sink is not None:
            try:
                self._sink.phone_problem(message)
            except Exception:  # noqa: BLE001 - as above
                pass
