/* A read batch's records, made as they are taken: an iterator over the
 * batch giving, per record, a tuple of the record type (descriptions,
 * offset of its binlog_batch_record in them, payload view, view of the
 * whole buffer), as records.Record reads it. Made one at a time, a
 * record the caller drops is freed before the next is made, so its
 * memory is reused while in cache and the collector's count of new
 * objects does not grow. */
#include <string.h>

#include "fast.h"

typedef struct {
    PyObject_HEAD
    PyTypeObject *type; /* the record type, a tuple subclass */
    allocfunc alloc;    /* its tp_alloc */
    PyObject *descriptions; /* bytes: `count` binlog_batch_record */
    PyObject *view;         /* the buffer the descriptions' offsets are in */
    Py_ssize_t next, count;
} Batch;

/* The record tuple of the description at `at`; NULL on error. */
static PyObject *record(Batch *b, Py_ssize_t at) {
    binlog_batch_record d;
    memcpy(&d, PyBytes_AsString(b->descriptions) + at, sizeof d);
    Py_ssize_t start = (Py_ssize_t)d.payload_off;
    PyObject *payload = PySequence_GetSlice(b->view, start, start + (Py_ssize_t)d.payload_len);
    PyObject *offset = payload ? PyLong_FromSsize_t(at) : NULL;
    PyObject *rec = offset ? b->alloc(b->type, 4) : NULL;
    if (rec == NULL) {
        Py_XDECREF(payload);
        Py_XDECREF(offset);
        return NULL;
    }
    Py_INCREF(b->descriptions);
    Py_INCREF(b->view);
    /* A fresh tuple: PyTuple_SetItem takes each reference and cannot fail. */
    PyTuple_SetItem(rec, 0, b->descriptions);
    PyTuple_SetItem(rec, 1, offset);
    PyTuple_SetItem(rec, 2, payload);
    PyTuple_SetItem(rec, 3, b->view);
    /* Nothing a record holds (bytes, an int, views of a bytearray) can
     * refer back to it, so it is never part of a cycle: the collector
     * need not track it. */
    PyObject_GC_UnTrack(rec);
    return rec;
}

static PyObject *batch_next(Batch *b) {
    if (b->next >= b->count) {
        /* Taken: the buffer is no longer viewed through the batch, so the
         * reader may reuse it once the records are dropped. */
        Py_CLEAR(b->descriptions);
        Py_CLEAR(b->view);
        return NULL;
    }
    PyObject *rec = record(b, b->next * (Py_ssize_t)sizeof(binlog_batch_record));
    if (rec != NULL)
        b->next++;
    return rec;
}

static PyObject *batch_new(PyTypeObject *cls, PyObject *args, PyObject *kwargs) {
    PyObject *type, *descriptions, *view;
    Py_ssize_t count;
    if (kwargs != NULL && PyDict_Size(kwargs) != 0) {
        PyErr_SetString(PyExc_TypeError, "Batch takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!SnO:Batch", &PyType_Type, &type, &descriptions, &count, &view))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "Batch: record_type must be a tuple subclass");
        return NULL;
    }
    if (count < 0 || count > PyBytes_Size(descriptions) / (Py_ssize_t)sizeof(binlog_batch_record)) {
        PyErr_Format(PyExc_ValueError, "Batch: %zd records are not in %zd bytes of descriptions",
                     count, PyBytes_Size(descriptions));
        return NULL;
    }
    /* GetSlot works on 3.9 for heap types, such as a class statement's. */
    allocfunc alloc = (allocfunc)PyType_GetSlot((PyTypeObject *)type, Py_tp_alloc);
    Batch *b = alloc ? (Batch *)((allocfunc)PyType_GetSlot(cls, Py_tp_alloc))(cls, 0) : NULL;
    if (b == NULL)
        return NULL;
    Py_INCREF(type);
    Py_INCREF(descriptions);
    Py_INCREF(view);
    b->type = (PyTypeObject *)type;
    b->alloc = alloc;
    b->descriptions = descriptions;
    b->view = view;
    b->next = 0;
    b->count = count;
    return (PyObject *)b;
}

static void batch_dealloc(Batch *b) {
    PyTypeObject *cls = Py_TYPE(b);
    Py_XDECREF(b->type);
    Py_XDECREF(b->descriptions);
    Py_XDECREF(b->view);
    ((freefunc)PyType_GetSlot(cls, Py_tp_free))(b);
    Py_DECREF(cls);
}

static PyType_Slot batch_slots[] = {
    {Py_tp_doc, "Batch(record_type, descriptions, count, view): an iterator over a read "
                "batch's records, each made when taken."},
    {Py_tp_new, batch_new},
    {Py_tp_dealloc, batch_dealloc},
    {Py_tp_iter, PyObject_SelfIter},
    {Py_tp_iternext, batch_next},
    {0, NULL},
};

/* Not a base type and not tracked: what it holds (a type, bytes, a
 * memoryview of a bytearray) cannot refer back to it. */
static PyType_Spec batch_spec = {
    "binlog._fast.Batch", sizeof(Batch), 0, Py_TPFLAGS_DEFAULT, batch_slots,
};

PyObject *binlog_fast_batch_type(void) { return PyType_FromSpec(&batch_spec); }
