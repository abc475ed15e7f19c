/* A read batch's records, made as they are taken: an iterator over the
 * batch giving a binlog.Record (record.c) per binlog_batch_record. Made
 * one at a time, a record the caller drops is freed before the next is
 * made, so its memory is reused while in cache. */
#include "fast.h"

typedef struct {
    PyObject_HEAD
    PyObject *descriptions; /* bytes: `count` binlog_batch_record */
    PyObject *buffer;       /* the bytearray the descriptions' offsets are in */
    PyObject *view;         /* a read-only memoryview of it, which payload views slice */
    Py_ssize_t next, count;
} Batch;

/* The record of the batch's description `index`; NULL on error. */
static PyObject *record(Batch *b, Py_ssize_t index) {
    return binlog_fast_record_new(b->descriptions, index * (Py_ssize_t)sizeof(binlog_batch_record), b->buffer,
                                  b->view);
}

/* Drops what the batch holds of the buffer, so that once the records are
 * dropped too the reader may reuse it. */
static void release(Batch *b) {
    Py_CLEAR(b->descriptions);
    Py_CLEAR(b->buffer);
    Py_CLEAR(b->view);
}

static PyObject *batch_next(Batch *b) {
    if (b->next >= b->count) {
        release(b);
        return NULL;
    }
    PyObject *rec = record(b, b->next);
    if (rec != NULL)
        b->next++;
    return rec;
}

static PyObject *batch_new(PyTypeObject *cls, PyObject *args, PyObject *kwargs) {
    PyObject *descriptions, *buffer;
    Py_ssize_t count;
    if (kwargs != NULL && PyDict_Size(kwargs) != 0) {
        PyErr_SetString(PyExc_TypeError, "Batch takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "SnO!:Batch", &descriptions, &count, &PyByteArray_Type, &buffer))
        return NULL;
    if (count < 0 || count > PyBytes_Size(descriptions) / (Py_ssize_t)sizeof(binlog_batch_record)) {
        PyErr_Format(PyExc_ValueError, "Batch: %zd records are not in %zd bytes of descriptions",
                     count, PyBytes_Size(descriptions));
        return NULL;
    }
    PyObject *writable = PyMemoryView_FromObject(buffer);
    PyObject *view = writable ? PyObject_CallMethod(writable, "toreadonly", NULL) : NULL;
    Py_XDECREF(writable);
    Batch *b = view ? (Batch *)((allocfunc)PyType_GetSlot(cls, Py_tp_alloc))(cls, 0) : NULL;
    if (b == NULL) {
        Py_XDECREF(view);
        return NULL;
    }
    Py_INCREF(descriptions);
    Py_INCREF(buffer);
    b->descriptions = descriptions;
    b->buffer = buffer;
    b->view = view;
    b->next = 0;
    b->count = count;
    return (PyObject *)b;
}

static void batch_dealloc(Batch *b) {
    PyTypeObject *cls = Py_TYPE(b);
    release(b);
    ((freefunc)PyType_GetSlot(cls, Py_tp_free))(b);
    Py_DECREF(cls);
}

/* How many records are left to take (`operator.length_hint`): a
 * consumer commits up to the first of them (binlog/consumer.py). */
static PyObject *batch_length_hint(Batch *b, PyObject *unused) {
    (void)unused;
    return PyLong_FromSsize_t(b->count - b->next);
}

static PyMethodDef batch_methods[] = {
    {"__length_hint__", (PyCFunction)(void (*)(void))batch_length_hint, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot batch_slots[] = {
    {Py_tp_doc, "Batch(descriptions, count, buffer): an iterator over a read batch's "
                "records (binlog.Record), each made when taken."},
    {Py_tp_new, batch_new},
    {Py_tp_dealloc, batch_dealloc},
    {Py_tp_iter, PyObject_SelfIter},
    {Py_tp_iternext, batch_next},
    {Py_tp_methods, batch_methods},
    {0, NULL},
};

/* Not a base type and not tracked: what it holds (bytes, a bytearray, a
 * memoryview of it) cannot refer back to it. */
static PyType_Spec batch_spec = {
    "binlog._fast.Batch", sizeof(Batch), 0, Py_TPFLAGS_DEFAULT, batch_slots,
};

PyObject *binlog_fast_batch_type(void) { return PyType_FromSpec(&batch_spec); }
