package binlog

// How cgo finds libbinlog, chosen by build tags (README, "Install"):
//
//   - by default, the static library the module carries for the platform
//     (libbinlog_<GOOS>_<GOARCH>.a beside this file, with binlog.h), then
//     what that library needs of the system (cargo's `--print
//     native-static-libs` for its target, less libc): nothing to install.
//     A release puts them in the module (make go-release); in a checkout,
//     make go-stage puts the host's there.
//   - binlog_use_pkgconfig: the installed libbinlog, found through its
//     binlog.pc (make install); PKG_CONFIG_PATH names its directory when
//     pkg-config does not search it.
//   - binlog_buildtree: the libbinlog of the checkout this package is in
//     (include/ and target/release/ after make lib), by path, with an
//     rpath to it.

/*
#cgo binlog_use_pkgconfig,!binlog_buildtree pkg-config: binlog
#cgo binlog_buildtree CFLAGS: -I${SRCDIR}/../../include
#cgo binlog_buildtree LDFLAGS: -L${SRCDIR}/../../target/release -lbinlog -Wl,-rpath,${SRCDIR}/../../target/release
#cgo !binlog_use_pkgconfig,!binlog_buildtree CFLAGS: -I${SRCDIR}
#cgo !binlog_use_pkgconfig,!binlog_buildtree,linux,amd64 LDFLAGS: ${SRCDIR}/libbinlog_linux_amd64.a -lgcc_s -lutil -lrt -lpthread -lm -ldl
#cgo !binlog_use_pkgconfig,!binlog_buildtree,linux,arm64 LDFLAGS: ${SRCDIR}/libbinlog_linux_arm64.a -lgcc_s -lutil -lrt -lpthread -lm -ldl
#cgo !binlog_use_pkgconfig,!binlog_buildtree,darwin,arm64 LDFLAGS: ${SRCDIR}/libbinlog_darwin_arm64.a -framework Security -framework CoreFoundation -lc++ -liconv -lm
#cgo !binlog_use_pkgconfig,!binlog_buildtree,darwin,amd64 LDFLAGS: ${SRCDIR}/libbinlog_darwin_amd64.a -framework Security -framework CoreFoundation -lc++ -liconv -lm
#cgo !binlog_use_pkgconfig,!binlog_buildtree,freebsd,amd64 LDFLAGS: ${SRCDIR}/libbinlog_freebsd_amd64.a -lexecinfo -lpthread -lgcc_s -lm -lrt -lutil
*/
import "C"
