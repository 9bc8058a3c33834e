package service_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/cache"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// cached wraps st in the read cache as the server does, and waits until the
// cache serves (on PostgreSQL, once its notifications are followed), so
// that a test through it cannot pass by reading the database.
func cached(t *testing.T, st store.Store) store.Store {
	t.Helper()
	c := cache.New(st, cache.Options{TTL: time.Minute})
	deadline := time.Now().Add(10 * time.Second)
	for !c.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("the cache did not start serving")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return c
}

// redeemConcurrently creates enrolment codes at the first server and
// redeems each from 16 phones at once, spread over the servers given, and
// fails if any code made more than one device.
func redeemConcurrently(t *testing.T, envs ...*env) {
	e := envs[0]
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	const codes, phones = 10, 16
	for range codes {
		enr, err := ruqiv1.NewSessionServiceClient(e.cc).CreateDeviceEnrolment(e.as(ent), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
		if err != nil {
			t.Fatal(err)
		}
		var made atomic.Int32
		var wg sync.WaitGroup
		for i := range phones {
			x := envs[i%len(envs)]
			wg.Go(func() {
				if _, err := ruqiv1.NewSessionServiceClient(x.cc).EnrolDevice(context.Background(), &ruqiv1.EnrolDeviceRequest{Code: enr.GetCode()}); err == nil {
					made.Add(1)
				}
			})
		}
		wg.Wait()
		if n := made.Load(); n != 1 {
			t.Fatalf("one enrolment code made %d devices, want 1", n)
		}
	}
	devs, err := ruqiv1.NewSessionServiceClient(e.cc).ListDevices(e.as(ent), &ruqiv1.ListDevicesRequest{})
	if err != nil || len(devs.GetDevices()) != codes {
		t.Fatalf("devices: %d, %v; want %d", len(devs.GetDevices()), err, codes)
	}
}

// TestEnrolment_SpentOnce_ThroughTheCache: phones redeeming one single-use
// code at once, with the server's read cache in front of the store, get
// one device between them (a cached copy of the code once let all 16 in).
func TestEnrolment_SpentOnce_ThroughTheCache(t *testing.T) {
	t.Run("bolt", func(t *testing.T) {
		b, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		redeemConcurrently(t, newEnvOn(t, cached(t, b), ""))
	})
	t.Run("postgres, two replicas", func(t *testing.T) {
		url := pgtest.Start(t).NewDatabase(t)
		var envs []*env
		for range 2 {
			st, err := postgres.Open(context.Background(), url, postgres.DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			envs = append(envs, newEnvOn(t, cached(t, st), ""))
		}
		redeemConcurrently(t, envs...)
	})
}

// TestDescribeEnrolment_NamesTheEnterpriseAndSpendsNothing: the page a
// phone opens from an enrolment QR names the enterprise first. Asking does
// not spend the code; a spent code, or one that is not an enrolment code
// (an enterprise's own token), names nothing.
func TestDescribeEnrolment_NamesTheEnterpriseAndSpendsNothing(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	want := e.dir.GetEnterprises()[1]
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, want.GetUscc())
	sess := ruqiv1.NewSessionServiceClient(e.cc)
	enr, err := sess.CreateDeviceEnrolment(e.as(ent), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		d, err := sess.DescribeEnrolment(context.Background(), &ruqiv1.DescribeEnrolmentRequest{Code: enr.GetCode()})
		if err != nil || d.GetEnterpriseUscc() != want.GetUscc() || d.GetEnterpriseName() != want.GetName() || d.GetLabel() != "前台" ||
			!d.GetExpiresAt().AsTime().Equal(enr.GetExpiresAt().AsTime()) {
			t.Fatalf("describe: %v, %v; want %s %s 前台", d, err, want.GetUscc(), want.GetName())
		}
	}
	if _, err := sess.EnrolDevice(context.Background(), &ruqiv1.EnrolDeviceRequest{Code: enr.GetCode()}); err != nil {
		t.Fatalf("enrol after describing twice: %v", err)
	}
	_, err = sess.DescribeEnrolment(context.Background(), &ruqiv1.DescribeEnrolmentRequest{Code: enr.GetCode()})
	wantCode(t, "describe a spent code", err, codes.Unauthenticated)
	_, err = sess.DescribeEnrolment(context.Background(), &ruqiv1.DescribeEnrolmentRequest{Code: ent})
	wantCode(t, "describe an enterprise's own token", err, codes.Unauthenticated)
	_, err = sess.DescribeEnrolment(context.Background(), &ruqiv1.DescribeEnrolmentRequest{Code: " "})
	wantCode(t, "describe an empty code", err, codes.InvalidArgument)
}

// A front-desk device scans for the enterprise; it does not re-issue the
// enterprise code: a lost phone voided the posted code and took the new
// one (a trial of sign-in, 2026-12-05). The account re-issues it.
func TestReissueEnterpriseCode_DeviceRefused_AccountMay(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, e.dir.GetEnterprises()[1].GetUscc())
	sess := ruqiv1.NewSessionServiceClient(e.cc)
	enr, err := sess.CreateDeviceEnrolment(e.as(ent), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := sess.EnrolDevice(context.Background(), &ruqiv1.EnrolDeviceRequest{Code: enr.GetCode()})
	if err != nil {
		t.Fatal(err)
	}
	door := ruqiv1.NewDoorServiceClient(e.cc)
	_, err = door.ReissueEnterpriseCode(e.as(dev.GetToken()), &ruqiv1.ReissueEnterpriseCodeRequest{Reason: "海报丢失"})
	wantCode(t, "a device re-issuing the enterprise code", err, codes.PermissionDenied)
	if _, err := door.ReissueEnterpriseCode(e.as(ent), &ruqiv1.ReissueEnterpriseCodeRequest{Reason: "海报丢失"}); err != nil {
		t.Fatalf("the account re-issuing: %v", err)
	}
}
