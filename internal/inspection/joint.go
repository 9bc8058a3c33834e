package inspection

import (
	"errors"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// VersionKey is the counter holding the newest coordinator decision the
// store has applied for an enterprise.
func VersionKey(uscc string) string { return "coord_version|" + uscc }

// ApplyDecision writes what a decision says about joint membership, keeping
// only what the newest version says: decisions for one enterprise may commit
// in any order, and an older one must not undo a newer one.
func ApplyDecision(tx store.Tx, uscc string, d coord.Decision) (*ruqiv1.JointInspection, error) {
	for _, id := range append(append([]string{}, d.Members...), d.Regrouped...) {
		_, v, err := tx.JointOf(id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if d.Version > v {
			if err := tx.PutJointOf(id, d.JointID, d.Version); err != nil {
				return nil, err
			}
		}
	}
	if v, err := tx.Count(VersionKey(uscc)); err != nil {
		return nil, err
	} else if d.Version > v {
		if err := tx.AddCount(VersionKey(uscc), d.Version-v); err != nil {
			return nil, err
		}
	}
	if d.JointID == "" {
		return nil, nil
	}
	j, err := tx.JointInspection(d.JointID)
	if errors.Is(err, store.ErrNotFound) {
		j, err = &ruqiv1.JointInspection{Id: d.JointID, EnterpriseUscc: uscc}, nil
	}
	if err != nil {
		return nil, err
	}
	// The newest decision says who is in it: the coordinator keeps every
	// plan, ended or not, until its counts lapse. Cancelled plans it
	// withdrew are no longer members.
	if d.Version > j.GetVersion() {
		j.Version = d.Version
		j.LeadAgencyId = d.LeadAgency
		j.InspectionIds = append([]string(nil), d.Members...)
		j.CommonStart, j.CommonEnd = timestamppb.New(d.CommonStart), timestamppb.New(d.CommonEnd)
	}
	return j, tx.PutJointInspection(j)
}
