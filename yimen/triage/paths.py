"""Where the triage engine keeps its files, read at call time so tests can override them.

Django settings win when configured; otherwise the environment; otherwise `var/triage` under the
repository (the embedded mode's var directory).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_REPO = Path(__file__).resolve().parents[2]


def setting(name: str, default: Any = None) -> Any:
    try:
        from django.conf import settings

        if settings.configured and hasattr(settings, name):
            return getattr(settings, name)
    except ImportError:  # pragma: no cover - Django is a hard dependency
        pass
    return os.environ.get(name, default)


def var_dir() -> Path:
    explicit = setting("VAR_DIR", None)
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("YIMEN_VAR_DIR") or _REPO / "var")


def triage_dir() -> Path:
    return Path(setting("YIMEN_TRIAGE_DIR", "") or var_dir() / "triage")


def models_dir() -> Path:
    return Path(setting("YIMEN_TRIAGE_MODELS_DIR", "") or triage_dir() / "models")


def cache_dir() -> Path:
    return Path(setting("YIMEN_TRIAGE_CACHE_DIR", "") or triage_dir() / "cache")
