"""The call-flow format: safe YAML reading, the schema, validation and phrase lint.

See docs/flow-format.md for the format itself. Nothing here imports UI, audio or speech code.
"""
