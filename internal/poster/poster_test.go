package poster

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ruqi/ruqi/internal/code"
)

func TestPoster_QRDecodesToTheCode(t *testing.T) {
	p := Poster{EnterpriseName: "成都锦江样例食品有限公司（样例）", USCC: "91510104CY4C7RGWMR",
		URL: code.EnterpriseURL("ruqi.example.gov.cn", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), Generation: 2, IssuedOn: "2026-12-02"}
	b, err := p.PNG()
	if err != nil {
		t.Fatal(err)
	}
	got, err := code.DecodeQRPNG(b)
	if err != nil {
		t.Fatalf("decode poster QR: %v", err)
	}
	if got != p.URL {
		t.Fatalf("poster QR = %q, want %q", got, p.URL)
	}
	img, err := p.Image()
	if err != nil {
		t.Fatal(err)
	}
	// The text is drawn: the band above the QR is not blank.
	dark := 0
	for y := margin; y < margin+250; y++ {
		for x := 0; x < width; x++ {
			if img.GrayAt(x, y).Y < 0x80 {
				dark++
			}
		}
	}
	if dark < 2000 {
		t.Fatalf("only %d dark pixels where the title and name should be", dark)
	}
}

func TestPoster_PDFIsOneA4Page(t *testing.T) {
	b, err := Poster{EnterpriseName: "样例企业", USCC: "91510104CY4C7RGWMR", URL: "HTTPS://X/E/ABC", Generation: 1, IssuedOn: "2026-12-02"}.PDF()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"%PDF-1.4", "/MediaBox [0 0 595.28 841.89]", "/Count 1", "%%EOF"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("PDF lacks %q", want)
		}
	}
}

func TestFont_CoversThePosterText(t *testing.T) {
	f, err := defaultFont()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range "企业码执法人员到达时扫描此码登记到场两码互核统一社会信用代码第版生成泄露重新旧立即失效" {
		i, err := f.GlyphIndex(nil, r)
		if err != nil || i == 0 {
			t.Errorf("no glyph for %q", r)
		}
	}
}

// The font holds every ideograph GBK encodes (U+4E00–U+9FA5), so the
// characters enterprises choose for their names beyond GB 2312 print.
func TestFont_CoversGBKIdeographs(t *testing.T) {
	f, err := defaultFont()
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	for r := rune(0x4E00); r <= 0x9FA5; r++ {
		if i, err := f.GlyphIndex(nil, r); err != nil || i == 0 {
			if missing++; missing <= 5 {
				t.Errorf("no glyph for %q (U+%04X)", r, r)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d ideographs without a glyph", missing)
	}
}

func TestPrintable_ReplacesWhatTheFontLacks(t *testing.T) {
	f, err := defaultFont()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, want string
		missing    int
	}{
		{"成都垚鑫犇燊商贸有限公司", "成都垚鑫犇燊商贸有限公司", 0},
		{"喆堃 Trading（成都）", "喆堃 Trading（成都）", 0},
		{"\U0002000B记餐馆", "□记餐馆", 1}, // an ideograph of CJK Extension B
		{"\u4DB5\U00020000", "□□", 2},
	} {
		got, n := Printable(f, c.name)
		if got != c.want || n != c.missing {
			t.Errorf("Printable(%q) = %q, %d; want %q, %d", c.name, got, n, c.want, c.missing)
		}
	}
	// The poster says why a character is a box: one more line of text.
	dark := func(name string) int {
		img, err := Poster{EnterpriseName: name, USCC: "91510104CY4C7RGWMR", URL: "HTTPS://X/E/ABC", Generation: 1, IssuedOn: "2026-12-02"}.Image()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, y := range img.Pix {
			if y < 0x80 {
				n++
			}
		}
		return n
	}
	if with, without := dark("\U0002000B记餐馆"), dark("□记餐馆"); with <= without {
		t.Errorf("a name with a character the font lacks: %d dark pixels, the same name with □ typed: %d; want the note line besides", with, without)
	}
}

// BenchmarkPoster draws the poster as the server does for each download;
// BenchmarkQRAlone is the QR of the same URL, for a ratio on a noisy machine.
func BenchmarkPoster(b *testing.B) {
	p := Poster{EnterpriseName: "成都锦江样例食品有限公司（样例）", USCC: "91510104CY4C7RGWMR",
		URL: code.EnterpriseURL("ruqi.example.gov.cn", strings.Repeat("ABCDEFGH", 20)), Generation: 1, IssuedOn: "2026-12-02"}
	for _, f := range []struct {
		name string
		draw func() ([]byte, error)
	}{{"png", p.PNG}, {"pdf", p.PDF}} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := f.draw(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("qr-alone", func(b *testing.B) {
		for b.Loop() {
			if _, err := code.QRPNG(p.URL, 760); err != nil {
				b.Fatal(err)
			}
		}
	})
}
