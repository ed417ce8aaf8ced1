"""Widgets of the call screen: the line to say, the countdown, key rows, the line meter."""
