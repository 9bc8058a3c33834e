package domain

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
	// scan of the lines so far, comparing in place, costs no key strings
	// and no map, which matters when matching proposes half a million
	// visits at once (docs/BENCHMARKS.md).
	if len(items) == 0 {
		return nil
	}
	out := make([]*ruqiv1.CheckItemView, 0, len(items))
	for _, it := range items {
		if cv := sameCheck(out, it); cv != nil {
			if !has(cv.AgencyIds, it.GetAgencyId()) {
				cv.AgencyIds = append(cv.AgencyIds, it.GetAgencyId())
			}
			if !has(cv.CheckItemIds, it.GetId()) {
				cv.CheckItemIds = append(cv.CheckItemIds, it.GetId())
			}
			// A check another agency still lists stands.
			cv.Retired = cv.Retired && it.GetRetired()
			continue
		}
		out = append(out, &ruqiv1.CheckItemView{
			CheckItemId: it.GetId(), AgencyId: it.GetAgencyId(), Name: it.GetName(), LegalBasis: it.GetLegalBasis(), Domain: it.GetDomain(),
			AgencyIds: []string{it.GetAgencyId()}, CheckItemIds: []string{it.GetId()}, Retired: it.GetRetired(),
		})
	}
	return out
}

// LegalBasisText writes a legal basis as people cite it:
// 《食品安全法》第八十七条.
func LegalBasisText(b *ruqiv1.LegalBasis) string {
	law, article := b.GetLaw(), b.GetArticle()
	if law != "" && !strings.HasPrefix(law, "《") {
		law = "《" + law + "》"
	}
	return strings.TrimSpace(law + article)
}

// LineName is a checklist line's name as an enterprise reads it in a list,
// marked when the check no longer stands (CheckItemView.retired).
func LineName(line *ruqiv1.CheckItemView) string {
	if line.GetRetired() {
		return line.GetName() + "（已停用，不应再检查）"
	}
	return line.GetName()
}

// ItemNames names every item id a checklist's lines stand for: a shared
// check by each agency's own id, since each records its results under its
// own (a trial of a county's 综合查一次, 2026-12-06: the second agency's
// results read "CI-0018："). Lines from a server that sends no
// check_item_ids are named by check_item_id.
func ItemNames(lines []*ruqiv1.CheckItemView) map[string]string {
	names := make(map[string]string, len(lines))
	for _, it := range lines {
		names[it.GetCheckItemId()] = it.GetName()
		for _, id := range it.GetCheckItemIds() {
			names[id] = it.GetName()
		}
	}
	return names
}

// sameCheck is the line of the same check as it, if any.
func sameCheck(lines []*ruqiv1.CheckItemView, it *ruqiv1.CheckItem) *ruqiv1.CheckItemView {
	for _, cv := range lines {
		if sameText(cv.GetName(), it.GetName()) && sameText(cv.GetLegalBasis().GetLaw(), it.GetLegalBasis().GetLaw()) &&
			sameText(cv.GetLegalBasis().GetArticle(), it.GetLegalBasis().GetArticle()) {
			return cv
		}
	}
	return nil
}

// SameCheck reports whether two items are one check: the same name and
// legal basis, as written but for widths, spaces and the title marks 《》
// around the law (an agency's trial, 2026-12-06: one catalogue wrote
// 《公共场所卫生管理条例》, another the bare title, and the 一表通查 listed the
// check twice).
func SameCheck(a, b *ruqiv1.CheckItem) bool {
	return sameText(a.GetName(), b.GetName()) && sameText(a.GetLegalBasis().GetLaw(), b.GetLegalBasis().GetLaw()) &&
		sameText(a.GetLegalBasis().GetArticle(), b.GetLegalBasis().GetArticle())
}

// sameText compares two texts rune by rune, full-width forms folded to
// ASCII and spaces and 《》 skipped, without building either (a review,
// 2026-12-06: keys built per item allocated 2.6 times as much).
func sameText(a, b string) bool {
	if a == b {
		return true
	}
	next := func(s string, i int) (rune, int) {
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			i += n
			r = foldWidth(r)
			if !unicode.IsSpace(r) && r != '《' && r != '》' {
				return r, i
			}
		}
		return -1, i
	}
	i, j := 0, 0
	for {
		var ra, rb rune
		ra, i = next(a, i)
		rb, j = next(b, j)
		if ra != rb {
			return false
		}
		if ra < 0 {
			return true
		}
	}
}
