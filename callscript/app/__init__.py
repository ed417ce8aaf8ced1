"""The Textual UI of callscript: flow picker, live call screen, summary and settings.

Build the app with ``callscript.app.app.make_app``. Modules that other parts may import without
Textual: ``ports`` (the speaker/listener/doctor protocols), ``call`` (a call's bookkeeping),
and ``keys``. The interface's words are in ``callscript.i18n`` (gettext catalogs).
"""
