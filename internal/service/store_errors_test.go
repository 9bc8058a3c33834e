package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A database that cannot be reached is UNAVAILABLE with a message that names
// it for the officer, not an internal error; its address stays in the log.
func TestToStatus_StoreUnavailable_IsUnavailable(t *testing.T) {
	err := fmt.Errorf("%w: PostgreSQL at 10.0.0.5:5432/ruqi: connection refused", store.ErrUnavailable)
	st := status.Convert(toStatus(context.Background(), fmt.Errorf("register: %w", err)))
	if st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "数据库（PostgreSQL）暂时无法访问") || strings.Contains(st.Message(), "10.0.0.5") {
		t.Fatalf("status = %v %q; want Unavailable naming the database, without its address", st.Code(), st.Message())
	}
	var reason string
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			reason = info.GetReason()
		}
	}
	if reason != "STORE_UNAVAILABLE" {
		t.Fatalf("ErrorInfo reason = %q, want STORE_UNAVAILABLE", reason)
	}
	if st := status.Convert(toStatus(context.Background(), errors.New("disk on fire"))); st.Code() != codes.Internal {
		t.Fatalf("another error = %v, want Internal", st.Code())
	}
}

// A data directory the server may not write into (backup's and
// compaction's first file) is said so, FAILED_PRECONDITION, not INTERNAL
// with the reason in the log only; the path stays in the log.
func TestToStatus_PermissionDenied_SaysTheDataDirectory(t *testing.T) {
	err := fmt.Errorf("backup of /var/lib/ruqi/ruqi.db: %w", &fs.PathError{Op: "open", Path: "/var/lib/ruqi/.ruqi-backup-1", Err: syscall.EACCES})
	st := status.Convert(maintenanceStatus(context.Background(), err))
	if st.Code() != codes.FailedPrecondition || !strings.Contains(st.Message(), "数据目录") || strings.Contains(st.Message(), "/var/lib") {
		t.Fatalf("status = %v %q; want FailedPrecondition naming the data directory, without its path", st.Code(), st.Message())
	}
	// Elsewhere a permission denied is not the data directory's.
	if st := status.Convert(toStatus(context.Background(), err)); st.Code() != codes.Internal {
		t.Fatalf("a permission denied outside backup and compaction: %v, want Internal", st.Code())
	}
}

// unreachableAgencies is a store that cannot be read: its Agency fails as a
// PostgreSQL that is down does. Nothing else is called.
type unreachableAgencies struct{ store.Reader }

func (unreachableAgencies) Agency(string) (*ruqiv1.Agency, error) {
	return nil, fmt.Errorf("%w: connection refused", store.ErrUnavailable)
}

// An import whose officers name an agency already stored is not refused as
// naming an unknown agency when the store cannot be read: the caller is told
// the database is unavailable, and may retry the same file.
func TestValidateDirectory_StoreDown_NotUnknownAgency(t *testing.T) {
	dir := &ruqiv1.Directory{Officers: []*ruqiv1.Officer{{Id: "O-1", Name: "王某", CertificateNumber: "510100000001",
		AgencyId: "AG-STORED", CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE}}}
	err := validateDirectory(unreachableAgencies{}, dir)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("validate with the store down: %v, want store.ErrUnavailable", err)
	}
	if st := status.Convert(toStatus(context.Background(), err)); st.Code() != codes.Unavailable {
		t.Fatalf("status %v, want Unavailable", st.Code())
	}
}
