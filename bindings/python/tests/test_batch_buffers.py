"""The buffers a reader copies batches into: reused only once no view of
one is alive."""

from binlog.batch_buffers import KEPT, BatchBuffers


def test_a_buffer_no_view_of_which_is_alive_is_handed_out_again():
    buffers = BatchBuffers(4096)
    first = buffers.get()
    assert len(first) == 4096
    assert buffers.get() is first
    view = memoryview(first)[10:20]
    del view
    assert buffers.get() is first


def test_a_viewed_buffer_is_never_handed_out_and_keeps_its_bytes():
    buffers = BatchBuffers(4096)
    first = buffers.get()
    first[:5] = b"hello"
    view = memoryview(first).toreadonly()[:5]
    second = buffers.get()
    assert second is not first and len(second) == 4096
    second[:5] = b"other"
    assert bytes(view) == b"hello" and len(first) == 4096
    del view
    assert buffers.get() in (first, second)


def test_at_most_kept_buffers_are_kept_for_reuse():
    buffers = BatchBuffers(64)
    views = []
    handed = []
    for _ in range(KEPT + 2):
        buf = buffers.get()
        handed.append(buf)
        views.append(memoryview(buf))
    assert len({id(b) for b in handed}) == KEPT + 2
    views.clear()
    # Only the last KEPT buffers handed out are candidates again.
    assert buffers.get() in handed[-KEPT:]
