"""A private PulseAudio daemon that gives tests a virtual phone line.

The development and CI machines have no sound card. This module starts a PulseAudio daemon of
our own (the recipe in ``../shared/guide/AUDIO-TESTING.md``) with two virtual devices:

- ``caller``: a pipe source. Whatever :meth:`VirtualLine.feed` writes into its fifo comes out of
  it, in real time, as if the caller spoke into the agent's headset. Code under test opens
  sounddevice's ``pulse`` device with ``PULSE_SOURCE=caller`` and hears it as a microphone.
- ``line``: a null sink. Whatever the code under test plays goes there; its monitor source
  ``line.monitor`` is recorded by :meth:`VirtualLine.record_monitor` to check that sound came out.

Both speak s16le, 16 kHz, mono on the test side (:data:`RATE`, :data:`CHANNELS`).

The caller line runs in real time, like a live microphone, whether or not anything listens:

- one pump thread writes the caller fifo in 20 ms chunks paced on the monotonic clock, taken from
  what was fed or, between feeds, digital silence. (A pipe source with no writer produces no data
  at all: without the pump, a capture of a "silent" caller would stall instead of hearing silence.)
- one ``parec`` drains the ``caller`` source for the whole session. (A pipe source reads its fifo
  only while something records it: without the drain, the fifo fills up with ~2 s of old audio
  that a new capture would get first, and the pump would block.)

So a capture started at any moment hears the line from that moment on, and a feed's ``started``
and ``done`` events are when its audio went out on the line.

PortAudio and the environment
-----------------------------
PortAudio (under sounddevice) enumerates devices in ``Pa_Initialize``, which sounddevice calls
once at import. If PulseAudio was not reachable then, the ``pulse`` device does not exist for the
life of the process. ALSA's pulse plugin reads ``PULSE_SERVER``/``PULSE_SOURCE``/``PULSE_SINK``
each time a stream opens. So in-process tests must set the environment and then re-initialise
PortAudio: :meth:`VirtualLine.apply` does both (and undoes both on exit)::

    with virtual_line.apply():                    # env set + sounddevice re-initialised
        stream = sd.InputStream(device="pulse", samplerate=16000, channels=1, dtype="int16")

    with virtual_line.apply(PULSE_SOURCE="line.monitor"):   # hear what was played instead

By hand it is ``os.environ.update(line.env); sd._terminate(); sd._initialize()``
(:func:`reinit_sounddevice`). Subprocesses take ``env={**os.environ, **line.env}``.

Timing on the line sink
-----------------------
The null sink buffers up to 2 s for clients that ask for no particular latency (PortAudio via
ALSA's pulse plugin is one): a blocking ``sd.play``/``OutputStream.write`` of a short clip
returns only after about 2 s, and closing waits for that drain. The sound itself reaches
``line.monitor`` at once (about 10 ms after the write) while a recording with a short latency,
such as :meth:`VirtualLine.start_recording`, is running. Measure time to first sound on the
monitor, not by how long a write blocks.

The daemon is stopped by the pid in its own pid file, never by name, because other engineers'
daemons may run on the same machine. If the test process is killed before that, the daemon
exits by itself :data:`EXIT_IDLE_SECONDS` after (its session-long drain client dies with the
test process). Start the line from the main thread: the drain dies with the thread that
started it.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Self

from tests.support.environment import environment

if TYPE_CHECKING:  # numpy is imported lazily: conftest imports this module for every test run
    import numpy as np

RATE = 16000
CHANNELS = 1
SAMPLE_WIDTH = 2  # bytes, s16le
CALLER_SOURCE = "caller"
LINE_SINK = "line"
LINE_MONITOR = "line.monitor"
CHUNK_SECONDS = 0.02
# The guide's recipe never exits by itself (-1). Ours exits this long after its last client: the
# drain stays connected for the whole session and dies with the test process (PR_SET_PDEATHSIG),
# so a test run that is killed before its teardown leaves no daemon behind.
EXIT_IDLE_SECONDS = 5

INSTALL_HINT = (
    "install them with 'sudo apt-get install pulseaudio pulseaudio-utils libportaudio2 "
    "libasound2-plugins' (or run scripts/setup)"
)


class VirtualLineError(RuntimeError):
    """The virtual line could not be started or used although its programs are installed."""


def missing_requirements() -> list[str]:
    """The system parts the virtual line needs that this machine lacks (empty when all present).

    Programs are looked up on ``PATH``; PortAudio the way sounddevice looks it up.
    """
    missing = [
        f"{program} ({package})"
        for program, package in (
            ("pulseaudio", "pulseaudio"),
            ("pactl", "pulseaudio-utils"),
            ("parec", "pulseaudio-utils"),
        )
        if shutil.which(program) is None
    ]
    if ctypes.util.find_library("portaudio") is None:
        missing.append("PortAudio (libportaudio2)")
    return missing


def skip_reason(missing: list[str]) -> str:
    """The message a test is skipped with when parts of the virtual line are missing."""
    return f"virtual phone line unavailable: missing {', '.join(missing)}; {INSTALL_HINT}"


def reinit_sounddevice() -> None:
    """Make an already imported sounddevice see the current PulseAudio environment.

    PortAudio counts initialisations; only the last ``Pa_Terminate`` really terminates, so all of
    them are undone before one fresh ``Pa_Initialize``. Streams still open are closed by this:
    close yours first. If sounddevice is not imported yet, its import initialises it later with
    whatever environment is current then, so there is nothing to do.
    """
    sd = sys.modules.get("sounddevice")
    if sd is None:
        return
    while sd._initialized:
        sd._terminate()
    sd._initialize()


def to_pcm(audio: bytes | bytearray | str | os.PathLike[str] | np.ndarray) -> bytes:
    """Raw s16le 16 kHz mono PCM from bytes (taken as is), an int16/float array, or a sound file.

    Files are converted with sox (any rate, channel count or format sox reads).
    """
    if isinstance(audio, (bytes, bytearray)):
        if len(audio) % SAMPLE_WIDTH:
            raise ValueError("raw PCM must be whole s16le samples (an even number of bytes)")
        return bytes(audio)
    if isinstance(audio, (str, os.PathLike)):
        return _sox_to_pcm(Path(audio))
    import numpy as np

    array = np.asarray(audio)
    if array.ndim != 1:
        raise ValueError(f"expected mono samples (one dimension), got shape {array.shape}")
    if array.dtype.kind == "f":
        array = np.clip(array, -1.0, 1.0) * 32767.0
    return array.astype("<i2").tobytes()


def _sox_to_pcm(path: Path) -> bytes:
    if not path.is_file():
        raise FileNotFoundError(path)
    if shutil.which("sox") is None:
        raise VirtualLineError("converting a sound file needs sox: sudo apt-get install sox")
    result = subprocess.run(
        ["sox", "-R", str(path), "-t", "raw", "-r", str(RATE), "-c", str(CHANNELS),
         "-b", "16", "-e", "signed-integer", "-L", "-"],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise VirtualLineError(f"sox could not read {path}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def samples(pcm: bytes) -> np.ndarray:
    """s16le PCM bytes as an int16 numpy array."""
    import numpy as np

    return np.frombuffer(pcm, dtype="<i2").copy()


class Feed:
    """One piece of audio queued on the caller line; :meth:`wait` until it has all been written."""

    def __init__(self, pcm: bytes) -> None:
        self.pcm = pcm
        self.offset = 0  # bytes written so far (by the pump thread)
        self.started = threading.Event()
        self.done = threading.Event()

    @property
    def duration(self) -> float:
        """Length of the fed audio in seconds."""
        return len(self.pcm) / (RATE * SAMPLE_WIDTH * CHANNELS)

    @property
    def samples(self) -> np.ndarray:
        """The fed audio as int16 samples (what a capture of the caller source should contain)."""
        return samples(self.pcm)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the last chunk was written to the fifo (real time: about ``duration``)."""
        if timeout is None:
            timeout = self.duration + 30.0
        if not self.done.wait(timeout):
            raise VirtualLineError(f"feeding {self.duration:.2f} s of audio did not finish in {timeout:.0f} s")


class _Pump(threading.Thread):
    """Writes the caller fifo in real time: queued feeds, else silence."""

    def __init__(self, fifo: Path) -> None:
        super().__init__(name="virtual-line-pump", daemon=True)
        self._chunk = int(RATE * CHUNK_SECONDS) * SAMPLE_WIDTH * CHANNELS
        self._silence = bytes(self._chunk)
        self._queue: collections.deque[Feed] = collections.deque()
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self.error: BaseException | None = None
        # The daemon holds the fifo open for reading, so a non-blocking open succeeds at once (and
        # fails with ENXIO, instead of hanging, if the daemon is gone). Writes then block normally.
        self._fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.set_blocking(self._fd, True)

    def enqueue(self, feed: Feed) -> None:
        if self.error is not None:
            raise VirtualLineError(f"the caller line is broken: {self.error}")
        with self._lock:
            self._queue.append(feed)

    def _next_chunk(self) -> tuple[bytes, list[Feed]]:
        """Up to one chunk of fed audio (padded with silence) and the feeds it completes."""
        out = bytearray()
        finished: list[Feed] = []
        with self._lock:
            while len(out) < self._chunk and self._queue:
                feed = self._queue[0]
                piece = feed.pcm[feed.offset : feed.offset + self._chunk - len(out)]
                feed.started.set()
                out += piece
                feed.offset += len(piece)
                if feed.offset >= len(feed.pcm):
                    self._queue.popleft()
                    finished.append(feed)
        out += self._silence[len(out) :]
        return bytes(out), finished

    def run(self) -> None:
        period = CHUNK_SECONDS
        deadline = time.monotonic()
        try:
            while not self._halt.is_set():
                chunk, finished = self._next_chunk()
                os.write(self._fd, chunk)
                for feed in finished:
                    feed.done.set()
                deadline += period
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._halt.wait(delay)
                elif delay < -0.25:
                    deadline = time.monotonic()  # fell far behind (a stalled machine): don't burst
        except BaseException as exc:  # noqa: BLE001 - reported to the test through enqueue/stop
            self.error = exc
        finally:
            with self._lock:
                pending, self._queue = list(self._queue), collections.deque()
            for feed in pending:
                feed.done.set()

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)
        os.close(self._fd)


def _die_with_parent() -> list[str]:
    """A prefix that makes a command get SIGTERM when the process that started it dies."""
    return ["setpriv", "--pdeathsig", "TERM"] if shutil.which("setpriv") else []


def _parec_command(source: str) -> list[str]:
    return ["parec", "-d", source, "--raw", "--format=s16le", f"--rate={RATE}",
            f"--channels={CHANNELS}", "--latency-msec=20"]


class Recording:
    """A capture of one PulseAudio source with ``parec``, running in the background."""

    def __init__(self, env: dict[str, str], source: str, seconds: float) -> None:
        self.source = source
        self.seconds = seconds
        self.started = threading.Event()
        self._want = int(round(seconds * RATE)) * SAMPLE_WIDTH * CHANNELS
        self._data = bytearray()
        self._error: str | None = None
        self._process = subprocess.Popen(
            _parec_command(source),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._thread = threading.Thread(target=self._read, name=f"record-{source}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        stdout = self._process.stdout
        try:
            while len(self._data) < self._want:
                block = stdout.read1(min(65536, self._want - len(self._data)))
                if not block:
                    self._error = self._process.stderr.read().decode(errors="replace").strip() if self._process.stderr else ""
                    break
                self.started.set()
                self._data += block
        finally:
            self.started.set()
            self._process.terminate()
            self._process.wait(timeout=10)

    def result(self, timeout: float | None = None) -> np.ndarray:
        """Wait for the whole capture and return it as int16 samples at :data:`RATE`."""
        self._thread.join(self.seconds + 30.0 if timeout is None else timeout)
        if self._thread.is_alive():
            self._process.kill()
            raise VirtualLineError(f"recording {self.source} did not finish")
        if len(self._data) < self._want:
            raise VirtualLineError(
                f"recording {self.source} ended early ({len(self._data)} of {self._want} bytes): {self._error}"
            )
        return samples(bytes(self._data))


class VirtualLine:
    """A running private PulseAudio daemon with the ``caller`` source and the ``line`` sink.

    Build it with :meth:`start` and end it with :meth:`stop` (the ``virtual_line`` fixture does
    both). ``env`` holds the variables a process needs to use it: ``XDG_RUNTIME_DIR``,
    ``PULSE_SERVER``, and ``PULSE_SOURCE=caller`` / ``PULSE_SINK=line`` so that the default
    microphone is the caller and the default speaker is the line.
    """

    def __init__(self, runtime_dir: Path) -> None:
        self.runtime_dir = runtime_dir
        self.fifo = runtime_dir / "caller.fifo"
        self.pid_file = runtime_dir / "pulse" / "pid"
        self.log_file = runtime_dir / "pulseaudio.log"
        self.server = f"unix:{runtime_dir / 'pulse' / 'native'}"
        self.env: dict[str, str] = {
            "XDG_RUNTIME_DIR": str(runtime_dir),
            "PULSE_SERVER": self.server,
            "PULSE_SOURCE": CALLER_SOURCE,
            "PULSE_SINK": LINE_SINK,
        }
        self._pump: _Pump | None = None
        self._drain: subprocess.Popen[bytes] | None = None

    # -- life cycle ---------------------------------------------------------------------------

    @classmethod
    def start(cls, base_dir: str | os.PathLike[str] | None = None) -> VirtualLine:
        """Start the daemon in a fresh runtime directory (under ``base_dir`` or the temp dir).

        The directory is kept short on purpose: a unix socket path must fit in 108 bytes.
        """
        runtime_dir = Path(tempfile.mkdtemp(prefix="cs-pulse-", dir=base_dir))
        runtime_dir.chmod(0o700)
        line = cls(runtime_dir)
        try:
            line._start_daemon()
            line._drain = subprocess.Popen(
                [*_die_with_parent(), *_parec_command(CALLER_SOURCE)], env={**os.environ, **line.env},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            _wait_exec(line._drain, "parec")
            line._pump = _Pump(line.fifo)
            line._pump.start()
        except BaseException:
            line.stop()
            raise
        return line

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        """``with VirtualLine.start() as line:`` stops the line at the end of the block."""
        self.stop()

    def _daemon_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
        env["XDG_RUNTIME_DIR"] = str(self.runtime_dir)
        # Cookie and device databases stay in the runtime dir, not in the user's ~/.config/pulse.
        env["PULSE_STATE_PATH"] = str(self.runtime_dir / "state")
        return env

    def _start_daemon(self) -> None:
        # module-pipe-source creates the fifo itself and fails if it already exists (and the
        # daemon then starts without the source, exit status 0), so no mkfifo here, and the
        # devices are checked below.
        command = [
            "pulseaudio", "-D", "-n", f"--exit-idle-time={EXIT_IDLE_SECONDS}", "--use-pid-file=yes",
            f"--log-target=file:{self.log_file}",
            "--load=module-native-protocol-unix auth-anonymous=1",
            f"--load=module-null-sink sink_name={LINE_SINK}",
            f'--load=module-pipe-source source_name={CALLER_SOURCE} file="{self.fifo}" '
            f"format=s16le rate={RATE} channels={CHANNELS}",
        ]
        result = subprocess.run(command, env=self._daemon_env(), capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            raise VirtualLineError(f"pulseaudio did not start (exit {result.returncode}): {result.stderr.strip()}\n{self._log()}")
        sources = self.pactl("list", "short", "sources")
        sinks = self.pactl("list", "short", "sinks")
        names = {line.split("\t")[1] for line in (sources + sinks).splitlines() if "\t" in line}
        missing = {CALLER_SOURCE, LINE_SINK, LINE_MONITOR} - names
        if missing or not self.fifo.exists():
            raise VirtualLineError(f"pulseaudio started without {sorted(missing) or 'the caller fifo'}:\n{self._log()}")

    def _log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace").strip()
        except OSError:
            return "(no pulseaudio log)"

    def daemon_pid(self) -> int | None:
        """The daemon's pid from its pid file, or None when there is none."""
        try:
            return int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        """Stop the pump, then the daemon by its pid file, and remove the runtime directory."""
        try:
            if self._drain is not None:
                drain, self._drain = self._drain, None
                drain.terminate()
                drain.wait(timeout=10)
            if self._pump is not None:
                pump, self._pump = self._pump, None
                pump.stop()
        finally:
            pid = self.daemon_pid()
            if pid is not None and _is_pulseaudio(pid):
                os.kill(pid, signal.SIGTERM)
                if not _wait_gone(pid, 5.0):
                    os.kill(pid, signal.SIGKILL)
                    _wait_gone(pid, 5.0)
            shutil.rmtree(self.runtime_dir, ignore_errors=True)

    # -- using it -----------------------------------------------------------------------------

    def pactl(self, *args: str) -> str:
        """Run ``pactl`` against this daemon and return its output."""
        result = subprocess.run(
            ["pactl", *args], env={**os.environ, **self.env}, capture_output=True, text=True, timeout=30, check=False
        )
        if result.returncode != 0:
            raise VirtualLineError(f"pactl {' '.join(args)} failed: {result.stderr.strip()}\n{self._log()}")
        return result.stdout

    @contextlib.contextmanager
    def apply(self, **overrides: str) -> Iterator[VirtualLine]:
        """Context manager: put ``env`` (with ``overrides``) in ``os.environ`` and re-initialise
        sounddevice if it is imported; restore both on exit. Close your streams before exit."""
        try:
            with environment({**self.env, **overrides}):
                reinit_sounddevice()
                yield self
        finally:
            reinit_sounddevice()  # with the environment put back

    def feed(self, audio: bytes | bytearray | str | os.PathLike[str] | np.ndarray) -> Feed:
        """Queue audio on the caller line and return at once; ``.wait()`` on the result.

        ``audio`` is raw s16le 16 kHz mono bytes, an int16 (or float in -1..1) numpy array at
        16 kHz, or a path to a sound file (converted with sox). Feeds play one after another in
        real time; the line is silent between them.
        """
        if self._pump is None:
            raise VirtualLineError("the virtual line is stopped")
        feed = Feed(to_pcm(audio))
        self._pump.enqueue(feed)
        return feed

    def start_recording(self, seconds: float, source: str = LINE_MONITOR) -> Recording:
        """Start capturing ``seconds`` of ``source`` in the background; ``.result()`` gives samples.

        Returns once the capture stream is delivering data, so sound played afterwards is in it.
        """
        recording = Recording({**os.environ, **self.env}, source, seconds)
        if not recording.started.wait(30.0):
            raise VirtualLineError(f"recording {source} did not start")
        return recording

    def record_monitor(self, seconds: float) -> np.ndarray:
        """Capture ``seconds`` of what was played to the ``line`` sink, as int16 samples at 16 kHz."""
        return self.start_recording(seconds, LINE_MONITOR).result()


def _is_pulseaudio(pid: int) -> bool:
    """Whether ``pid`` is (still) a pulseaudio process, so a recycled pid is never signalled."""
    try:
        return b"pulseaudio" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return False


def is_running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (a daemon's zombie is not ours to reap)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[-1].split()[0] != "Z"


def _wait_exec(process: subprocess.Popen[bytes], program: str, timeout: float = 10.0) -> None:
    """Wait until ``process`` runs ``program``. setpriv sets the parent-death signal and then execs
    it; a parent that dies before that (a test killed right after starting the line, on a busy
    machine) would leave the drain connected and the daemon alive for good."""
    end = time.monotonic() + timeout
    cmdline = Path(f"/proc/{process.pid}/cmdline")
    while time.monotonic() < end and process.poll() is None:
        try:
            if Path(cmdline.read_bytes().split(b"\0", 1)[0].decode(errors="replace")).name == program:
                return
        except OSError:
            return
        time.sleep(0.005)


def _wait_gone(pid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for ``pid`` to exit; whether it did."""
    end = time.monotonic() + timeout
    while is_running(pid):
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True


__all__ = [
    "CALLER_SOURCE",
    "CHANNELS",
    "LINE_MONITOR",
    "LINE_SINK",
    "RATE",
    "Feed",
    "Recording",
    "is_running",
    "VirtualLine",
    "VirtualLineError",
    "missing_requirements",
    "reinit_sounddevice",
    "samples",
    "skip_reason",
    "to_pcm",
]
