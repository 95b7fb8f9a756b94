"""The bottom layer: settings read from the environment, in one place."""

from core.settings import (
    Settings,
    hide_lite_uri_from_pymilvus,
    is_server_uri,
    load_settings,
    torchrun_env,
)

__all__ = [
    "Settings",
    "hide_lite_uri_from_pymilvus",
    "is_server_uri",
    "load_settings",
    "torchrun_env",
]
