package service_test

import (
	"path/filepath"
	"strconv"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A text that shows nothing is not given: a refusal whose reason or a
// complaint whose description is only zero-width spaces (U+200B, a word
// joiner, a BOM) was recorded and sent to the 司法局 as a lead that says
// nothing, where spaces alone were refused (a trial as an enterprise,
// 2026-12-06).
func TestRequiredText_InvisibleCharactersOnly_Refused(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, e.dir.GetEnterprises()[1].GetUscc())
	cli := ruqiv1.NewEnterpriseServiceClient(e.cc)
	for _, blank := range []string{"\u200b\u200b", "\u2060", "\ufeff \u200d", "\u3000\u200c"} {
		_, err = cli.RefuseInspection(e.as(ent), &ruqiv1.RefuseInspectionRequest{Reason: blank})
		wantCode(t, "refusal "+strconv.QuoteToASCII(blank), err, codes.InvalidArgument)
		_, err = cli.Complain(e.as(ent), &ruqiv1.ComplainRequest{Description: blank})
		wantCode(t, "complaint "+strconv.QuoteToASCII(blank), err, codes.InvalidArgument)
	}
	// Such characters inside a text are left as they are.
	if _, err := cli.Complain(e.as(ent), &ruqiv1.ComplainRequest{Description: "未出示\u200b入企码"}); err != nil {
		t.Errorf("a complaint with a zero-width space inside: %v", err)
	}
}
