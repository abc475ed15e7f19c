//go:build go1.23

package binlog_test

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	binlog "github.com/libbinlog/libbinlog/bindings/go"
)

// Write a few records to a segment, then read them back in order.
func Example() {
	dir, err := os.MkdirTemp("", "binlog-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "orders.binlog")

	w, err := binlog.OpenWriter(path, &binlog.Options{ContentType: "application/json"})
	if err != nil {
		log.Fatal(err)
	}
	for _, id := range []int{41, 42, 43} {
		if _, err := w.Write("order", fmt.Appendf(nil, `{"id":%d}`, id)); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil { // flushes and seals the segment
		log.Fatal(err)
	}

	r, err := binlog.OpenReader(path)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	for rec, err := range r.All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(rec.Seq, rec.Type, string(rec.Payload))
	}
	// Output:
	// 0 order {"id":41}
	// 1 order {"id":42}
	// 2 order {"id":43}
}

// Follow a rolling log as its writer appends, until a deadline.
func ExampleReader_Follow() {
	dir, err := os.MkdirTemp("", "binlog-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	w, err := binlog.OpenLog(dir, "ticks", &binlog.Options{FlushDelay: time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	go func() {
		for i := range 3 {
			w.Write("tick", []byte{byte(i)})
		}
	}()

	r, err := binlog.OpenLogReader(dir, "ticks")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seen := 0
	for rec, err := range r.Follow(ctx) {
		if err != nil {
			log.Fatal(err) // context.DeadlineExceeded if the writer stopped short
		}
		fmt.Println(rec.Seq, rec.Type, rec.Payload)
		if seen++; seen == 3 {
			break
		}
	}
	// Output:
	// 0 tick [0]
	// 1 tick [1]
	// 2 tick [2]
}

// Wait for the next record until a context is cancelled.
func ExampleReader_NextContext() {
	dir, err := os.MkdirTemp("", "binlog-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "idle.binlog")
	w, err := binlog.OpenWriter(path, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	r, err := binlog.OpenReader(path)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = r.NextContext(ctx) // nothing is written: the wait ends with ctx
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	// Output: true
}

// Test the kind of an error with errors.Is.
func ExampleOpenWriter_locked() {
	dir, err := os.MkdirTemp("", "binlog-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "one-writer.binlog")
	w, err := binlog.OpenWriter(path, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	_, err = binlog.OpenWriter(path, nil) // a segment has one writer at a time
	fmt.Println(errors.Is(err, binlog.ErrLocked))
	// Output: true
}

// The Go snippets of the READMEs and docs/ name the fields of this
// package's structs, as go vet asks of a program using it (its composites
// check): each ```go block, parsed as a function body (a whole program as
// it is, "{ ... }" as "{}"), has no unkeyed literal of a binlog type.
func TestDocSnippetsKeyTheFieldsOfBinlogStructs(t *testing.T) {
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("docs: %v %v", docs, err)
	}
	block := regexp.MustCompile("(?s)```go\n(.*?)```")
	imports := regexp.MustCompile(`(?m)^import .*$`)
	for _, doc := range append(docs, "README.md", "../../README.md") {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range block.FindAllSubmatch(text, -1) {
			src := strings.ReplaceAll(string(m[1]), "{ ... }", "{}")
			if !strings.HasPrefix(src, "package ") {
				src = "package p\nfunc _() {\n" + imports.ReplaceAllString(src, "") + "\n}"
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, doc, src, 0)
			if err != nil {
				t.Fatalf("a Go snippet of %s does not parse: %v\n%s", doc, err, src)
			}
			unkeyed := func(lit *ast.CompositeLit, typ ast.Expr) {
				if star, ok := typ.(*ast.StarExpr); ok {
					typ = star.X
				}
				sel, ok := typ.(*ast.SelectorExpr)
				if !ok || fmt.Sprint(sel.X) != "binlog" {
					return
				}
				for _, e := range lit.Elts {
					if _, keyed := e.(*ast.KeyValueExpr); !keyed {
						t.Errorf("%s: a Go snippet's binlog.%s literal has unkeyed fields: %s", doc, sel.Sel.Name,
							src[fset.Position(lit.Pos()).Offset:fset.Position(lit.End()).Offset])
						return
					}
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.CompositeLit)
				if !ok {
					return true
				}
				unkeyed(lit, lit.Type)
				var elt ast.Expr // the type of elements written without it
				switch c := lit.Type.(type) {
				case *ast.ArrayType:
					elt = c.Elt
				case *ast.MapType:
					elt = c.Value
				}
				for _, e := range lit.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						e = kv.Value
					}
					if inner, ok := e.(*ast.CompositeLit); ok && inner.Type == nil {
						unkeyed(inner, elt)
					}
				}
				return true
			})
		}
	}
}
