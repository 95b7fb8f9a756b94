"""Compatibility shim: int8 folders exported before the encoders package name this module.

Their ``modules.json`` says ``distill.int8_module.Int8Transformer``; the class now lives
in :mod:`encoders.int8_module`.
"""

from encoders.int8_module import Int8Transformer

__all__ = ["Int8Transformer"]
