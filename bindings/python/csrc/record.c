/* binlog.Record: one record read, as a batch made it (records.c). It
 * holds the batch's descriptions (binlog_batch_record structs, bytes),
 * its own description's offset in them, the batch's buffer (a bytearray,
 * where its type name, payload and metadata are) and the batch's
 * read-only view of it, which payload views slice; the fields are decoded
 * when asked for. Invariant: the buffer is
 * exported while a record is alive, as the record holds the batch's view,
 * which no user sees and so none can release (a payload view can be), and
 * BatchBuffers reuses only a buffer not exported. Not a
 * tuple and not tracked by the collector: nothing it holds can refer
 * back to it, and a plain struct is made and freed fastest. */
#include <string.h>

#include "fast.h"

typedef struct {
    PyObject_HEAD
    PyObject *descriptions;
    Py_ssize_t at;
    PyObject *buffer;
    PyObject *view;
} Record;

static PyTypeObject *record_type;

PyObject *binlog_fast_record_new(PyObject *descriptions, Py_ssize_t at, PyObject *buffer, PyObject *view) {
    Record *r = PyObject_New(Record, record_type);
    if (r == NULL)
        return NULL;
    Py_INCREF(descriptions);
    Py_INCREF(buffer);
    Py_INCREF(view);
    r->descriptions = descriptions;
    r->at = at;
    r->buffer = buffer;
    r->view = view;
    return (PyObject *)r;
}

static PyObject *record_new_refused(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    (void)type, (void)args, (void)kwargs;
    PyErr_SetString(PyExc_TypeError, "binlog.Record objects are made by readers only");
    return NULL;
}

static void record_dealloc(Record *r) {
    PyTypeObject *type = Py_TYPE(r);
    Py_DECREF(r->descriptions);
    Py_DECREF(r->buffer);
    Py_DECREF(r->view);
    PyObject_Free(r);
    Py_DECREF(type);
}

/* The record's description (a copy: the bytes need not be aligned). */
static binlog_batch_record description(Record *r) {
    binlog_batch_record d;
    memcpy(&d, PyBytes_AsString(r->descriptions) + r->at, sizeof d);
    return d;
}

/* `len` bytes at `off` of the buffer as text; NULL with an error if they
 * are not in it (they always are, as the library wrote them). The buffer
 * holds this record's batch still: the record's view keeps it exported. */
static PyObject *text(Record *r, uint32_t off, uint32_t len) {
    if ((Py_ssize_t)off + (Py_ssize_t)len > PyByteArray_Size(r->buffer)) {
        PyErr_SetString(PyExc_ValueError, "binlog.Record: a text is outside its batch's buffer");
        return NULL;
    }
    return PyUnicode_DecodeUTF8(PyByteArray_AsString(r->buffer) + off, (Py_ssize_t)len, "strict");
}

static PyObject *get_seq(Record *r, void *closure) {
    (void)closure;
    return PyLong_FromUnsignedLongLong(description(r).seq);
}

static PyObject *get_timestamp_ns(Record *r, void *closure) {
    (void)closure;
    return PyLong_FromLongLong(description(r).timestamp_ns);
}

static PyObject *get_offset(Record *r, void *closure) {
    (void)closure;
    return PyLong_FromUnsignedLongLong(description(r).offset);
}

static PyObject *get_type(Record *r, void *closure) {
    binlog_batch_record d = description(r);
    (void)closure;
    return text(r, d.type_off, d.type_len);
}

/* One binlog_batch_meta entry's key and value into `meta`; -1 on error.
 * The buffer holds this record's batch still, as text() says. */
static int put_entry(Record *r, PyObject *meta, uint32_t at) {
    binlog_batch_meta m;
    if ((Py_ssize_t)at + (Py_ssize_t)sizeof m > PyByteArray_Size(r->buffer)) {
        PyErr_SetString(PyExc_ValueError, "binlog.Record: metadata outside its batch's buffer");
        return -1;
    }
    memcpy(&m, PyByteArray_AsString(r->buffer) + at, sizeof m);
    PyObject *key = text(r, m.key_off, m.key_len);
    PyObject *value = key ? text(r, m.value_off, m.value_len) : NULL;
    int result = value ? PyDict_SetItem(meta, key, value) : -1;
    Py_XDECREF(key);
    Py_XDECREF(value);
    return result;
}

static PyObject *get_metadata(Record *r, void *closure) {
    binlog_batch_record d = description(r);
    PyObject *meta = PyDict_New();
    (void)closure;
    for (uint32_t i = 0; meta != NULL && i < d.meta_count; i++) {
        if (put_entry(r, meta, d.meta_off + i * (uint32_t)sizeof(binlog_batch_meta)) < 0)
            Py_CLEAR(meta);
    }
    return meta;
}

/* The payload copied into a new bytes object (json.loads and the like
 * take it); payload_view is the same bytes without a copy. */
static PyObject *get_payload(Record *r, void *closure) {
    binlog_batch_record d = description(r);
    (void)closure;
    if ((Py_ssize_t)d.payload_off + (Py_ssize_t)d.payload_len > PyByteArray_Size(r->buffer)) {
        PyErr_SetString(PyExc_ValueError, "binlog.Record: the payload is outside its batch's buffer");
        return NULL;
    }
    return PyBytes_FromStringAndSize(PyByteArray_AsString(r->buffer) + d.payload_off, (Py_ssize_t)d.payload_len);
}

/* The payload without a copy: a slice of the batch's read-only view. */
static PyObject *get_payload_view(Record *r, void *closure) {
    binlog_batch_record d = description(r);
    PyObject *from = PyLong_FromSsize_t((Py_ssize_t)d.payload_off);
    PyObject *to = from ? PyLong_FromSsize_t((Py_ssize_t)d.payload_off + (Py_ssize_t)d.payload_len) : NULL;
    PyObject *slice = to ? PySlice_New(from, to, NULL) : NULL;
    PyObject *view = slice ? PyObject_GetItem(r->view, slice) : NULL;
    (void)closure;
    Py_XDECREF(from);
    Py_XDECREF(to);
    Py_XDECREF(slice);
    return view;
}

static PyObject *record_repr(Record *r) {
    PyObject *seq = get_seq(r, NULL), *ts = seq ? get_timestamp_ns(r, NULL) : NULL;
    PyObject *type = ts ? get_type(r, NULL) : NULL, *meta = type ? get_metadata(r, NULL) : NULL;
    PyObject *repr = meta ? PyUnicode_FromFormat(
                                "Record(seq=%S, timestamp_ns=%S, type=%R, payload=<%zd bytes>, metadata=%R)",
                                seq, ts, type, (Py_ssize_t)description(r).payload_len, meta)
                          : NULL;
    Py_XDECREF(seq);
    Py_XDECREF(ts);
    Py_XDECREF(type);
    Py_XDECREF(meta);
    return repr;
}

/* copy.copy(record): the record itself, which nothing can change. */
static PyObject *record_copy(PyObject *r, PyObject *unused) {
    (void)unused;
    Py_INCREF(r);
    return r;
}

static PyMethodDef record_methods[] = {
    {"__copy__", record_copy, METH_NOARGS, "The record itself (it cannot change)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef record_getset[] = {
    {"seq", (getter)get_seq, NULL, "The sequence number.", NULL},
    {"timestamp_ns", (getter)get_timestamp_ns, NULL, "Nanoseconds since the Unix epoch.", NULL},
    {"offset", (getter)get_offset, NULL, "The record's offset in its file.", NULL},
    {"type", (getter)get_type, NULL, "The type name (str).", NULL},
    {"payload", (getter)get_payload, NULL, "The payload (bytes, copied at each access).", NULL},
    {"payload_view", (getter)get_payload_view, NULL,
     "The payload without a copy: a read-only memoryview of the batch's buffer.", NULL},
    {"metadata", (getter)get_metadata, NULL, "The metadata (a new dict[str, str] each time).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static const char record_doc[] =
    "One record: ``seq``, ``timestamp_ns`` (ns since the Unix epoch),\n"
    "``offset`` in its file, ``type`` (str), ``payload`` (bytes, copied\n"
    "when asked for), ``payload_view`` (the payload as a read-only\n"
    ":class:`memoryview`, no copy), ``metadata`` (dict[str, str]).\n\n"
    "``payload_view`` is a view of the buffer the reader copied a batch of\n"
    "records into (one copy, made by the library while it checked each\n"
    "record's CRC): it stays valid as long as it is referenced, after the\n"
    "reader has moved on or closed too, and keeps that buffer (up to the\n"
    "reader's batch size) alive.\n"
    "The reader copies a later batch into a buffer again only once no\n"
    "record or view of it is alive (:mod:`binlog.batch_buffers`).\n\n"
    "Made in C (``binlog._fast``) as the reader's iterator takes it; its\n"
    "fields are made when asked for.";

static PyType_Slot record_slots[] = {
    {Py_tp_doc, (void *)record_doc},
    {Py_tp_new, record_new_refused},
    {Py_tp_dealloc, record_dealloc},
    {Py_tp_repr, record_repr},
    {Py_tp_methods, record_methods},
    {Py_tp_getset, record_getset},
    {0, NULL},
};

/* Not a base type, and made only by a batch. */
static PyType_Spec record_spec = {
    "binlog.Record", sizeof(Record), 0, Py_TPFLAGS_DEFAULT, record_slots,
};

PyObject *binlog_fast_record_type(void) {
    PyObject *type = PyType_FromSpec(&record_spec);
    if (type != NULL) {
        /* The module holds a reference for as long as the process runs. */
        Py_INCREF(type);
        record_type = (PyTypeObject *)type;
    }
    return type;
}
