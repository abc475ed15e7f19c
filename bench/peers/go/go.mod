module github.com/libbinlog/libbinlog/bench/peers/go

go 1.23

require (
	github.com/libbinlog/libbinlog/bindings/go v0.0.0
	github.com/rosedblabs/wal v1.3.8
	github.com/tidwall/wal v1.2.1
)

require (
	github.com/tidwall/gjson v1.10.2 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.2.0 // indirect
	github.com/tidwall/tinylru v1.1.0 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
)

// The binding of this checkout, built with the tag binlog_buildtree
// (include/ and target/release/ by their paths).
replace github.com/libbinlog/libbinlog/bindings/go => ../../../bindings/go
