package draw

import (
	"fmt"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A draw at its population limits: what a commit (the commitment) and a
// reveal or a verification (the commitment again, then one HMAC per member
// and a sort) cost.
func BenchmarkPick_MaxPopulation(b *testing.B) {
	d := &ruqiv1.Draw{Id: "DRW-20261202-ABCDEFGH", AgencyId: "AG-01", Title: "基准", Procedure: ProcedureV1, EnterpriseCount: 50, OfficerCount: 10}
	for i := range MaxEnterprises {
		d.EnterprisePopulation = append(d.EnterprisePopulation, fmt.Sprintf("9151010%011d", i))
	}
	for i := range MaxOfficers {
		d.OfficerPopulation = append(d.OfficerPopulation, fmt.Sprintf("O-%05d", i))
	}
	root := make([]byte, 32)
	b.ReportAllocs()
	for b.Loop() {
		if p := Pick(d, root); len(p.Enterprises) != 50 || len(p.Officers) != 10 {
			b.Fatal(p)
		}
	}
}
