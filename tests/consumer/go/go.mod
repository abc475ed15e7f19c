module example.com/binlogconsumer

go 1.23

require github.com/libbinlog/libbinlog/bindings/go v0.0.0-00010101000000-000000000000

// run.sh points this at the repository's bindings/go (a user writes the
// version of a tag bindings/go/vX.Y.Z instead, without a replace).
replace github.com/libbinlog/libbinlog/bindings/go => ../../../bindings/go
