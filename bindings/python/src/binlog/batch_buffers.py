"""The buffers a reader's batches are copied into, reused when free."""

from __future__ import annotations

from typing import List

#: Buffers of the usual size kept for reuse: the one the records being
#: taken are in, and the one before, which a caller still holding the
#: last record of the batch before (a loop's variable does) keeps busy.
KEPT = 2


class BatchBuffers:
    """Hands out buffers of ``size`` bytes, each reused once no view of it
    is alive: a record's payload is a view of its batch's buffer and stays
    valid as long as it is referenced, and the record itself holds a view
    its user cannot release (its type and metadata are read in that
    buffer), so a buffer a live record or payload is in is never written
    again. A bytearray tells whether it is viewed by refusing to
    change size while exported (:class:`BufferError`). Reuse spares the
    zero-filling of a new buffer and keeps the memory warm."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: List[bytearray] = []

    def get(self) -> bytearray:
        """A buffer of ``size`` bytes no view of which is alive."""
        for buf in self._kept:
            if not _viewed(buf):
                return buf
        buf = bytearray(self.size)
        self._kept = self._kept[1 - KEPT :] + [buf]
        return buf


def _viewed(buf: bytearray) -> bool:
    try:
        buf.append(0)
    except BufferError:
        return True
    del buf[-1]
    return False
