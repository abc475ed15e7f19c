/* _WriterCore, the base class of binlog.Writer: append and append_batch
 * in C. A record of the common types (an exact str type name, exact bytes
 * payload, metadata None or an exact dict of exact str, timestamp None or
 * an int) goes straight to binlog_writer_write, _write_entry or
 * _write_batch, the GIL released around the call as cffi releases it; any
 * other call (another buffer type, a list of parts, a wrong type) goes to
 * the subclass's _append_general or _append_batch_general, which make the
 * same library calls through cffi or raise the TypeError naming the
 * argument. */
#include <string.h>

#include "fast.h"

typedef __typeof__(binlog_writer_write) *write_fn;
typedef __typeof__(binlog_writer_write_entry) *write_entry_fn;
typedef __typeof__(binlog_writer_write_batch) *write_batch_fn;

/* The UTF-8 bytes of the texts written lately (type names, metadata keys
 * and values) by the str's address: a slot holds a reference to its str,
 * so no other str can be at that address while it is there. A miss
 * encodes and takes the slot; a text that repeats (a literal, a name
 * kept) costs one comparison. */
#define TEXT_SLOTS 256

typedef struct {
    PyObject *text, *utf8;
    const uint8_t *ptr; /* utf8's bytes */
    size_t len;
} TextSlot;

typedef struct {
    PyObject_HEAD
    /* The writer and the library's functions, from _bind; NULL before it
     * and once the writer is freed (then every call takes the general path). */
    struct binlog_writer *w;
    write_fn write;
    write_entry_fn write_entry;
    write_batch_fn write_batch;
    TextSlot texts[TEXT_SLOTS];
} WriterCore;

/* References to the UTF-8 bytes the library reads while the GIL is released. */
typedef struct {
    PyObject **items;
    Py_ssize_t n;
} Held;

/* _bind(writer, write, write_entry, write_batch): the addresses as
 * integers (ffi.cast("uintptr_t", ...)); 0 for a freed writer. */
static PyObject *core_bind(WriterCore *self, PyObject *args) {
    unsigned long long w, write, entry, batch;
    if (!PyArg_ParseTuple(args, "KKKK:_bind", &w, &write, &entry, &batch))
        return NULL;
    self->w = (struct binlog_writer *)(uintptr_t)w;
    self->write = (write_fn)(uintptr_t)write;
    self->write_entry = (write_entry_fn)(uintptr_t)entry;
    self->write_batch = (write_batch_fn)(uintptr_t)batch;
    Py_RETURN_NONE;
}

/* Points `*ptr`, `*len` at the UTF-8 bytes of the exact str `text`, held
 * in `held`; -1 with an error. */
static int utf8(WriterCore *self, PyObject *text, Held *held, const uint8_t **ptr, size_t *len) {
    TextSlot *slot = &self->texts[((uintptr_t)text >> 4) % TEXT_SLOTS];
    if (slot->text != text) {
        PyObject *encoded = PyUnicode_AsUTF8String(text), *old_text = slot->text, *old_utf8 = slot->utf8;
        char *bytes;
        Py_ssize_t size;
        if (encoded == NULL || PyBytes_AsStringAndSize(encoded, &bytes, &size) < 0) {
            Py_XDECREF(encoded);
            return -1;
        }
        Py_INCREF(text);
        *slot = (TextSlot){text, encoded, (const uint8_t *)bytes, (size_t)size};
        Py_XDECREF(old_text);
        Py_XDECREF(old_utf8);
    }
    /* Held, not borrowed: another thread's append may take the slot
     * while this one's write runs without the GIL. */
    Py_INCREF(slot->utf8);
    held->items[held->n++] = slot->utf8;
    *ptr = slot->ptr;
    *len = slot->len;
    return 0;
}

static void release(Held *held) {
    while (held->n > 0)
        Py_DECREF(held->items[--held->n]);
}

/* The sequence number a write of `code` gave, or NULL with the exception
 * errors.check raises for it. */
static PyObject *written(binlog_result code, uint64_t seq) {
    if (code != 0) {
        PyObject *errors = PyImport_ImportModule("binlog.errors");
        PyObject *checked = errors ? PyObject_CallMethod(errors, "check", "k", (unsigned long)code) : NULL;
        Py_XDECREF(errors);
        if (checked == NULL)
            return NULL;
        Py_DECREF(checked);
    }
    return PyLong_FromUnsignedLongLong(seq);
}

/* binlog_writer_write of an exact str and exact bytes (the payload
 * referenced by the caller's arguments while the GIL is released). */
static PyObject *append_bytes(WriterCore *self, PyObject *name, PyObject *payload) {
    PyObject *item;
    Held held = {&item, 0};
    const uint8_t *type;
    size_t type_len;
    uint64_t seq = 0;
    binlog_result code;
    if (utf8(self, name, &held, &type, &type_len) < 0)
        return NULL;
    char *data;
    Py_ssize_t len;
    PyBytes_AsStringAndSize(payload, &data, &len);
    Py_BEGIN_ALLOW_THREADS
    code = self->write(self->w, type, type_len, (const uint8_t *)data, (size_t)len, &seq);
    Py_END_ALLOW_THREADS
    release(&held);
    return written(code, seq);
}

/* How many metadata entries a record has if its fields (type name,
 * payload, metadata, timestamp) are of the common types (the top of this
 * file says which; fill_entry checks the metadata's keys and values),
 * else -1 (no error set). */
static Py_ssize_t common_meta_count(PyObject *const f[4]) {
    if (!PyUnicode_CheckExact(f[0]) || !PyBytes_CheckExact(f[1]) || (f[3] != Py_None && !PyLong_CheckExact(f[3])))
        return -1;
    return f[2] == Py_None ? 0 : PyDict_CheckExact(f[2]) ? PyDict_Size(f[2]) : -1;
}

/* Fills `e` with a record whose fields common_meta_count took, its
 * metadata into `meta` (room for all of it); -1 with an error, 1 for a
 * metadata key or value not an exact str. */
static int fill_entry(WriterCore *self, binlog_entry *e, binlog_meta *meta, Held *held, PyObject *const f[4]) {
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    memset(e, 0, sizeof *e);
    if (utf8(self, f[0], held, &e->type_name, &e->type_len) < 0)
        return -1;
    char *data;
    Py_ssize_t len;
    PyBytes_AsStringAndSize(f[1], &data, &len);
    e->payload = (const uint8_t *)data;
    e->payload_len = (size_t)len;
    e->timestamp_ns = f[3] == Py_None ? BINLOG_TIME_NOW : PyLong_AsLongLong(f[3]);
    if (e->timestamp_ns == -1 && PyErr_Occurred())
        return -1;
    while (f[2] != Py_None && PyDict_Next(f[2], &pos, &key, &value)) {
        binlog_meta *m = &meta[e->meta_count++];
        if (!PyUnicode_CheckExact(key) || !PyUnicode_CheckExact(value))
            return 1;
        if (utf8(self, key, held, &m->key, &m->key_len) < 0 ||
            utf8(self, value, held, &m->value, &m->value_len) < 0)
            return -1;
    }
    e->meta = e->meta_count ? meta : NULL;
    return 0;
}

/* The fields of a batch's entry tuple, None past its end. */
static void fields_of(PyObject *entry, PyObject *f[4]) {
    Py_ssize_t size = PyTuple_Size(entry);
    for (Py_ssize_t i = 0; i < 4; i++)
        f[i] = i < size ? PyTuple_GetItem(entry, i) : Py_None;
}

/* Writes records of the common types with `metas` metadata entries in
 * all: the tuples of `batch` (binlog_writer_write_batch), or without one
 * the record `one` (binlog_writer_write_entry); NotImplemented (borrowed)
 * for metadata not of str, written by neither. The entries, metadata and
 * held references share one allocation (the stack's for a small record);
 * the payloads are referenced by the caller's arguments. */
static PyObject *write_records(WriterCore *self, PyObject *batch, PyObject *const one[4], Py_ssize_t metas) {
    binlog_entry stack[24];
    Py_ssize_t n = batch ? PyList_Size(batch) : 1;
    size_t size = (size_t)n * sizeof(binlog_entry) + (size_t)metas * sizeof(binlog_meta) +
                  (size_t)(n + 2 * metas) * sizeof(PyObject *);
    binlog_entry *entries = size <= sizeof stack ? stack : PyMem_Malloc(size);
    if (entries == NULL)
        return PyErr_NoMemory();
    binlog_meta *meta = (binlog_meta *)(entries + n);
    Held held = {(PyObject **)(meta + metas), 0};
    uint64_t seq = 0;
    binlog_result code = 0;
    int state = 0; /* fill_entry's */
    for (Py_ssize_t i = 0; state == 0 && i < n; i++) {
        PyObject *f[4];
        if (batch)
            fields_of(PyList_GetItem(batch, i), f);
        state = fill_entry(self, &entries[i], meta, &held, batch ? f : one);
        meta += entries[i].meta_count;
    }
    if (state == 0) {
        Py_BEGIN_ALLOW_THREADS
        code = batch ? self->write_batch(self->w, entries, (size_t)n, &seq) : self->write_entry(self->w, entries, &seq);
        Py_END_ALLOW_THREADS
    }
    release(&held);
    if (entries != stack)
        PyMem_Free(entries);
    /* NotImplemented borrowed: the callers compare it, never return it. */
    return state == 0 ? written(code, seq) : state == 1 ? Py_NotImplemented : NULL;
}

static char *append_keywords[] = {"type_name", "payload", "metadata", "timestamp_ns", NULL};

static PyObject *core_append(WriterCore *self, PyObject *args, PyObject *kwargs) {
    PyObject *f[4] = {NULL, NULL, Py_None, Py_None};
    Py_ssize_t given = PyTuple_Size(args);
    if (given >= 2 && given <= 4 && (kwargs == NULL || PyDict_Size(kwargs) == 0)) {
        for (Py_ssize_t i = 0; i < given; i++)
            f[i] = PyTuple_GetItem(args, i);
    } else if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|OO:append", append_keywords, &f[0], &f[1], &f[2], &f[3])) {
        return NULL;
    }
    Py_ssize_t metas = self->w != NULL ? common_meta_count(f) : -1;
    if (metas == 0 && f[3] == Py_None)
        return append_bytes(self, f[0], f[1]);
    PyObject *result = metas >= 0 ? write_records(self, NULL, f, metas) : Py_NotImplemented;
    if (result != Py_NotImplemented)
        return result;
    return PyObject_CallMethod((PyObject *)self, "_append_general", "OOOO", f[0], f[1], f[2], f[3]);
}

/* The metadata entries of a batch's records, or -1 if one is not a tuple
 * of 2 to 4 fields of the common types. */
static Py_ssize_t batch_meta_count(PyObject *list) {
    Py_ssize_t metas = 0, n = PyList_Size(list);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *e = PyList_GetItem(list, i), *f[4];
        Py_ssize_t count = -1;
        Py_ssize_t size = PyTuple_CheckExact(e) ? PyTuple_Size(e) : 0;
        if (size >= 2 && size <= 4) {
            fields_of(e, f);
            count = common_meta_count(f);
        }
        if (count < 0)
            return -1;
        metas += count;
    }
    return metas;
}

static PyObject *core_append_batch(WriterCore *self, PyObject *entries) {
    PyObject *list = PySequence_List(entries);
    if (list == NULL) {
        /* Not iterable: the general path says so, naming the argument. An
         * iterable that failed while iterated (a generator that raised)
         * keeps its own exception: nothing is written. */
        if (!PyErr_ExceptionMatches(PyExc_TypeError)) return NULL;
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyObject *it = PyObject_GetIter(entries);
        if (it != NULL) {
            Py_DECREF(it);
            PyErr_Restore(type, value, tb);
            return NULL;
        }
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        PyErr_Clear();
        return PyObject_CallMethod((PyObject *)self, "_append_batch_general", "O", entries);
    }
    Py_ssize_t metas = self->w != NULL ? batch_meta_count(list) : -1;
    PyObject *result = metas >= 0 ? write_records(self, list, NULL, metas) : Py_NotImplemented;
    if (result == Py_NotImplemented)
        result = PyObject_CallMethod((PyObject *)self, "_append_batch_general", "O", list);
    Py_DECREF(list);
    return result;
}

static void core_dealloc(WriterCore *self) {
    PyTypeObject *type = Py_TYPE(self);
    for (int i = 0; i < TEXT_SLOTS; i++) {
        Py_CLEAR(self->texts[i].text);
        Py_CLEAR(self->texts[i].utf8);
    }
    ((freefunc)PyType_GetSlot(type, Py_tp_free))(self);
    /* A heap type: its instances hold a reference to it (subtype_dealloc
     * leaves it to the heap base's dealloc). */
    Py_DECREF(type);
}

static PyMethodDef core_methods[] = {
    {"_bind", (PyCFunction)core_bind, METH_VARARGS,
     "_bind(writer, write, write_entry, write_batch): the native writer and its functions."},
    {"append", (PyCFunction)(void (*)(void))core_append, METH_VARARGS | METH_KEYWORDS,
     "append($self, type_name, payload, metadata=None, timestamp_ns=None)\n--\n\n"
     "Appends one record and returns its sequence number. The payload (a\n"
     "bytes-like object, or a list or tuple of them gathered in order) is\n"
     "passed to the library without a copy; text (str) is refused: encode it."},
    {"append_batch", (PyCFunction)core_append_batch, METH_O,
     "append_batch($self, entries)\n--\n\n"
     "Appends records, each (type_name, payload[, metadata[, timestamp_ns]]),\n"
     "under one lock, checked whole before any is written; returns the first\n"
     "one's sequence number."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot core_slots[] = {
    {Py_tp_doc, "The writer's append in C (binlog.Writer's base)."},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, core_dealloc},
    {Py_tp_methods, core_methods},
    {0, NULL},
};

static PyType_Spec core_spec = {
    "binlog._fast._WriterCore", sizeof(WriterCore), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, core_slots,
};

PyObject *binlog_fast_writer_core_type(void) { return PyType_FromSpec(&core_spec); }
