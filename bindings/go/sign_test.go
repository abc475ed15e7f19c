package binlog

// Tamper-evident logs through the Go binding: a log written with
// Options.SigningKey verifies clean against its public key (Trust) and a
// kept copy of its signed head (Head), and against another key, after a
// record changed under a recomputed CRC, after its middle segment was
// deleted, and after its newest segment and manifest were deleted (the
// kept head tells), it gives the library's findings.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// Key files as `binlog keys new` wrote them: a secret key, its public key
// and the public key of another secret key.
const (
	testSecretKey    = "binlog-secret-key-ed25519 4dce59af616fa335443736365736b61318ff9c642cb6f0b9e2d9c37af7844617\n"
	testPublicKey    = "binlog-public-key-ed25519 55f8f2cec48dd5c899ca4fa3f6326ba33fabb7a75d37f008ae04b3399a69c48e\n"
	anotherPublicKey = "binlog-public-key-ed25519 5bc79df1147713d584014da3b3f7360cbec4f6cde5cc1dc43eb4a7702fb2676e\n"
	// A forward-secure key file as `binlog keys epochs` wrote it (one epoch,
	// 1970 to 2069) and the public key of the master key that certified it.
	testEpochKeys = "binlog-epoch-keys-ed25519 bce5c1917cf57f98c5fa19ea3842227b0f861ce5be12596e490c344f0bc06e0a 0 3153600000000000000\n" +
		"0 5ac25cced169220469401f38b2cd60d2b5de6c5779c1cbef61982a187398c7c0 " +
		"ecc1b6ce14b5cde1c952ca5d61c6b97a9d89fb5d302ebb74dd3d9a451918696b" +
		"2d0233bd9e5c403bc62eb034cfe67a475ebaf9b28cf1a5bbba64f839ba354f08\n"
	testMasterPublicKey = "binlog-public-key-ed25519 bce5c1917cf57f98c5fa19ea3842227b0f861ce5be12596e490c344f0bc06e0a\n"
)

func TestVerifyLogSignedWithEpochKeys(t *testing.T) {
	dir, keys := t.TempDir(), t.TempDir()
	keyFile := func(name, line string) string {
		p := filepath.Join(keys, name)
		must(t, os.WriteFile(p, []byte(line), 0o600))
		return p
	}
	epochs, master := keyFile("e", testEpochKeys), keyFile("master.pub", testMasterPublicKey)
	another := keyFile("other.pub", anotherPublicKey)
	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 3, SigningKey: epochs})
	must(t, err)
	for i := 0; i < 6; i++ {
		if _, err := w.Write("e", []byte(fmt.Sprintf("record-%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	must(t, w.Close())
	segs, err := ListSegments(dir, "orders")
	must(t, err)
	fs, _, err := Verify(dir, "orders", Trust(master))
	must(t, err)
	wantFindings(t, "trusting the master key", fs, map[FindingKind][]string{})
	fs, _, err = Verify(dir, "orders", Trust(another))
	must(t, err)
	// Each seal, and the signed head beside the log.
	wantFindings(t, "trusting another key", fs, map[FindingKind][]string{
		FindingOtherKey: {segs[0].Path, segs[1].Path, filepath.Join(dir, "orders.head")},
	})
}

// findingsAt is the findings of fs by kind, each as the file it names.
func findingsAt(fs []Finding) map[FindingKind][]string {
	out := map[FindingKind][]string{}
	for _, f := range fs {
		out[f.Kind] = append(out[f.Kind], f.Location)
	}
	return out
}

// wantFindings checks that the findings of fs are exactly want (kind: the
// files named, in order).
func wantFindings(t *testing.T, what string, fs []Finding, want map[FindingKind][]string) {
	t.Helper()
	if got := findingsAt(fs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: findings %v, want %v", what, fs, want)
	}
}

func TestVerifySignedLog(t *testing.T) {
	dir, keys := t.TempDir(), t.TempDir()
	keyFile := func(name, line string) string {
		p := filepath.Join(keys, name)
		must(t, os.WriteFile(p, []byte(line), 0o600))
		return p
	}
	secret, public := keyFile("k", testSecretKey), keyFile("k.pub", testPublicKey)
	another := keyFile("other.pub", anotherPublicKey)

	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 3, SigningKey: secret})
	must(t, err)
	for i := 0; i < 9; i++ {
		if _, err := w.Write("e", []byte(fmt.Sprintf("record-%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	must(t, w.Close())
	segs, err := ListSegments(dir, "orders")
	must(t, err)
	if len(segs) != 3 {
		t.Fatalf("%d segments, want 3", len(segs))
	}
	verify := func(opts ...VerifyOption) []Finding {
		t.Helper()
		fs, _, err := Verify(dir, "orders", opts...)
		must(t, err)
		return fs
	}

	wantFindings(t, "trusting its key", verify(Trust(public)), map[FindingKind][]string{})
	// The signed head the writer keeps in the log's directory, copied away from it.
	head, err := os.ReadFile(filepath.Join(dir, "orders.head"))
	must(t, err)
	kept := keyFile("orders.head", string(head))
	wantFindings(t, "against its head", verify(Trust(public), Head(kept)), map[FindingKind][]string{})
	ownHead := filepath.Join(dir, "orders.head")
	wantFindings(t, "trusting another key", verify(Trust(another)), map[FindingKind][]string{
		FindingOtherKey: {segs[0].Path, segs[1].Path, segs[2].Path, ownHead},
	})

	// A payload byte of record 1 changed, its frame's CRC recomputed: only
	// the seal's digest tells.
	orig, err := os.ReadFile(segs[0].Path)
	must(t, err)
	recs := readAll(t, mustReader(t, segs[0].Path))
	frame := orig[recs[1].Offset:]
	body := bytes.Clone(frame[8 : 8+binary.LittleEndian.Uint32(frame)])
	at := bytes.Index(body, []byte("record-01"))
	if at < 0 {
		t.Fatalf("record 1's payload not in its frame at %d", recs[1].Offset)
	}
	body[at+7] ^= 0x01
	changed := bytes.Clone(orig)
	binary.LittleEndian.PutUint32(changed[recs[1].Offset+4:], crc32.ChecksumIEEE(body))
	copy(changed[recs[1].Offset+8:], body)
	must(t, os.WriteFile(segs[0].Path, changed, 0o644))
	wantFindings(t, "a record changed", verify(Trust(public)), map[FindingKind][]string{
		FindingRecordsChanged: {segs[0].Path},
	})
	must(t, os.WriteFile(segs[0].Path, orig, 0o644))

	must(t, os.Remove(segs[1].Path))
	fs := verify(Trust(public))
	wantFindings(t, "the middle segment deleted", fs, map[FindingKind][]string{
		FindingMissingRecords: {segs[2].Path},
		FindingChainGap:       {segs[2].Path},
	})
	for _, f := range fs {
		if !f.Damage || f.String() != f.Kind.String()+": "+f.Message {
			t.Fatalf("finding %v: not damage, or not named %s", f, f.Kind)
		}
	}
	if FindingChainGap.String() != "chain-gap" || FindingRecordsChanged.String() != "records-changed" {
		t.Fatalf("kinds named %q and %q", FindingChainGap, FindingRecordsChanged)
	}

	// The newest segment and the manifest deleted: the chain and the
	// records left are whole, the head beside the log tells; deleted with
	// them, only the kept head does (given before Trust).
	must(t, os.Remove(segs[2].Path))
	must(t, os.Remove(filepath.Join(dir, "orders.manifest")))
	wantFindings(t, "cut off, against the head beside it", verify(Trust(public)),
		map[FindingKind][]string{FindingCutOff: {ownHead}})
	must(t, os.Remove(ownHead))
	wantFindings(t, "cut off, trusting its key alone", verify(Trust(public)), map[FindingKind][]string{})
	fs = verify(Head(kept), Trust(public))
	wantFindings(t, "the newest segment cut off", fs, map[FindingKind][]string{FindingCutOff: {kept}})
	if !fs[0].Damage || FindingCutOff.String() != "cut-off" {
		t.Fatalf("finding %v: not damage, or its kind not named cut-off", fs[0])
	}
}

// A key file that is no key (a public key as the signing key, a secret
// key as the trusted one) is refused, naming the file; so is a head that
// is no signed head, and a head without a trusted key.
func TestSigningKeyAndTrustRefuseOtherFiles(t *testing.T) {
	dir := t.TempDir()
	secret, public := filepath.Join(dir, "k"), filepath.Join(dir, "k.pub")
	must(t, os.WriteFile(secret, []byte(testSecretKey), 0o600))
	must(t, os.WriteFile(public, []byte(testPublicKey), 0o644))
	_, err := OpenLog(dir, "orders", &Options{SigningKey: public})
	wantErr(t, "OpenLog(SigningKey: a public key)", err, ErrInvalidArgument, public)
	path := filepath.Join(dir, "s.binlog")
	w := mustWriter(t, path, &Options{SigningKey: secret})
	must(t, w.Close())
	_, _, err = Verify(path, "", Trust(secret))
	wantErr(t, "Verify(Trust(a secret key))", err, ErrInvalidArgument, secret)
	fs, _, err := Verify(path, "", Trust(public))
	must(t, err)
	wantFindings(t, "a signed segment trusting its key", fs, map[FindingKind][]string{})
	_, _, err = Verify(path, "", Head(public))
	wantErr(t, "Verify(Head without Trust)", err, ErrInvalidArgument, "trusted key")
	_, _, err = Verify(path, "", Trust(public), Head(public))
	wantErr(t, "Verify(Head(a public key))", err, ErrInvalidArgument, public)
}

// With CheckpointRecords 3, a signed log's head covers its first 3
// records once they are written, the writer still open (not a second
// later).
func TestACheckpointComesEveryNRecords(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "k")
	must(t, os.WriteFile(secret, []byte(testSecretKey), 0o600))
	opts := &Options{SigningKey: secret, CheckpointRecords: 3}
	_, err := OpenWriter(filepath.Join(dir, "s.binlog"), opts)
	wantErr(t, "OpenWriter(CheckpointRecords)", err, ErrInvalidArgument, "CheckpointRecords")
	w, err := OpenLog(dir, "orders", opts)
	must(t, err)
	defer w.Close()
	for i := 0; i < 3; i++ {
		if _, err := w.Write("e", []byte(fmt.Sprintf("record-%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	head, err := os.ReadFile(filepath.Join(dir, "orders.head"))
	must(t, err)
	// binlog-head-1 <log> <next seq> ...: the 3 records are covered.
	if !bytes.HasPrefix(head, []byte("binlog-head-1 orders 3 ")) {
		t.Fatalf("orders.head begins %q, want a checkpoint at next seq 3", bytes.SplitN(head, []byte("\n"), 2)[0])
	}
}
