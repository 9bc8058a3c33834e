package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A joint inspection stored by the older, transitive rule (A–B–C, where A
// and C share no minute) is split by the reseed into the visits the rule
// makes of it, and the store says so afterwards: the enterprise and the
// coordinator see the same visits.
func TestSeed_LegacyChain_SplitByTheRuleAndStored(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "legacy.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := service.New(ctx, st, service.Config{Limits: domain.DefaultLimits(), PublicURL: "https://ruqi.example"},
		func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
	if err != nil {
		t.Fatal(err)
	}
	const uscc = "915101070AL6JK1YWK"
	day := time.Now().In(domain.Shanghai).Add(48 * time.Hour).Truncate(24 * time.Hour)
	plans := []struct{ id, agency, from, to string }{
		{"INS-L-A", "AG-01", "10h", "12h"},
		{"INS-L-B", "AG-02", "11h", "13h"},
		{"INS-L-C", "AG-03", "12h30m", "14h"},
	}
	err = st.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutEnterprise(&ruqiv1.Enterprise{Uscc: uscc, Name: "旧数据企业", RegionCode: "510107", CreditGrade: ruqiv1.CreditGrade_CREDIT_GRADE_B}); err != nil {
			return err
		}
		j := &ruqiv1.JointInspection{Id: "JNT-L-A", EnterpriseUscc: uscc, LeadAgencyId: "AG-01", Version: 3}
		for i, p := range plans {
			from, _ := time.ParseDuration(p.from)
			to, _ := time.ParseDuration(p.to)
			ins := &ruqiv1.Inspection{Id: p.id, AgencyId: p.agency, EnterpriseUscc: uscc,
				WindowStart: timestamppb.New(day.Add(from)), WindowEnd: timestamppb.New(day.Add(to)),
				Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, State: ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED,
				RegisteredAt: timestamppb.New(time.Now().Add(time.Duration(i) * time.Second))}
			if err := tx.PutInspection(ins); err != nil {
				return err
			}
			if err := tx.PutJointOf(p.id, "JNT-L-A", int64(i+1)); err != nil {
				return err
			}
			j.InspectionIds = append(j.InspectionIds, p.id)
		}
		return tx.PutJointInspection(j)
	})
	if err != nil {
		t.Fatal(err)
	}

	seed, err := svc.Seed(ctx, uscc, false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range seed.Plans {
		got[p.InspectionID] = fmt.Sprintf("%s/%v", p.JointID, p.NewVisit)
	}
	want := map[string]string{"INS-L-A": "JNT-L-A/true", "INS-L-B": "JNT-L-A/false", "INS-L-C": "/true"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("seed %v, want %v", got, want)
	}
	err = st.View(ctx, func(r store.Reader) error {
		for id, w := range map[string]string{"INS-L-A": "JNT-L-A", "INS-L-B": "JNT-L-A", "INS-L-C": ""} {
			j, v, err := r.JointOf(id)
			if err != nil || j != w || (id == "INS-L-C" && v <= 3) {
				return fmt.Errorf("joint_of %s = %q v%d %v, want %q (C's above version 3)", id, j, v, err, w)
			}
		}
		j, err := r.JointInspection("JNT-L-A")
		if err != nil || fmt.Sprint(j.GetInspectionIds()) != "[INS-L-A INS-L-B]" || j.GetLeadAgencyId() != "AG-01" {
			return fmt.Errorf("joint record %v %v", j, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second seed finds nothing to split and writes nothing.
	again, err := svc.Seed(ctx, uscc, false)
	if err != nil || again.Version != seed.Version {
		t.Fatalf("second seed: version %d, first %d (%v)", again.Version, seed.Version, err)
	}
}
