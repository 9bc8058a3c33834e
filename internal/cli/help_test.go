package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ruqi/ruqi/internal/domain"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The help takes a flag's `PLACEHOLDER` out of its sentence, so the
// placeholder must end the sentence or its clause: "前 `N` 家" printed "前 家".
func TestFlagUsage_PlaceholderNotInsideSentence(t *testing.T) {
	a, _, _ := testApp(nil)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			u := f.Usage
			start := strings.IndexByte(u, '`')
			if start < 0 {
				return
			}
			end := strings.IndexByte(u[start+1:], '`')
			if end < 0 {
				t.Errorf("%s --%s: unclosed placeholder in %q", c.CommandPath(), f.Name, u)
				return
			}
			rest := u[start+1+end+1:]
			if rest != "" && !strings.HasPrefix(rest, "（") && !strings.HasPrefix(rest, "，") && !strings.HasPrefix(rest, "：") {
				t.Errorf("%s --%s: %q reads %q once the placeholder is taken out", c.CommandPath(), f.Name, u, strings.TrimRight(u[:start], " ")+rest)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(a.rootCommand())
}

// Every flag's placeholder is a word of ours (FILE, TEXT, ID), never the
// type pflag falls back to: "--reason string" was the one English word in
// the enterprise's help for its code (a trial as an enterprise, 2026-12-06).
func TestFlagUsage_PlaceholderNotATypeName(t *testing.T) {
	a, _, _ := testApp(nil)
	typeNames := map[string]bool{"string": true, "strings": true, "stringArray": true, "int": true, "int32": true,
		"int64": true, "uint": true, "uint32": true, "uint64": true, "float64": true, "duration": true}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if name, _ := pflag.UnquoteUsage(f); typeNames[name] {
				t.Errorf("%s --%s: the help shows the placeholder %q", c.CommandPath(), f.Name, name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(a.rootCommand())
}

// Examples use ids of the shapes users will meet, so that they can be
// copied and recognised.
func TestExamples_IDsLookReal(t *testing.T) {
	a, _, _ := testApp(nil)
	tokenID := regexp.MustCompile(`^tok-[0-9a-f]{12}$`)
	checks := map[string]func(string) bool{
		"--inspection": domain.InspectionIDShape.MatchString,
		"--lead":       domain.LeadIDShape.MatchString,
		"--id":         tokenID.MatchString,
		"--enterprise": func(s string) bool { return domain.ValidateUSCC(s) == nil },
		"--as":         func(s string) bool { return domain.ValidateUSCC(s) == nil },
		"--officer":    regexp.MustCompile(`^(O-\d{4}|[\p{Han}]+)$`).MatchString,
	}
	seen := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		words := strings.Fields(strings.ReplaceAll(c.Example, "\\\n", " "))
		for i := 0; i+1 < len(words); i++ {
			if words[i] == "--as" && c.CommandPath() != "ruqi company scan" {
				continue // elsewhere --as names a role, not an enterprise
			}
			if check, ok := checks[words[i]]; ok {
				seen++
				if !check(strings.TrimRight(words[i+1], ")）,，")) {
					t.Errorf("%s: example %s %s is not the shape of a real one", c.CommandPath(), words[i], words[i+1])
				}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(a.rootCommand())
	if seen < 10 {
		t.Fatalf("only %d example ids found", seen)
	}
}

// Found by an officer's trial of the new rules (2026-12-06): ruqi plan
// amend's example widened a plan to --region 510000 (四川省), which 属地管辖
// refuses for every agency of 成都 (OUTSIDE_JURISDICTION), the city's own
// included: the example advised what then failed. A plan's, a draw's and a
// coverage's range must lie in the agency's territory, so their examples
// name divisions of 成都, where the examples' agencies are.
func TestExamples_RegionsWithinTheAgencysTerritory(t *testing.T) {
	a, _, _ := testApp(nil)
	for _, c := range a.rootCommand().Commands() {
		if n := c.Name(); n != "plan" && n != "draw" && n != "match" {
			continue
		}
		var walk func(c *cobra.Command)
		walk = func(c *cobra.Command) {
			words := strings.Fields(strings.ReplaceAll(c.Example, "\\\n", " "))
			for i := 0; i+1 < len(words); i++ {
				if words[i] == "--region" && !domain.RegionCovers("510100", words[i+1]) {
					t.Errorf("%s: example --region %s lies beyond 成都 (510100), where the examples' agencies may plan and draw", c.CommandPath(), words[i+1])
				}
			}
			for _, sub := range c.Commands() {
				walk(sub)
			}
		}
		walk(c)
	}
}

// Every `ruqi …` an example shows names commands that exist: ruqi login's
// example went on with `ruqi company inspections`, which is no command (the
// enterprise's list is `ruqi company history`); a newcomer's trial,
// 2026-12-06, copied it and was told 未知命令 "inspections".
func TestExamples_NameExistingCommands(t *testing.T) {
	a, _, _ := testApp(nil)
	root := a.rootCommand()
	call := regexp.MustCompile(`(?:^|[\s(])ruqi\s+([^)|#&;\\]*)`)
	seen := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, line := range strings.Split(c.Example, "\n") {
			for _, m := range call.FindAllStringSubmatch(line, -1) {
				seen++
				found, rest, err := root.Find(strings.Fields(m[1]))
				if err != nil {
					t.Errorf("%s: example %q: %v", c.CommandPath(), strings.TrimSpace(line), err)
					continue
				}
				if found.HasSubCommands() && len(rest) > 0 {
					t.Errorf("%s: example %q: %q is no subcommand of %s", c.CommandPath(), strings.TrimSpace(line), rest[0], found.CommandPath())
				}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if seen < 50 {
		t.Fatalf("only %d example calls found", seen)
	}
}

// No help says a word and then the same word in brackets: ruqi match
// cover's help read "一项检查计划（检查计划）的覆盖范围" (a newcomer's trial,
// 2026-12-06), the bracket once the English of the word before it.
func TestHelp_NoWordRepeatedInBrackets(t *testing.T) {
	a, _, _ := testApp(nil)
	words := regexp.MustCompile(`\p{Han}{2,}（\p{Han}{2,}）`)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		texts := []string{c.Short, c.Long, c.Example}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) { texts = append(texts, f.Usage) })
		for _, text := range texts {
			for _, m := range words.FindAllString(text, -1) {
				word, inner, _ := strings.Cut(strings.TrimSuffix(m, "）"), "（")
				if strings.HasSuffix(word, inner) {
					t.Errorf("%s: %q says %s twice", c.CommandPath(), m, inner)
				}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(a.rootCommand())
}

// The officers an example names together are of one agency in the sample
// directory (testdata/sample), as a registration and an acceptance require:
// ruqi match accept's example named O-0001,O-0002, of 成都市市场监督管理局
// and 成都市生态环境局, and was refused as written (a planner's trial).
func TestExamples_OfficersOfOneAgency(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample", "directory.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dir struct {
		Officers []struct{ ID, AgencyID string } `json:"officers"`
	}
	if err := json.Unmarshal(raw, &dir); err != nil {
		t.Fatal(err)
	}
	agencyOf := map[string]string{}
	for _, o := range dir.Officers {
		agencyOf[o.ID] = o.AgencyID
	}
	a, _, _ := testApp(nil)
	seen := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		words := strings.Fields(strings.ReplaceAll(c.Example, "\\\n", " "))
		for i := 0; i+1 < len(words); i++ {
			if words[i] != "--officers" || !strings.HasPrefix(words[i+1], "O-") {
				continue // --officers N of draw commit is a count
			}
			seen++
			agencies := map[string]bool{}
			for _, id := range strings.Split(words[i+1], ",") {
				agencies[agencyOf[id]] = true
			}
			if len(agencies) != 1 || agencies[""] {
				t.Errorf("%s: example --officers %s names officers of agencies %v in the sample directory: want one agency's", c.CommandPath(), words[i+1], agencies)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(a.rootCommand())
	if seen < 3 {
		t.Fatalf("only %d example --officers found", seen)
	}
}
