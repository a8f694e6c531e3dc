"""Calls that only look at values: printing, logging, warnings, checks.

They have no derivative and write into nothing, so a differentiated function
may call them on differentiated values; the generated code keeps them in the
primal sweep, where they see the values the original function computed.
"""

import builtins
import logging
import warnings

import numpy as np

from ..runtime import check_unpack
from .registry import observer_methods, observers

_LOG_LEVELS = ("debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log")

observers(builtins.print, warnings.warn, warnings.warn_explicit, check_unpack)
observers(*(getattr(logging, name) for name in _LOG_LEVELS if hasattr(logging, name)))
observers(
    np.testing.assert_, np.testing.assert_allclose, np.testing.assert_almost_equal,
    np.testing.assert_approx_equal, np.testing.assert_array_almost_equal,
    np.testing.assert_array_almost_equal_nulp, np.testing.assert_array_equal,
    np.testing.assert_array_less, np.testing.assert_array_max_ulp, np.testing.assert_equal,
)
observer_methods(logging.Logger, *_LOG_LEVELS)
observer_methods(logging.LoggerAdapter, *_LOG_LEVELS)
