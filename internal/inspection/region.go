package inspection

import (
	"fmt"
	"strconv"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A plan's visit counts (the inspection, joined, matched, scanned, mutually
// verified) sit in the month of its window, under its enterprise's region
// as it was when the plan was registered. An enterprise that moves to
// another region (a re-import with another division code) would otherwise
// have a later cancellation or hand-over take them back under the new
// region, leaving the old one a count too many and the new one a count
// below zero. The move keeps, for each plan standing then, the region it
// was counted in; plans registered after it count under the new one. No
// mark is kept for the plans of enterprises that never move (nearly all).

// countedRegionKey holds the 6-digit division code a plan was counted
// under, as a number, once its enterprise has moved.
func countedRegionKey(inspectionID string) string { return "PR|" + inspectionID }

// PlanRegion is the region a plan's visit counts are kept under; ent is its
// enterprise as the directory says now.
func PlanRegion(r store.Reader, ins *ruqiv1.Inspection, ent *ruqiv1.Enterprise) (string, error) {
	n, err := r.Count(countedRegionKey(ins.GetId()))
	if err != nil || n == 0 {
		return ent.GetRegionCode(), err
	}
	return fmt.Sprintf("%06d", n), nil
}

// EnterpriseMoving keeps, before an enterprise's directory record moves it
// from region from to another, the region each of its plans not cancelled
// was counted in. A plan that moved before keeps its first region.
func EnterpriseMoving(tx store.Tx, uscc, from string) error {
	code, err := strconv.ParseInt(from, 10, 64)
	if err != nil || code <= 0 {
		return fmt.Errorf("enterprise %s: region %q is not a division code", uscc, from)
	}
	return store.Each(500, func(p store.Page) ([]*ruqiv1.Inspection, error) { return tx.InspectionsOfEnterprise(uscc, p) },
		(*ruqiv1.Inspection).GetId, func(ins *ruqiv1.Inspection) error {
			if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
				return nil
			}
			k := countedRegionKey(ins.GetId())
			if n, err := tx.Count(k); err != nil || n != 0 {
				return err
			}
			return tx.AddCount(k, code)
		})
}
