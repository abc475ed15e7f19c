/* binlog._fast: the two per-record paths of the binding in C (the
 * writer's append and the records of a read batch), so that a record
 * costs no Python bytecode. It calls libbinlog only through a function
 * address the cffi module (binlog._native, which links the library) hands
 * it, so the process holds one copy of the library. Built against the
 * stable ABI of CPython 3.9 (Py_LIMITED_API). */
#ifndef BINLOG_FAST_H
#define BINLOG_FAST_H

#include <Python.h>

#include "binlog.h"

/* The type `Batch` (records.c): a new reference, or NULL. */
PyObject *binlog_fast_batch_type(void);

/* The type `binlog.Record` (record.c): a new reference, or NULL. Made
 * once, at the module's import, before any record. */
PyObject *binlog_fast_record_type(void);

/* A new record: the batch's descriptions, the offset of its own in them,
 * the batch's buffer and the batch's read-only view of it that payload
 * views slice (record.c). */
PyObject *binlog_fast_record_new(PyObject *descriptions, Py_ssize_t at, PyObject *buffer, PyObject *view);

/* The type `_WriterCore` (writer_core.c): a new reference, or NULL. */
PyObject *binlog_fast_writer_core_type(void);

#endif
