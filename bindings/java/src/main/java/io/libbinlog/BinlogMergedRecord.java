package io.libbinlog;

/**
 * A record of a merged read ({@link BinlogMergedReader}), with the name of its log; every field is a Java copy.
 *
 * @param log the name of the log the record is from
 * @param record the record
 */
public record BinlogMergedRecord(String log, BinlogRecord record) {}
