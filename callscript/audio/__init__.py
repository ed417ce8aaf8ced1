"""Listening to the line: audio sources, line analysis, offline speech recognition.

Nothing here is imported by the engine, and nothing here imports numpy, sounddevice, webrtcvad or
vosk at module level: each is imported inside the function or class that needs it, so the app and
the other commands start fast and keep working where a library, a device or a model is missing.

The parts, from the wire up:

- ``sources``: 16 kHz mono int16 audio from a sounddevice input (resampled with
  ``callscript.resample``) or from a WAV file, in real time or as fast as possible.
- ``analysis``: a pure function of the samples (no device, no clock): voice activity, levels
  calibrated on the line's own noise floor, and the line conditions the flows react to.
- ``models`` / ``recognizer``: finding, checking, downloading and running Vosk models.
- ``matching``: the tolerant ``heard:`` matcher (pinyin-aware for Chinese) the engine plugs in.
- ``pipeline``: analysis + recognition over one stream of frames, reporting timestamped outputs.
- ``listener``: the app's ``Listener`` implementations, which run a pipeline on their own thread.
"""

SAMPLE_RATE = 16000
FRAME_SAMPLES = 480  # 30 ms at 16 kHz: a frame size webrtcvad accepts
FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE
