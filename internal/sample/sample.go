// Package sample generates invented, clearly marked sample data: a directory
// of agencies, officers, enterprises and inspection items, at any scale,
// deterministically from a seed.
//
// Every agency, officer and enterprise is invented, every enterprise name ends
// in （样例）, and the directory has Sample set. Region codes and the names of
// laws are real, and each item cites the article it most plausibly rests on,
// so that the data looks and validates like the real thing; the articles have
// not been checked by a lawyer.
//
// What is stable:
//   - Agency ids AG-01.., item ids CI-0001.., officer ids O-0001.. and their
//     agencies do not depend on the seed. In a default-sized directory the nine
//     agencies AG-01..AG-09 hold items CI-0001..CI-0049 (see kinds in tables.go).
//   - Enterprise i depends only on the seed, the region and i, not on how many
//     enterprises are asked for, so a small directory is a prefix of a large one.
//   - Certificate validity dates are fixed calendar dates, never relative to the
//     wall clock.
package sample

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Description is the description of every generated directory.
const Description = "样例数据（虚构），仅用于演示和测试 / SAMPLE DATA, invented, for demos and tests"

// MinActiveOfficersPerAgency is the number of officers every agency is
// guaranteed to have with an ACTIVE certificate valid until 2029: the first
// MinActiveOfficersPerAgency officers of each agency in id order.
const MinActiveOfficersPerAgency = 4

// GuaranteedValidUntil is the earliest end of validity of the guaranteed
// officers' certificates: they stay valid until this time at least. Other
// active certificates run out on fixed dates in 2027–2029; the expired ones
// ran out in 2025.
var GuaranteedValidUntil = time.Date(2029, 1, 1, 23, 59, 59, 0, chinaTime)

// chinaTime is China Standard Time; validity ends at 23:59:59 local time.
var chinaTime = time.FixedZone("CST", 8*3600)

// Options says what to generate. Zero counts and an empty RegionCode take the
// defaults of DefaultOptions.
type Options struct {
	Seed int64
	// Agencies is the number of agencies, at least 9: one of each kind
	// (市场监督管理局, 生态环境局, 应急管理局, 消防救援支队, 卫生健康委员会,
	// 人力资源和社会保障局, 交通运输局, 文化广电旅游局, 城市管理局). More agencies are
	// county-level ones of the same kinds, with the same catalogue templates.
	Agencies int
	// Officers is the total number of officers, spread round-robin over the
	// agencies, at least MinActiveOfficersPerAgency per agency.
	Officers    int
	Enterprises int
	// RegionCode is the 6-digit code of the region: a city (default "510100",
	// 成都市), a province ("510000") or a county. Agencies and enterprises get
	// county codes under it. Codes the generator has no table for get invented
	// county names ("样例市第一区") under the same prefix. It panics if the code
	// is not 6 digits.
	RegionCode string
}

// DefaultOptions returns Seed 1, 9 agencies, 60 officers and 500 enterprises in
// 成都市.
func DefaultOptions() Options {
	return Options{Seed: 1, Agencies: 9, Officers: 60, Enterprises: 500, RegionCode: "510100"}
}

func (o Options) normalized() Options {
	d := DefaultOptions()
	if o.Agencies < len(kinds) {
		o.Agencies = len(kinds)
	}
	if o.Officers <= 0 {
		o.Officers = d.Officers
	}
	if least := MinActiveOfficersPerAgency * o.Agencies; o.Officers < least {
		o.Officers = least
	}
	if o.Enterprises <= 0 {
		o.Enterprises = d.Enterprises
	}
	if o.RegionCode == "" {
		o.RegionCode = d.RegionCode
	}
	return o
}

// Directory generates the directory. The same options give the same
// directory, and so byte-identical JSON. Enterprise strings share large
// backing arrays, so keeping one enterprise keeps its neighbours' strings too.
func Directory(o Options) *ruqiv1.Directory {
	d := DirectoryWithoutEnterprises(o)
	o = o.normalized()
	d.Enterprises = genEnterprises(o, resolveScope(o.RegionCode), 0, o.Enterprises)
	return d
}

// DirectoryWithoutEnterprises is Directory's agencies, check items and
// officers. With EnterpriseRange, a province's directory is generated a
// range of enterprises at a time instead of held whole.
func DirectoryWithoutEnterprises(o Options) *ruqiv1.Directory {
	o = o.normalized()
	sc := resolveScope(o.RegionCode)
	d := &ruqiv1.Directory{Sample: true, Description: Description}
	agencies, kindOf := genAgencies(sc, o.Agencies)
	d.Agencies = agencies
	d.CheckItems = genItems(agencies, kindOf)
	d.Officers = genOfficers(o, agencies)
	return d
}

// Enterprises is the number of enterprises Directory(o) has.
func Enterprises(o Options) int { return o.normalized().Enterprises }

// EnterpriseRange is Directory(o)'s enterprises [lo, hi): each enterprise
// depends only on the seed and its index.
func EnterpriseRange(o Options, lo, hi int) []*ruqiv1.Enterprise {
	o = o.normalized()
	hi = min(hi, o.Enterprises)
	if lo >= hi {
		return nil
	}
	return genEnterprises(o, resolveScope(o.RegionCode), lo, hi)
}

// JSON marshals d with protojson in a canonical layout: two-space indent,
// fields in declaration order, and a final newline. protojson deliberately
// varies its whitespace between builds, so its output is re-indented with
// encoding/json to be byte-stable.
func JSON(d *ruqiv1.Directory) ([]byte, error) {
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(d)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(len(b) + 1)
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// scope is the region the directory covers.
type scope struct {
	code     string
	name     string
	level    ruqiv1.AgencyLevel
	counties []county
}

func resolveScope(code string) scope {
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		panic(fmt.Sprintf("sample: region code %q is not 6 digits", code))
	}
	for _, c := range cities {
		if c.code == code {
			return scope{code: code, name: c.name, level: ruqiv1.AgencyLevel_AGENCY_LEVEL_CITY, counties: c.counties}
		}
		for _, k := range c.counties {
			if k.code == code {
				return scope{code: code, name: k.name, level: ruqiv1.AgencyLevel_AGENCY_LEVEL_COUNTY, counties: []county{k}}
			}
		}
	}
	if name, ok := provinces[code]; ok {
		sc := scope{code: code, name: name, level: ruqiv1.AgencyLevel_AGENCY_LEVEL_PROVINCE}
		for _, c := range cities {
			if c.code[:2] == code[:2] {
				sc.counties = append(sc.counties, c.counties...)
			}
		}
		return sc
	}
	// Invented names under the real prefix.
	numerals := []string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
	generic := func(prefix4 string) []county {
		var cs []county
		for i, n := range numerals {
			cs = append(cs, county{code: fmt.Sprintf("%s%02d", prefix4, i+2), name: "第" + n + "区", city: "样例市"})
		}
		return cs
	}
	switch {
	case code[2:] == "0000":
		return scope{code: code, name: "样例省", level: ruqiv1.AgencyLevel_AGENCY_LEVEL_PROVINCE, counties: generic(code[:2] + "01")}
	case code[4:] == "00":
		return scope{code: code, name: "样例市", level: ruqiv1.AgencyLevel_AGENCY_LEVEL_CITY, counties: generic(code[:4])}
	default:
		return scope{code: code, name: "样例县", level: ruqiv1.AgencyLevel_AGENCY_LEVEL_COUNTY,
			counties: []county{{code: code, name: "样例县"}}}
	}
}

func genAgencies(sc scope, n int) ([]*ruqiv1.Agency, []int) {
	agencies := make([]*ruqiv1.Agency, 0, n)
	kindOf := make([]int, 0, n)
	used := map[[2]int]bool{} // county index, kind index
	add := func(k int, name, region string, level ruqiv1.AgencyLevel) {
		agencies = append(agencies, &ruqiv1.Agency{
			Id:         fmt.Sprintf("AG-%02d", len(agencies)+1),
			Name:       name,
			RegionCode: region,
			Level:      level,
		})
		kindOf = append(kindOf, k)
	}
	for k, kd := range kinds {
		switch {
		case sc.level == ruqiv1.AgencyLevel_AGENCY_LEVEL_COUNTY:
			add(k, sc.name+kd.county, sc.code, sc.level)
			used[[2]int{0, k}] = true
		case kd.level == ruqiv1.AgencyLevel_AGENCY_LEVEL_COUNTY:
			ci := kd.countyIndex % len(sc.counties)
			add(k, sc.counties[ci].name+kd.county, sc.counties[ci].code, kd.level)
			used[[2]int{ci, k}] = true
		case sc.level == ruqiv1.AgencyLevel_AGENCY_LEVEL_PROVINCE:
			add(k, sc.name+kd.province, sc.code, sc.level)
		default:
			add(k, sc.name+kd.city, sc.code, sc.level)
		}
	}
	// More agencies: county-level ones, county by county; once every county
	// has every kind, further rounds are numbered enforcement brigades.
	for round := 0; len(agencies) < n; round++ {
		for ci := 0; ci < len(sc.counties) && len(agencies) < n; ci++ {
			for k := 0; k < len(kinds) && len(agencies) < n; k++ {
				if round == 0 && used[[2]int{ci, k}] {
					continue
				}
				name := sc.counties[ci].name + kinds[k].county
				if round > 0 {
					name += fmt.Sprintf("第%d执法大队", round+1)
				}
				add(k, name, sc.counties[ci].code, ruqiv1.AgencyLevel_AGENCY_LEVEL_COUNTY)
			}
		}
	}
	return agencies, kindOf
}

func genItems(agencies []*ruqiv1.Agency, kindOf []int) []*ruqiv1.CheckItem {
	var items []*ruqiv1.CheckItem
	for i, a := range agencies {
		for _, t := range kinds[kindOf[i]].items {
			items = append(items, &ruqiv1.CheckItem{
				Id:         fmt.Sprintf("CI-%04d", len(items)+1),
				AgencyId:   a.Id,
				Name:       t.name,
				LegalBasis: &ruqiv1.LegalBasis{Law: t.law, Article: t.article},
				Domain:     t.domain,
				Retired:    t.retired,
			})
		}
	}
	return items
}

// Random streams, so that each kind of choice has its own sequence.
const (
	streamOfficerName uint64 = iota + 1
	streamOfficerDate
	streamOfficerStatus
	streamEnterprise
	streamOrgCode
)

func genOfficers(o Options, agencies []*ruqiv1.Agency) []*ruqiv1.Officer {
	n, na := o.Officers, len(agencies)
	officers := make([]*ruqiv1.Officer, n)
	perRegion := map[string]int{}
	var eligible []int // officers beyond the guaranteed ones of their agency
	for i := range officers {
		a := agencies[i%na]
		r := newRNG(o.Seed, streamOfficerName, uint64(i))
		name := surnames[r.intn(len(surnames))] + givenChars[r.intn(len(givenChars))]
		if r.intn(10) < 7 {
			name += givenChars[r.intn(len(givenChars))]
		}
		k := perRegion[a.RegionCode]
		perRegion[a.RegionCode]++
		officers[i] = &ruqiv1.Officer{
			Id:                fmt.Sprintf("O-%04d", i+1),
			Name:              name,
			AgencyId:          a.Id,
			CertificateNumber: certificateNumber(a.RegionCode, k),
			CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE,
		}
		dr := newRNG(o.Seed, streamOfficerDate, uint64(i))
		year := 2027 + dr.intn(3)
		if i/na < MinActiveOfficersPerAgency {
			year = 2029
		} else {
			eligible = append(eligible, i)
		}
		officers[i].CertificateValidUntil = endOfDay(year, dr)
	}

	// About 1 in 20 suspended, 1 in 50 revoked and 1 in 30 active but
	// expired, chosen among the officers beyond each agency's guaranteed four.
	r := newRNG(o.Seed, streamOfficerStatus, 0)
	for j := len(eligible) - 1; j > 0; j-- {
		k := r.intn(j + 1)
		eligible[j], eligible[k] = eligible[k], eligible[j]
	}
	take := func(want int) []int {
		want = max(want, 1)
		want = min(want, len(eligible))
		got := eligible[:want]
		eligible = eligible[want:]
		return got
	}
	for _, i := range take(n / 20) {
		officers[i].CertificateStatus = ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED
	}
	for _, i := range take(n / 50) {
		officers[i].CertificateStatus = ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED
	}
	for _, i := range take(n / 30) {
		officers[i].CertificateValidUntil = endOfDay(2025, newRNG(o.Seed, streamOfficerDate, uint64(i)))
	}
	return officers
}

// endOfDay returns 23:59:59 China time of a day in year drawn from r.
func endOfDay(year int, r *rng) *timestamppb.Timestamp {
	month := time.Month(1 + r.intn(12))
	day := 1 + r.intn(28)
	return timestamppb.New(time.Date(year, month, day, 23, 59, 59, 0, chinaTime))
}

// certificateNumber is the 14-digit number of the k-th certificate issued in a
// region: region code, year of issue and a 4-digit serial. Years 2018–2024
// take turns; after 9,999 serials in each of them, earlier blocks of seven
// years are used, so numbers are unique per region at any scale.
func certificateNumber(region string, k int) string {
	serial := k / 7
	year := 2018 + k%7 - 7*(serial/9999)
	return fmt.Sprintf("%s%04d%04d", region, year, serial%9999+1)
}

// enterpriseBlock is how many enterprises share one allocation.
const enterpriseBlock = 4096

func genEnterprises(o Options, sc scope, lo, hi int) []*ruqiv1.Enterprise {
	out := make([]*ruqiv1.Enterprise, hi-lo)
	prefixes := make([]string, len(sc.counties))
	for i, c := range sc.counties {
		if strings.HasSuffix(c.name, "市") {
			prefixes[i] = c.name // county-level city: 广汉市…
		} else {
			prefixes[i] = c.city + c.name
		}
	}
	perm := newOrgPerm(o.Seed)
	var ar arena
	var block []ruqiv1.Enterprise
	for k := range out {
		i := lo + k
		if len(block) == 0 {
			block = make([]ruqiv1.Enterprise, min(enterpriseBlock, hi-i))
		}
		e := &block[0]
		block = block[1:]

		r := newRNG(o.Seed, streamEnterprise, uint64(i))
		ci := r.intn(len(sc.counties))
		ind := &industries[pickPercent(r, industries, func(x industry) int { return x.percent })]
		individual := len(ind.individuals) > 0 && r.intn(100) < individualPercent
		var suffix string
		if individual {
			suffix = ind.individuals[r.intn(len(ind.individuals))]
		} else {
			suffix = ind.companies[r.intn(len(ind.companies))]
		}
		t1 := tradeFirst[r.intn(len(tradeFirst))]
		j := r.intn(len(tradeSecond))
		if tradeSecond[j] == t1 {
			j = (j + 1) % len(tradeSecond) // no 通通, 源源
		}
		t2 := tradeSecond[j]
		grade := pickPercent(r, creditPercent[:], func(x int) int { return x })

		// USCC: 9 (registered by market regulation), 1 company / 2 个体工商户,
		// county code, organisation code, check character.
		var code [domain.USCCLength]byte
		code[0] = '9'
		code[1] = '1'
		if individual {
			code[1] = '2'
		}
		copy(code[2:8], sc.counties[ci].code)
		encodeOrg(code[8:17], perm.apply(uint64(i)))
		c, err := domain.USCCCheckChar(string(code[:17]))
		if err != nil {
			panic(err) // cannot happen: every character is from the charset
		}
		code[17] = c

		e.Uscc = ar.bytes(code[:])
		e.Name = ar.concat(prefixes[ci], t1, t2, suffix, sampleMark)
		e.RegionCode = sc.counties[ci].code
		e.Industry = ind.name
		e.CreditGrade = ruqiv1.CreditGrade(grade + 1)
		out[k] = e
	}
	return out
}

func pickPercent[T any](r *rng, xs []T, pct func(T) int) int {
	p := r.intn(100)
	for i, x := range xs {
		if p < pct(x) {
			return i
		}
		p -= pct(x)
	}
	return len(xs) - 1
}

// arena packs many small strings into shared chunks to save allocations.
// Strings handed out are never modified: later writes only append past them.
type arena struct {
	b *strings.Builder
}

const arenaChunk = 64 << 10

func (a *arena) reserve(n int) int {
	if a.b == nil || a.b.Cap()-a.b.Len() < n {
		a.b = new(strings.Builder)
		a.b.Grow(max(n, arenaChunk))
	}
	return a.b.Len()
}

func (a *arena) bytes(p []byte) string {
	start := a.reserve(len(p))
	a.b.Write(p)
	return a.b.String()[start:]
}

func (a *arena) concat(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	start := a.reserve(n)
	for _, p := range parts {
		a.b.WriteString(p)
	}
	return a.b.String()[start:]
}

// usccCharset is the GB 32100-2015 alphabet (without I, O, S, V, Z).
const usccCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// orgSpace is the number of 9-character organisation codes, 31^9.
const orgSpace uint64 = 31 * 31 * 31 * 31 * 31 * 31 * 31 * 31 * 31

// encodeOrg writes x < orgSpace as 9 characters of the USCC alphabet.
func encodeOrg(dst []byte, x uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = usccCharset[x%31]
		x /= 31
	}
}

// orgPerm is a seeded bijection of [0, orgSpace): a 4-round Feistel network
// on 46 bits with cycle walking, so distinct enterprise indexes get distinct,
// random-looking organisation codes without remembering any.
type orgPerm struct{ keys [4]uint64 }

const (
	feistelHalf = 23
	feistelMask = 1<<feistelHalf - 1
)

func newOrgPerm(seed int64) orgPerm {
	r := newRNG(seed, streamOrgCode, 0)
	var p orgPerm
	for i := range p.keys {
		p.keys[i] = r.next()
	}
	return p
}

func (p orgPerm) apply(x uint64) uint64 {
	for {
		l, r := x>>feistelHalf, x&feistelMask
		for _, k := range p.keys {
			l, r = r, l^(splitmix64(r^k)&feistelMask)
		}
		x = l<<feistelHalf | r
		if x < orgSpace {
			return x
		}
	}
}

// rng is a small deterministic generator (SplitMix64), seeded per stream and
// per index so that each record's choices do not depend on the others.
type rng struct{ s uint64 }

func newRNG(seed int64, stream, index uint64) *rng {
	return &rng{s: splitmix64(splitmix64(uint64(seed)^stream*0xD6E8FEB86659FD93) + index)}
}

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	return mix64(r.s)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

func splitmix64(x uint64) uint64 { return mix64(x + 0x9E3779B97F4A7C15) }

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}
