package sample

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

var update = flag.Bool("update", false, "rewrite testdata/sample/directory.json from DefaultOptions")

const goldenPath = "../../testdata/sample/directory.json"

// activeAt reports whether o may inspect at t.
func activeAt(o *ruqiv1.Officer, t time.Time) bool {
	return o.GetCertificateStatus() == ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE &&
		o.GetCertificateValidUntil().AsTime().After(t)
}

var (
	certRe    = regexp.MustCompile(`^[0-9]{14}$`)
	articleRe = regexp.MustCompile(`^第[一二三四五六七八九十百零]+条$`)
)

// checkInvariants checks what every generated directory must satisfy.
func checkInvariants(t *testing.T, o Options, d *ruqiv1.Directory) {
	t.Helper()
	o = o.normalized()
	if !d.GetSample() || d.GetDescription() != Description {
		t.Errorf("sample = %v, description = %q", d.GetSample(), d.GetDescription())
	}
	if got := len(d.GetAgencies()); got != o.Agencies {
		t.Errorf("%d agencies, want %d", got, o.Agencies)
	}
	if got := len(d.GetOfficers()); got != o.Officers {
		t.Errorf("%d officers, want %d", got, o.Officers)
	}
	if got := len(d.GetEnterprises()); got != o.Enterprises {
		t.Errorf("%d enterprises, want %d", got, o.Enterprises)
	}
	if got := len(d.GetCheckItems()); got < 40 {
		t.Errorf("%d check items, want at least 40", got)
	}

	agencies := map[string]*ruqiv1.Agency{}
	names := map[string]bool{}
	for _, a := range d.GetAgencies() {
		if agencies[a.GetId()] != nil {
			t.Errorf("duplicate agency id %s", a.GetId())
		}
		agencies[a.GetId()] = a
		if names[a.GetName()] {
			t.Errorf("duplicate agency name %s", a.GetName())
		}
		names[a.GetName()] = true
		if !strings.HasPrefix(a.GetRegionCode(), strings.TrimRight(o.RegionCode, "0")) || len(a.GetRegionCode()) != 6 {
			t.Errorf("agency %s region %s not under %s", a.GetId(), a.GetRegionCode(), o.RegionCode)
		}
		if a.GetLevel() == ruqiv1.AgencyLevel_AGENCY_LEVEL_UNSPECIFIED {
			t.Errorf("agency %s has no level", a.GetId())
		}
	}

	items := map[string]bool{}
	liveItems := map[string]int{}
	for _, it := range d.GetCheckItems() {
		if items[it.GetId()] {
			t.Errorf("duplicate item id %s", it.GetId())
		}
		items[it.GetId()] = true
		if agencies[it.GetAgencyId()] == nil {
			t.Errorf("item %s: unknown agency %s", it.GetId(), it.GetAgencyId())
		}
		lb := it.GetLegalBasis()
		if it.GetName() == "" || it.GetDomain() == "" || !strings.HasPrefix(lb.GetLaw(), "《") ||
			!strings.HasSuffix(lb.GetLaw(), "》") || !articleRe.MatchString(lb.GetArticle()) {
			t.Errorf("item %s incomplete: %v", it.GetId(), it)
		}
		if !it.GetRetired() {
			liveItems[it.GetAgencyId()]++
		}
	}

	officers := map[string]bool{}
	certs := map[string]bool{}
	active := map[string]int{}
	for _, of := range d.GetOfficers() {
		if officers[of.GetId()] {
			t.Errorf("duplicate officer id %s", of.GetId())
		}
		officers[of.GetId()] = true
		a := agencies[of.GetAgencyId()]
		if a == nil {
			t.Errorf("officer %s: unknown agency %s", of.GetId(), of.GetAgencyId())
			continue
		}
		cn := of.GetCertificateNumber()
		if !certRe.MatchString(cn) || !strings.HasPrefix(cn, a.GetRegionCode()) || certs[cn] {
			t.Errorf("officer %s: bad or duplicate certificate number %q", of.GetId(), cn)
		}
		certs[cn] = true
		if n := len([]rune(of.GetName())); n < 2 || n > 4 {
			t.Errorf("officer %s: odd name %q", of.GetId(), of.GetName())
		}
		if of.GetCertificateStatus() == ruqiv1.CertificateStatus_CERTIFICATE_STATUS_UNSPECIFIED || of.GetCertificateValidUntil() == nil {
			t.Errorf("officer %s: no certificate status or validity", of.GetId())
		}
		if activeAt(of, GuaranteedValidUntil.Add(-time.Second)) {
			active[of.GetAgencyId()]++
		}
	}
	for id := range agencies {
		if active[id] < MinActiveOfficersPerAgency {
			t.Errorf("agency %s has %d active officers valid until %v, want at least %d", id, active[id], GuaranteedValidUntil, MinActiveOfficersPerAgency)
		}
		if liveItems[id] < 4 {
			t.Errorf("agency %s has %d non-retired items, want at least 4", id, liveItems[id])
		}
	}

	usccs := make(map[string]struct{}, len(d.GetEnterprises()))
	for _, e := range d.GetEnterprises() {
		checkEnterprise(t, o, e)
		if _, dup := usccs[e.GetUscc()]; dup {
			t.Errorf("duplicate USCC %s", e.GetUscc())
		}
		usccs[e.GetUscc()] = struct{}{}
	}
}

func checkEnterprise(t *testing.T, o Options, e *ruqiv1.Enterprise) {
	t.Helper()
	u := e.GetUscc()
	if err := domain.ValidateUSCC(u); err != nil {
		t.Errorf("invalid USCC: %v", err)
		return
	}
	if u[0] != '9' || (u[1] != '1' && u[1] != '2') || domain.USCCRegion(u) != e.GetRegionCode() {
		t.Errorf("USCC %s does not match type or region %s", u, e.GetRegionCode())
	}
	if !strings.HasPrefix(e.GetRegionCode(), strings.TrimRight(o.RegionCode, "0")) {
		t.Errorf("enterprise %s region %s not under %s", u, e.GetRegionCode(), o.RegionCode)
	}
	if !strings.HasSuffix(e.GetName(), "（样例）") || e.GetIndustry() == "" ||
		e.GetCreditGrade() == ruqiv1.CreditGrade_CREDIT_GRADE_UNSPECIFIED {
		t.Errorf("enterprise %s incomplete: %v", u, e)
	}
}

func TestDirectoryInvariants(t *testing.T) {
	cases := map[string]Options{
		"default":            DefaultOptions(),
		"zero options":       {},
		"other seed":         {Seed: -42, Enterprises: 2000},
		"more agencies":      {Seed: 3, Agencies: 30, Officers: 400, Enterprises: 300},
		"brigades":           {Seed: 4, Agencies: 120, Officers: 100, Enterprises: 100}, // officers raised to 480
		"Sichuan province":   {Seed: 5, RegionCode: "510000", Agencies: 40, Officers: 300},
		"Shenzhen":           {Seed: 6, RegionCode: "440300"},
		"one county":         {Seed: 7, RegionCode: "510107", Agencies: 12},
		"unknown city":       {Seed: 8, RegionCode: "370200"},
		"unknown province":   {Seed: 9, RegionCode: "370000"},
		"unknown county":     {Seed: 10, RegionCode: "370203"},
		"few officers asked": {Seed: 11, Officers: 5},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			checkInvariants(t, o, Directory(o))
		})
	}
}

func TestDefaultDirectory(t *testing.T) {
	d := Directory(DefaultOptions())
	if len(d.Agencies) != 9 || len(d.Officers) != 60 || len(d.Enterprises) != 500 || len(d.CheckItems) != 49 {
		t.Fatalf("counts: %d agencies, %d officers, %d enterprises, %d items",
			len(d.Agencies), len(d.Officers), len(d.Enterprises), len(d.CheckItems))
	}
	wantAgencies := []string{
		"AG-01 成都市市场监督管理局 510100",
		"AG-02 成都市生态环境局 510100",
		"AG-03 锦江区应急管理局 510104",
		"AG-04 成都市消防救援支队 510100",
		"AG-05 成都市卫生健康委员会 510100",
		"AG-06 武侯区人力资源和社会保障局 510107",
		"AG-07 成都市交通运输局 510100",
		"AG-08 青羊区文化广电旅游局 510105",
		"AG-09 金牛区城市管理局 510106",
	}
	for i, a := range d.Agencies {
		if got := a.Id + " " + a.Name + " " + a.RegionCode; got != wantAgencies[i] {
			t.Errorf("agency %d = %s, want %s", i, got, wantAgencies[i])
		}
	}

	byID := map[string]*ruqiv1.CheckItem{}
	var retired []string
	for _, it := range d.CheckItems {
		byID[it.Id] = it
		if it.Retired {
			retired = append(retired, it.Id)
		}
	}
	if strings.Join(retired, ",") != "CI-0006,CI-0024" {
		t.Errorf("retired items %v, want CI-0006 and CI-0024", retired)
	}
	// The check shared by 应急管理局 and 消防救援支队.
	a, b := byID["CI-0017"], byID["CI-0018"]
	if a.AgencyId != "AG-03" || b.AgencyId != "AG-04" || a.Name != b.Name ||
		!proto.Equal(a.LegalBasis, b.LegalBasis) || a.Domain != b.Domain || a.Retired || b.Retired {
		t.Errorf("shared check: %v / %v", a, b)
	}
	seen := map[string]string{}
	for _, it := range d.CheckItems {
		key := it.Name + it.LegalBasis.Law + it.LegalBasis.Article
		if prev, ok := seen[key]; ok && it.Id != "CI-0018" {
			t.Errorf("items %s and %s are the same check", prev, it.Id)
		}
		seen[key] = it.Id
	}

	var suspended, revoked, expired int
	for _, o := range d.Officers {
		switch {
		case o.CertificateStatus == ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED:
			suspended++
		case o.CertificateStatus == ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED:
			revoked++
		case o.CertificateValidUntil.AsTime().Year() == 2025:
			expired++
		default:
			if y := o.CertificateValidUntil.AsTime().Year(); y < 2027 || y > 2029 {
				t.Errorf("officer %s valid until %d", o.Id, y)
			}
		}
	}
	if suspended != 3 || revoked != 1 || expired != 2 {
		t.Errorf("%d suspended, %d revoked, %d expired; want 3, 1, 2", suspended, revoked, expired)
	}
	// The first four officers of each agency are the guaranteed ones.
	for i, o := range d.Officers[:4*9] {
		if !activeAt(o, GuaranteedValidUntil.Add(-time.Second)) {
			t.Errorf("officer %d (%s) not active until 2029", i, o.Id)
		}
	}
}

func TestDeterminism(t *testing.T) {
	o := Options{Seed: 99, Agencies: 11, Officers: 150, Enterprises: 3000, RegionCode: "510000"}
	j1, err := JSON(Directory(o))
	if err != nil {
		t.Fatal(err)
	}
	j2, err := JSON(Directory(o))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(j1, j2) {
		t.Fatal("two runs with the same options differ")
	}
	o.Seed++
	j3, _ := JSON(Directory(o))
	if bytes.Equal(j1, j3) {
		t.Fatal("another seed gives the same directory")
	}
}

// A smaller directory is a prefix of a larger one with the same seed.
func TestEnterprisesPrefixStable(t *testing.T) {
	small := Directory(Options{Seed: 5, Enterprises: 100}).Enterprises
	large := Directory(Options{Seed: 5, Enterprises: 1000}).Enterprises
	for i, e := range small {
		if !proto.Equal(e, large[i]) {
			t.Fatalf("enterprise %d: %v vs %v", i, e, large[i])
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	d := Directory(Options{Seed: 2, Enterprises: 50})
	b, err := JSON(d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b, []byte("}\n")) || !bytes.HasPrefix(b, []byte("{\n  \"sample\": true,\n  \"description\": ")) {
		t.Errorf("unexpected layout: %.80q … %q", b, b[len(b)-10:])
	}
	var back ruqiv1.Directory
	if err := protojson.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(d, &back) {
		t.Fatal("round trip differs")
	}
}

func TestGoldenFile(t *testing.T) {
	got, err := JSON(Directory(DefaultOptions()))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/sample -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date; run go test ./internal/sample -update", goldenPath)
	}
}

func TestCertificateNumbersUniqueAtScale(t *testing.T) {
	seen := map[string]bool{}
	for k := 0; k < 300_000; k++ {
		cn := certificateNumber("510100", k)
		if !certRe.MatchString(cn) || seen[cn] {
			t.Fatalf("k=%d: bad or duplicate %q", k, cn)
		}
		seen[cn] = true
	}
}

func TestOrgPermIsBijectionOnSmallPrefix(t *testing.T) {
	p := newOrgPerm(1)
	seen := map[uint64]bool{}
	for i := uint64(0); i < 100_000; i++ {
		x := p.apply(i)
		if x >= orgSpace || seen[x] {
			t.Fatalf("apply(%d) = %d: out of range or repeated", i, x)
		}
		seen[x] = true
	}
}

// TestScale generates a province-sized directory: 1,000,000 enterprises and
// 20,000 officers, and checks that every USCC is valid and unique. Its time is
// logged, not judged: the import's figures are in docs/BENCHMARKS.md.
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test skipped in -short mode")
	}
	o := Options{Seed: 1, Agencies: 200, Officers: 20_000, Enterprises: 1_000_000, RegionCode: "510000"}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	d := Directory(o)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	t.Logf("generated %d enterprises, %d officers, %d agencies, %d items in %v; %d MiB allocated",
		len(d.Enterprises), len(d.Officers), len(d.Agencies), len(d.CheckItems), elapsed,
		(after.TotalAlloc-before.TotalAlloc)>>20)
	if len(d.Enterprises) != o.Enterprises || len(d.Officers) != o.Officers {
		t.Fatalf("counts %d/%d", len(d.Enterprises), len(d.Officers))
	}
	seen := make(map[string]struct{}, len(d.Enterprises))
	var grades [5]int
	for _, e := range d.Enterprises {
		if err := domain.ValidateUSCC(e.Uscc); err != nil {
			t.Fatal(err)
		}
		if _, dup := seen[e.Uscc]; dup {
			t.Fatalf("duplicate USCC %s", e.Uscc)
		}
		seen[e.Uscc] = struct{}{}
		grades[e.CreditGrade]++
	}
	want := [5]float64{0, 0.20, 0.50, 0.25, 0.05}
	for g := 1; g <= 4; g++ {
		share := float64(grades[g]) / float64(len(d.Enterprises))
		if share < want[g]-0.01 || share > want[g]+0.01 {
			t.Errorf("credit grade %d: share %.3f, want about %.2f", g, share, want[g])
		}
	}
	certs := make(map[string]bool, len(d.Officers))
	for _, of := range d.Officers {
		if certs[of.CertificateNumber] {
			t.Fatalf("duplicate certificate %s", of.CertificateNumber)
		}
		certs[of.CertificateNumber] = true
	}
}

func BenchmarkDirectory1M(b *testing.B) {
	o := Options{Seed: 1, Agencies: 200, Officers: 20_000, Enterprises: 1_000_000, RegionCode: "510000"}
	for b.Loop() {
		Directory(o)
	}
}

// A range of enterprises is the same as the whole directory's slice of it,
// so a province can be generated and imported a range at a time.
func TestEnterpriseRange_SameAsDirectory(t *testing.T) {
	o := Options{Seed: 3, Enterprises: 10000, RegionCode: "510000"}
	whole := Directory(o)
	if Enterprises(o) != len(whole.GetEnterprises()) {
		t.Fatalf("Enterprises = %d, directory has %d", Enterprises(o), len(whole.GetEnterprises()))
	}
	head := DirectoryWithoutEnterprises(o)
	if len(head.GetEnterprises()) != 0 || !proto.Equal(head, &ruqiv1.Directory{Sample: true, Description: Description,
		Agencies: whole.GetAgencies(), CheckItems: whole.GetCheckItems(), Officers: whole.GetOfficers()}) {
		t.Fatal("the directory without enterprises differs from the directory's other records")
	}
	for _, r := range [][2]int{{0, 1}, {4095, 4097}, {5000, 9000}, {9990, 20000}} {
		got := EnterpriseRange(o, r[0], r[1])
		want := whole.GetEnterprises()[r[0]:min(r[1], 10000)]
		if len(got) != len(want) {
			t.Fatalf("range %v: %d enterprises, want %d", r, len(got), len(want))
		}
		for i := range got {
			if !proto.Equal(got[i], want[i]) {
				t.Fatalf("range %v, enterprise %d: %v, want %v", r, r[0]+i, got[i], want[i])
			}
		}
	}
	if EnterpriseRange(o, 10000, 10005) != nil {
		t.Error("a range past the end is not empty")
	}
}
