//go:build !binlog_buildtree

package binlog

// The installed libbinlog, found through its binlog.pc (make install);
// PKG_CONFIG_PATH names its directory when pkg-config does not search it.

/*
#cgo pkg-config: binlog
*/
import "C"
