package code

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// realisticURL is the QR text of a real signed code; n varies the claims.
func realisticURL(t testing.TB, k Key, n int) string {
	t.Helper()
	return URL("ruqi.example.gov.cn", EncodeToken(mustSign(t, k, testClaims(n))))
}

// TestQRRoundTrip renders 200 different codes and reads them back. Sizes
// vary so that modules land on pixel boundaries unevenly, as with a real
// size parameter.
func TestQRRoundTrip(t *testing.T) {
	k := testKey(t, 1)
	sizes := []int{256, 300, 384, 512, -4}
	withoutPure := 0
	for i := range 200 {
		text := realisticURL(t, k, i)
		size := sizes[i%len(sizes)]
		img, err := QRPNG(text, size)
		if err != nil {
			t.Fatalf("QRPNG: %v", err)
		}
		got, err := DecodeQRPNG(img)
		if err != nil {
			t.Fatalf("code %d, size %d: DecodeQRPNG: %v", i, size, err)
		}
		if got != text {
			t.Fatalf("code %d: decoded %q, want %q", i, got, text)
		}
		if !decodesWithoutPureHint(t, img, text) {
			withoutPure++
		}
	}
	// Not an assertion: it documents why DecodeQRPNG tries PURE_BARCODE first.
	t.Logf("without the PURE_BARCODE hint the plain detector misses %d of 200", withoutPure)
}

func decodesWithoutPureHint(t *testing.T, pngBytes []byte, want string) bool {
	m, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(m)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	return err == nil && res.GetText() == want
}

// TestQRPhoto reads a code that does not look like QRPNG output: placed off
// centre on a larger, grey, noisy canvas and saved as JPEG, as a phone photo
// or screenshot would be. This exercises the TRY_HARDER fallback.
func TestQRPhoto(t *testing.T) {
	text := realisticURL(t, testKey(t, 1), 1)
	qrPNG, err := QRPNG(text, 400)
	if err != nil {
		t.Fatal(err)
	}
	qr, err := png.Decode(bytes.NewReader(qrPNG))
	if err != nil {
		t.Fatal(err)
	}
	canvas := image.NewRGBA(image.Rect(0, 0, 900, 700))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range 700 {
		for x := range 900 {
			v := uint8(150 + rng.IntN(40))
			canvas.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	draw.Draw(canvas, image.Rect(230, 170, 630, 570), qr, image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, canvas, &jpeg.Options{Quality: 75}); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeQRPNG(buf.Bytes())
	if err != nil {
		t.Fatalf("DecodeQRPNG of photo-like JPEG: %v", err)
	}
	if got != text {
		t.Fatalf("decoded %q, want %q", got, text)
	}
}

func TestDecodeQRPNGRejects(t *testing.T) {
	blank := func(w, h int) []byte {
		m := image.NewGray(image.Rect(0, 0, w, h))
		for i := range m.Pix {
			m.Pix[i] = 0xff
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	noisy := func() []byte {
		m := image.NewGray(image.Rect(0, 0, 200, 200))
		rng := rand.New(rand.NewPCG(3, 4))
		for i := range m.Pix {
			m.Pix[i] = uint8(rng.IntN(2) * 255)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	valid, err := QRPNG("HTTPS://X/V/AAAA", 128)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		img  []byte
	}{
		{"empty", nil},
		{"text", []byte("HTTPS://RUQI.EXAMPLE.GOV.CN/V/AAAA")},
		{"truncated png", valid[:len(valid)/2]},
		{"png header only", valid[:33]},
		{"blank png", blank(300, 300)},
		{"1x1 png", blank(1, 1)},
		{"noise", noisy()},
		{"too large", append([]byte("\x89PNG"), make([]byte, maxImageBytes)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeQRPNG(tt.img)
			if !errors.Is(err, ErrNotQR) {
				t.Fatalf("DecodeQRPNG = %q, %v; want ErrNotQR", got, err)
			}
			t.Logf("%v", err)
		})
	}
}

func TestQRPNGSize(t *testing.T) {
	if _, err := QRPNG("X", maxQRSize+1); err == nil {
		t.Error("QRPNG accepted a huge size")
	}
	img, err := QRPNG("X", 200)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width != 200 || cfg.Height != 200 {
		t.Errorf("QRPNG(200) = %dx%d, %v", cfg.Width, cfg.Height, err)
	}
}

func TestQRTerminal(t *testing.T) {
	s := QRTerminal(realisticURL(t, testKey(t, 1), 1))
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	// Each line holds two rows of modules, so the drawing is about half as
	// high as wide.
	if len(lines) < 20 || !strings.ContainsAny(s, "█▀▄") {
		t.Fatalf("QRTerminal output looks wrong:\n%s", s)
	}
	if QRTerminal(strings.Repeat("x", 8000)) != "" {
		t.Error("QRTerminal of text too long for a QR code should be empty")
	}
}

// TestDecodeQRPNGBoundedWork feeds an image tiled with finder patterns, one
// pixel per module: about 4000 candidates, which gozxing's cubic search
// would take minutes over. The detector must give up at the candidate cap.
func TestDecodeQRPNGBoundedWork(t *testing.T) {
	const side = 500
	m := image.NewGray(image.Rect(0, 0, side, side))
	for y := range side {
		for x := range side {
			// A 7×7 finder pattern and a 1-module separator, period 8.
			px, py := x%8, y%8
			ring := min(px, py, 6-px, 6-py) // 0 outer, 1 white, 2+ centre
			if px == 7 || py == 7 || ring == 1 {
				m.Pix[y*side+x] = 0xff
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	if _, err := decodeQR(m); !errors.Is(err, errTooManyCandidates) {
		t.Fatalf("decodeQR = %v, want the candidate cap to stop it", err)
	}
	if _, err := DecodeQRPNG(buf.Bytes()); !errors.Is(err, ErrNotQR) {
		t.Fatalf("DecodeQRPNG = %v, want ErrNotQR", err)
	}
	t.Logf("%d-byte PNG rejected", buf.Len())
}

// TestDecodeQRPNG_MultiDetectorBounded: an image of 11×11 finder patterns,
// fewer than the general detector's cap. The multi-code detector, tried
// last, samples and tries to decode every triple of them (an 11×11 grid of
// 3600 pixels took 17–38 s to reject; found by a read-only review,
// 2026-12-04). It must give up at its own cap instead.
func TestDecodeQRPNG_MultiDetectorBounded(t *testing.T) {
	const n, mod, step = 11, 4, 40
	side := n*step + step
	m := image.NewGray(image.Rect(0, 0, side, side))
	for i := range m.Pix {
		m.Pix[i] = 0xff
	}
	for gy := range n {
		for gx := range n {
			ox, oy := step/2+gx*step, step/2+gy*step
			for y := range 7 * mod {
				for x := range 7 * mod {
					if px, py := x/mod, y/mod; min(px, py, 6-px, 6-py) != 1 {
						m.Pix[(oy+y)*side+ox+x] = 0
					}
				}
			}
		}
	}
	if _, err := decodeQR(m); !errors.Is(err, errTooManyCandidates) {
		t.Fatalf("decodeQR = %v, want the multi detector's candidate cap to stop it", err)
	}
}

// Posters whose QR gozxing's general detector misread at full size (the
// finder patterns found, the format or dimension read wrong): each reads
// at a smaller scale, which DecodeQRPNG tries next.
func TestDecodeQRPNG_PostersMisreadAtFullSize(t *testing.T) {
	for _, name := range []string{"poster-misread-1.png", "poster-misread-2.png", "poster-misread-3.png"} {
		img, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		text, err := DecodeQRPNG(img)
		if err != nil || !strings.HasPrefix(text, "HTTPS://127.0.0.1:41234/E/") {
			t.Errorf("%s: %q, %v", name, text, err)
		}
	}
}
