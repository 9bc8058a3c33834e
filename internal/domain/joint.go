package domain

import (
	"slices"
	"strings"
	"time"
	"unicode"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// CommonTime is the visit window of a joint visit (综合查一次): the
// intersection of its plans' windows, cancelled plans left out. ok is false
// when they share no time (a joint inspection merged by the older rule and
// not reseeded yet).
func CommonTime(plans []*ruqiv1.Inspection) (start, end time.Time, ok bool) {
	for _, p := range plans {
		if p.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
			continue
		}
		s, e := p.GetWindowStart().AsTime(), p.GetWindowEnd().AsTime()
		if !ok || s.After(start) {
			start = s
		}
		if !ok || e.Before(end) {
			end = e
		}
		ok = true
	}
	return start, end, ok && start.Before(end)
}

// Checklist is 一表通查, the one combined checklist of a visit: the plans'
// items in order, where a check that two agencies both list (the same name
// and legal basis) appears once, under every agency that lists it.
func Checklist(items []*ruqiv1.CheckItem) []*ruqiv1.CheckItemView {
	// A visit's checklist is a few dozen lines: finding the same check by a
	// scan of the lines so far costs no map, which matters when matching
	// proposes half a million visits at once (docs/BENCHMARKS.md).
	if len(items) == 0 {
		return nil
	}
	out := make([]*ruqiv1.CheckItemView, 0, len(items))
	keys := make([]string, 0, len(items)) // each line's checkKey
	for _, it := range items {
		key := checkKey(it)
		if i := slices.Index(keys, key); i >= 0 {
			cv := out[i]
			if !has(cv.AgencyIds, it.GetAgencyId()) {
				cv.AgencyIds = append(cv.AgencyIds, it.GetAgencyId())
			}
			if !has(cv.CheckItemIds, it.GetId()) {
				cv.CheckItemIds = append(cv.CheckItemIds, it.GetId())
			}
			continue
		}
		out = append(out, &ruqiv1.CheckItemView{
			CheckItemId: it.GetId(), AgencyId: it.GetAgencyId(), Name: it.GetName(), LegalBasis: it.GetLegalBasis(), Domain: it.GetDomain(),
			AgencyIds: []string{it.GetAgencyId()}, CheckItemIds: []string{it.GetId()},
		})
		keys = append(keys, key)
	}
	return out
}

// SameCheck reports whether two items are one check by their name and legal
// basis (checkKey).
func SameCheck(a, b *ruqiv1.CheckItem) bool { return checkKey(a) == checkKey(b) }

// checkKey is what makes two catalogues' items one check: the name and the
// legal basis, as written but for widths, spaces and the title marks 《》
// around the law (an agency's trial, 2026-12-06: one catalogue wrote
// 《公共场所卫生管理条例》, another the bare title, and the 一表通查 listed the
// check twice).
func checkKey(it *ruqiv1.CheckItem) string {
	clean := func(s string) string {
		s = NormalizeWidth(s)
		return strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) || r == '《' || r == '》' {
				return -1
			}
			return r
		}, s)
	}
	return clean(it.GetName()) + "\x00" + clean(it.GetLegalBasis().GetLaw()) + "\x00" + clean(it.GetLegalBasis().GetArticle())
}
