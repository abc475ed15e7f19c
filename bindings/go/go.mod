module github.com/libbinlog/libbinlog/bindings/go

go 1.22
