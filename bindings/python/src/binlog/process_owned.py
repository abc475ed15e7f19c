"""Handles that only the process that opened them may free.

A shipper, and a tiered reader's bucket client, own a tokio runtime and
its threads (src/archive/mod.rs); after fork() a child has none of those
threads, so freeing the handle there could wait forever on threads that
do not exist. In a child the handle is let go of without the C free
(leaked there, as the library's decode-ahead pool does after fork()).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable

from ._native import ffi

if TYPE_CHECKING:
    from ._native import CData


class OpeningProcess:
    """The process a handle was opened in (this one, when made)."""

    def __init__(self) -> None:
        self.pid = os.getpid()

    def is_current(self) -> bool:
        """False in a child forked after the handle was opened."""
        return os.getpid() == self.pid

    def gc(self, handle: CData, free: Callable[[CData], None]) -> CData:
        """``handle`` freed by ``free`` when collected (or at
        ``ffi.release``), only if that happens in the opening process."""

        def free_if_opened_here(h: CData) -> None:
            if self.is_current():
                free(h)

        return ffi.gc(handle, free_if_opened_here)
