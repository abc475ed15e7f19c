/* _WriterCore, the base class of binlog.Writer: its append in C. A call
 * append(type_name, payload) with an exact str and exact bytes (the
 * common call) goes straight to binlog_writer_write, the GIL released
 * around it as cffi releases it; any other call (metadata, a timestamp,
 * another buffer type, a list of parts, keywords) goes to the subclass's
 * _append_general, the same library calls made through cffi. */
#include "fast.h"

typedef __typeof__(binlog_writer_write) *write_fn;

typedef struct {
    PyObject_HEAD
    /* The writer and binlog_writer_write, from _bind; NULL before it and
     * once the writer is freed (then every call takes the general path). */
    struct binlog_writer *w;
    write_fn write;
    /* Type name (str) -> its UTF-8 bytes. It only grows, like the cffi
     * path's cache; holds no object that could refer back to the writer. */
    PyObject *types;
} WriterCore;

/* _bind(writer_address, write_address): the addresses as integers
 * (ffi.cast("uintptr_t", ...)); 0 for a freed writer. */
static PyObject *core_bind(WriterCore *self, PyObject *args) {
    unsigned long long w, write;
    if (!PyArg_ParseTuple(args, "KK:_bind", &w, &write))
        return NULL;
    if (self->types == NULL && (self->types = PyDict_New()) == NULL)
        return NULL;
    self->w = (struct binlog_writer *)(uintptr_t)w;
    self->write = (write_fn)(uintptr_t)write;
    Py_RETURN_NONE;
}

/* The UTF-8 bytes of `name` (a new reference), cached. */
static PyObject *type_bytes(WriterCore *self, PyObject *name) {
    PyObject *encoded = PyDict_GetItemWithError(self->types, name);
    if (encoded != NULL) {
        Py_INCREF(encoded);
        return encoded;
    }
    if (PyErr_Occurred() || (encoded = PyUnicode_AsUTF8String(name)) == NULL)
        return NULL;
    if (PyDict_SetItem(self->types, name, encoded) < 0) {
        Py_DECREF(encoded);
        return NULL;
    }
    return encoded;
}

/* Raises the exception of a failed write's `code` (errors.check). */
static PyObject *raise_for(binlog_result code) {
    PyObject *errors = PyImport_ImportModule("binlog.errors");
    PyObject *result = errors ? PyObject_CallMethod(errors, "check", "k", (unsigned long)code) : NULL;
    Py_XDECREF(errors);
    return result;
}

/* binlog_writer_write of an exact str and exact bytes: the sequence
 * number, or NULL with an exception. */
static PyObject *append_bytes(WriterCore *self, PyObject *name, PyObject *payload) {
    PyObject *encoded = type_bytes(self, name);
    char *type_ptr, *data;
    Py_ssize_t type_len, len;
    if (encoded == NULL)
        return NULL;
    /* Both exact bytes, immutable and referenced (encoded by us, payload
     * by the caller's arguments) while the GIL is released. */
    PyBytes_AsStringAndSize(encoded, &type_ptr, &type_len);
    PyBytes_AsStringAndSize(payload, &data, &len);
    uint64_t seq = 0;
    binlog_result code;
    Py_BEGIN_ALLOW_THREADS
    code = self->write(self->w, (const uint8_t *)type_ptr, (size_t)type_len, (const uint8_t *)data,
                       (size_t)len, &seq);
    Py_END_ALLOW_THREADS
    Py_DECREF(encoded);
    if (code != 0) {
        PyObject *checked = raise_for(code);
        if (checked == NULL)
            return NULL;
        Py_DECREF(checked);
    }
    return PyLong_FromUnsignedLongLong(seq);
}

static PyObject *core_append(WriterCore *self, PyObject *args, PyObject *kwargs) {
    if (self->w != NULL && self->write != NULL && PyTuple_Size(args) == 2 && (kwargs == NULL || PyDict_Size(kwargs) == 0)) {
        PyObject *name = PyTuple_GetItem(args, 0), *payload = PyTuple_GetItem(args, 1);
        if (PyUnicode_CheckExact(name) && PyBytes_CheckExact(payload))
            return append_bytes(self, name, payload);
    }
    PyObject *general = PyObject_GetAttrString((PyObject *)self, "_append_general");
    PyObject *result = general ? PyObject_Call(general, args, kwargs) : NULL;
    Py_XDECREF(general);
    return result;
}

static void core_dealloc(WriterCore *self) {
    PyTypeObject *type = Py_TYPE(self);
    Py_CLEAR(self->types);
    ((freefunc)PyType_GetSlot(type, Py_tp_free))(self);
    /* A heap type: its instances hold a reference to it (subtype_dealloc
     * leaves it to the heap base's dealloc). */
    Py_DECREF(type);
}

static PyMethodDef core_methods[] = {
    {"_bind", (PyCFunction)core_bind, METH_VARARGS,
     "_bind(writer_address, write_address): the native writer and binlog_writer_write."},
    {"append", (PyCFunction)(void (*)(void))core_append, METH_VARARGS | METH_KEYWORDS,
     "append($self, type_name, payload, metadata=None, timestamp_ns=None)\n--\n\n"
     "Appends one record and returns its sequence number. The payload (a\n"
     "bytes-like object, or a list or tuple of them gathered in order) is\n"
     "passed to the library without a copy; text (str) is refused: encode it."},
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
