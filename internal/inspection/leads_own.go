package inspection

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An enterprise follows the leads its own steps opened (domain.EnterpriseFollows):
// it was given the lead's number and told it could ask the 司法局 about it,
// and had no way to see what became of it (stop 45's list). A counter per
// such lead, lead_of|USCC|opened|id, is its index under the enterprise on
// either store (no schema change, as the 拼团 proposals' open marks):
// OpenLead sets it, and MarkOwnLeads sets it for the leads opened before.

const ownLeadPrefix = "lead_of|"

// ownLeadKey orders an enterprise's leads by when they were opened (UTC,
// to the nanosecond, so that the key order is the time order).
func ownLeadKey(l *ruqiv1.Lead) string {
	return ownLeadPrefix + l.GetEnterpriseUscc() + "|" + l.GetCreatedAt().AsTime().UTC().Format("20060102150405.000000000") + "|" + l.GetId()
}

// ownLeadIDOf is the lead id a mark's key ends with (ownLeadKey).
func ownLeadIDOf(key string) string {
	return key[strings.LastIndexByte(key, '|')+1:]
}

// markOwnLead indexes a lead its enterprise follows.
func markOwnLead(tx store.Tx, l *ruqiv1.Lead) error {
	if !domain.EnterpriseFollows(l) {
		return nil
	}
	return tx.AddCount(ownLeadKey(l), 1)
}

// OwnLeadIDs lists the leads enterprise uscc follows, newest first: the
// marks only, no lead read.
func OwnLeadIDs(r store.Reader, uscc string) ([]string, error) {
	var ids []string
	err := r.Counts(ownLeadPrefix+uscc+"|", func(k string, _ int64) error {
		ids = append(ids, ownLeadIDOf(k))
		return nil
	})
	slices.Reverse(ids)
	return ids, err
}

// OwnLeadView is a lead as its enterprise reads it: the status, the time
// and the reply (答复) of each step, not who took it or the 司法局's note
// (written for the 司法局's own use); and, unless shown, nothing the lead
// names of an inspection (another enterprise's code scanned here names
// that visit's agency and officer, which the scan did not tell).
func OwnLeadView(l *ruqiv1.Lead, shown bool) *ruqiv1.Lead {
	v := proto.CloneOf(l)
	for _, s := range v.GetSteps() {
		s.By, s.Note = "", ""
	}
	if !shown {
		v.InspectionId, v.AgencyId, v.OfficerId = "", "", ""
	}
	return v
}

// MarkOwnLeads gives every lead its enterprise follows its mark, reading
// the leads 500 a page and writing the missing marks 500 to 999 a
// transaction. Run once a
// start, as the proposals' open marks are: the leads opened before the
// marks existed, and those a version rolled back to opened, are marked by
// the next start.
func MarkOwnLeads(view func(func(store.Reader) error) error, update func(func(store.Tx) error) error) (marked int, err error) {
	var missing []*ruqiv1.Lead
	flush := func() error {
		if len(missing) == 0 {
			return nil
		}
		batch := missing
		missing = nil
		return update(func(tx store.Tx) error {
			for _, l := range batch {
				n, err := tx.Count(ownLeadKey(l))
				if err != nil {
					return err
				}
				if n == 0 {
					if err := tx.AddCount(ownLeadKey(l), 1); err != nil {
						return err
					}
					marked++
				}
			}
			return nil
		})
	}
	// The marks there are, in one read: a read a lead took PostgreSQL a
	// round trip each.
	have := map[string]bool{}
	err = view(func(r store.Reader) error {
		return r.Counts(ownLeadPrefix, func(k string, _ int64) error {
			have[ownLeadIDOf(k)] = true
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	page := store.Page{Limit: 500}
	for {
		var list []*ruqiv1.Lead
		err := view(func(r store.Reader) error {
			var err error
			if list, err = r.Leads(page); err != nil {
				return err
			}
			for _, l := range list {
				if domain.EnterpriseFollows(l) && !have[l.GetId()] {
					missing = append(missing, l)
				}
			}
			return nil
		})
		if err != nil {
			return marked, err
		}
		if len(missing) >= 500 {
			if err := flush(); err != nil {
				return marked, err
			}
		}
		if len(list) < page.Limit {
			break
		}
		page.After = list[len(list)-1].GetId()
	}
	return marked, flush()
}
