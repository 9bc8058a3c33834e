package service_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A directory record's required texts say something, and every text is
// bounded. An officer named "  " with certificate "\u200b" was imported
// (only "" was refused, where an agency's name was trimmed) and shown to
// the enterprise at every scan as an officer without a name; an agency
// named with 300,000 characters was imported and sent back in every scan of
// its codes (a trial of bad input, 2026-12-07). Each is refused, and the
// file changes nothing.
func TestImport_BlankOrHugeTexts_Refused(t *testing.T) {
	e := newEnv(t, "")
	dir := ruqiv1.NewDirectoryServiceClient(e.cc)
	huge := strings.Repeat("名", 300_000)
	officer := func(id, name, cert string) *ruqiv1.Directory {
		return &ruqiv1.Directory{Officers: []*ruqiv1.Officer{{Id: id, Name: name, CertificateNumber: cert, AgencyId: "AG-01",
			CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE}}}
	}
	item := func(id, name, law, article string) *ruqiv1.Directory {
		return &ruqiv1.Directory{CheckItems: []*ruqiv1.CheckItem{{Id: id, AgencyId: "AG-01", Name: name,
			LegalBasis: &ruqiv1.LegalBasis{Law: law, Article: article}}}}
	}
	enterprise := func(change func(*ruqiv1.Enterprise)) *ruqiv1.Directory {
		c := proto.Clone(e.dir.GetEnterprises()[1]).(*ruqiv1.Enterprise)
		change(c)
		return &ruqiv1.Directory{Enterprises: []*ruqiv1.Enterprise{c}}
	}
	for name, d := range map[string]*ruqiv1.Directory{
		"officer named with spaces":           officer("O-9001", "  ", "川执001"),
		"officer with a blank certificate":    officer("O-9002", "王五", "\u200b"),
		"officer with a huge name":            officer("O-9003", huge, "川执001"),
		"agency with a huge name":             {Agencies: []*ruqiv1.Agency{{Id: "AG-77", Name: huge, RegionCode: "510100"}}},
		"agency named with zero-width spaces": {Agencies: []*ruqiv1.Agency{{Id: "AG-78", Name: "\u200b\u200b", RegionCode: "510100"}}},
		"item named with spaces":              item("CI-9001", "   ", "食品安全法", "第八十七条"),
		"item whose law is blank":             item("CI-9002", "食品检查", " ", "第八十七条"),
		"item with a huge basis":              item("CI-9003", "食品检查", "食品安全法", huge),
		"enterprise with a huge name":         enterprise(func(c *ruqiv1.Enterprise) { c.Name = huge }),
		"enterprise with a longer industry":   enterprise(func(c *ruqiv1.Enterprise) { c.Industry = strings.Repeat("业", 51) }),
	} {
		_, err := dir.ImportDirectory(e.as(e.admin), &ruqiv1.ImportDirectoryRequest{Directory: d})
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
	offs, err := dir.ListOfficers(e.as(e.admin), &ruqiv1.ListOfficersRequest{AgencyId: "AG-01"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range offs.GetOfficers() {
		if strings.HasPrefix(o.GetId(), "O-900") {
			t.Errorf("a refused import left officer %q (certificate %q)", o.GetName(), o.GetCertificateNumber())
		}
	}
}
