"""The PyTensor frontend plug-in (entry point ``pytensor``); see ``frontend``."""

from .frontend import PyTensorFrontend

__all__ = ["PyTensorFrontend"]
