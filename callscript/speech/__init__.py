"""Speaking: demonstrations of the correct phrasing, and the ``audio/`` phrase library.

The parts, each importable on its own and none of them importing a heavy library at module level:

- ``voices``: which synthetic voice speaks which flow language, and the rate bounds;
- ``checks``: proof that a file or buffer really holds speech for a text (valid, long enough,
  not silent) -- every synthesised file passes through it;
- ``synth``: speech synthesis with pyttsx3 (espeak-ng) in a persistent worker process;
- ``clip``: audio in memory (load, gain, "louder", trim silence, save);
- ``playback``: sounddevice output to an explicit device, stoppable;
- ``library``: the ``audio/`` tree and its manifest (render, status, lookup);
- ``recorder``: a trainer's recording with a level meter;
- ``speaker``: ``SpeechSpeaker``, the app's ``Speaker``: human recording, then library clip, then
  live synthesis, played off the UI thread.
"""

from __future__ import annotations

from callscript.speech.voices import DEFAULT_RATE, VOICES, voice_for

__all__ = ["DEFAULT_RATE", "VOICES", "voice_for", "SpeechSpeaker", "make_speaker"]


def __getattr__(name: str):
    # ``callscript.speech.SpeechSpeaker`` / ``make_speaker`` (the app's factory, found by
    # ``callscript.app.ports.optional_factory``) without importing the speaker machinery for
    # callers that only need the constants.
    if name in ("SpeechSpeaker", "make_speaker"):
        from callscript.speech import speaker

        return getattr(speaker, name)
    raise AttributeError(name)
