"""A real SIP call on 127.0.0.1: two baresip user agents and PulseAudio virtual devices.

On top of a :class:`tests.support.pulse.VirtualLine` daemon this loads three null sinks:

- ``softphone``: the agent-side user agent plays the caller into it; callscript hears its
  monitor (``pulse:softphone.monitor``), as it would hear a real softphone;
- ``agent_voice``: whatever is played into it is the agent-side user agent's microphone (its
  monitor is the UA's audio source);
- ``caller_ear``: the caller-side user agent plays what it receives from the agent into it.

The agent side (:class:`SipLine`, one baresip for the whole session) auto-answers; each call is
a new caller-side baresip (:meth:`SipLine.call`) whose microphone is a WAV file (``aufile``, 8 kHz
mono 16-bit) and which dials the agent at once. Callers are controlled with callscript's own
``BaresipPhone`` through their ``ctrl_tcp`` ports; the agent's port (:attr:`SipLine.control`) is
left to the code under test, because ctrl_tcp serves one client at a time.

Safety: every address is 127.0.0.1 (``net_interface``, ``sip_listen``, ``ctrl_tcp_listen``; no
STUN/TURN/ICE module is loaded; the DNS resolver, whose two UDP sockets baresip always opens
unbound, is pointed at 127.0.0.1; :func:`socket_addresses` lets a test check every socket); every baresip runs with ``-t`` so it quits by itself, and is stopped
by its pid, never by name.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from callscript.softphone import CallClosed, PhoneEvent
from callscript.softphone.baresip import BaresipPhone
from tests.support.pulse import VirtualLine

SINKS = ("softphone", "agent_voice", "caller_ear")
MODULES = "/usr/lib/baresip/modules"
INSTALL_HINT = "install it with 'sudo apt-get install baresip-core' (or run scripts/setup)"


def missing() -> str | None:
    """Why a real SIP call cannot be made here, or None."""
    if shutil.which("baresip") is None:
        return f"baresip is missing; {INSTALL_HINT}"
    for module in ("g711.so", "alsa.so", "aufile.so", "ctrl_tcp.so", "account.so"):
        if not (Path(MODULES) / module).exists():
            return f"the baresip module {module} is missing from {MODULES}; {INSTALL_HINT}"
    return None


PORTS = range(15000, 19990)  # below the kernel's ephemeral ports (clients' own ports) and the RTP range


def _bindable(port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port(span: int = 1) -> int:
    """A port on 127.0.0.1 free for UDP and TCP right now, with the ``span - 1`` ports after it
    (baresip also listens on the SIP port + 1, for TLS). Chosen outside the ephemeral range, so a
    client connection cannot take it between now and the bind."""
    import random

    # Each pytest-xdist worker (gw0, gw1 ...) picks from its own quarter: two workers' user agents
    # never race for the same port.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    quarter = len(PORTS) // 4
    start = PORTS.start + (int(worker) % 4 if worker.isdigit() else 0) * quarter
    for _ in range(200):
        port = random.randrange(start, start + quarter)
        if all(_bindable(port + k) for k in range(span)):
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop} on 127.0.0.1")


def _config(*, sip_port: int, ctrl_port: int, source: str) -> str:
    """A baresip config: loopback only, G.711 only, ALSA through PulseAudio, ctrl_tcp."""
    return "\n".join([
        "poll_method epoll",
        f"sip_listen 127.0.0.1:{sip_port}",
        "net_interface 127.0.0.1",
        "audio_player alsa,pulse",
        f"audio_source {source}",
        "audio_alert alsa,pulse",
        "audio_buffer 40",  # ms: what the player buffers before it plays
        "jitter_buffer_delay 2-4",  # packets of 20 ms: a real phone's delay
        "rtp_ports 20000-29999",
        "dns_server 127.0.0.1:53",  # the resolver's sockets are unbound: let them only ever ask loopback
        f"module_path {MODULES}",
        "module g711.so",
        "module alsa.so",
        "module aufile.so",
        "module_tmp account.so",
        "module_app menu.so",
        "module_app ctrl_tcp.so",
        f"ctrl_tcp_listen 127.0.0.1:{ctrl_port}",
        "",
    ])


class Events:
    """A ``PhoneSink`` that keeps what a user agent reported, for tests to wait on."""

    def __init__(self) -> None:
        self.events: list[PhoneEvent] = []
        self.problems: list[str | None] = []
        self._changed = threading.Condition()

    def phone_event(self, event: PhoneEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def phone_problem(self, message: str | None) -> None:
        self.problems.append(message)

    def wait_for(self, kind: type[PhoneEvent], timeout: float) -> PhoneEvent | None:
        """The first event of ``kind``, waiting up to ``timeout`` seconds for it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((e for e in self.events if isinstance(e, kind)), None)
                left = deadline - time.monotonic()
                if found is not None or left <= 0:
                    return found
                self._changed.wait(left)


class UserAgent:
    """One baresip process with its own config folder, quitting by itself after ``seconds``."""

    def __init__(self, folder: Path, name: str, *, env: dict[str, str], source: str, account: str,
                 seconds: int, control: bool = True) -> None:
        self.folder = folder / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.sip_port = free_port(span=2)
        self.ctrl_port = free_port()
        while self.ctrl_port in (self.sip_port, self.sip_port + 1):
            self.ctrl_port = free_port()
        self.uri = f"sip:{name}@127.0.0.1:{self.sip_port}"
        (self.folder / "config").write_text(_config(sip_port=self.sip_port, ctrl_port=self.ctrl_port, source=source))
        (self.folder / "accounts").write_text(f"<{self.uri}>;regint=0{account}\n")
        (self.folder / "contacts").write_text("")
        self.log = self.folder / "baresip.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(["baresip", "-f", str(self.folder), "-t", str(seconds)],
                                            env={**os.environ, **env}, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT)
        self.events = Events()
        self.phone = BaresipPhone(f"127.0.0.1:{self.ctrl_port}", retry_seconds=0.05)
        # baresip's ctrl_tcp serves one client at a time: the agent's port is left to callscript.
        if control:
            self.phone.start(self.events)
        if not (self.phone.wait_connected(10.0) if control else self._port_open(10.0)):
            self.stop()
            raise RuntimeError(f"baresip {name} did not open its control port:\n{self.log.read_text(errors='replace')}")

    def _port_open(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        self.phone.stop()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


class SipLine:
    """The agent's side of a phone line: PulseAudio sinks and an auto-answering baresip."""

    def __init__(self, line: VirtualLine, folder: Path, *, seconds: int = 600) -> None:
        self.line = line
        self.folder = folder
        self.callers: list[UserAgent] = []
        for sink in SINKS:
            line.pactl("load-module", "module-null-sink", f"sink_name={sink}")
        env = {**line.env, "PULSE_SINK": "softphone", "PULSE_SOURCE": "agent_voice.monitor"}
        self.agent = UserAgent(folder, "agent", env=env, source="alsa,pulse", account=";answermode=auto",
                               seconds=seconds, control=False)
        self.control = f"127.0.0.1:{self.agent.ctrl_port}"  # for callscript's BaresipPhone
        self.monitor = "pulse:softphone.monitor"  # what callscript listens to

    def call(self, wav: Path | None, *, seconds: int = 60) -> UserAgent:
        """A new caller whose microphone plays ``wav`` (8 kHz mono 16-bit), dialling the agent now.
        With ``wav`` None its microphone is the virtual line's ``caller`` source instead: what
        ``VirtualLine.feed`` writes, when it writes it (for timing the way through the call)."""
        env = {**self.line.env, "PULSE_SINK": "caller_ear", "PULSE_SOURCE": "caller"}
        caller = UserAgent(self.folder, f"caller{len(self.callers) + 1}", env=env,
                           source=f"aufile,{wav}" if wav is not None else "alsa,pulse", account="", seconds=seconds)
        self.callers.append(caller)
        caller.phone.dial(self.agent.uri)
        return caller

    def hang_up_callers(self) -> None:
        for caller in self.callers:
            if caller.events.wait_for(CallClosed, 0) is None:
                caller.phone.command("hangup")

    def stop(self) -> None:
        for ua in [*self.callers, self.agent]:
            ua.stop()


def socket_addresses(pid: int) -> list[tuple[str, str, str]]:
    """``(table, local address, remote address)`` of every TCP and UDP socket process ``pid`` has
    open (``0.0.0.0``/``::`` for an unbound side)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "udp", "tcp6", "udp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for row in path.read_text().splitlines()[1:]:
            cols = row.split()
            if len(cols) > 9 and cols[9] in inodes:
                found.append((table, _address(cols[1].split(":")[0]), _address(cols[2].split(":")[0])))
    return found


def _address(hex_ip: str) -> str:
    if len(hex_ip) == 8:  # IPv4, little-endian
        return socket.inet_ntop(socket.AF_INET, bytes.fromhex(hex_ip)[::-1])
    raw = b"".join(bytes.fromhex(hex_ip[i:i + 8])[::-1] for i in range(0, 32, 8))
    return socket.inet_ntop(socket.AF_INET6, raw)
