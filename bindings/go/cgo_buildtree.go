//go:build binlog_buildtree

package binlog

// The libbinlog of the checkout this package is in (include/ and
// target/release/ after `make lib`), with an rpath to it: how the package
// was built before it used pkg-config, kept for programs built inside a
// checkout (go build -tags binlog_buildtree).

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -lbinlog -Wl,-rpath,${SRCDIR}/../../target/release
*/
import "C"
