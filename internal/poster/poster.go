// Package poster draws an enterprise's code (企业码) as a printable A4 poster,
// PNG and PDF, with its Chinese text, from a font embedded in the binary.
package poster

import (
	"bytes"
	"compress/zlib"
	_ "embed"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"github.com/ruqi/ruqi/internal/code"
)

// notoSC is Noto Sans CJK SC Regular cut down to the characters GBK encodes
// (font/OFL.txt says how): 5.2 MB instead of the 19 MB collection, and no
// system font needed at run time. GB 2312 alone (1.5 MB) lacked characters
// enterprises put in their names (垚, 犇, 燊, 喆, 堃), which printed as
// blanks on their own poster. It has CFF outlines, which x/image's sfnt
// rasterizes.
//
//go:embed font/NotoSansSC-GBK.otf
var notoSC []byte

var (
	fontOnce sync.Once
	fontData *opentype.Font
	fontErr  error
)

func defaultFont() (*opentype.Font, error) {
	fontOnce.Do(func() { fontData, fontErr = opentype.Parse(notoSC) })
	return fontData, fontErr
}

// A4 at 150 dots per inch: 210 × 297 mm.
const (
	dpi    = 150
	width  = 1240
	height = 1754
	margin = 110
	// pdfWidth, pdfHeight: A4 in PDF points (1/72 inch).
	pdfWidth, pdfHeight = 595.28, 841.89
)

// Poster is what the poster shows.
type Poster struct {
	EnterpriseName string
	USCC           string
	// URL is the enterprise code's QR text (code.EnterpriseURL).
	URL        string
	Generation uint64
	IssuedOn   string // e.g. "2026-12-02"
}

// Instruction is the line that tells officers what the code is for.
const Instruction = "执法人员到达时扫描此码登记到场"

// Image draws the poster.
func (p Poster) Image() (*image.Gray, error) {
	f, err := defaultFont()
	if err != nil {
		return nil, fmt.Errorf("poster: font: %w", err)
	}
	img := image.NewGray(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	qrPNG, err := code.QRPNG(p.URL, 760)
	if err != nil {
		return nil, err
	}
	qr, err := png.Decode(bytes.NewReader(qrPNG))
	if err != nil {
		return nil, fmt.Errorf("poster: qr: %w", err)
	}

	y := margin
	text := func(s string, size float64, c color.Color) error {
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: dpi, Hinting: font.HintingNone})
		if err != nil {
			return err
		}
		defer face.Close()
		lineH := face.Metrics().Height.Ceil()
		for _, line := range wrap(face, s, width-2*margin) {
			adv := font.MeasureString(face, line).Ceil()
			d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face,
				Dot: fixed.P((width-adv)/2, y+face.Metrics().Ascent.Ceil())}
			d.DrawString(line)
			y += lineH
		}
		y += lineH / 3
		return nil
	}
	dark := color.Gray{Y: 0x10}
	grey := color.Gray{Y: 0x50}
	name, missing := Printable(f, p.EnterpriseName)
	err = errors.Join(
		text("企业码", 40, dark),
		text(name, 24, dark),
		text("统一社会信用代码 "+p.USCC, 14, grey),
	)
	if err == nil && missing > 0 {
		err = text(fmt.Sprintf("名称中有 %d 个字超出本码所用字库，以□代替；以统一社会信用代码为准", missing), 11, grey)
	}
	if err != nil {
		return nil, err
	}
	qb := qr.Bounds()
	at := image.Pt((width-qb.Dx())/2, y)
	draw.Draw(img, image.Rectangle{Min: at, Max: at.Add(qb.Size())}, qr, qb.Min, draw.Src)
	y += qb.Dy() + 30
	err = errors.Join(
		text(Instruction+"（两码互核）", 20, dark),
		text("本码只用于登记执法人员到场，不代替入企码：检查仍须出示报备的入企码。", 12, grey),
		text(fmt.Sprintf("第 %d 版 · %s 生成 · 本码泄露时请在系统中重新生成，旧码立即失效", p.Generation, p.IssuedOn), 11, grey),
	)
	if err != nil {
		return nil, err
	}
	return img, nil
}

// Printable is s with each character the font has no glyph for replaced by
// □, and how many were: a name with a character beyond GBK (an ideograph of
// a CJK extension) is printed with a visible gap that the poster explains,
// not with a blank that looks like a shorter name.
func Printable(f *opentype.Font, s string) (string, int) {
	var buf sfnt.Buffer
	missing := 0
	out := []rune(s)
	for i, r := range out {
		if r == ' ' {
			continue
		}
		if g, err := f.GlyphIndex(&buf, r); err != nil || g == 0 {
			out[i] = '□'
			missing++
		}
	}
	return string(out), missing
}

// wrap breaks s into lines no wider than w; Chinese text breaks between any
// two characters.
func wrap(face font.Face, s string, w int) []string {
	var lines []string
	var cur []rune
	for _, r := range s {
		next := append(cur, r)
		if len(cur) > 0 && font.MeasureString(face, string(next)).Ceil() > w {
			lines = append(lines, string(cur))
			cur = []rune{r}
			continue
		}
		cur = next
	}
	if len(cur) > 0 {
		lines = append(lines, string(cur))
	}
	return lines
}

// PNG is the poster as a PNG image, A4 at 150 dpi.
func (p Poster) PNG() ([]byte, error) {
	img, err := p.Image()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PDF is the poster as a one-page A4 PDF holding the same image. The text is
// drawn into the image rather than set as PDF text: the embedded font has
// CFF outlines, which a PDF can embed only as a CIDFontType0 font with its
// own CMap, and a print shop or office printer needs the page, not
// selectable text.
func (p Poster) PDF() ([]byte, error) {
	img, err := p.Image()
	if err != nil {
		return nil, err
	}
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(img.Pix); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	content := fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q\n", pdfWidth, pdfHeight)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>", pdfWidth, pdfHeight),
		fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream",
			width, height, z.Len(), z.Bytes()),
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Title (ruqi enterprise code) /Producer (ruqi) >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, len(objs), xref)
	return b.Bytes(), nil
}
