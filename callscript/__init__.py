"""callscript: call-center phone etiquette as runnable call flows.

The package is split so that the headless parts never pay for the heavy ones:

- ``callscript.flow``: the flow format (safe YAML, schema, validation, phrase lint);
- ``callscript.engine``: the pure state machine that runs a flow against an injected clock;
- ``callscript.session``: the append-only JSONL session log and its reader;
- ``callscript.app``: the Textual UI; ``callscript.audio`` and ``callscript.speech``: listening
  and speaking adapters, imported lazily where they are needed.
"""

__version__ = "0.3.0"
