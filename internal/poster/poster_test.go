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

// TestPoster_HardCodesDecode keeps codes whose posters the reader once
// missed (about 1 in 200 random tokens): a large title character looked like
// a finder pattern at every scale tried. Each must read.
func TestPoster_HardCodesDecode(t *testing.T) {
	for _, url := range []string{
		"HTTPS://127.0.0.1:12345/E/QLAVPZZ3FDJ4SYWEIHOGT2GFTIK3GGFKPIU6M6M3Q4PBNYA6E7SCOIRUUWIQZOHEUS5OK64AWWBPRH7LD5TSYTELGGNDJLAKWYJDJQKE6ZPF7SDFDXENU4OAUA6LJCH2MEPWBCM76SE3KZ75KHB3GEI3H6NU4NFTE23LSCEH6JH6YDJONG7WQKDPQB2LDRYB",
		"HTTPS://127.0.0.1:12345/E/VT6OPGQ6OJJVMMLW5KPSKKXUZHO3SBRFWHFHY5ZDUT2HVG3VVWTUXV345UAXBJKNVHQRFDQWMH4A2J2LU6UTJ7CAXDYCCTI7PTPDBSTCHG7AXFWVMNWU65DCOL55UFQ3TBWUFNYJL7SOMYWRVSGWFNVDJWW7QZS2HMQLMXIUN5Y3UKL3AKMZAW33EEQSOVQO",
		"HTTPS://127.0.0.1:12345/E/RJR4IDWCMRECRZFLDLYUFPITVWMTF56KDBL2MD2BZWANZUM4T5MHCO52BHNPHHBRYEYFS4CC4BZAAKE5RB5QSDNNAI7Q3S6P4POPKWH5C33YGDS4X6CXOQY5BNSS2DF5CZEUX3PCJDEKXJHGFOS35JT4H4SLDMJFVLKYDCTOCMWVTK6XBYGM76QE3Y2IIS7S",
		"HTTPS://127.0.0.1:12345/E/FCMSZVITV27RNW2QBPKJVDZQ7MW5UO5BXZ6JWU2IR5ITNIYJANLC6BQ4MAFXQHYDZ5YEOHYJ644PA7B4JTQKPVGWMEESWJB7PW42I6JYDVBRVRJVL4WGT6ATH76QX2TQBPE7J54WEDXZ5EHVMAOWEVD3SIISUNILTAHRE5FVT5TR5YYW7SYR2ZLQI3OX7CZG",
		"HTTPS://127.0.0.1:12345/E/ZJY4O4LXWO6UTRSSMXWBODJY5KUU4HAMONNLW2XC7F3PPEJZCDJSQYVBCOOAW4NL2YUWCLOBGPGUDQLCE4NI4DVIW2BWHOOPLA6LHWGH3LOVOA2FKKRDBEPPKQSL56BIXGSC3GIZGRCKZ6Y7KK7JOO5BAJVWDTL2R3V3ZG5CD2FV632KSYJQZ33VL2T7ZPYJ",
	} {
		b, err := Poster{EnterpriseName: "成都锦江样例食品有限公司", USCC: "91510104CY4C7RGWMR", URL: url, Generation: 1, IssuedOn: "2026-12-02"}.PNG()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := code.DecodeQRPNG(b); err != nil || got != url {
			t.Errorf("poster of %s...: read %q, %v", url[:32], got, err)
		}
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
