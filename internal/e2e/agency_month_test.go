package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// importOfficers imports a directory of these officers only, as the
// administrator's monthly sync of certificate records does.
func importOfficers(t *testing.T, s *server, officers ...*ruqiv1.Officer) {
	t.Helper()
	b, err := protojson.Marshal(&ruqiv1.Directory{Officers: officers})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "officers.json")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s.mustCLI(s.admin, "admin", "import", "--no-progress", f)
}

func sampleOfficer(t *testing.T, id string) *ruqiv1.Officer {
	t.Helper()
	for _, o := range sampleDirectory(t).GetOfficers() {
		if o.GetId() == id {
			return o
		}
	}
	t.Fatalf("no officer %s in the sample", id)
	return nil
}

// An agency's trial, 2026-12-06. The agency administrator reads its
// officers before assigning them (ruqi officer officers): an officer whose
// certificate (执法证) ran out five days ago is listed as 有效, while
// ruqi officer show of an inspection naming the same officer says
// 无效（已过期）, a registration naming them is refused CERTIFICATE_EXPIRED
// and an enterprise's scan of their code says the certificate is invalid.
// "ruqi admin officer restore" of such an officer prints 执法证状态 有效 too.
func TestOfficers_ExpiredCertificate_NotListedAsValid(t *testing.T) {
	w := newWorld(t)
	agencyAdmin := w.issueToken("agency-admin", w.f.agency)
	o := sampleOfficer(t, w.f.officers[2])
	o.CertificateValidUntil = timestamppb.New(time.Now().AddDate(0, 0, -5))
	importOfficers(t, w.server, o)

	out := w.mustCLI(agencyAdmin, "officer", "officers")
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, o.GetId()+" ") {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("officer %s not listed:\n%s", o.GetId(), out)
	}
	if !strings.Contains(line, "过期") {
		t.Errorf("ruqi officer officers lists %s, whose certificate ran out %s, as:\n%s",
			o.GetId(), o.GetCertificateValidUntil().AsTime().Format(time.DateOnly), line)
	}
	r := w.cli(agencyAdmin, "officer", "register", "--enterprise", w.f.entA, "--items", w.f.items[0],
		"--officers", w.f.officers[0]+","+o.GetId(), "--from", "now+1h", "--duration", "1h", "--type", "routine", "--reason", "日常检查")
	if r.exit != 1 || !strings.Contains(r.stderr, "CERTIFICATE_EXPIRED") {
		t.Fatalf("registration naming the expired officer: exit %d\n%s", r.exit, r.stderr)
	}
	out = w.mustCLI(agencyAdmin, "admin", "officer", "restore", "--officer", o.GetId(), "--reason", "恢复")
	if strings.Contains(out, "执法证状态  有效") {
		t.Errorf("restoring %s, whose certificate ran out %s, prints it as valid:\n%s",
			o.GetId(), o.GetCertificateValidUntil().AsTime().Format(time.DateOnly), out)
	}
}

// An agency's trial, 2026-12-06. The agency republishes its catalogue
// (行政检查事项清单) after a law was amended: the same item, a new article
// (and a new name). An inspection already done and closed under the old
// article, with a rectification ordered, now shows the new article and
// name in the enterprise's history, as if it had been inspected on a legal
// basis that did not yet apply: the record of a past inspection changes
// with the catalogue (全程留痕、可溯).
func TestCatalogue_Republished_PastInspectionKeepsItsLegalBasis(t *testing.T) {
	w := newWorld(t)
	reg := w.register("now", "now+2h")
	id := reg.GetInspection().GetId()
	if got, _ := w.scan(w.entA, reg.GetCodes()[0].GetToken()); got.GetVerdict() != ruqiv1.Verdict_VERDICT_VALID {
		t.Fatalf("scan: %v", got)
	}
	deadline := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	w.mustCLI(w.officer, "officer", "result", "--inspection", id,
		"--item", w.f.items[0]+"=no-problem", "--item", w.f.items[1]+"=rectify:"+deadline, "--close")

	var item *ruqiv1.CheckItem
	for _, it := range sampleDirectory(t).GetCheckItems() {
		if it.GetId() == w.f.items[1] {
			item = it
		}
	}
	oldName, oldArticle := item.GetName(), item.GetLegalBasis().GetArticle()
	item.Name = oldName + "（2027年版）"
	item.LegalBasis.Article = "第九十九条"
	b, err := protojson.Marshal(&ruqiv1.Directory{CheckItems: []*ruqiv1.CheckItem{item}})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "catalogue.json")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// The import refuses the changed text: a revised item is a new item.
	if r := w.cli(w.admin, "admin", "import", "--no-progress", f); r.exit == 0 || !strings.Contains(r.stderr, "ITEM_TEXT_FIXED") {
		t.Errorf("republishing %s with another name and article: exit %d\n%s", item.GetId(), r.exit, r.stderr)
	}

	var hist ruqiv1.ListInspectionsResponse
	mustUnmarshal(t, w.mustCLI(w.entA, "-o", "json", "company", "history"), &hist)
	if len(hist.GetInspections()) != 1 {
		t.Fatalf("history: %v", hist.GetInspections())
	}
	for _, cv := range hist.GetInspections()[0].GetCheckItems() {
		if cv.GetCheckItemId() != item.GetId() {
			continue
		}
		if cv.GetName() != oldName || cv.GetLegalBasis().GetArticle() != oldArticle {
			t.Errorf("inspection %s, closed with 责令整改 under %s %s「%s」, now shows %s %s「%s」 after the catalogue was republished",
				id, item.GetLegalBasis().GetLaw(), oldArticle, oldName, cv.GetLegalBasis().GetLaw(), cv.GetLegalBasis().GetArticle(), cv.GetName())
		}
		return
	}
	t.Fatalf("item %s not in the history's checklist: %v", item.GetId(), hist.GetInspections()[0].GetCheckItems())
}

// An agency's trial, 2026-12-06. The enterprise has scanned the first
// officer's code (checked in: the visit took place); then the agency
// suspends the second officer's certificate. ruqi officer show tells the
// agency "请撤销本次报备，改派持有效执法证的人员重新报备"; doing so is refused
// INSPECTION_HAPPENED (a visit that took place cannot be cancelled). The
// advice should be one the agency can follow.
func TestOfficerShow_InvalidCertificateAfterCheckIn_NoCancelAdvice(t *testing.T) {
	w := newWorld(t)
	agencyAdmin := w.issueToken("agency-admin", w.f.agency)
	reg := w.register("now", "now+2h")
	id := reg.GetInspection().GetId()
	if got, _ := w.scan(w.entA, reg.GetCodes()[0].GetToken()); got.GetVerdict() != ruqiv1.Verdict_VERDICT_VALID {
		t.Fatalf("scan: %v", got)
	}
	w.mustCLI(agencyAdmin, "admin", "officer", "suspend", "--officer", w.f.officers[1], "--reason", "依据处理决定")
	show := w.mustCLI(agencyAdmin, "officer", "show", "--inspection", id)
	if !strings.Contains(show, "请撤销本次报备") {
		return
	}
	r := w.cli(agencyAdmin, "officer", "cancel", "--inspection", id, "--reason", "改派持有效执法证的人员")
	if r.exit != 0 {
		t.Errorf("ruqi officer show advises cancelling the checked-in inspection:\n%s\nand ruqi officer cancel is refused: exit %d\n%s", strings.SplitN(show[strings.Index(show, "注意"):], "\n", 2)[0], r.exit, r.stderr)
	}
}
