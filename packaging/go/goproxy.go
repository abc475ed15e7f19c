// Command goproxy writes one version of a Go module into a directory laid
// out as a GOPROXY serves it (the go command's module proxy protocol):
// <module>/@v/list, <version>.info, <version>.mod and <version>.zip, the
// zip made by golang.org/x/mod/zip, the package the go command makes and
// checks module zips with (paths under <module>@<version>/, no files of
// nested modules, vendor/ or .git, the size limits). `make go-release`
// runs it; GOPROXY=file://<dir> then serves the module to `go get`.
//
// Usage: go run . -dir <module root> -version vX.Y.Z -time <RFC 3339> -out <proxy dir>
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/zip"
)

func main() {
	dir := flag.String("dir", "", "the module's root directory (holding its go.mod)")
	version := flag.String("version", "", "the version, vX.Y.Z")
	when := flag.String("time", "", "the version's time (RFC 3339), for its .info")
	out := flag.String("out", "", "the proxy directory")
	flag.Parse()
	if err := run(*dir, *version, *when, *out); err != nil {
		log.Fatalf("goproxy: %v", err)
	}
}

func run(dir, version, when, out string) error {
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	path := modfile.ModulePath(gomod)
	if err := module.Check(path, version); err != nil {
		return fmt.Errorf("%s/go.mod: %w", dir, err)
	}
	t, err := time.Parse(time.RFC3339, when)
	if err != nil {
		return err
	}
	escPath, err := module.EscapePath(path)
	if err != nil {
		return err
	}
	escVersion, err := module.EscapeVersion(version)
	if err != nil {
		return err
	}
	vdir := filepath.Join(out, escPath, "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(vdir, escVersion)
	f, err := os.Create(base + ".zip")
	if err != nil {
		return err
	}
	if err := zip.CreateFromDir(f, module.Version{Path: path, Version: version}, dir); err != nil {
		f.Close()
		return fmt.Errorf("%s.zip: %w", base, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, t.UTC()})
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".mod", gomod, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(base+".info", append(info, '\n'), 0o644); err != nil {
		return err
	}
	// The list: every version the directory holds, this one included.
	versions := []string{version}
	if old, err := os.ReadFile(filepath.Join(vdir, "list")); err == nil {
		versions = append(versions, strings.Fields(string(old))...)
	}
	semver.Sort(versions)
	versions = slices.Compact(versions)
	return os.WriteFile(filepath.Join(vdir, "list"), []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}
