package cli

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	"google.golang.org/grpc"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// backupServer streams data as a server's backup would, with a wrong
// digest when badSum is set.
type backupServer struct {
	ruqiv1.UnimplementedAdminServiceServer
	data   []byte
	badSum bool
}

func (b *backupServer) BackupStore(_ *ruqiv1.BackupStoreRequest, st grpc.ServerStreamingServer[ruqiv1.BackupStoreResponse]) error {
	if err := st.Send(&ruqiv1.BackupStoreResponse{Part: &ruqiv1.BackupStoreResponse_Header{Header: &ruqiv1.BackupHeader{Size: int64(len(b.data)), LastEventSeq: 1}}}); err != nil {
		return err
	}
	if err := st.Send(&ruqiv1.BackupStoreResponse{Part: &ruqiv1.BackupStoreResponse_Data{Data: b.data}}); err != nil {
		return err
	}
	sum := sha256.Sum256(b.data)
	if b.badSum {
		sum[0] ^= 1
	}
	return st.Send(&ruqiv1.BackupStoreResponse{Part: &ruqiv1.BackupStoreResponse_Trailer{Trailer: &ruqiv1.BackupTrailer{Sha256: sum[:]}}})
}

// boltBytes is a small bbolt file holding a secret.
func boltBytes(t *testing.T) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "src.db")
	db, err := bbolt.Open(p, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket([]byte("keys"))
		if err != nil {
			return err
		}
		return b.Put([]byte("seed"), []byte("SECRET-SIGNING-SEED"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// runBackup runs `ruqi admin backup path` against srv.
func runBackup(t *testing.T, srv *backupServer, path string) (int, string) {
	t.Helper()
	code, _, stderr := runServing(t, func(gs *grpc.Server) { ruqiv1.RegisterAdminServiceServer(gs, srv) }, nil, "admin", "backup", path)
	return code, stderr
}

// The copy is written to a new file of the CLI's own, 0600, never to a
// FILE.part that was there already (another's, or readable by others); a
// read-only review, 2026-12-04, found it truncated and reused.
func TestBackup_NewFileOfItsOwn_NotALeftOverPart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(path+".part", []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path+".part", 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr := runBackup(t, &backupServer{data: boltBytes(t)}, path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup written with mode %v: it holds the signing keys, want 0600", fi.Mode().Perm())
	}
	if left, err := filepath.Glob(path + ".*.part"); err != nil || len(left) != 0 {
		t.Fatalf("the copy's .part was left beside it (a second link to the keys): %v %v", left, err)
	}
}

// A link placed at FILE.part does not take the copy elsewhere.
func TestBackup_DoesNotFollowALinkAtPart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.db")
	elsewhere := filepath.Join(t.TempDir(), "readable-by-others")
	if err := os.WriteFile(elsewhere, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, path+".part"); err != nil {
		t.Fatal(err)
	}
	code, stderr := runBackup(t, &backupServer{data: boltBytes(t)}, path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, _ := os.ReadFile(elsewhere)
	fi, _ := os.Lstat(path)
	if len(got) != 0 || fi == nil || !fi.Mode().IsRegular() {
		t.Fatalf("exit %d (%s): the backup went through the .part symlink into %s (%d bytes); %s is %v",
			code, stderr, elsewhere, len(got), path, fi.Mode())
	}
}

// A copy whose digest is not the server's is refused, and nothing is left:
// neither the file nor a partial copy of the keys.
func TestBackup_WrongDigest_NothingKept(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.db")
	code, stderr := runBackup(t, &backupServer{data: boltBytes(t), badSum: true}, path)
	if code == exitOK || !strings.Contains(stderr, "SHA-256") {
		t.Fatalf("exit %d, %s; want a refusal naming the digest", code, stderr)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// A backup into a directory that does not exist says so, before anything
// is asked of the server.
func TestBackup_NoSuchDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nosuch", "backup.db")
	code, stderr := runBackup(t, &backupServer{data: boltBytes(t)}, path)
	if code == exitOK || !strings.Contains(stderr, "不存在") || strings.Contains(stderr, ".part") {
		t.Fatalf("exit %d, %s; want the missing directory named", code, stderr)
	}
}
