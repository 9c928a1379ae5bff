"""The one logging setup: plain `LEVEL stage: message` lines on stderr.

No timestamps: the lines end up in executed stage notebooks, which must be the same
on every run.
"""

from __future__ import annotations

import logging
import sys


def get_logger(name: str, level: str = "INFO") -> logging.Logger:
    """Return a logger that writes `LEVEL name: message` to stderr, set up once."""
    logger = logging.getLogger(name)
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    return logger
