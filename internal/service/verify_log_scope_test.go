package service_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A review, 2026-12-06: VerifyEventLog told a district's supervisor how many
// registrations, results and evaluations the whole province holds
// (records_checked), which its region's report does not show it. A
// supervisor is told of its region's records alone; the number of events,
// which every checkpoint publishes, stays the log's.
func TestVerifyEventLog_SupervisorCountsItsRegionOnly(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	reg := e.registrar(t, "AG-01")
	in := map[string]int{} // registrations by region
	var ents []*ruqiv1.Enterprise
	for _, ent := range e.dir.GetEnterprises() {
		if r := ent.GetRegionCode(); (r == "510104" || r == "510115") && in[r] < 2 {
			in[r]++
			ents = append(ents, ent)
		}
	}
	for i, ent := range ents {
		if _, err := reg.register(ent.GetUscc(), reg.base.Add(time.Duration(i)*2*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	admin := ruqiv1.NewAdminServiceClient(e.cc)
	verify := func(tok string) *ruqiv1.VerifyEventLogResponse {
		t.Helper()
		v, err := admin.VerifyEventLog(e.as(tok), &ruqiv1.VerifyEventLogRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		region string
		want   uint64
		tok    string
	}{{"510104", 2, ""}, {"510115", 2, ""}, {"510106", 0, ""}, {"510100", 4, ""}}
	for i := range cases { // before the counts: issuing a token is an event
		cases[i].tok = e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, cases[i].region)
	}
	all := verify(e.admin)
	if all.GetRecordsChecked() != 4 {
		t.Fatalf("the administrator: %d records checked, want the 4 registrations", all.GetRecordsChecked())
	}
	for _, c := range cases {
		v := verify(c.tok)
		if v.GetRecordsChecked() != c.want {
			t.Errorf("the supervisor of %s is told of %d records checked, want %d (its region's)", c.region, v.GetRecordsChecked(), c.want)
		}
		if !v.GetIntact() || v.GetEvents() != all.GetEvents() {
			t.Errorf("the supervisor of %s: intact %t, %d events; want the log's %d", c.region, v.GetIntact(), v.GetEvents(), all.GetEvents())
		}
	}
}
