"""The app's screens (``...Screen``) and modal dialogs (``...Dialog``)."""
