package service_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A trial of bad input, 2026-12-06: an agency_id filter naming no agency,
// mistyped or a megabyte long, answered an empty list (or a summary of
// nothing), which a supervisor reads as "no leads" or "no evaluations".
// Each of the four calls now says what is wrong, in words an officer
// reads, bounded, with the status of the error table.
func TestAgencyFilter_UnknownOrMalformed_Refused(t *testing.T) {
	t.Run("bolt", func(t *testing.T) {
		st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		agencyFilterRefused(t, newEnvOn(t, st, ""))
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(context.Background(), pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		agencyFilterRefused(t, newEnvOn(t, st, ""))
	})
}

func agencyFilterRefused(t *testing.T, e *env) {
	sup := e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510100")
	calls := map[string]func(tok, agency string) error{
		"GetEvaluationSummary": func(tok, agency string) error {
			_, err := ruqiv1.NewInspectionServiceClient(e.cc).GetEvaluationSummary(e.as(tok), &ruqiv1.GetEvaluationSummaryRequest{AgencyId: agency})
			return err
		},
		"ListLeads": func(tok, agency string) error {
			_, err := ruqiv1.NewSupervisionServiceClient(e.cc).ListLeads(e.as(tok), &ruqiv1.ListLeadsRequest{AgencyId: agency})
			return err
		},
		"ListEvaluations": func(tok, agency string) error {
			_, err := ruqiv1.NewSupervisionServiceClient(e.cc).ListEvaluations(e.as(tok), &ruqiv1.ListEvaluationsRequest{AgencyId: agency})
			return err
		},
		"ListPlans": func(tok, agency string) error {
			_, err := ruqiv1.NewPlanServiceClient(e.cc).ListPlans(e.as(tok), &ruqiv1.ListPlansRequest{AgencyId: agency})
			return err
		},
		// A trial by the 司法局 (2026-12-06): the report for a mistyped
		// agency (AG-99) read 0 inspections, which says the agency
		// inspected nobody, where the lists beside it said AG-99 is none.
		"GetFrequencyReport": func(tok, agency string) error {
			_, err := ruqiv1.NewReportServiceClient(e.cc).GetFrequencyReport(e.as(tok), &ruqiv1.GetFrequencyReportRequest{AgencyId: agency})
			return err
		},
	}
	for name, call := range calls {
		for _, tok := range []string{e.admin, sup} {
			if err := call(tok, "AG-01"); err != nil {
				t.Errorf("%s for an agency of the directory: %v", name, err)
			}
			for _, c := range []struct {
				agency, reason, says string
				code                 codes.Code
			}{
				{"AG-99", "AGENCY_UNKNOWN", "执法部门 AG-99 不存在", codes.NotFound},
				{strings.Repeat("A", 1_000_000), "ID_MALFORMED", "执法部门编号长度应为1至64个字符", codes.InvalidArgument},
				{"AG 01;", "ID_MALFORMED", "执法部门编号只能包含字母、数字", codes.InvalidArgument},
			} {
				err := call(tok, c.agency)
				msg := status.Convert(err).Message()
				if status.Code(err) != c.code || reasonOf(err) != c.reason || !strings.Contains(msg, c.says) || utf8.RuneCountInString(msg) > 600 {
					t.Errorf("%s for agency %.20q: %v %s, %d characters: %.200q; want %v %s saying %q", name, c.agency, status.Code(err), reasonOf(err), utf8.RuneCountInString(msg), msg, c.code, c.reason, c.says)
				}
			}
		}
	}
}
